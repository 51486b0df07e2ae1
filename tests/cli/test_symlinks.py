"""A symbolic link in tenants/ is refused with the file's name: never followed, so the lines
of whatever it points to never appear in a report (nor does its target's name)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from infra.spec.git import load_tenants_at

from .helpers import ROOT, TODAY, govcloud

# A file outside the repository that parses as YAML and would be echoed in findings.
OUTSIDE = "id: outside-secret-id\nname: SECRET-LINE-FROM-OUTSIDE\ntoken: hunter2-outside\n"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def _repo(tmp_path: Path) -> tuple[Path, Path]:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "tenants", repo / "tenants")
    shutil.copytree(ROOT / "stacks", repo / "stacks")
    outside = tmp_path / "elsewhere" / "private.yaml"
    outside.parent.mkdir()
    outside.write_text(OUTSIDE, encoding="utf-8")
    return repo, outside


def _assert_refused(result: subprocess.CompletedProcess[str], link: str, outside: Path) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    shown = result.stdout + result.stderr
    # One line names the link and the refusal (a report line when other files were judged).
    assert any(
        line.startswith((f"{link}: ", f"govcloud: {link}: ")) and "is a symbolic link" in line
        for line in shown.splitlines()
    )
    assert "Traceback" not in shown
    for secret in (
        "SECRET-LINE-FROM-OUTSIDE",
        "hunter2-outside",
        "outside-secret-id",
        str(outside),
        "elsewhere",
    ):
        assert secret not in shown, secret


def test_check_refuses_a_linked_spec_without_showing_its_target(tmp_path: Path) -> None:
    repo, outside = _repo(tmp_path)
    (repo / "tenants" / "zz-link.yaml").symlink_to(outside)
    result = govcloud("check", "tenants", "--stacks-dir", "stacks", "--today", TODAY, cwd=repo)
    _assert_refused(result, "tenants/zz-link.yaml", outside)
    for fmt in ("json", "sarif", "markdown"):
        result = govcloud(
            "check",
            "tenants",
            "--stacks-dir",
            "stacks",
            "--today",
            TODAY,
            "--format",
            fmt,
            cwd=repo,
        )
        assert result.returncode == 2
        assert "SECRET-LINE-FROM-OUTSIDE" not in result.stdout + result.stderr
        assert "is a symbolic link" in result.stdout


def test_changed_since_refuses_a_new_link_and_a_linked_directory(tmp_path: Path) -> None:
    repo, outside = _repo(tmp_path)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    (repo / "tenants" / "zz-link.yaml").symlink_to(outside)
    result = govcloud(
        "check", "--changed-since", "main", "--stacks-dir", "stacks", "--today", TODAY, cwd=repo
    )
    _assert_refused(result, "tenants/zz-link.yaml", outside)
    # Another spec checked alone: the link is left out of the fleet, named, not read.
    result = govcloud(
        "check", "tenants/gz-wjw.yaml", "--stacks-dir", "stacks", "--today", TODAY, cwd=repo
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "tenants/zz-link.yaml is left out of the fleet" in result.stderr
    assert "SECRET-LINE-FROM-OUTSIDE" not in result.stdout + result.stderr
    linked = tmp_path / "linked"
    linked.symlink_to(outside.parent, target_is_directory=True)
    result = govcloud("check", str(linked), "--stacks-dir", "stacks", "--today", TODAY, cwd=repo)
    _assert_refused(result, str(linked), outside)


def test_a_committed_link_is_skipped_at_the_base_never_read(tmp_path: Path) -> None:
    repo, outside = _repo(tmp_path)
    (repo / "tenants" / "zz-link.yaml").symlink_to(outside)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "base")
    loaded, skipped = load_tenants_at("main", "tenants", repo=repo)
    assert skipped == ["main:tenants/zz-link.yaml"]
    assert len(loaded) == 12
    diff = govcloud("diff", "--base", "main", "--stacks-dir", "stacks", "--today", TODAY, cwd=repo)
    assert "SECRET-LINE-FROM-OUTSIDE" not in diff.stdout + diff.stderr
    assert "tenants/zz-link.yaml: is a symbolic link" in diff.stderr
