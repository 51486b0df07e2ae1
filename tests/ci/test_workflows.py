"""The GitHub workflows are valid (actionlint) and wired to the tenant checks."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def _actionlint() -> str:
    """ACTIONLINT, or PATH, or the copy govcloud builds from its Go module (never a skip)."""
    found = os.environ.get("ACTIONLINT") or shutil.which("actionlint")
    if found:
        return found
    from infra.localcloud.toolchain import ACTIONLINT_TOOL, ensure_tools

    ensure_tools((ACTIONLINT_TOOL,))
    return str(ACTIONLINT_TOOL.directory / "actionlint")


def test_actionlint_accepts_the_workflows() -> None:
    assert WORKFLOWS
    result = subprocess.run([_actionlint(), "-shellcheck=", "-pyflakes=", *map(str, WORKFLOWS)],
                            capture_output=True, text=True, check=False, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr


def test_pull_requests_touching_tenants_run_check_and_diff() -> None:
    flow = yaml.safe_load((ROOT / ".github" / "workflows" / "tenant-check.yml").read_text())
    assert "tenants/**" in flow[True]["pull_request"]["paths"]  # YAML 1.1 reads `on` as True
    steps = " ".join(str(s.get("run", "")) + str(s.get("uses", ""))
                     for job in flow["jobs"].values() for s in job["steps"])
    assert "--format sarif" in steps and "upload-sarif" in steps
    assert "GITHUB_STEP_SUMMARY" in steps and "govcloud diff --base" in steps


def test_codeowners_gives_tenants_to_the_bureau() -> None:
    owners = (ROOT / ".github" / "CODEOWNERS").read_text()
    assert "/tenants/             @gd-zsj/tenant-approvers" in owners
