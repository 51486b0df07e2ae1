"""`govcloud localcloud env` on a cloud never started: one line, no traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from infra.errors import LocalCloudError
from infra.localcloud import LocalCloud


def test_environment_of_an_unstarted_cloud_says_how_to_start_it(tmp_path: Path) -> None:
    with pytest.raises(LocalCloudError, match="govcloud localcloud up"):
        LocalCloud(tmp_path / "state").environment()


def test_env_command_prints_one_line_and_exits_1(tmp_path: Path) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "infra.cli.main",
            "localcloud",
            "--state-dir",
            str(tmp_path / "state"),
            "env",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.strip().splitlines() == [
        f"govcloud: the local cloud in {(tmp_path / 'state').resolve()} has not been started "
        "yet; start it with: govcloud localcloud up"
    ]
