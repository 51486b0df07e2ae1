"""Retry what is transient, with exponential backoff, jitter and an overall deadline.

Only :class:`~infra.errors.TransientError` is retried (not its ``ExpiredError``). Input,
permanent and not-found errors (and anything that is not a govcloud error, such as
``KeyboardInterrupt``) pass straight through. When the deadline runs out, the last typed
error is raised, never tenacity's ``RetryError``.

Every retry is announced as it happens (:mod:`infra.notices`), so a lost endpoint shows up
while it is being waited for, not only when the deadline runs out.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    retry_if_not_exception_type,
    stop_after_delay,
    wait_random_exponential,
)

from infra.errors import ExpiredError, TransientError
from infra.notices import RetryNotice, announce, listening

__all__ = ["DEFAULT_DEADLINE", "call_with_retry", "retrying"]

DEFAULT_DEADLINE = 60.0  # seconds, over all attempts
_FIRST_WAIT = 0.2
_MAX_WAIT = 5.0

P = ParamSpec("P")
T = TypeVar("T")


_ANNOUNCE_EVERY = 5.0  # seconds between two notices about the same call


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
        announce(RetryNotice(text, state.attempt_number, wait, deadline - elapsed))
    return before_sleep


def _retrying(deadline: float, first_wait: float, max_wait: float,
              sleep: Callable[[float], None]) -> Retrying:
    return Retrying(
        # An expired watch or continuation stays expired: the caller must list afresh.
        retry=retry_if_exception_type(TransientError) & retry_if_not_exception_type(ExpiredError),
        stop=stop_after_delay(deadline),
        wait=wait_random_exponential(multiplier=first_wait, max=max_wait),
        sleep=sleep,
        before_sleep=_announce(deadline),
        reraise=True,
    )


def call_with_retry(fn: Callable[[], T], *, deadline: float = DEFAULT_DEADLINE,
                    first_wait: float = _FIRST_WAIT, max_wait: float = _MAX_WAIT,
                    sleep: Callable[[float], None] = time.sleep) -> T:
    """Call ``fn()`` until it succeeds, raises a non-transient error, or the deadline passes."""
    return _retrying(deadline, first_wait, max_wait, sleep)(fn)


def retrying(*, deadline: float = DEFAULT_DEADLINE, first_wait: float = _FIRST_WAIT,
             max_wait: float = _MAX_WAIT, sleep: Callable[[float], None] = time.sleep
             ) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Decorator form of :func:`call_with_retry`."""

    def decorate(fn: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
            return call_with_retry(lambda: fn(*args, **kwargs), deadline=deadline,
                                   first_wait=first_wait, max_wait=max_wait, sleep=sleep)

        return wrapper

    return decorate
