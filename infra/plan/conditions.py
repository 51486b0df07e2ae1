"""Tenant status conditions (metav1.Condition shape), built from drift and results.

Deploy and the reconciler both write a Tenant's status through these functions, so the two
agree on what Ready means: ``Ready=True`` only when the state read back matches the plan.

Who owns which condition (each writes only its own, by server-side apply; the CRD merges
``conditions`` by type):

- deploy (``govcloud-deploy``) owns ``Deployed`` and ``lastDeploy``. ``Deployed=Unknown``
  with reason ``Deploying`` is the deploy's hold on the tenant: written before the first
  object of the tenant changes, it tells the reconciler to leave the tenant alone until the
  deploy reports (``Deployed`` True or False) or ``DEPLOY_HOLD`` has passed;
- the reconciler (``govcloud-reconciler``) owns ``Ready``, the aspect conditions
  (``ASPECT_CONDITIONS``), ``Compliant``, ``repairs``, ``observedGeneration`` and
  ``nextChange``. ``Ready`` is False while ``Deployed`` is False, so every view that reads
  Ready shows a failed deploy until a deploy succeeds.

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
from .records import (
    AS_PLANNED,
    ASPECT_UNKNOWN,
    CANNOT_TELL,
    DEPLOY_FAILED,
    MORE,
    NOT_AS_PLANNED,
    STARTED,
)

__all__ = [
    "API_SERVER_UNREACHABLE",
    "ASPECT_CONDITIONS",
    "CLOUD_UNREACHABLE",
    "COMPLIANT",
    "CONDITION_TYPES",
    "DEPLOYED",
    "DEPLOY_HOLD",
    "NOT_CHECKED",
    "RECONCILER_CONDITIONS",
    "condition",
    "conditions_for",
    "deploy_hold",
    "deployed",
    "deploying",
    "merge_conditions",
    "owned_status",
    "same_status",
    "stored",
    "timestamp",
    "unknown_condition",
    "with_deploy",
]

ASPECT_CONDITIONS: dict[Aspect, str] = {
    "quota": "QuotaEnforced",
    "network": "NetworkIsolated",
    "access": "AccessCompliant",
    "cloud": "CloudGuardrails",
}
CONDITION_TYPES = ("Ready", *ASPECT_CONDITIONS.values())
DEPLOYED = "Deployed"
COMPLIANT = "Compliant"
RECONCILER_CONDITIONS = frozenset({*CONDITION_TYPES, COMPLIANT})
# How long a deploy that said it started (and never reported) holds the reconciler off a
# tenant: a stack update takes seconds; a killed deploy must not stop enforcement for long.
DEPLOY_HOLD = dt.timedelta(seconds=120)
Condition = dict[str, Any]
# Reasons of an Unknown condition: what kept the aspect from being observed.
CLOUD_UNREACHABLE = "CloudUnreachable"
API_SERVER_UNREACHABLE = "APIServerUnreachable"
NOT_CHECKED = "NotCheckedYet"


def timestamp(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def condition(kind: str, ok: bool, reason: str, message: str, generation: int) -> Condition:
    return {
        "type": kind,
        "status": "True" if ok else "False",
        "reason": reason,
        "message": message[:1000],
        "observedGeneration": generation,
    }


def deploying(generation: int, now: dt.datetime, what: str) -> Condition:
    """Deploy's hold: stamped now (never carried over), so a hold always starts afresh."""
    return {
        "type": DEPLOYED,
        "status": "Unknown",
        "reason": "Deploying",
        "message": STARTED.format(what=what, time=timestamp(now))[:1000],
        "observedGeneration": generation,
        "lastTransitionTime": timestamp(now),
    }


def deployed(ok: bool, reason: str, message: str, generation: int) -> Condition:
    return condition(DEPLOYED, ok, reason, message, generation)


def _parse(stamp: str) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
    except ValueError:
        return None


def deploy_hold(tenant: Mapping[str, Any], now: dt.datetime) -> dt.datetime | None:
    """Until when a deploy holds this Tenant object (None: no deploy in progress).

    Held: deploy said ``Deploying`` less than ``DEPLOY_HOLD`` ago, or the Tenant was created
    less than ``DEPLOY_HOLD`` ago and no deploy has reported on it yet (its first stack run
    is creating the tenant's objects)."""
    status = tenant.get("status") or {}
    cond = next((c for c in status.get("conditions") or [] if c.get("type") == DEPLOYED), None)
    if cond is None:
        since = _parse(str((tenant.get("metadata") or {}).get("creationTimestamp") or ""))
    elif cond.get("status") == "Unknown" and cond.get("reason") == "Deploying":
        since = _parse(str(cond.get("lastTransitionTime") or ""))
    else:
        return None
    if since is None:
        return None
    until = since + DEPLOY_HOLD
    return until if until > now else None


