"""Retry what is transient, with exponential backoff, jitter and an overall deadline.

Only :class:`~infra.errors.TransientError` is retried (not its ``ExpiredError``). Input,
permanent and not-found errors (and anything that is not a govcloud error, such as
``KeyboardInterrupt``) pass straight through. When the deadline runs out, the last typed
error is raised, never tenacity's ``RetryError``.

Every retry is announced as it happens (:mod:`infra.notices`), so a lost endpoint shows up
while it is being waited for, not only when the deadline runs out.

An endpoint that refuses connections (:class:`~infra.errors.UnreachableError`) is retried
only for the run's *patience* (``GOVCLOUD_WAIT`` seconds, ``--wait`` on the command line,
default :data:`DEFAULT_PATIENCE`), and that patience is one budget per endpoint for the
whole run, counted from its first refusal: every call and thread shares it, and so does
every process of the run when ``GOVCLOUD_REACH_DIR`` names a directory (deploy's Pulumi
providers and the deploy itself). Once it is spent, a refused call fails at its first
attempt. An endpoint that answers again, or stays silent for a patience, starts afresh.
"""

from __future__ import annotations

import functools
import os
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import ParamSpec, TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    retry_if_not_exception_type,
    stop_after_delay,
    wait_random_exponential,
)

from infra.errors import ExpiredError, TransientError, UnreachableError
from infra.notices import RetryNotice, announce, listening

__all__ = [
    "DEFAULT_DEADLINE",
    "DEFAULT_PATIENCE",
    "ENV_REACH_DIR",
    "ENV_WAIT",
    "PATIENCE",
    "Patience",
    "call_with_retry",
    "retrying",
]

DEFAULT_DEADLINE = 60.0  # seconds, over all attempts
DEFAULT_PATIENCE = 10.0  # seconds an endpoint that refuses is retried in one run
ENV_WAIT = "GOVCLOUD_WAIT"  # the run's patience in seconds (--wait); children inherit it
ENV_REACH_DIR = "GOVCLOUD_REACH_DIR"  # where the processes of one run share refusals
_FIRST_WAIT = 0.2
_MAX_WAIT = 5.0

P = ParamSpec("P")
T = TypeVar("T")


_ANNOUNCE_EVERY = 5.0  # seconds between two notices about the same call


class Patience:
    """Since when each endpoint has been refusing, and how much of the run's patience is
    left for it. Times are wall-clock seconds so that processes can share them."""

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._clock = clock
        self._seen: dict[str, tuple[float, float]] = {}  # endpoint -> (first, last) refusal
        self._lock = threading.Lock()

    @staticmethod
    def seconds() -> float:
        try:
            return max(0.0, float(os.environ.get(ENV_WAIT) or DEFAULT_PATIENCE))
        except ValueError:
            return DEFAULT_PATIENCE

    def refused(self, endpoint: str) -> float:
        """Record a refusal by ``endpoint``; the seconds of patience left for it."""
        now, patience = self._clock(), self.seconds()
        key = _key(endpoint)
        with self._lock:
            first, last = self._seen.get(key) or _shared(key) or (now, now)
            if now - last > patience:  # silent for a patience since: a new outage
                first = now
            self._seen[key] = (first, now)
            _share(key, first, now)
        return first + patience - now

    def left(self, endpoint: str) -> float | None:
        """The patience left for ``endpoint`` (None: it has not refused)."""
        with self._lock:
            seen = self._seen.get(_key(endpoint))
        return None if seen is None else seen[0] + self.seconds() - self._clock()

    def waited(self, endpoint: str) -> float:
        """Seconds from the first refusal of ``endpoint`` in this outage to its last one."""
        with self._lock:
            first, last = self._seen.get(_key(endpoint)) or (0.0, 0.0)
        return last - first

    def answered(self, endpoint: str) -> None:
        """``endpoint`` answered after refusing: its next outage gets the whole patience."""
        key = _key(endpoint)
        with self._lock:
            self._seen.pop(key, None)
            path = _shared_path(key)
            if path is not None:
                path.unlink(missing_ok=True)


def _key(endpoint: str) -> str:
    """host:port, however the endpoint was written (URL or not)."""
    return re.sub(r"^[a-z]+://", "", endpoint).split("/", 1)[0]


