"""A stack the backend certainly lacks is created before its first operation; when unsure
(or the check itself fails), the operation runs and a "no stack" answer creates it then."""

from __future__ import annotations

from pathlib import Path

from infra.errors import TransientError
from infra.provision.stacks import StackOps

from .fakes import FakePulumi

NO_STACK = "error: no stack named 'local.x' found"


def _ops(tmp_path: Path, pulumi: FakePulumi, missing: object) -> StackOps:
    return StackOps(
        pulumi,  # type: ignore[arg-type]
        tmp_path,
        logs=tmp_path / "logs",
        note=lambda _: None,
        preview=False,
        missing=missing,  # type: ignore[arg-type]
    )


def test_a_stack_known_missing_is_created_before_the_first_operation(tmp_path: Path) -> None:
    pulumi = FakePulumi()
    asked: list[str] = []

    def missing(stack: str) -> bool:
        asked.append(stack)
        return True

    _ops(tmp_path, pulumi, missing).operate("up", "local.x")
    assert asked == ["local.x"]
    assert pulumi.calls == ["stack init local.x", "up local.x"]  # no failed first `up`


def test_when_unsure_the_operation_tells_and_the_stack_is_created_then(tmp_path: Path) -> None:
    def unreachable(stack: str) -> bool:
        raise TransientError("cannot reach the cloud endpoint", operation="s3:ListObjectsV2")

    for missing in (None, lambda stack: False, unreachable):
        pulumi = FakePulumi(NO_STACK)
        _ops(tmp_path, pulumi, missing).operate("up", "local.x")
        assert pulumi.calls == ["up local.x", "stack init local.x", "up local.x"]


def test_destroy_never_creates_a_stack(tmp_path: Path) -> None:
    pulumi = FakePulumi()
    _ops(tmp_path, pulumi, lambda stack: True).operate("destroy", "local.x")
    assert pulumi.calls == ["destroy local.x"]
