"""Retries announced as they happen.

The drivers retry transient errors (:mod:`infra.drivers.retry`) and announce each retry here;
whoever shows things to the operator listens: the CLI prints a line, a Pulumi provider
process appends it to a file deploy follows. A module of its own at the bottom of the layers,
so the CLI can listen without importing the drivers (and the client libraries with them).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

__all__ = ["RetryNotice", "announce", "listening", "on_retry", "redirected"]


@dataclass(frozen=True)
class RetryNotice:
    """One failed attempt that will be tried again."""

    error: str  # the typed error's one line (names the operation and endpoint; no secrets)
    attempt: int
    wait: float  # seconds until the next attempt
    remaining: float  # seconds left before giving up

    def line(self) -> str:
        return (
            f"retrying: {self.error} (attempt {self.attempt} failed; next in "
            f"{self.wait:.1f}s, giving up in {max(self.remaining, 0):.0f}s)"
        )


_listeners: list[Callable[[RetryNotice], None]] = []
_listeners_lock = threading.Lock()
_thread = threading.local()  # .listener: where this thread's retries go instead


def on_retry(listener: Callable[[RetryNotice], None]) -> Callable[[], None]:
    """Call ``listener`` for every retry from now on; returns the function that stops it."""
    with _listeners_lock:
        _listeners.append(listener)

    def stop() -> None:
        with _listeners_lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return stop


@contextmanager
def redirected(listener: Callable[[RetryNotice], None]) -> Iterator[None]:
    """While the block runs, the retries of this thread go to ``listener`` alone (e.g. shown
    under the name of the stack they hold up, not as the process's own)."""
    before = getattr(_thread, "listener", None)
    _thread.listener = listener
    try:
        yield
    finally:
        _thread.listener = before


def listening() -> bool:
    if getattr(_thread, "listener", None) is not None:
        return True
    with _listeners_lock:
        return bool(_listeners)


def announce(notice: RetryNotice) -> None:
    own = getattr(_thread, "listener", None)
    if own is not None:
        own(notice)
        return
    with _listeners_lock:
        listeners = list(_listeners)
    for listener in listeners:
        listener(notice)