def unknown_condition(kind: str, reason: str, message: str, generation: int) -> Condition:
    return {
        "type": kind,
        "status": "Unknown",
        "reason": reason,
        "message": message[:1000],
        "observedGeneration": generation,
    }


def conditions_for(
    differences: Sequence[Difference],
    *,
    generation: int,
    errors: Mapping[Aspect, str] | None = None,
    carried: Mapping[Aspect, Condition] | None = None,
    unknown: Mapping[Aspect, tuple[str, str]] | None = None,
    ready_reason: str = "Reconciled",
) -> list[Condition]:
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
            if len(mine) > 5:
                text = MORE.format(differences=text, count=len(mine) - 5)
            out.append(condition(kind, False, "Drifted", text, generation))
        else:
            out.append(condition(kind, True, "AsPlanned", AS_PLANNED.format(), generation))
    failing = [c["type"] for c in out if c["status"] == "False"]
    unseen = [c for c in out if c["status"] not in ("True", "False")]
    if failing:
        ready = condition(
            "Ready",
            False,
            "NotAsPlanned",
            NOT_AS_PLANNED.format(conditions=", ".join(failing)),
            generation,
        )
    elif unseen:
        reasons = {str(c.get("reason") or "") for c in unseen}
        ready = unknown_condition(
            "Ready",
            reasons.pop() if len(reasons) == 1 else "NotObserved",
            CANNOT_TELL.format(
                unknown="; ".join(
                    ASPECT_UNKNOWN.format(condition=c["type"], why=c.get("message", ""))
                    for c in unseen
                )
            ),
            generation,
        )
    else:
        ready = condition("Ready", True, ready_reason, AS_PLANNED.format(), generation)
    return [ready, *out]


def merge_conditions(
    previous: Sequence[Condition], new: Sequence[Condition], now: dt.datetime
) -> list[Condition]:
    """New conditions with ``lastTransitionTime`` kept where the status did not change;
    conditions of other types already on the object are kept as they are."""
    before = {c.get("type"): c for c in previous}
    stamp = timestamp(now)
    merged: list[Condition] = []
    for cond in new:
        old = before.pop(cond["type"], None)
        keep = old is not None and old.get("status") == cond["status"]
        merged.append(
            {
                **cond,
                "lastTransitionTime": old.get("lastTransitionTime", stamp)
                if keep and old is not None
                else stamp,
            }
        )
    return merged + list(before.values())


def stored(status: Mapping[str, Any]) -> dict[str, Any]:
    """The status as the API server keeps it: an empty map (no repairs yet) is no field."""
    return {k: v for k, v in status.items() if v != {}}


def same_status(old: Mapping[str, Any], new: Mapping[str, Any]) -> bool:
    """Whether writing ``new`` would change nothing a reader cares about (compared as
    stored, so a steady pass that computes ``repairs: {}`` writes nothing)."""

    def strip(status: Mapping[str, Any]) -> dict[str, Any]:
        conds = sorted(
            (
                {k: v for k, v in c.items() if k != "lastTransitionTime"}
                for c in status.get("conditions") or []
            ),
            key=lambda c: str(c["type"]),
        )
        return {
            **{k: v for k, v in stored(status).items() if k != "conditions"},
            "conditions": conds,
        }

    return strip(old) == strip(new)


_RECONCILER_FIELDS = ("observedGeneration", "repairs", "nextChange", "shares")


def owned_status(status: Mapping[str, Any]) -> dict[str, Any]:
    """The reconciler's part of a Tenant's status (what it applies; deploy owns the rest)."""
    out = {k: status[k] for k in _RECONCILER_FIELDS if k in status}
    out["conditions"] = [
        dict(c) for c in status.get("conditions") or [] if c.get("type") in RECONCILER_CONDITIONS
    ]
    return stored(out)


def with_deploy(
    mine: Sequence[Condition], status: Mapping[str, Any], generation: int
) -> list[Condition]:
    """The reconciler's conditions, Ready made False while deploy says its last deploy
    failed: every view that reads Ready shows the failure until a deploy succeeds."""
    failed = next(
        (
            c
            for c in status.get("conditions") or []
            if c.get("type") == DEPLOYED and c.get("status") == "False"
        ),
        None,
    )
    if failed is None:
        return list(mine)
    ready = condition(
        "Ready",
        False,
        str(failed.get("reason") or "DeployFailed"),
        DEPLOY_FAILED.format(why=failed.get("message", "")),
        generation,
    )
    return [ready if c["type"] == "Ready" else c for c in mine]
