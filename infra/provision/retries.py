"""Retries inside Pulumi's provider processes, shown by deploy as they happen.

A provider process cannot print to the operator: the CLI keeps its output until the end. So
each stack operation names a file in ``GOVCLOUD_RETRY_LOG``; the provider process appends one
line per retry (:func:`record_retries`), and deploy follows the file while the stack runs
(:func:`follow`), passing each new line on at once.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .private import private_file

__all__ = ["ENV_RETRY_LOG", "follow", "record_retries"]

ENV_RETRY_LOG = "GOVCLOUD_RETRY_LOG"
_recording = threading.Lock()
_recorded: list[bool] = []


def record_retries() -> None:
    """In a provider process: append every retry to the file deploy follows (once)."""
    path = os.environ.get(ENV_RETRY_LOG)
    with _recording:
        if not path or _recorded:
            return
        _recorded.append(True)
    from infra.notices import RetryNotice, on_retry

    lock = threading.Lock()

    def append(notice: RetryNotice) -> None:
        with lock, open(path, "a", encoding="utf-8") as handle:
            handle.write(notice.line().replace("\n", " ") + "\n")

    on_retry(append)


def _new_lines(path: Path, offset: int) -> tuple[list[str], int]:
    try:
        with path.open("rb") as handle:
            handle.seek(offset)
            data = handle.read()
    except FileNotFoundError:
        return [], offset
    complete = data[: data.rfind(b"\n") + 1]  # a line still being written waits its turn
    lines = complete.decode("utf-8", errors="replace").splitlines()
    return [line for line in lines if line], offset + len(complete)


@contextmanager
def follow(
    path: Path, show: Callable[[str], None], *, interval: float = 0.5
) -> Iterator[dict[str, str]]:
    """Empty ``path``, then pass every line appended to it to ``show`` while the block runs.
    Yields the environment that points provider processes at the file."""
    private_file(path, empty=True)
    done = threading.Event()
    offset = 0

    def drain() -> None:
        nonlocal offset
        lines, offset = _new_lines(path, offset)
        for line in lines:
            show(line)

    def watch() -> None:
        while not done.wait(interval):
            drain()

    watcher = threading.Thread(target=watch, name=f"retries:{path.name}", daemon=True)
    watcher.start()
    try:
        yield {ENV_RETRY_LOG: str(path)}
    finally:
        done.set()
        watcher.join()
        drain()
