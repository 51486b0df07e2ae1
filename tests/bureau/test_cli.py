"""`govcloud report` and `govcloud rightsize` as a user runs them."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import infra.cli.metering
from infra.cli.main import main
from tests.cli.helpers import govcloud

from .conftest import ROOT
from .test_metering import FakeMetrics, _store

QUOTAS = {
    "apiVersion": "v1",
    "kind": "List",
    "items": [
        {
            "metadata": {"name": "govcloud-quota", "namespace": "gd-jyt"},
            "status": {
                "hard": {"requests.cpu": "24", "requests.memory": "96Gi", "pods": "400"},
                "used": {"requests.cpu": "3", "requests.memory": "6Gi", "pods": "12"},
            },
        },
        {
            "metadata": {"name": "govcloud-quota", "namespace": "gd-gat"},
            "status": {
                "hard": {"requests.cpu": "128", "requests.memory": "512Gi"},
                "used": {"requests.cpu": "90", "requests.memory": "300Gi"},
            },
        },
    ],
}


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copytree(ROOT / "tenants", tmp_path / "tenants")
    (tmp_path / "stacks").mkdir()
    for path in (ROOT / "stacks").glob("*.yaml"):
        shutil.copy(path, tmp_path / "stacks" / path.name)
    (tmp_path / "quotas.json").write_text(json.dumps(QUOTAS))
    return tmp_path


def _report(
    *args: str, cwd: Path = ROOT, environ: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("LC_ALL", "LC_MESSAGES", "LANG")}
    return subprocess.run(
        [sys.executable, "-m", "infra.cli.main", "report", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**env, **(environ or {})},
    )


@pytest.mark.parametrize("locale", [{}, {"LANG": "C.UTF-8"}, {"LANG": "zh_CN.UTF-8"}])
def test_report_is_in_chinese_unless_english_is_asked_for(locale: dict[str, str]) -> None:
    result = _report("--env", "local", "--today", "2026-11-28", environ=locale)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# govcloud 报告 — local，2026-11-28\n")
    assert "tenants/ 目录的" in result.stdout  # dated from git
    assert "| 事项 | 情况 |" in result.stdout  # the summary, first


@pytest.mark.parametrize(
    ("args", "locale"),
    [(("--lang", "en"), {"LANG": "zh_CN.UTF-8"}), ((), {"LANG": "en_US.UTF-8"})],
)
def test_report_in_english_on_request(args: tuple[str, ...], locale: dict[str, str]) -> None:
    result = _report("--env", "local", "--today", "2026-11-28", *args, environ=locale)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# govcloud report — local, 2026-11-28\n")
    assert "commit(s) of tenants/ history" in result.stdout


DRIFT = {
    "format_version": 1,
    "tenants": 12,
    "drifting": ["gd-jyt"],
    "differences": [],
    "complete": True,
    "not_checked": [],
    "not_deployed": [],
}
AUDIT = {
    "env": "local",
    "tenants": ["gd-jyt", "gd-gat"],
    "clean": False,
    "complete": True,
    "summary": {"leaks": 1, "deviations": 2},
}


def test_report_states_the_last_drift_and_audit(checkout: Path) -> None:
    (checkout / "drift.json").write_text(json.dumps(DRIFT))
    (checkout / "audit.json").write_text(json.dumps(AUDIT))
    result = _report(
        "--today",
        "2026-11-28",
        "--drift-file",
        "drift.json",
        "--audit-file",
        "audit.json",
        cwd=checkout,
    )
    assert result.returncode == 0, result.stderr
    assert (
        "| **漂移（最近一次对账）** | 12 个租户中 1 个漂移：gd-jyt — 来自 drift.json |"
        in result.stdout
    )
    assert (
        "| **泄漏（最近一次审计）** | 2 个租户中泄漏 1 项、偏差 2 项 — 来自 audit.json |"
        in result.stdout
    )


def test_a_wrong_drift_file_is_one_line_naming_it(checkout: Path) -> None:
    (checkout / "drift.json").write_text(json.dumps({**DRIFT, "tenants": "twelve"}))
    result = _report("--today", "2026-11-28", "--drift-file", "drift.json", cwd=checkout)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("govcloud: ") and "drift.json" in result.stderr
    assert "`tenants`" in result.stderr and result.stderr.count("\n") == 1


def test_report_outside_git_uses_the_specs_dates(checkout: Path) -> None:
    result = govcloud(
        "report",
        "--today",
        "2026-11-28",
        "--format",
        "json",
        "--quotas-file",
        "quotas.json",
        cwd=checkout,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["sharing"]["commits"] == 0
    # every active tenant without a quota in the file; st-wglj is decommissioning
    assert data["usage"]["missing"] == sorted(
        p.stem
        for p in (checkout / "tenants").glob("*.yaml")
        if p.stem not in {"gd-jyt", "gd-gat", "st-wglj"}
    )
    # one reading of the quotas: use against allocation, but nothing to propose from
    assert data["usage"]["tenants"][0]["tenant"] == "gd-jyt"
    assert data["usage"]["candidates"] == [] and data["usage"]["window"] is None


def test_report_html_to_a_file(checkout: Path) -> None:
    result = govcloud(
        "report",
        "--today",
        "2026-11-28",
        "--format",
        "html",
        "--output",
        "report.html",
        cwd=checkout,
    )
    assert result.returncode == 0, result.stderr
    page = (checkout / "report.html").read_text()
    assert page.count('<figure class="chart"') == 4  # no usage chart without --live


def _fake_store(monkeypatch: pytest.MonkeyPatch, history: dt.timedelta) -> FakeMetrics:
    store = _store(first_seen=dt.datetime.now(dt.UTC) - history)
    # FakeMetrics answers the exact queries; the instant is the command's own "now"
    monkeypatch.setattr(infra.cli.metering, "metrics_client", lambda args, env: store)
    monkeypatch.setattr("infra.cli.rightsize.metrics_client", lambda args, env: store)
    return store


def test_rightsize_writes_a_reviewable_change(
    checkout: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(checkout)
    _fake_store(monkeypatch, dt.timedelta(days=15))
    before = (checkout / "tenants" / "gd-jyt.yaml").read_text()
    assert main(["--lang", "en", "rightsize", "--tenant", "gd-jyt"]) == 0
    dry = capsys.readouterr().out
    assert "gd-jyt: quotas.cpu 24 → 5 (p95 3.00, peak 4.00 = 17% over 14 days)" in dry
    assert "The percentile is taken over each whole hour's highest reading" in dry
    assert (checkout / "tenants" / "gd-jyt.yaml").read_text() == before
    assert main(["--lang", "en", "rightsize", "--tenant", "gd-jyt", "--write"]) == 0
    assert "Wrote 1 file(s)" in capsys.readouterr().out
    after = (checkout / "tenants" / "gd-jyt.yaml").read_text()
    assert after == before.replace('  cpu: "24"\n', '  cpu: "5"\n', 1).replace(
        "  memory: 96Gi\n", "  memory: 9Gi\n", 1
    )
    check = govcloud("check", "--today", "2026-11-28", cwd=checkout)
    assert check.returncode == 0, check.stdout


def test_rightsize_minutes_after_a_deploy_proposes_nothing_and_writes_nothing(
    checkout: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(checkout)
    _fake_store(monkeypatch, dt.timedelta(minutes=7))
    before = {p: p.read_text() for p in (checkout / "tenants").glob("*.yaml")}
    assert main(["--lang", "en", "rightsize", "--write"]) == 0
    out = capsys.readouterr().out
    assert "gd-jyt: 7 minutes of use recorded, 14 days needed; no proposal" in out
    assert "gd-gat: no use recorded yet, 14 days needed; no proposal" in out
    assert "No proposal:" in out and "Wrote" not in out
    assert {p: p.read_text() for p in before} == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("rightsize", "--tenant", "nope"), "no tenant 'nope'"),
        (("report", "--lang", "en", "--quotas-file", "missing.json"), "missing.json: cannot read"),
        (("report", "--lang", "en", "--quotas-file", "tenants/gd-jyt.yaml"), "not JSON"),
        # the report, and so its mistakes, are in Chinese unless English is asked for
        (("report", "--quotas-file", "missing.json"), "missing.json: 无法读取"),
        (("report", "--quotas-file", "tenants/gd-jyt.yaml"), "不是 JSON"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(
    checkout: Path, args: tuple[str, ...], message: str
) -> None:
    result = govcloud(*args, cwd=checkout)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("govcloud: ") and message in result.stderr
