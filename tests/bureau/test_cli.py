"""`govcloud report` and `govcloud rightsize` as a user runs them."""

from __future__ import annotations

import json
import shutil
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


def test_report_markdown_in_the_checkout() -> None:
    result = govcloud("report", "--env", "local", "--today", "2026-11-28")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# govcloud report — local, 2026-11-28")
    assert "commit(s) of tenants/ history" in result.stdout  # dated from git


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
