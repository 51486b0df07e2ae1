"""`LocalCloud.up` at our own seam: two small HTTP servers stand in for the components, so
restarting only what is down, on the same ports, is checked without the real control plane."""

from __future__ import annotations

import os
import signal
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.errors import LocalCloudError
from infra.i18n import set_language
from infra.localcloud import LocalCloud, cluster
from infra.localcloud import components as components_module
from infra.localcloud.components import Component, Layout
from infra.localcloud.processes import alive

EXTRA: dict[str, list[str]] = {"db": [], "api": []}


def _server(name: str) -> Component:
    def arguments(lay: Layout) -> list[str]:
        return ["-m", "http.server", "--bind", "127.0.0.1", str(lay.ports[name]), *EXTRA[name]]

    return Component(
        name,
        sys.executable,
        arguments,
        health=lambda lay: f"http://127.0.0.1:{lay.ports[name]}/",
        version="test",
        ports=(name,),
        ready_seconds=20.0,
        after=("db",) if name == "api" else (),
    )


@pytest.fixture
def fake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[LocalCloud]:
    def fakes() -> tuple[Component, ...]:
        return (_server("db"), _server("api"))

    monkeypatch.setattr(cluster, "components", fakes)
    monkeypatch.setattr(components_module, "components", fakes)
    monkeypatch.setitem(EXTRA, "db", [])
    monkeypatch.setitem(EXTRA, "api", [])
    lc = LocalCloud(tmp_path / "state", tools=())
    try:
        yield lc
    finally:
        lc.down(quiet=True)


def _pids(lc: LocalCloud) -> dict[str, int | None]:
    return {s.name: s.pid for s in lc.status()}


def _wait_gone(pid: int) -> None:
    deadline = time.monotonic() + 10
    while alive(pid):
        assert time.monotonic() < deadline, f"pid {pid} still alive"
        time.sleep(0.05)


def test_up_twice_starts_once(fake: LocalCloud) -> None:
    said: list[str] = []
    fake.up(say=said.append)
    first = _pids(fake)
    assert all(first.values())
    fake.up(say=said.append)
    assert _pids(fake) == first
    assert said[-1].startswith("already running")


def test_a_dead_component_is_restarted_alone_on_its_port(fake: LocalCloud) -> None:
    fake.up(say=lambda _: None)
    before, ports = _pids(fake), fake.layout().ports
    os.kill(before["db"] or 0, signal.SIGKILL)
    _wait_gone(before["db"] or 0)
    fake.up(say=lambda _: None)
    after = _pids(fake)
    assert after["api"] == before["api"]
    assert after["db"] not in (None, before["db"])
    assert fake.layout().ports == ports
    assert all(s.healthy for s in fake.status())


def test_a_changed_command_line_restarts_it_and_what_starts_after_it(fake: LocalCloud) -> None:
    fake.up(say=lambda _: None)
    before = _pids(fake)
    EXTRA["api"] = ["--directory", "."]
    said: list[str] = []
    fake.up(say=said.append)
    middle = _pids(fake)
    assert middle["db"] == before["db"] and middle["api"] != before["api"]
    assert any(line.startswith("restarting api") for line in said)

    EXTRA["db"] = ["--directory", "."]
    fake.up(say=lambda _: None)
    after = _pids(fake)
    assert after["db"] != middle["db"] and after["api"] != middle["api"]


def test_down_then_up_comes_back_on_the_same_ports(fake: LocalCloud) -> None:
    fake.up(say=lambda _: None)
    ports = fake.layout().ports
    stopped = fake.down(quiet=True)
    assert len(stopped) == 2 and not any(s.healthy for s in fake.status())
    fake.up(say=lambda _: None)
    assert fake.layout().ports == ports


def test_a_component_that_exits_at_start_is_reported_with_its_log(fake: LocalCloud) -> None:
    EXTRA["db"] = ["--no-such-flag"]
    with pytest.raises(LocalCloudError, match="db exited during start"):
        fake.up(say=lambda _: None)


def test_up_says_its_progress_in_chinese(fake: LocalCloud) -> None:
    set_language("zh")
    try:
        said: list[str] = []
        fake.up(say=said.append)
        db = fake.layout().ports["db"]
        assert f"db 已就绪，地址 127.0.0.1:{db}（进程号 {_pids(fake)['db']}）" in said
        assert said[-1].startswith("已就绪，用时 ")
        fake.up(say=said.append)
        assert said[-1] == f"已在运行（{fake.state}）"
    finally:
        set_language(None)
