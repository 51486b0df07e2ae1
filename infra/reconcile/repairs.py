"""What a pass changed, for status counters, Events and the drift report."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from infra.plan.drift import Aspect, Difference
from infra.plan.records import REPAIRS

__all__ = ["Action", "Outcome", "Repair"]

Action = Literal["restored", "recreated", "removed", "revoked", "would-repair"]


@dataclass(frozen=True)
class Repair:
    key: str
    aspect: Aspect
    action: Action
    before: str
    after: str
    warning: bool = False  # possible data loss and the like: a Warning event

    def describe(self, translate: Callable[[str], str] = str) -> str:
        """One line: what was done. English by default (the Event's message, a record);
        ``translate=_`` for the console."""
        return translate(REPAIRS[self.action].template).format(
            key=self.key, before=self.before, after=self.after
        )

    @property
    def event_reason(self) -> str:
        """The reason of the Event that reports it (one of ``records.EVENT_REASONS``)."""
        if self.warning:
            return "PossibleDataLoss"
        return {"revoked": "AccessRevoked", "removed": "Removed"}.get(self.action, "Repaired")

    def as_data(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "aspect": self.aspect,
            "action": self.action,
            "before": self.before,
            "after": self.after,
            "warning": self.warning,
        }


@dataclass
class Outcome:
    tenant: str
    found: list[Difference] = field(default_factory=list)  # drift seen before repairs
    repairs: list[Repair] = field(default_factory=list)
    remaining: list[Difference] = field(default_factory=list)  # after repairs, read back
    errors: dict[Aspect, str] = field(default_factory=dict)
    # aspects that could not be observed: (condition reason, message); never drift
    unknown: dict[Aspect, tuple[str, str]] = field(default_factory=dict)
    # aspects not checked by this process yet: their condition on the object stands
    carried: dict[Aspect, dict[str, Any]] = field(default_factory=dict)
    requeue_after: float | None = None
    # cloud checks due when a data share ends: tenant -> seconds (both sides of the share)
    cloud_requeue: dict[str, float] = field(default_factory=dict)
    status_written: bool = False
    skipped: str = ""  # why nothing was done (gone, not ours)
