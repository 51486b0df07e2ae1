"""Restore the tenant's managed Kubernetes objects and remove what weakens it.

Every planned object is written the way deploy writes it (``infra.drivers.exact``, one
repair strategy): applied server-side as the reconciler, then its owned sections made exact,
so fields other managers added (an allow-all rule someone put into the default-deny policy)
go too. A conflict means someone wrote in between: the pass fails, is retried with backoff
and re-reads. A Namespace is only ever patched (its labels), never replaced or deleted.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from infra.drivers.exact import apply_exact
from infra.plan.drift import Difference, aspect_of, kube_drift
from infra.plan.objects import KubeObject
from infra.plan.records import AS_PLANNED_SHORT, DELETED, MISSING, REMOVED

from .context import Context
from .repairs import Action, Repair

__all__ = ["remove_unexpected", "restore_objects", "verify"]


def restore_objects(
    ctx: Context,
    desired: Sequence[KubeObject],
    drift: Sequence[Difference],
    written: dict[str, dict[str, Any]] | None = None,
) -> list[Repair]:
    """Repair each drifted object. ``written`` collects what the API server answered each
    write with: the object as stored, which is what the repair is verified against."""
    by_key = {o.key: o for o in desired}
    repairs: list[Repair] = []
    answers = written if written is not None else {}
    for key in dict.fromkeys(d.key for d in drift):
        obj = by_key[key]
        mine = [d for d in drift if d.key == key]
        before = (
            MISSING.format()
            if mine[0].change == "missing"
            else "; ".join(f"{d.path}={d.observed!r}"[:160] for d in mine[:3])
        )
        if ctx.dry_run:
            repairs.append(
                Repair(key, aspect_of(obj.kind), "would-repair", before, AS_PLANNED_SHORT.format())
            )
            continue
        action: Action = "recreated" if mine[0].change == "missing" else "restored"
        answers[key] = apply_exact(ctx.kube, obj.manifest)
        repairs.append(Repair(key, aspect_of(obj.kind), action, before, AS_PLANNED_SHORT.format()))
    return repairs


def verify(desired: Sequence[KubeObject], written: dict[str, dict[str, Any]]) -> list[Difference]:
    """Compare repaired objects as the API server stored them (its answer to each write,
    not the cache) with the plan once more."""
    objs = [o for o in desired if o.key in written]
    return kube_drift(objs, {o.key: written[o.key] for o in objs})


def remove_unexpected(
    ctx: Context, found: Sequence[tuple[str, str]], stale: frozenset[str]
) -> list[Repair]:
    """Delete objects outside the plan that weaken the tenant (``Kind/ns/name`` keys)."""
    api = {"NetworkPolicy": "networking.k8s.io/v1", "RoleBinding": "rbac.authorization.k8s.io/v1"}
    repairs: list[Repair] = []
    for key, reason in found:
        kind, namespace, name = key.split("/", 2)
        aspect = aspect_of(kind)
        action: Action = "revoked" if key in stale and kind == "RoleBinding" else "removed"
        if ctx.dry_run:
            repairs.append(Repair(key, aspect, "would-repair", reason, REMOVED.format()))
            continue
        ctx.kube.delete(api[kind], kind, name, namespace)
        repairs.append(Repair(key, aspect, action, reason, DELETED.format()))
    return repairs
