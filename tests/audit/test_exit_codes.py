"""The audit's exit codes say what happened: 0 clean, 1 found, 3 incomplete (2, could not
run, is the command's); the report names what was not checked and who is not deployed."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import pytest

from infra.audit import AuditResult, Finding, render
from infra.audit.run import _cloud_reachable
from infra.drivers import retry
from infra.drivers.retry import ENV_WAIT, Patience
from infra.spec.environment import EnvironmentSpec

LEAK = Finding("rbac", "t1 owners", "t2", "list secrets in namespace t2", "allowed")
GAP = (
    "the cloud (buckets, keys, roles, security groups, prowler): cannot reach the cloud "
    "endpoint at http://127.0.0.1:9: connection refused (nothing listens there)"
)


def _result(
    *,
    findings: tuple[Finding, ...] = (),
    not_checked: tuple[str, ...] = (),
    not_deployed: tuple[str, ...] = (),
) -> AuditResult:
    return AuditResult(
        "local",
        ["t1", "t2"],
        findings=list(findings),
        not_checked=list(not_checked),
        not_deployed=list(not_deployed),
    )


@pytest.mark.parametrize(
    ("result", "code"),
    [
        (_result(), 0),
        (_result(not_deployed=("t3",)), 0),  # approved, not deployed yet: a normal state
        (_result(findings=(LEAK,)), 1),
        (_result(not_checked=(GAP,)), 3),
        (_result(findings=(LEAK,), not_checked=(GAP,)), 1),  # a leak is a leak, checked or not
    ],
)
def test_exit_codes_are_distinct(result: AuditResult, code: int) -> None:
    assert result.exit_code == code


def test_the_text_report_names_what_was_not_checked_and_who_is_not_deployed() -> None:
    text = render(_result(not_checked=(GAP,), not_deployed=("yx-zwsjj",)), "text")
    lines = text.splitlines()
    assert lines[0] == (
        "govcloud audit of local: no leaks; incomplete: 1 part(s) could not be checked"
    )
    assert f"not checked: {GAP}" in lines
    assert (
        "not deployed (approved in tenants/, no namespace or Tenant object yet): yx-zwsjj" in lines
    )


def test_json_and_markdown_carry_the_same() -> None:
    result = _result(not_checked=(GAP,), not_deployed=("yx-zwsjj",))
    data = json.loads(render(result, "json"))
    assert (data["clean"], data["complete"], data["exit_code"]) == (False, False, 3)
    assert data["not_checked"] == [GAP] and data["not_deployed"] == ["yx-zwsjj"]
    markdown = render(result, "markdown")
    assert markdown.startswith("## ⚠️ govcloud audit: `local`: no leaks; incomplete")
    assert f"- not checked: {GAP}" in markdown


@pytest.fixture()
def refused_port(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setattr(retry, "PATIENCE", Patience())
    monkeypatch.setenv(ENV_WAIT, "0.3")
    with socket.socket() as sock:  # bound, not listening: connections are refused
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


def test_a_refusing_cloud_endpoint_is_named_as_not_checked(
    env: EnvironmentSpec, refused_port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{refused_port}")
    result = _result()
    assert not _cloud_reachable(env, result)
    assert result.not_checked == [
        "the cloud (buckets, keys, roles, security groups, prowler): cannot reach the cloud "
        f"endpoint at http://127.0.0.1:{refused_port}: connection refused (nothing listens "
        "there)"
    ]
    assert result.exit_code == 3
