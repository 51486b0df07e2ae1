"""Running the real `govcloud` command in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-11-28"


def govcloud(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra.cli.main", *args],
        cwd=cwd, capture_output=True, text=True, timeout=60, check=False,
    )
