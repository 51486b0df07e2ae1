"""Tenant status conditions (metav1.Condition shape), built from drift and results.

Deploy and the reconciler both write a Tenant's status through these functions, so the two
agree on what Ready means: ``Ready=True`` only when the state read back matches the plan.

What could not be observed is ``Unknown``, never ``False`` (drifting) and never ``True``:
an endpoint that cannot be reached gives its aspects ``Unknown`` with reason
``CloudUnreachable`` or ``APIServerUnreachable``, and ``Ready`` is ``Unknown`` too unless
something observed is off (then ``False``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from .drift import Aspect, Difference

__all__ = [
    "API_SERVER_UNREACHABLE",
    "ASPECT_CONDITIONS",
    "CLOUD_UNREACHABLE",
    "CONDITION_TYPES",
    "NOT_CHECKED",
    "condition",
    "conditions_for",
    "merge_conditions",
    "same_status",
    "timestamp",
    "unknown_condition",
]

ASPECT_CONDITIONS: dict[Aspect, str] = {
    "quota": "QuotaEnforced", "network": "NetworkIsolated", "access": "AccessCompliant",
    "cloud": "CloudGuardrails",
}
CONDITION_TYPES = ("Ready", *ASPECT_CONDITIONS.values())
Condition = dict[str, Any]
# Reasons of an Unknown condition: what kept the aspect from being observed.
CLOUD_UNREACHABLE = "CloudUnreachable"
API_SERVER_UNREACHABLE = "APIServerUnreachable"
NOT_CHECKED = "NotCheckedYet"


def timestamp(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def condition(kind: str, ok: bool, reason: str, message: str, generation: int) -> Condition:
    return {"type": kind, "status": "True" if ok else "False", "reason": reason,
            "message": message[:1000], "observedGeneration": generation}


def unknown_condition(kind: str, reason: str, message: str, generation: int) -> Condition:
    return {"type": kind, "status": "Unknown", "reason": reason, "message": message[:1000],
            "observedGeneration": generation}


def conditions_for(differences: Sequence[Difference], *, generation: int,
                   errors: Mapping[Aspect, str] | None = None,
                   carried: Mapping[Aspect, Condition] | None = None,
                   unknown: Mapping[Aspect, tuple[str, str]] | None = None,
                   ready_reason: str = "Reconciled") -> list[Condition]:
    """One condition per aspect and Ready, from the drift that remains after repairs.

    ``errors`` names aspects that could not be repaired (a permanent error): they are
    False, whatever the drift list says. ``unknown`` names aspects that could not be
    observed, with (reason, message): they are Unknown. ``carried`` gives aspects not
    observed this time: their last condition stands as it was (and counts for Ready)."""
    errors, carried, unknown = errors or {}, carried or {}, unknown or {}
    out: list[Condition] = []
    for aspect, kind in ASPECT_CONDITIONS.items():
        mine = [d for d in differences if d.aspect == aspect]
        if aspect in carried:
            out.append(dict(carried[aspect]))
        elif aspect in unknown:
            out.append(unknown_condition(kind, *unknown[aspect], generation))
        elif aspect in errors:
            out.append(condition(kind, False, "Error", errors[aspect], generation))
        elif mine:
            text = "; ".join(d.describe() for d in mine[:5])
            more = f" (+{len(mine) - 5} more)" if len(mine) > 5 else ""
            out.append(condition(kind, False, "Drifted", text + more, generation))
        else:
            out.append(condition(kind, True, "AsPlanned", "observed state matches the plan",
                                 generation))
    failing = [c["type"] for c in out if c["status"] == "False"]
    unseen = [c for c in out if c["status"] not in ("True", "False")]
    if failing:
        ready = condition("Ready", False, "NotAsPlanned", f"not as planned: {', '.join(failing)}",
                          generation)
    elif unseen:
        reasons = {str(c.get("reason") or "") for c in unseen}
        ready = unknown_condition(
            "Ready", reasons.pop() if len(reasons) == 1 else "NotObserved",
            "cannot tell: " + "; ".join(f"{c['type']} unknown ({c.get('message', '')})"
                                        for c in unseen), generation)
    else:
        ready = condition("Ready", True, ready_reason, "observed state matches the plan",
                          generation)
    return [ready, *out]


def merge_conditions(previous: Sequence[Condition], new: Sequence[Condition],
                     now: dt.datetime) -> list[Condition]:
    """New conditions with ``lastTransitionTime`` kept where the status did not change;
    conditions of other types already on the object are kept as they are."""
    before = {c.get("type"): c for c in previous}
    stamp = timestamp(now)
    merged: list[Condition] = []
    for cond in new:
        old = before.pop(cond["type"], None)
        keep = old is not None and old.get("status") == cond["status"]
        merged.append({**cond, "lastTransitionTime": old.get("lastTransitionTime", stamp)
                       if keep and old is not None else stamp})
    return merged + list(before.values())


def same_status(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Whether writing ``new`` would change nothing a reader cares about."""
    def strip(status: Mapping[str, Any]) -> dict[str, Any]:
        conds = sorted(({k: v for k, v in c.items() if k != "lastTransitionTime"}
                        for c in status.get("conditions") or []), key=lambda c: str(c["type"]))
        return {**{k: v for k, v in status.items() if k != "conditions"}, "conditions": conds}
    return strip(old) == strip(new)
