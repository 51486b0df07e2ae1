"""A work queue of tenant keys, controller-runtime style.

A key is processed by one worker at a time; adding a key that is being processed marks it
dirty so it runs again once done. ``add_first`` puts a key ahead of everything waiting (a
change event names it while a scheduled batch waits). ``add_after`` schedules work (an
authorization expiring at 17:00); ``retry`` requeues with capped exponential backoff per
key (tenacity's wait strategy), ``forget`` resets the backoff after a success.
"""

from __future__ import annotations

import heapq
import threading
import time
from collections.abc import Callable

from tenacity import RetryCallState, wait_exponential_jitter

__all__ = ["WorkQueue"]

_BACKOFF = wait_exponential_jitter(multiplier=0.2, max=30.0, jitter=0.1)


def _backoff(attempt: int) -> float:
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
    state.attempt_number = attempt
    return float(_BACKOFF(state))


class WorkQueue:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._cond = threading.Condition()
        self._ready: list[str] = []
        self._queued: set[str] = set()
        self._active: set[str] = set()
        self._dirty: set[str] = set()
        self._first: set[str] = set()  # dirty keys to run first again (add_first)
        self._timers: list[tuple[float, str]] = []
        self._due_first: set[tuple[float, str]] = set()  # timers that go ahead when due
        self._failures: dict[str, int] = {}
        self._closed = False

    def add(self, key: str) -> None:
        with self._cond:
            self._add(key)

    def _add(self, key: str) -> None:
        if key in self._active:
            self._dirty.add(key)
        elif key not in self._queued:
            self._queued.add(key)
            self._ready.append(key)
            self._cond.notify()

    def add_first(self, key: str) -> None:
        """Add ``key`` ahead of every key waiting (one waiting already moves to the front;
        one being worked on runs again, first, once done)."""
        with self._cond:
            self._add_first(key)

    def _add_first(self, key: str) -> None:
        if key in self._active:
            self._dirty.add(key)
            self._first.add(key)
            return
        if key in self._queued:
            self._ready.remove(key)
        self._queued.add(key)
        self._ready.insert(0, key)
        self._cond.notify()

    def add_after(self, key: str, delay: float, *, first: bool = False) -> None:
        """Add ``key`` once ``delay`` seconds have passed; with ``first``, ahead of every key
        waiting then (a moment that must be kept to the second, such as a share's end)."""
        with self._cond:
            when = (self._clock() + max(0.0, delay), key)
            heapq.heappush(self._timers, when)
            if first:
                self._due_first.add(when)
            self._cond.notify()

    def retry(self, key: str) -> float:
        """Requeue after a failure; returns the delay chosen."""
        with self._cond:
            self._failures[key] = self._failures.get(key, 0) + 1
            delay = _backoff(self._failures[key])
            heapq.heappush(self._timers, (self._clock() + delay, key))
            self._cond.notify()
            return delay

    def forget(self, key: str) -> None:
        with self._cond:
            self._failures.pop(key, None)

    def get(self, timeout: float | None = None) -> str | None:
        """The next key to work on (marked active), or None on timeout or close."""
        end = None if timeout is None else self._clock() + timeout
        with self._cond:
            while True:
                self._fire_timers()
                if self._ready:
                    key = self._ready.pop(0)
                    self._queued.discard(key)
                    self._active.add(key)
                    return key
                if self._closed:
                    return None
                wait = self._timers[0][0] - self._clock() if self._timers else None
                if end is not None:
                    left = end - self._clock()
                    if left <= 0:
                        return None
                    wait = left if wait is None else min(wait, left)
                self._cond.wait(timeout=None if wait is None else max(wait, 0.001))

    def _fire_timers(self) -> None:
        now = self._clock()
        while self._timers and self._timers[0][0] <= now:
            when = heapq.heappop(self._timers)
            if when in self._due_first:
                self._due_first.discard(when)
                self._add_first(when[1])
            else:
                self._add(when[1])

    def done(self, key: str) -> None:
        with self._cond:
            self._active.discard(key)
            if key in self._dirty:
                self._dirty.discard(key)
                self._add(key)
                if key in self._first:
                    self._ready.remove(key)
                    self._ready.insert(0, key)
            self._first.discard(key)

    def depth(self) -> int:
        with self._cond:
            return len(self._ready)

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()
