"""`--wait`, and the one line a command says when an endpoint refuses: which endpoint, why,
for how long, and what to do (the local cloud: start it; other environments: the
environment file)."""

from __future__ import annotations

import argparse
import os
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.cli.main import main
from infra.cli.reach import duration, patience, preflight, unreachable_line
from infra.drivers import retry
from infra.drivers.retry import ENV_REACH_DIR, ENV_WAIT, Patience
from infra.errors import UnreachableError
from infra.i18n import set_language

from .helpers import ROOT


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("15", 15.0),
        ("15s", 15.0),
        ("2m", 120.0),
        ("1m30s", 90.0),
        ("1h", 3600.0),
        ("0.5s", 0.5),
        (" 2M ", 120.0),
    ],
)
def test_durations(text: str, seconds: float) -> None:
    assert duration(text) == seconds


@pytest.mark.parametrize("text", ["", "soon", "2 m", "-1s", "1d", "m"])
def test_what_is_not_a_duration_is_refused_with_an_example(text: str) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="say 15s, 2m or 1m30s"):
        duration(text)


def _refused(service: str, endpoint: str) -> UnreachableError:
    return UnreachableError(
        f"cannot reach the {service} at {endpoint}: connection refused",
        operation="connect",
        service=service,
        endpoint=endpoint,
        cause="connection refused (nothing listens there)",
    )


def _tried_for(seconds: float, endpoint: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """The run's record: ``endpoint`` refused for ``seconds`` before it was given up."""
    now = [1000.0]
    record = Patience(clock=lambda: now[0])
    monkeypatch.setattr(retry, "PATIENCE", record)
    monkeypatch.setenv(ENV_WAIT, str(seconds))
    record.refused(endpoint)
    now[0] += seconds
    record.refused(endpoint)


def test_the_line_for_the_local_cloud_says_how_to_start_it(monkeypatch: pytest.MonkeyPatch) -> None:
    _tried_for(10, "http://127.0.0.1:4566", monkeypatch)
    line = unreachable_line(_refused("cloud endpoint", "http://127.0.0.1:4566"), "local")
    assert line == (
        "cannot reach the cloud endpoint at http://127.0.0.1:4566: connection "
        "refused (nothing listens there); gave up after 10 s; start it: govcloud "
        "localcloud up"
    )


def test_the_line_for_another_environment_names_its_environment_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _tried_for(120, "https://oss.gd.gov.cn", monkeypatch)
    cloud = unreachable_line(_refused("cloud endpoint", "https://oss.gd.gov.cn"), "prod")
    assert cloud.endswith(
        "gave up after 120 s; check that it runs and that stacks/prod.yaml "
        "names it (cloud.endpoint); or wait longer: --wait 2m"
    )
    api = unreachable_line(_refused("API server", "10.1.0.1:6443"), "prod")
    assert "KUBECONFIG is env prod's cluster (stacks/prod.yaml)" in api


def test_the_line_is_translated(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(ENV_WAIT, "10")
    set_language("zh")
    try:
        line = unreachable_line(_refused("API server", "127.0.0.1:6443"), "local")
    finally:
        set_language("en")
    assert "127.0.0.1:6443" in line and "govcloud localcloud up" in line
    assert not any(word in line for word in ("cannot", "refused", "start it"))


@pytest.fixture()
def refused_port(monkeypatch: pytest.MonkeyPatch) -> Iterator[int]:
    monkeypatch.setattr(retry, "PATIENCE", Patience())
    with socket.socket() as sock:  # bound, not listening: connections are refused
        sock.bind(("127.0.0.1", 0))
        yield int(sock.getsockname()[1])


def test_the_preflight_gives_up_after_the_wait_and_names_the_endpoint(
    refused_port: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\ncurrent-context: c\ncontexts: [{name: c, context: {cluster: k}}]\n"
        f"clusters: [{{name: k, cluster: {{server: 'https://127.0.0.1:{refused_port}'}}}}]\n"
    )
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    started = time.monotonic()
    with (
        patience(argparse.Namespace(wait=0.5), shared=True),
        pytest.raises(UnreachableError) as info,
    ):
        assert os.environ[ENV_WAIT] == "0.5" and Path(os.environ[ENV_REACH_DIR]).is_dir()
        preflight(None)
    assert 0.45 <= time.monotonic() - started < 3
    assert (info.value.service, info.value.endpoint) == (
        "API server",
        f"https://127.0.0.1:{refused_port}",
    )
    assert ENV_REACH_DIR not in os.environ  # the run's directory is gone with the run


def test_drift_on_a_refusing_api_server_is_one_line_and_exit_2(
    refused_port: int,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\ncurrent-context: c\ncontexts: [{name: c, context: {cluster: k}}]\n"
        f"clusters: [{{name: k, cluster: {{server: 'https://127.0.0.1:{refused_port}', "
        "insecure-skip-tls-verify: true}}]\nusers: []\n"
    )
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    monkeypatch.setenv("GOVCLOUD_ENV", "staging")
    monkeypatch.chdir(ROOT)
    started = time.monotonic()
    code = main(["drift", "--env", "staging", "--no-cloud", "--wait", "1s"])
    _, err = capsys.readouterr()
    assert code == 2 and time.monotonic() - started < 6
    assert err.splitlines()[-1] == (
        f"govcloud: cannot reach the API server at 127.0.0.1:{refused_port}: connection "
        "refused (nothing listens there); gave up after 1 s; check that it runs and that "
        "KUBECONFIG is env staging's cluster (stacks/staging.yaml); or wait longer: --wait 2m"
    )
