"""Plugin processes a failed Pulumi operation leaves behind.

The Pulumi CLI (3.274) stops its plugins when an update ends, but not when it fails early
(a stack it cannot find or whose secrets it cannot open): the language host it started then
keeps running, parented to init. Every stack operation of deploy puts a marker of its own
in the environment of all the processes it starts (``GOVCLOUD_OPERATION``), so what
survives the CLI can be found and stopped, and nothing of another operation (another deploy
of the same stack waiting for its lock) is touched.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from pathlib import Path

__all__ = ["ENV_OPERATION", "stop_orphans"]

ENV_OPERATION = "GOVCLOUD_OPERATION"


def _carrying(variable: str, value: str) -> list[int]:
    """This user's processes whose environment sets ``variable`` to ``value``."""
    needle = f"{variable}={value}".encode()
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        with contextlib.suppress(OSError):
            if proc.stat().st_uid != os.getuid() or int(proc.name) == os.getpid():
                continue
            if needle in (proc / "environ").read_bytes().split(b"\0"):
                found.append(int(proc.name))
    return found


def stop_orphans(variable: str, value: str, *, grace: float = 2.0) -> list[int]:
    """Stop (SIGTERM, then SIGKILL after ``grace`` seconds) every process still carrying the
    marker; returns their pids. Call only once the operation's CLI has exited."""
    pids = _carrying(variable, value)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _carrying(variable, value):
        time.sleep(0.05)
    for pid in _carrying(variable, value):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    return pids
