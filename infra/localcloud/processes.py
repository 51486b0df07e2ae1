"""Processes and ports on this machine: start one in its own session, check it, stop it."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

__all__ = ["alive", "command_line", "free_port", "port_free", "runs", "spawn", "stop"]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_free(port: int) -> bool:
    """Whether a server could listen on ``port`` now (connections in TIME_WAIT do not count:
    every component's server sets SO_REUSEADDR)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie child still answers kill(0); treat it as gone.
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[-1].split()[0] != "Z"


def command_line(pid: int) -> list[str]:
    """The arguments ``pid`` was started with (empty when it is gone)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return raw.decode(errors="replace").split("\0")[:-1]


def runs(pid: int, executable: str) -> bool:
    """Whether ``pid`` is alive and runs ``executable`` (a recorded pid may have been reused
    by an unrelated process since). A process in the middle of exec has a new, still empty
    command line for a moment (the kernel lays out the arguments after the old image is
    gone): that is read again, briefly, rather than taken for an exit."""
    for _ in range(25):
        if not alive(pid):
            return False
        if argv := command_line(pid):
            return Path(argv[0]).name == Path(executable).name
        time.sleep(0.02)
    return False


def spawn(command: list[str], *, log: Path, cwd: Path, env: dict[str, str]) -> int:
    """Start ``command`` in its own session, output appended to ``log`` (mode 0600)."""
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    with os.fdopen(fd, "ab") as handle:
        proc = subprocess.Popen(
            command,
            stdout=handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
            env=env,
            start_new_session=True,
        )
    return proc.pid


def stop(pid: int) -> None:
    """SIGTERM the process group, SIGKILL it if still there after 10 s."""
    for sig, wait in ((signal.SIGTERM, 10.0), (signal.SIGKILL, 5.0)):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if not alive(pid):
                # Reap our own child if this process started it; others are not ours.
                with contextlib.suppress(ChildProcessError):
                    os.waitpid(pid, os.WNOHANG)
                return
            time.sleep(0.1)
