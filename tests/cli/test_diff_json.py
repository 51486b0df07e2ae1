"""`govcloud diff --format json`: the computed change with numbers, for scripts."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import yaml

from .helpers import ROOT, govcloud


def _commit_all(repo: Path) -> None:
    who = ["-c", "user.name=t", "-c", "user.email=t@example.cn"]
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True)
    subprocess.run(["git", *who, "add", "."], cwd=repo, check=True)
    subprocess.run(["git", *who, "commit", "-qm", "base"], cwd=repo, check=True)


def test_json_diff_has_tenants_capacity_numbers_and_a_format_version(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "tenants", tmp_path / "tenants")
    _commit_all(tmp_path)
    (tmp_path / "tenants" / "nh-wsjkj.yaml").unlink()
    jyt = tmp_path / "tenants" / "gd-jyt.yaml"
    jyt.write_text(jyt.read_text().replace('cpu: "24"', 'cpu: "32"', 1))
    result = govcloud(
        "diff",
        "--base",
        "main",
        "--format",
        "json",
        "--stacks-dir",
        str(ROOT / "stacks"),
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["format_version"] == 1 and data["base"] == "main"
    tenants = {t["id"]: t for t in data["tenants"]}
    assert tenants["nh-wsjkj"]["kind"] == "removed"
    assert tenants["gd-jyt"] == {
        "id": "gd-jyt",
        "kind": "changed",
        "fields": ["quotas"],
        "quota_deltas": ["cpu 24 → 32 (+8)"],
        "details": [],
    }
    cpu = next(c for c in data["capacity"] if c["resource"] == "cpu")
    assert cpu["before"]["available"] == cpu["after"]["available"] == 768
    assert cpu["before"]["unit"] == "cores"
    removed = int(yaml.safe_load((ROOT / "tenants" / "nh-wsjkj.yaml").read_text())["quotas"]["cpu"])
    assert cpu["before"]["used"] - cpu["after"]["used"] == removed - 8
