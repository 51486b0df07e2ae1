"""Processes a failed operation left behind are found by its marker and stopped; processes
of another operation are not touched."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from infra.provision.orphans import ENV_OPERATION, stop_orphans

_SLEEPER = "import time\nprint('ready', flush=True)\nwhile True: time.sleep(0.1)"
_DEAF = "import signal\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n" + _SLEEPER


def _start(marker: str, code: str = _SLEEPER) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        env={**os.environ, ENV_OPERATION: marker},
    )
    assert proc.stdout is not None and proc.stdout.readline() == b"ready\n"
    return proc


def test_only_the_failed_operations_processes_are_stopped() -> None:
    mine, deaf, other = _start("op-1"), _start("op-1", _DEAF), _start("op-2")
    try:
        stopped = stop_orphans(ENV_OPERATION, "op-1", grace=1.0)
        assert sorted(stopped) == sorted([mine.pid, deaf.pid])
        assert mine.wait(timeout=5) == -signal.SIGTERM
        assert deaf.wait(timeout=5) == -signal.SIGKILL  # ignored SIGTERM: killed after grace
        assert other.poll() is None  # another operation's process runs on
        assert stop_orphans(ENV_OPERATION, "op-1") == []
    finally:
        for proc in (mine, deaf, other):
            proc.kill()
            proc.wait()
