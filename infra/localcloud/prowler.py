"""prowler (PyPI), installed into its own virtualenv cached outside the repo by version.

prowler pins its own boto3, botocore and pydantic, so it never goes into the project's venv:
``<cache>/tools/prowler-<version>/venv``, built in ``prowler-<version>.partial`` and renamed
into place only when the install succeeded and ``python -m prowler --version`` answers. It is
run as ``venv/bin/python -m prowler``: the venv's console scripts name the directory they
were installed in, and the directory is renamed afterwards. Every dependency is pinned by
``tools/prowler/constraints.txt``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from infra.errors import LocalCloudError
from infra.i18n import _

from .toolchain import cache_root, project_root

__all__ = ["PROWLER_VERSION", "ensure_prowler", "prowler_home", "prowler_python"]

PROWLER_VERSION = "5.46.0"
_PROGRESS_SECONDS = 15

Progress = Callable[[str], None]


def prowler_home() -> Path:
    return cache_root() / "tools" / f"prowler-{PROWLER_VERSION}"


def prowler_python() -> Path | None:
    """The interpreter of the installed prowler venv, or None when it is not installed."""
    python = prowler_home() / "venv" / "bin" / "python"
    return python if python.exists() and _marker(prowler_home()).exists() else None


def _marker(home: Path) -> Path:
    return home / "installed"  # written last: a venv without it is not complete


def _run(step: str, command: list[str], say: Progress) -> None:
    """Run one install step with a progress line every 15 s (pip is silent for minutes while
    it unpacks), from the lines it printed so far."""
    started = time.monotonic()
    proc = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: list[str] = []

    def read() -> None:
        for line in proc.stdout or []:
            lines.append(line)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    while proc.poll() is None:
        reader.join(timeout=_PROGRESS_SECONDS)
        if proc.poll() is None:
            resolved = sum(line.startswith("Collecting ") for line in list(lines))
            phase = (
                _("installing")
                if any(line.startswith("Installing collected") for line in list(lines))
                else _("resolving")
            )
            say(
                _("{step}: {phase}, {count} packages, {seconds:.0f}s").format(
                    step=step, phase=phase, count=resolved, seconds=time.monotonic() - started
                )
            )
    reader.join()
    if proc.returncode != 0:
        detail = "\n".join(line.rstrip() for line in lines[-10:])
        raise LocalCloudError(
            _("{step} failed (exit {code}):").format(step=step, code=proc.returncode)
            + "\n"
            + detail
        )


def ensure_prowler(say: Progress) -> Path:
    """Install prowler unless it is there; return the venv's python."""
    found = prowler_python()
    if found is not None:
        return found
    home = prowler_home()
    staging = home.with_name(home.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    constraints = project_root() / "tools" / "prowler" / "constraints.txt"
    step = _("install prowler {version}").format(version=PROWLER_VERSION)
    say(
        _("{step}: own virtualenv in {home} (cold installs take about 3 minutes)").format(
            step=step, home=home
        )
    )
    started = time.monotonic()
    python = staging / "venv" / "bin" / "python"
    _run(step, [sys.executable, "-m", "venv", str(staging / "venv")], say)
    _run(
        step,
        [
            str(python),
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--no-input",
            "--progress-bar",
            "off",
            "-c",
            str(constraints),
            f"prowler=={PROWLER_VERSION}",
        ],
        say,
    )
    answer = subprocess.run(
        [str(python), "-m", "prowler", "--version"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if PROWLER_VERSION not in answer.stdout:
        raise LocalCloudError(
            _("{step}: the installed prowler answers {answer}").format(
                step=step, answer=repr((answer.stdout or answer.stderr).strip()[:200])
            )
        )
    _marker(staging).write_text(f"prowler {PROWLER_VERSION}\n", encoding="utf-8")
    shutil.rmtree(home, ignore_errors=True)
    staging.rename(home)
    say(_("{step}: done in {seconds:.0f}s").format(step=step, seconds=time.monotonic() - started))
    return home / "venv" / "bin" / "python"
