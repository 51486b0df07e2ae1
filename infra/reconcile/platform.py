"""Reconcile what reaches every tenant from outside their namespaces (one key, ``PLATFORM``).

Top to bottom: render the platform's guarded objects (``infra.plan.platform_reach``) as of
now; compare them with the caches; find unplanned ClusterRoleBindings that reach a tenant's
groups or service accounts and unplanned NetworkPolicies in the shared-services namespaces;
restore the shared-services policies, remove what weakens tenants, and report drift of the
objects only deploy may write (operator ClusterRoles, admission policies and bindings) with
a Warning Event that says to run the platform stack — once per distinct drift.
"""

from __future__ import annotations

import logging
from typing import Any

from infra.plan.drift import Difference, aspect_of, kube_drift, unexpected
from infra.plan.platform_reach import (
    REPAIRED_BY_DEPLOY,
    platform_guarded,
    shared_namespaces,
    weakening_cluster_bindings,
    weakening_shared_policies,
)
from infra.plan.reconciler import RECONCILER_SA
from infra.plan.records import DELETED, PLATFORM_DRIFT

from .context import Context
from .events import record_event
from .repairs import Action, Outcome, Repair
from .sync_kube import restore_objects, verify

__all__ = ["PLATFORM", "PLATFORM_API", "reconcile_platform"]

_log = logging.getLogger("govcloud.reconcile")
PLATFORM = "@platform"  # the work-queue key: never a tenant id (a DNS label has no '@')
PLATFORM_API = {
    "ClusterRoleBinding": "rbac.authorization.k8s.io/v1",
    "NetworkPolicy": "networking.k8s.io/v1",
}


def _outsiders(ctx: Context, desired: list[Any]) -> list[tuple[str, str]]:
    fleet = ctx.fleet()
    groups = {s.owners.group for s in fleet.values()}
    groups |= set(ctx.env.operator_groups) | {g.group for s in fleet.values() for g in s.access}
    found = weakening_cluster_bindings(
        ctx.caches["ClusterRoleBinding"].all(),
        planned=desired,
        groups=groups,
        tenant_namespaces=fleet,
    )
    shared = shared_namespaces(ctx.env)
    policies = [p for ns in sorted(shared) for p in ctx.caches["NetworkPolicy"].in_namespace(ns)]
    return found + weakening_shared_policies(policies, planned=desired, namespaces=shared)


def _remove(ctx: Context, found: list[tuple[str, str]]) -> list[Repair]:
    repairs: list[Repair] = []
    for key, reason in found:
        kind, _, rest = key.partition("/")
        namespace, _, name = rest.rpartition("/")
        action: Action = (
            "would-repair"
            if ctx.dry_run
            else ("revoked" if kind == "ClusterRoleBinding" else "removed")
        )
        if not ctx.dry_run:
            ctx.kube.delete(PLATFORM_API[kind], kind, name, namespace or None)
        repairs.append(Repair(key, aspect_of(kind), action, reason, DELETED.format()))
    return repairs


def reconcile_platform(ctx: Context) -> Outcome:
    out = Outcome(PLATFORM)
    desired = platform_guarded(ctx.env)
    observed = {o.key: ctx.cached(o.kind, o.namespace, o.name) for o in desired}
    drift = kube_drift(desired, observed)
    outsiders = _outsiders(ctx, desired)
    out.found = [*drift, *unexpected(outsiders)]
    ours = [d for d in drift if d.key.split("/", 1)[0] not in REPAIRED_BY_DEPLOY]
    deploys = [d for d in drift if d.key.split("/", 1)[0] in REPAIRED_BY_DEPLOY]
    written: dict[str, dict[str, Any]] = {}
    out.repairs += restore_objects(ctx, desired, ours, written)
    out.repairs += _remove(ctx, outsiders)
    out.remaining = [
        *deploys,
        *(verify(desired, written) if written else (ours if ctx.dry_run else [])),
    ]
    if ctx.dry_run:
        out.remaining += unexpected(outsiders)
    _report(ctx, out, deploys)
    return out


def _report(ctx: Context, out: Outcome, deploys: list[Difference]) -> None:
    if ctx.dry_run:
        return
    for repair in out.repairs:
        _event(
            ctx,
            repair.key,
            warning=False,
            reason=repair.event_reason,
            message=repair.describe(),
        )
    seen = frozenset(d.describe() for d in deploys)
    if seen and seen != ctx.platform_reported:
        for key in dict.fromkeys(d.key for d in deploys):
            text = "; ".join(d.describe() for d in deploys if d.key == key)
            _event(
                ctx,
                key,
                warning=True,
                reason="PlatformDrift",
                message=PLATFORM_DRIFT.format(differences=text, env=ctx.env.name),
            )
        _log.warning("platform drift, repaired by the next deploy: %s", "; ".join(sorted(seen)))
    ctx.platform_reported = seen


def _event(ctx: Context, key: str, *, warning: bool, reason: str, message: str) -> None:
    kind, _, rest = key.partition("/")
    namespace, _, name = rest.rpartition("/")
    involved = {"kind": kind, "name": name, **({"namespace": namespace} if namespace else {})}
    try:
        record_event(ctx, None, warning=warning, reason=reason, message=message, involved=involved)
    # Why: an Event is a report; the repair (or the drift) is in the log and the metrics.
    except Exception as exc:
        _log.warning("platform: cannot record event (%s): %s", RECONCILER_SA, exc)
