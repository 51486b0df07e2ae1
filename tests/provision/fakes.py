"""A fake of our seam to the Pulumi CLI (:class:`infra.provision.engine.Pulumi`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from infra.provision.engine import Outcome, StackError


class FakePulumi:
    """Our seam to the CLI: fails with ``errors`` first, then succeeds."""

    def __init__(self, *errors: str) -> None:
        self.errors = list(errors)
        self.env: dict[str, str] = {"PULUMI_BACKEND_URL": "s3://state"}
        self.operations = 0
        self.calls: list[str] = []  # "up local.x", "stack init local.x"

    def run(self, args: Sequence[str], *, stack: str | None = None, log: Any = None) -> str:
        self.calls.append(" ".join(args))
        return ""

    def operate(
        self,
        op: str,
        name: str,
        *,
        events: Path,
        log: Any,
        flags: Sequence[str],
        env: Mapping[str, str],
    ) -> Outcome:
        self.operations += 1
        self.calls.append(f"{op} {name}")
        if self.errors:
            raise StackError("pulumi up failed", self.errors.pop(0))
        return Outcome(changes={"update": 1})
