"""No Pulumi CLI on PATH: one line saying what to do, exit 2, no traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_deploy_without_pulumi_is_an_input_error_with_a_hint() -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "PULUMI_"))}
    env["PATH"] = "/usr/bin:/bin"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "infra.cli.main",
            "deploy",
            "--env",
            "staging",
            "--tenant",
            "gz-wjw",
            "--preview",
            "--state",
            "file",
        ],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr
    (line,) = [x for x in proc.stderr.splitlines() if x.startswith("govcloud:")]
    assert "the Pulumi CLI cannot be run" in line and "govcloud localcloud env" in line
