"""`govcloud localcloud status` in the reader's language: the table's headers and health in
Chinese stay aligned; the JSON keeps its English details (a record programs read)."""

from __future__ import annotations

import argparse
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.cli import localcloud, reconcile
from infra.i18n import set_language
from infra.i18n.tables import width
from infra.localcloud.cluster import ComponentStatus

STATUSES = [
    ComponentStatus("etcd", 101, 2379, "v3.6.0", True, ""),
    ComponentStatus("cloud", None, 4566, "govcloud", False, "connection refused"),
]


class _Cloud:
    def status(self) -> list[ComponentStatus]:
        return STATUSES


@pytest.fixture(autouse=True)
def _no_reconciler(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(reconcile, "background_status", lambda: (None, Path("/x/r.log")))
    yield
    set_language(None)


def _status(fmt: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = localcloud._status(_Cloud(), argparse.Namespace(format=fmt))  # type: ignore[arg-type]
    return code, capsys.readouterr().out


def test_the_table_in_chinese_is_aligned(capsys: pytest.CaptureFixture[str]) -> None:
    set_language("zh")
    code, out = _status("text", capsys)
    lines = out.splitlines()
    assert code == 1  # the cloud is down
    assert lines[0].split() == ["组件", "进程号", "端口", "版本", "健康状况"]
    assert lines[1].split() == ["etcd", "101", "2379", "v3.6.0", "正常"]
    assert lines[2].endswith("停止（connection refused）")
    assert lines[3].endswith("未运行（启动：govcloud reconcile --env local --background）")
    # each column starts at the same terminal cell on every line (CJK counts twice)
    for header, cell in (("端口", "2379"), ("健康状况", "正常")):
        assert width(lines[0][: lines[0].index(header)]) == width(lines[1][: lines[1].index(cell)])


def test_english_table_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    set_language("en")
    _, out = _status("text", capsys)
    assert out.splitlines()[0].split() == ["COMPONENT", "PID", "PORT", "VERSION", "HEALTH"]
    assert "not running (start: govcloud reconcile --env local --background)" in out
    set_language("zh")
    _, out = _status("json", capsys)
    rows = json.loads(out)["components"]
    assert [r["detail"] for r in rows] == [
        "ok",
        "down (connection refused)",
        "not running (start: govcloud reconcile --env local --background)",
    ]
