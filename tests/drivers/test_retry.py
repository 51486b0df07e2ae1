"""Only transient errors are retried, within a deadline; the last typed error surfaces."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from infra.drivers import retry
from infra.drivers.retry import ENV_REACH_DIR, ENV_WAIT, Patience, call_with_retry, retrying
from infra.errors import (
    InputError,
    NotFoundError,
    PermanentError,
    TransientError,
    UnreachableError,
)
from infra.notices import RetryNotice, on_retry


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


@pytest.mark.parametrize(
    "error",
    [
        PermanentError("forbidden"),
        NotFoundError("gone"),
        InputError("bad spec"),
        ValueError("a bug"),
    ],
)
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


# -- an endpoint that refuses: one patience per endpoint for the whole run -----------------


def _refused(endpoint: str = "127.0.0.1:6443") -> UnreachableError:
    return UnreachableError(
        f"cannot reach the API server at {endpoint}: connection refused",
        operation="list Tenant",
        service="API server",
        endpoint=endpoint,
        cause="connection refused (nothing listens there)",
    )


@pytest.fixture()
def patience(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Patience:
    """A fresh record of refusals, a short patience, and a directory shared like a run's."""
    fresh = Patience()
    monkeypatch.setattr(retry, "PATIENCE", fresh)
    monkeypatch.setenv(ENV_WAIT, "0.4")
    monkeypatch.setenv(ENV_REACH_DIR, str(tmp_path))
    return fresh


def _always(error: Callable[[], Exception]) -> Callable[[], None]:
    def call() -> None:
        raise error()

    return call


def test_a_refusing_endpoint_is_given_up_after_the_patience_not_the_deadline(
    patience: Patience,
) -> None:
    started = time.monotonic()
    with pytest.raises(UnreachableError):
        call_with_retry(_always(_refused), deadline=30, first_wait=0.01, max_wait=5.0)
    assert 0.35 <= time.monotonic() - started < 1.0  # never slept past the patience


def test_other_transient_errors_keep_their_deadline(patience: Patience) -> None:
    started = time.monotonic()
    with pytest.raises(TransientError):
        call_with_retry(
            _always(lambda: TransientError("no answer (timed out)")),
            deadline=1.0,
            first_wait=0.01,
            max_wait=0.05,
        )
    assert time.monotonic() - started >= 1.0


def test_the_patience_is_one_budget_per_endpoint_for_the_run(patience: Patience) -> None:
    with pytest.raises(UnreachableError):
        call_with_retry(_always(_refused), first_wait=0.01, max_wait=0.05)
    fn = Flaky([_refused(), _refused()])
    with pytest.raises(UnreachableError):  # the next phase does not start a budget of its own
        call_with_retry(fn, sleep=_no_sleep)
    assert fn.calls == 1
    other = Flaky([_refused("127.0.0.1:4566")])  # another endpoint has its own
    assert call_with_retry(other, sleep=_no_sleep) == "ok"


def test_another_process_of_the_run_shares_the_budget(
    patience: Patience, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(UnreachableError):
        call_with_retry(_always(_refused), first_wait=0.01, max_wait=0.05)
    # A provider process of the same deploy: its own memory, the run's directory.
    monkeypatch.setattr(retry, "PATIENCE", Patience())
    fn = Flaky([_refused(), _refused()])
    with pytest.raises(UnreachableError):
        call_with_retry(fn, sleep=_no_sleep)
    assert fn.calls == 1


def test_an_endpoint_that_answers_again_gets_the_whole_patience_next_time(
    patience: Patience,
) -> None:
    assert call_with_retry(Flaky([_refused()]), sleep=_no_sleep) == "ok"
    assert patience.left("127.0.0.1:6443") is None
    assert not any(Path(os.environ[ENV_REACH_DIR]).iterdir())
    fn = Flaky([_refused(), _refused(), _refused()])
    assert call_with_retry(fn, sleep=_no_sleep) == "ok"  # retried again, not failed at once
    assert fn.calls == 4


def test_a_new_outage_after_a_quiet_patience_starts_afresh() -> None:
    now = [1000.0]
    record = Patience(clock=lambda: now[0])
    assert record.refused("h:1") == pytest.approx(10.0)
    now[0] += 6
    assert record.refused("h:1") == pytest.approx(4.0)
    now[0] += 6
    assert record.refused("h:1") == pytest.approx(-2.0)  # the same outage, still refusing
    now[0] += 30
    assert record.refused("https://h:1/api") == pytest.approx(10.0)  # quiet since: a new one


def test_a_refusal_is_announced_with_the_patience_left(patience: Patience) -> None:
    notices: list[RetryNotice] = []
    stop = on_retry(notices.append)
    try:
        call_with_retry(Flaky([_refused()]), sleep=_no_sleep)
    finally:
        stop()
    (notice,) = notices
    assert notice.line().startswith(
        "retrying: list Tenant: cannot reach the API server at "
        "127.0.0.1:6443: connection refused (attempt 1 failed;"
    )
    assert notice.line().endswith("giving up in 0s)")  # 0.4 s of patience, not 60 s
