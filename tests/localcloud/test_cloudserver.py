"""The cloud endpoint's wrapper: which requests count as writes, and the saves they cause."""

from __future__ import annotations

import io
import stat
from pathlib import Path
from typing import Any

import pytest

from infra.localcloud.cloudserver import Persisted, is_write


def _environ(method: str, body: bytes = b"", **headers: str) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
    }
    environ.update(headers)
    return environ


FORM = "application/x-www-form-urlencoded; charset=utf-8"


@pytest.mark.parametrize(
    ("environ", "write"),
    [
        (_environ("GET"), False),
        (_environ("HEAD"), False),
        (_environ("PUT", b"data"), True),
        (_environ("DELETE"), True),
        (_environ("POST", HTTP_X_AMZ_TARGET="TrentService.DescribeKey"), False),
        (_environ("POST", HTTP_X_AMZ_TARGET="TrentService.ListAliases"), False),
        (_environ("POST", HTTP_X_AMZ_TARGET="TrentService.CreateKey"), True),
        (_environ("POST", HTTP_X_AMZ_TARGET="TrentService.Encrypt"), True),
        (_environ("POST", b"Action=DescribeVpcs&Version=2016-11-15", CONTENT_TYPE=FORM), False),
        (_environ("POST", b"Action=GetRole&RoleName=r", CONTENT_TYPE=FORM), False),
        (_environ("POST", b"Action=CreateVpc&CidrBlock=10.0.0.0%2F16", CONTENT_TYPE=FORM), True),
        (
            _environ("POST", b"Version=1&Action=AuthorizeSecurityGroupIngress", CONTENT_TYPE=FORM),
            True,
        ),
        (_environ("POST", b"<Delete/>", CONTENT_TYPE="application/xml"), True),
    ],
    ids=lambda v: str(v) if isinstance(v, bool) else "",
)
def test_reads_and_writes_are_told_apart(environ: dict[str, Any], write: bool) -> None:
    assert is_write(environ) is write


def test_peeking_at_a_query_request_leaves_its_body_for_the_server() -> None:
    body = b"Action=CreateVpc&CidrBlock=10.0.0.0%2F16"
    environ = _environ("POST", body, CONTENT_TYPE=FORM)
    is_write(environ)
    assert environ["wsgi.input"].read() == body


def _app(seen: list[bytes]) -> Any:
    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ["wsgi.input"].read())
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"o", b"k"]

    return app


def test_writes_mark_the_state_for_saving_and_reads_do_not(tmp_path: Path) -> None:
    seen: list[bytes] = []
    persisted = Persisted(_app(seen), tmp_path / "cloud-state.pickle")
    statuses: list[str] = []

    def start(status: str, headers: list[tuple[str, str]]) -> None:
        statuses.append(status)

    assert persisted(_environ("GET"), start) == [b"ok"]
    assert not persisted.dirty.is_set()
    body = b"Action=CreateVpc&CidrBlock=10.0.0.0%2F16"
    assert persisted(_environ("POST", body, CONTENT_TYPE=FORM), start) == [b"ok"]
    assert persisted.dirty.is_set()
    assert seen == [b"", body]
    assert statuses == ["200 OK", "200 OK"]

    persisted.save()
    assert not persisted.dirty.is_set()
    saved = tmp_path / "cloud-state.pickle"
    assert saved.stat().st_size > 0
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
