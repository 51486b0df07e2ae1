"""One age for one data request: the pull-request check (`govcloud diff`) and the bureau's
report count whole days from the spec's `requested` date to the province's date of the one
clock (GOVCLOUD_NOW), whenever the request landed on the main line."""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from infra.bureau import build_report
from infra.policy.changes import compare
from infra.policy.requests import pending_groups, request_age
from infra.spec.environment import EnvironmentSpec
from infra.spec.git import SharingHistory
from infra.spec.tenant import TenantSpec

from .conftest import ROOT, TODAY, git

# 20:00 UTC on the 27th is 04:00 on the 28th in Beijing: the province's date is the 28th.
NOW = "2026-11-27T20:00:00+00:00"
LANDED = "2026-11-20"  # the day the files reached the main line, long after `requested`


def _last_number(text: str) -> int:
    return int(re.findall(r"\d+", text)[-1])


def test_the_check_and_the_report_give_one_age(
    specs: list[TenantSpec], env: EnvironmentSpec
) -> None:
    landed = dt.date.fromisoformat(LANDED)
    history = SharingHistory(
        commits=1,
        requested={
            (s.id, r.provider, r.dataset or r.data or ""): landed
            for s in specs
            for r in s.data_requests
        },
    )
    report = build_report(specs, env, today=TODAY, history=history)
    pending = {
        (x.provider, x.requester): x.age(TODAY)
        for x in report.sharing.requests
        if x.status.value == "pending"
    }
    touched = [s.model_copy(update={"name": s.name + "（改）"}) for s in specs]
    change = compare(specs, touched, env, today=TODAY)
    groups = pending_groups(specs)
    assert len(change.pending_requests) == len(groups) == len(pending) == 3
    for group, line in zip(groups, change.pending_requests, strict=True):
        age = _last_number(line)
        assert age == request_age(group.oldest, TODAY)
        assert pending[(group.provider, group.requester)] == age
    assert pending[("gd-rst", "gd-zsj")] == 88  # from 2026-09-01, not from the landing day


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    for name in ("Pulumi.yaml",):
        shutil.copy(ROOT / name, tmp_path / name)
    shutil.copytree(ROOT / "tenants", tmp_path / "tenants")
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks", ignore=shutil.ignore_patterns("*.py"))
    git(tmp_path, "init", "-q", "-b", "main")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "tenants", date=LANDED)
    path = tmp_path / "tenants" / "gd-zsj.yaml"  # a pull request touching the requester
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\nname: ", "\nname: （新）", 1), encoding="utf-8")
    return tmp_path


def _govcloud(checkout: Path, *args: str) -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVCLOUD_")}
    result = subprocess.run(
        [sys.executable, "-m", "infra.cli.main", "--lang", "en", *args],
        cwd=checkout,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**env, "GOVCLOUD_NOW": NOW},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_the_commands_read_the_one_clock_in_beijing_time(checkout: Path) -> None:
    comment = _govcloud(checkout, "diff", "--base", "HEAD", "--format", "markdown")
    (line,) = [line for line in comment.splitlines() if "from gd-zsj" in line]
    report = _govcloud(checkout, "report")
    assert report.startswith("# govcloud report — local, 2026-11-28\n")
    (row,) = [r for r in report.splitlines() if r.startswith("| gd-rst | gd-zsj |")]
    assert row.endswith("| 2026-09-01 | 88 |")
    assert _last_number(line) == 88  # the pull request's comment says the same
