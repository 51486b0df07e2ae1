"""The compliance rules on a desired state that did not come from a file: a Tenant object.

The reconciler acts on the Tenant objects in the cluster. Whoever edits one must not get
past the rules CI runs on the files: before the reconciler creates anything from a Tenant,
its spec is judged here, in the context of the other Tenants, by the same ``evaluate``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from pathlib import Path

from infra.spec import EnvironmentSpec, LoadedTenant
from infra.spec.tenant import TenantSpec

from .engine import evaluate
from .findings import Finding, Severity

__all__ = ["fleet_refusals", "refusals"]


def _where(tenant_id: str) -> Path:
    return Path("Tenant") / tenant_id  # the stem is the id, as for a file named by it


def refusals(
    spec: TenantSpec,
    fleet: Mapping[str, TenantSpec],
    env: EnvironmentSpec,
    today: dt.date,
    *,
    accepted: Sequence[str] = (),
) -> list[Finding]:
    """The errors that involve this tenant's own spec (not fleet totals such as capacity,
    which refuse a plan, not an access), less the rules a recorded override ``accepted``."""
    loaded = [LoadedTenant(_where(t.id), t, "") for t in {**fleet, spec.id: spec}.values()]
    mine = str(_where(spec.id))
    found = evaluate(loaded, env, today, focus=[spec.id])
    return [
        f
        for f in found
        if f.severity is Severity.error
        and f.rule not in accepted
        and f.path is not None
        and mine in (f.path, *f.related)
    ]


def fleet_refusals(
    fleet: Mapping[str, TenantSpec], env: EnvironmentSpec, today: dt.date
) -> dict[str, list[Finding]]:
    """What :func:`refusals` gives for every tenant of ``fleet`` (before overrides), from one
    evaluation of the whole fleet: the fleet rules are O(n log n) once, where judging each
    tenant apart would run them n times."""
    loaded = [LoadedTenant(_where(t.id), t, "") for t in fleet.values()]
    ids = {str(_where(t)): t for t in fleet}
    out: dict[str, list[Finding]] = {}
    for found in evaluate(loaded, env, today):
        if found.severity is not Severity.error or found.path is None:
            continue
        for where in dict.fromkeys((found.path, *found.related)):
            if where in ids:
                out.setdefault(ids[where], []).append(found)
    return out
