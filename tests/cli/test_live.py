"""Reading the live state: which cluster, and a lost API server reported within 10 s in one
line naming the endpoint and what to do."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from infra import drivers
from infra.cli import live
from infra.errors import NotFoundError, PermanentError, TransientError

from .helpers import ROOT


@pytest.fixture(autouse=True)
def _plain_shell(monkeypatch: pytest.MonkeyPatch) -> None:
    """As in a shell where `govcloud localcloud env` was not evaluated."""
    monkeypatch.delenv("GOVCLOUD_ENV", raising=False)


def _kubeconfig(path: Path, server: str) -> Path:
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        f"clusters:\n- name: k\n  cluster:\n    server: {server}\n"
        "    insecure-skip-tls-verify: true\n"
        "contexts:\n- name: c\n  context:\n    cluster: k\n    user: u\n"
        "users:\n- name: u\n  user:\n    token: not-a-secret\n"
    )
    return path


@pytest.fixture
def closed_port() -> Iterator[int]:
    """A port bound but not listening: connections are refused, and while the test runs no
    other server takes it and the kernel never hands it out as a client's source port (a
    client whose source port equals the port it dials connects to itself and hangs)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts connections (the kernel's backlog) and never answers: a hung API server."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield int(sock.getsockname()[1])


def test_local_uses_the_local_clouds_kubeconfig(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GOVCLOUD_STATE_DIR", str(tmp_path))
    cluster = live.locate("local")
    assert cluster.kubeconfig is None and cluster.endpoint == "the local cloud is not started"
    _kubeconfig(tmp_path / "kubeconfig", "https://127.0.0.1:41234")
    cluster = live.locate("local")
    assert cluster.kubeconfig == tmp_path / "kubeconfig"
    assert cluster.endpoint == "https://127.0.0.1:41234"
    assert cluster.remedy == "start it: govcloud localcloud up"


def test_other_environments_use_kubeconfig(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = _kubeconfig(tmp_path / "prod.yaml", "https://k8s.prod.example:6443")
    monkeypatch.setenv("KUBECONFIG", str(config))
    cluster = live.locate("prod")
    assert cluster.endpoint == "https://k8s.prod.example:6443"
    assert "prod cluster" in cluster.remedy
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    read = live.read_live("prod")
    assert not read.reachable
    assert read.note == (
        f"cluster unreachable: no kubeconfig at {tmp_path / 'missing'}; set KUBECONFIG for env prod"
    )


def test_a_shell_set_up_for_the_local_cloud_is_not_read_as_prod(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(_kubeconfig(tmp_path / "k", "https://127.0.0.1:9")))
    monkeypatch.setenv("GOVCLOUD_ENV", "local")
    read = live.read_live("prod")
    assert read.tenants is None
    assert read.note == (
        "cluster unreachable: this shell is set up for env local "
        "(GOVCLOUD_ENV); use a shell with the prod cluster's KUBECONFIG"
    )


@pytest.mark.parametrize(
    ("error", "why"),
    [
        (TransientError("boom", code="Unreachable"), "no answer"),
        (PermanentError("forbidden: x", code="Forbidden"), "forbidden"),
    ],
)
def test_driver_errors_become_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, error: Exception, why: str
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(_kubeconfig(tmp_path / "k", "https://h:1")))

    def fetch(*_: Any, **__: Any) -> live.Live:
        raise error

    read = live.read_live("staging", fetch=fetch)
    assert read.tenants is None
    assert read.note == (
        f"cluster unreachable at https://h:1 ({why}); check the network "
        "path to the staging cluster and KUBECONFIG"
    )


def test_a_read_that_hangs_is_given_up(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KUBECONFIG", str(_kubeconfig(tmp_path / "k", "https://h:1")))

    def fetch(*_: Any, **__: Any) -> live.Live:
        time.sleep(5)
        return live.Live("https://h:1", {})

    start = time.monotonic()
    read = live.read_live("staging", fetch=fetch, wait=0.5)
    assert time.monotonic() - start < 1.5
    assert read.note.startswith("cluster unreachable at https://h:1 (no answer within 0 s)")


def test_the_wait_shrinks_to_keep_the_whole_command_within_its_budget(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(_kubeconfig(tmp_path / "k", "https://h:1")))
    monkeypatch.setattr(live, "process_age", lambda: live.BUDGET - 0.2)  # a slow start

    def fetch(*_: Any, **__: Any) -> live.Live:
        time.sleep(5)
        return live.Live("https://h:1", {})

    start = time.monotonic()
    read = live.read_live("staging", fetch=fetch)
    assert 0.9 < time.monotonic() - start < 2.0  # the floor of one second
    assert "(no answer within 1 s)" in read.note


def test_process_age_counts_from_the_process_start() -> None:
    first = live.process_age()
    time.sleep(0.2)
    assert first > 0 and 0.15 < live.process_age() - first < 1.0


class _NoTenantKind:
    def __init__(self, *_: Any, **__: Any) -> None:
        pass

    def list(self, api_version: str, kind: str, **_: Any) -> list[dict[str, Any]]:
        raise NotFoundError("not served", code="KindNotServed")


def test_a_cluster_without_the_platform_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(_kubeconfig(tmp_path / "k", "https://h:1")))
    monkeypatch.setattr(drivers, "KubeClient", _NoTenantKind)
    read = live.read_live("staging", events=True)
    assert read.reachable and read.tenants == {} and read.events == []
    assert read.note == (
        "no Tenant objects at https://h:1: the platform is not deployed "
        "there yet (govcloud deploy --all)"
    )


def _timed(args: list[str], kubeconfig: Path) -> tuple[float, subprocess.CompletedProcess[str]]:
    env = {**os.environ, "KUBECONFIG": str(kubeconfig)}
    env.pop("GOVCLOUD_ENV", None)
    start = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "infra.cli.main", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    return time.monotonic() - start, result


@pytest.mark.parametrize("command", [["tenant", "list"], ["tenant", "show", "gd-jyt"], ["status"]])
def test_a_stopped_api_server_is_reported_within_10_s(
    tmp_path: Path, closed_port: int, command: list[str]
) -> None:
    server = f"https://127.0.0.1:{closed_port}"
    seconds, result = _timed([*command, "--env", "staging"], _kubeconfig(tmp_path / "k", server))
    assert seconds < 10
    # On a loaded machine the read may still be importing the client when its wait is over.
    note = (
        rf"cluster unreachable at {re.escape(server)} \((connection refused|no answer "
        r"within \d s)\); check the network path to the staging cluster and KUBECONFIG"
    )
    if command == ["status"]:  # status names it in its first line, and says it once
        assert result.returncode == 1
        assert re.fullmatch(
            f"env staging: live state unknown: {note}", result.stdout.splitlines()[0]
        ), result.stdout
        retries = result.stderr.splitlines()
    else:
        assert result.returncode == 0
        *retries, last = result.stderr.splitlines()
        assert re.fullmatch(f"govcloud: note: {note}", last), last
    _assert_retries_shown(retries, closed_port, "connection refused (nothing listens there)")


def _assert_retries_shown(lines: list[str], port: int, cause: str) -> None:
    """The first retry is shown as it happens, one short line naming the endpoint; later
    ones at most every 5 s (so within the 10 s budget, no more than two)."""
    assert 1 <= len(lines) <= 2, lines
    # The first call is discovery, or a list when discovery is cached for that address (a
    # closed port can be one an earlier local cloud's API server used in the same run).
    pattern = (
        rf"govcloud: retrying: (discover API resources|list Tenant): cannot reach the API "
        rf"server at "
        rf"127\.0\.0\.1:{port}: {re.escape(cause)} \(attempt \d+ failed; next in "
        rf"\d+\.\ds, giving up in \d+s\)"
    )
    assert all(re.fullmatch(pattern, line) for line in lines), lines


def test_a_hung_api_server_is_reported_within_10_s(tmp_path: Path, silent_server: int) -> None:
    server = f"https://127.0.0.1:{silent_server}"
    seconds, result = _timed(["status", "--env", "staging"], _kubeconfig(tmp_path / "k", server))
    assert seconds < 10
    assert result.returncode == 1
    assert result.stdout.splitlines()[0].startswith(
        f"env staging: live state unknown: cluster unreachable at {server} ("
    )
    retries = result.stderr.splitlines()
    if retries:  # a first attempt that used the whole deadline is not retried
        _assert_retries_shown(retries, silent_server, "no answer (timed out)")