def _shared_path(key: str) -> Path | None:
    folder = os.environ.get(ENV_REACH_DIR)
    return Path(folder) / re.sub(r"[^A-Za-z0-9.-]", "_", key) if folder else None


def _shared(key: str) -> tuple[float, float] | None:
    path = _shared_path(key)
    try:
        first, last = (float(x) for x in path.read_text().split()) if path else (None, None)
    # Why: a missing, half-written or foreign file only means no other process saw it.
    except (OSError, ValueError):
        return None
    return None if first is None or last is None else (first, last)


def _share(key: str, first: float, last: float) -> None:
    path = _shared_path(key)
    if path is None:
        return
    try:
        temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
        temporary.write_text(f"{first} {last}\n")
        temporary.replace(path)
    # Why: sharing is a courtesy to the run's other processes; this one still counts.
    except OSError:
        return


PATIENCE = Patience()


def _announce(deadline: float) -> Callable[[RetryCallState], None]:
    """The first retry of a call is announced, then at most one every few seconds: a lost
    endpoint is visible at once without a line per quick retry."""
    last = [-_ANNOUNCE_EVERY]

    def before_sleep(state: RetryCallState) -> None:
        elapsed = state.seconds_since_start or 0.0
        if not listening() or elapsed - last[0] < _ANNOUNCE_EVERY:
            return
        last[0] = elapsed
        error = state.outcome.exception() if state.outcome else None
        text = str(error).splitlines()[0] if error and str(error) else type(error).__name__
        wait = state.next_action.sleep if state.next_action else 0.0
        remaining = deadline - elapsed
        if isinstance(error, UnreachableError):
            remaining = min(remaining, PATIENCE.left(error.endpoint) or 0.0)
        announce(RetryNotice(text, state.attempt_number, wait, remaining))

    return before_sleep


def _stop(deadline: float) -> Callable[[RetryCallState], bool]:
    """At the deadline; for an endpoint that refuses, when the run's patience is spent."""
    timeout = stop_after_delay(deadline)

    def stop(state: RetryCallState) -> bool:
        if timeout(state):
            return True
        error = state.outcome.exception() if state.outcome else None
        return isinstance(error, UnreachableError) and PATIENCE.refused(error.endpoint) <= 0

    return stop


def _wait(first_wait: float, max_wait: float) -> Callable[[RetryCallState], float]:
    """Exponential backoff with jitter, never sleeping past an endpoint's patience."""
    backoff = wait_random_exponential(multiplier=first_wait, max=max_wait)

    def wait(state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        left = PATIENCE.left(error.endpoint) if isinstance(error, UnreachableError) else None
        return float(backoff(state)) if left is None else max(0.0, min(backoff(state), left))

    return wait


def _retrying(
    deadline: float, first_wait: float, max_wait: float, sleep: Callable[[float], None]
) -> Retrying:
    return Retrying(
        # An expired watch or continuation stays expired: the caller must list afresh.
        retry=retry_if_exception_type(TransientError) & retry_if_not_exception_type(ExpiredError),
        stop=_stop(deadline),
        wait=_wait(first_wait, max_wait),
        sleep=sleep,
        before_sleep=_announce(deadline),
        reraise=True,
    )


def call_with_retry(
    fn: Callable[[], T],
    *,
    deadline: float = DEFAULT_DEADLINE,
    first_wait: float = _FIRST_WAIT,
    max_wait: float = _MAX_WAIT,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """Call ``fn()`` until it succeeds, raises a non-transient error, or the deadline passes
    (an endpoint that refuses: until the run's patience for it is spent)."""
    refused: set[str] = set()

    def attempt() -> T:
        try:
            return fn()
        except UnreachableError as exc:
            refused.add(exc.endpoint)
            raise

    result = _retrying(deadline, first_wait, max_wait, sleep)(attempt)
    for endpoint in refused:
        PATIENCE.answered(endpoint)
    return result


def retrying(
    *,
    deadline: float = DEFAULT_DEADLINE,
    first_wait: float = _FIRST_WAIT,
    max_wait: float = _MAX_WAIT,
    sleep: Callable[[float], None] = time.sleep,
) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Decorator form of :func:`call_with_retry`."""

    def decorate(fn: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            return call_with_retry(
                lambda: fn(*args, **kwargs),
                deadline=deadline,
                first_wait=first_wait,
                max_wait=max_wait,
                sleep=sleep,
            )

        return wrapper

    return decorate
