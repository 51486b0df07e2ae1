"""`deploy --changed-since REF` takes commits, uncommitted edits and new files alike."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from infra.provision.deploy import CHANGED_SINCE_SCOPE, select_tenants

ROOT = Path(__file__).resolve().parents[2]
GIT = ["git", "-c", "user.name=t", "-c", "user.email=t@example.cn"]


def test_committed_uncommitted_and_untracked_changes_are_all_selected(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "tenants", tmp_path / "tenants")

    def run(*a: str) -> None:
        subprocess.run([*GIT, *a], cwd=tmp_path, check=True, capture_output=True)

    run("init", "-q", "-b", "main")
    run("add", ".")
    run("commit", "-qm", "base")
    tenants = tmp_path / "tenants"
    (tenants / "gd-jyt.yaml").write_text((tenants / "gd-jyt.yaml").read_text() + "\n")
    run("commit", "-qam", "committed")
    (tenants / "gz-wjw.yaml").write_text((tenants / "gz-wjw.yaml").read_text() + "\n")
    shutil.copy(tenants / "st-wglj.yaml", tenants / "st-new.yaml")
    chosen = select_tenants(tmp_path, "local", changed_since="HEAD~1")
    assert chosen == ["gd-jyt", "gz-wjw", "st-new"]
    assert "uncommitted" in CHANGED_SINCE_SCOPE and "untracked" in CHANGED_SINCE_SCOPE
