"""`govcloud report` and `govcloud rightsize` as a user runs them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.helpers import govcloud

from .conftest import ROOT

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
    assert {(c["tenant"], c["resource"], c["proposed"]) for c in data["usage"]["candidates"]} == {
        ("gd-jyt", "cpu", "5"),
        ("gd-jyt", "memory", "9Gi"),
    }


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


def test_rightsize_writes_a_reviewable_change(checkout: Path) -> None:
    before = (checkout / "tenants" / "gd-jyt.yaml").read_text()
    dry = govcloud("rightsize", "--quotas-file", "quotas.json", cwd=checkout)
    assert dry.returncode == 0, dry.stderr
    assert "gd-jyt: quotas.cpu 24 → 5 (using 12%)" in dry.stdout
    assert (checkout / "tenants" / "gd-jyt.yaml").read_text() == before
    wrote = govcloud(
        "rightsize", "--quotas-file", "quotas.json", "--tenant", "gd-jyt", "--write", cwd=checkout
    )
    assert wrote.returncode == 0, wrote.stderr
    after = (checkout / "tenants" / "gd-jyt.yaml").read_text()
    assert after == before.replace('  cpu: "24"\n', '  cpu: "5"\n', 1).replace(
        "  memory: 96Gi\n", "  memory: 9Gi\n", 1
    )
    check = govcloud("check", "--today", "2026-11-28", cwd=checkout)
    assert check.returncode == 0, check.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("rightsize", "--quotas-file", "quotas.json", "--tenant", "nope"), "no tenant 'nope'"),
        (("rightsize", "--quotas-file", "missing.json"), "missing.json: cannot read"),
        (("report", "--quotas-file", "tenants/gd-jyt.yaml"), "not JSON"),
    ],
)
def test_mistakes_are_one_line_and_exit_2(
    checkout: Path, args: tuple[str, ...], message: str
) -> None:
    result = govcloud(*args, cwd=checkout)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("govcloud: ") and message in result.stderr
