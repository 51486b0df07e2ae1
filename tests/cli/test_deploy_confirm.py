"""Risky deploys ask first; without a terminal they need --yes, and nothing is touched."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


@pytest.mark.parametrize(
    ("args", "touching"),
    [
        (["--env", "prod", "--tenant", "gz-wjw"], "the prod environment"),
        (["--env", "staging", "--all"], "every tenant of staging"),
        (
            ["--env", "local", "--tenant", "gz-wjw", "--destroy-data-before-retention-ends"],
            "deleting data before its retention ends",
        ),
    ],
)
def test_risky_deploy_without_a_terminal_needs_yes(
    args: list[str], touching: str, tmp_path: Path
) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "infra.cli.main", "deploy", *args],
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 2
    assert touching in proc.stderr and "add --yes to confirm" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert list(tmp_path.iterdir()) == []  # nothing written, no local cloud started
