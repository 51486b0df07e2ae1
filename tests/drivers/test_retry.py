"""Only transient errors are retried, within a deadline; the last typed error surfaces."""

from __future__ import annotations

import time

import pytest

from infra.drivers.retry import call_with_retry, retrying
from infra.errors import InputError, NotFoundError, PermanentError, TransientError


class Flaky:
    def __init__(self, failures: list[Exception]) -> None:
        self.failures = failures
        self.calls = 0

    def __call__(self) -> str:
        self.calls += 1
        if self.failures:
            raise self.failures.pop(0)
        return "ok"


def _no_sleep(_: float) -> None:
    pass


def test_transient_errors_are_retried_until_success() -> None:
    fn = Flaky([TransientError("throttled"), TransientError("503")])
    assert call_with_retry(fn, sleep=_no_sleep) == "ok"
    assert fn.calls == 3


@pytest.mark.parametrize("error", [
    PermanentError("forbidden"), NotFoundError("gone"), InputError("bad spec"),
    ValueError("a bug"),
])
def test_other_errors_are_not_retried(error: Exception) -> None:
    fn = Flaky([error])
    with pytest.raises(type(error)):
        call_with_retry(fn, sleep=_no_sleep)
    assert fn.calls == 1


def test_stops_at_the_deadline_with_the_last_typed_error() -> None:
    calls = 0

    def always() -> None:
        nonlocal calls
        calls += 1
        raise TransientError(f"attempt {calls}", operation="kms:CreateKey")

    started = time.monotonic()
    with pytest.raises(TransientError, match=r"kms:CreateKey: attempt \d+") as info:
        call_with_retry(always, deadline=0.3, first_wait=0.01, max_wait=0.05)
    elapsed = time.monotonic() - started
    assert 0.3 <= elapsed < 2.0
    assert calls > 1
    assert str(info.value).endswith(f"attempt {calls}")


def test_backoff_grows_and_is_capped() -> None:
    waits: list[float] = []
    fn = Flaky([TransientError("x") for _ in range(8)])
    call_with_retry(fn, first_wait=0.1, max_wait=1.0, sleep=waits.append)
    assert len(waits) == 8
    assert all(0 <= w <= 1.0 for w in waits)


def test_decorator_keeps_arguments() -> None:
    seen: list[int] = []

    @retrying(sleep=_no_sleep)
    def add(a: int, *, b: int) -> int:
        seen.append(a)
        if len(seen) < 2:
            raise TransientError("conflict")
        return a + b

    assert add(1, b=2) == 3
    assert seen == [1, 1]
