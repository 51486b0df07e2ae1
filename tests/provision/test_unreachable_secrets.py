"""A stack whose secrets use the local cloud's KMS key, while the cloud endpoint is down:
the CLI gives up after three quick tries, so deploy waits for the key as the providers wait
for the endpoint (each retry shown under the stack's name), then runs the stack again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from infra.drivers.retry import call_with_retry
from infra.errors import TransientError
from infra.notices import RetryNotice, on_retry
from infra.provision.engine import StackError
from infra.provision.stacks import StackOps

from .fakes import FakePulumi

UNREACHABLE = (
    "error: getting stack configuration: get stack secrets manager: secrets (code=Unknown): "
    "operation error KMS: Decrypt, exceeded maximum number of attempts, 3, https response "
    'error StatusCode: 0, RequestID: , request send failed, Post "http://127.0.0.1:55623/": '
    "dial tcp 127.0.0.1:55623: connect: connection refused"
)


def _endpoint_back_after(failures: int) -> Any:
    left = iter(range(failures))

    def reach() -> None:
        def once() -> None:
            if next(left, None) is not None:
                raise TransientError(
                    "cannot reach the cloud endpoint at http://127.0.0.1:55623: connection refused",
                    operation="kms:DescribeKey",
                )

        call_with_retry(once, first_wait=0.01, max_wait=0.02)

    return reach


def _ops(tmp_path: Path, pulumi: FakePulumi, notes: list[str], reach: Any) -> StackOps:
    return StackOps(
        pulumi,  # type: ignore[arg-type]
        tmp_path,
        logs=tmp_path / "logs",
        note=notes.append,
        preview=False,
        reach_secrets=reach,
    )


def test_deploy_waits_for_the_key_shows_the_retry_and_runs_the_stack_again(tmp_path: Path) -> None:
    notes: list[str] = []
    printed: list[RetryNotice] = []  # the CLI's own "govcloud: retrying: ..." listener
    stop = on_retry(printed.append)
    try:
        pulumi = FakePulumi(UNREACHABLE)
        outcome = _ops(tmp_path, pulumi, notes, _endpoint_back_after(2)).operate("up", "local.x")
    finally:
        stop()
    assert outcome.changes == {"update": 1} and pulumi.operations == 2
    assert printed == []  # shown once, under the stack's name
    assert len(notes) == 1, notes  # the first retry at once, the second within 5 s is not
    assert notes[0].startswith(
        "  local.x: retrying: kms:DescribeKey: cannot reach the cloud "
        "endpoint at http://127.0.0.1:55623: connection refused"
    )


def test_a_key_that_stays_unreachable_fails_the_stack_once(tmp_path: Path) -> None:
    pulumi = FakePulumi(UNREACHABLE, UNREACHABLE)
    ops = _ops(tmp_path, pulumi, [], _endpoint_back_after(0))
    with pytest.raises(StackError, match="pulumi up failed"):
        ops.operate("up", "local.x")
    assert pulumi.operations == 2  # waited once, not forever


def test_other_failures_and_stacks_without_a_key_are_not_waited_for(tmp_path: Path) -> None:
    waited: list[bool] = []
    pulumi = FakePulumi("error: update failed: quota exceeded")
    with pytest.raises(StackError):
        _ops(tmp_path, pulumi, [], lambda: waited.append(True)).operate("up", "local.x")
    with pytest.raises(StackError):
        _ops(tmp_path, FakePulumi(UNREACHABLE), [], None).operate("up", "local.x")
    assert waited == [] and pulumi.operations == 1
