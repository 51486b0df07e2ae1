"""Which ports a restart uses, and which processes count as ours."""

from __future__ import annotations

import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.errors import InputError
from infra.localcloud import LocalCloud
from infra.localcloud.components import port_names
from infra.localcloud.processes import free_port, port_free, runs, spawn, stop


@pytest.fixture
def listener() -> Iterator[int]:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def _previous() -> dict[str, int]:
    return {name: free_port() for name in port_names()}


def test_a_restart_reuses_the_ports_it_had() -> None:
    previous = _previous()
    assert LocalCloud._ports(previous, alive=set()) == previous


def test_a_full_start_moves_every_port_when_one_is_taken(listener: int) -> None:
    previous = {**_previous(), "cloud": listener}
    ports = LocalCloud._ports(previous, alive=set())
    assert ports["cloud"] != listener
    assert set(ports) == set(port_names())


def test_ports_stay_while_a_component_still_runs(listener: int) -> None:
    # etcd still runs on its port; the others must come back where its peers expect them.
    previous = {**_previous(), "etcd": listener}
    assert LocalCloud._ports(previous, alive={"etcd"}) == previous


def test_port_free_sees_listeners(listener: int) -> None:
    assert not port_free(listener)
    assert port_free(free_port())


def test_runs_checks_the_program_not_just_the_pid(tmp_path: Path) -> None:
    pid = spawn(
        [sys.executable, "-c", "import time; time.sleep(30)"],
        log=tmp_path / "x.log",
        cwd=tmp_path,
        env={},
    )
    try:
        # a pid is checked long after its start; right after exec, under load, the kernel
        # may still show an empty command line for a moment
        deadline = time.monotonic() + 5
        while not runs(pid, sys.executable) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert runs(pid, sys.executable)
        assert not runs(pid, "/usr/local/bin/etcd")
    finally:
        stop(pid)
    assert not runs(pid, sys.executable)


def test_unknown_log_name_is_an_input_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="audit"):
        LocalCloud(tmp_path).logs("apiserver")


def test_status_of_a_never_started_cloud_says_not_running(tmp_path: Path) -> None:
    rows = LocalCloud(tmp_path).status()
    assert [r.name for r in rows] == [
        "etcd",
        "kube-apiserver",
        "kube-controller-manager",
        "cloud",
        "metrics",
    ]
    assert not any(r.healthy or r.pid for r in rows)
