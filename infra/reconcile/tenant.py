"""Reconcile one tenant, top to bottom (level-triggered: every pass re-reads the state).

1. fetch the Tenant (gone: nothing to do; a namespace or its data is never deleted here);
   a deploy holding it (``Deployed=Unknown/Deploying``): wait for the deploy, bounded;
2. judge its spec by the compliance rules CI runs (a refused spec: a condition and an
   Event, and nothing is created from it); render the plan with ``infra.plan`` — the
   renderer Pulumi uses — as of now;
3. compare with the watch caches; find objects outside the plan that weaken the tenant;
4. repair the Kubernetes side, then the cloud side; read back what was repaired;
5. write the reconciler's part of the status (its conditions, repair counters, the next
   scheduled change) when it changed, and one Event per repair;
6. requeue at the next moment the desired state changes (a grant or an emergency access
   expiring; emergency access requests are brought to their phase in step 2,
   :mod:`.emergency`; a data share given or received ending, which also queues a cloud check
   for that moment).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from pydantic import ValidationError

from infra.errors import DriverError, PermanentError
from infra.plan import conditions_for, merge_conditions, render_tenant
from infra.plan.access_requests import (
    emergency_binding_name,
    emergency_bindings,
    next_emergency_change,
)
from infra.plan.conditions import (
    ASPECT_CONDITIONS,
    CLOUD_UNREACHABLE,
    COMPLIANT,
    NOT_CHECKED,
    condition,
    deploy_hold,
    owned_status,
    same_status,
    stored,
    timestamp,
    with_deploy,
)
from infra.plan.drift import Aspect, kube_drift, unexpected
from infra.plan.lifecycle import PROVINCE_TZ, next_change, next_share_end
from infra.plan.objects import KubeObject
from infra.plan.records import ACCEPTED, CANNOT_REPAIR, INVALID_SPEC, REFUSED
from infra.plan.records import NOT_CHECKED as NOT_CHECKED_YET
from infra.plan.shares import shares_given, verified_record
from infra.plan.weakening import (
    stale_managed,
    weakening_bindings,
    weakening_policies,
)
from infra.policy.findings import Finding
from infra.spec.tenant import TenantSpec

from .context import TENANT_API, Context, parse_tenant
from .emergency import emergency_requests, sync_requests
from .events import record_event, record_repair
from .repairs import Outcome, Repair
from .share_end import learn_share_ends, narrow_at_share_end
from .sync_cloud import check_cloud
from .sync_kube import remove_unexpected, restore_objects, verify

__all__ = ["COUNTER_DELAY", "reconcile_tenant"]

_log = logging.getLogger("govcloud.reconcile")
COUNTER_DELAY = 1.0  # seconds a counter-only status change may wait for the next write


def _observed(ctx: Context, desired: list[KubeObject]) -> dict[str, dict[str, Any] | None]:
    return {o.key: ctx.cached(o.kind, o.namespace, o.name) for o in desired}


def _outsiders(
    ctx: Context, spec: TenantSpec, desired: list[KubeObject]
) -> tuple[list[tuple[str, str]], frozenset[str]]:
    policies = ctx.caches["NetworkPolicy"].in_namespace(spec.id)
    bindings = ctx.caches["RoleBinding"].in_namespace(spec.id)
    stale = stale_managed([*policies, *bindings], desired)
    found = dict(stale)
    found.update(weakening_policies(policies, namespace=spec.id, planned=desired))
    found.update(weakening_bindings(bindings, planned=desired))
    return sorted(found.items()), frozenset(k for k, _ in stale)


def reconcile_tenant(ctx: Context, tenant_id: str, *, cloud_check: bool = True) -> Outcome:
    """One pass for one tenant; ``cloud_check`` also reads (and repairs) its cloud side,
    otherwise the last cloud check is reported."""
    out = Outcome(tenant_id)
    cr = ctx.cached("Tenant", None, tenant_id)
    if cr is None:
        out.skipped = "no Tenant object"
        return out
    try:
        spec = parse_tenant(cr)
    except ValidationError as exc:
        _write_invalid(
            ctx,
            cr,
            INVALID_SPEC.format(error=exc.errors()[0].get("msg", exc)),
            out,
        )
        return out
    now = ctx.clock()
    hold = deploy_hold(cr, now)
    if hold is not None:
        # A deploy is changing this tenant: its new desired state is on the Tenant already,
        # and what differs now is the deploy's work in progress, not drift.
        out.skipped = "deploy in progress"
        out.requeue_after = (hold - now).total_seconds()
        return out
    fleet = ctx.fleet()
    fleet[spec.id] = spec
    refused = ctx.refusals(cr, spec, fleet, now)
    if refused:
        _write_refused(ctx, cr, spec, refused, out)
        return out
    plan = render_tenant(
        spec, ctx.env, fleet=fleet, today=now.astimezone(PROVINCE_TZ).date(), now=now
    )
    # A share ending now: its narrowed policies before anything else, in whichever pass comes
    # first at its end (the Kubernetes one is requeued for it too, and seldom waits behind a
    # backlog of cloud checks).
    narrow_at_share_end(ctx, spec.id, plan.cloud, now, gives=bool(spec.data.datasets))
    desired = list(plan.guarded_kube)
    # Emergency access: each request's step recorded, the granted ones bound until their end.
    requests = sync_requests(ctx, cr, emergency_requests(ctx, spec.id), now)
    emergency = emergency_bindings(spec, requests, now)
    desired += emergency
    # A binding granted in this very pass is the grant (its Event says so), not a repair.
    granted_now = {
        f"RoleBinding/{spec.id}/{emergency_binding_name(r)}"
        for r in requests
        if r.granted_at == now
    }

    # -- Kubernetes ----------------------------------------------------------------------
    drift = kube_drift(desired, _observed(ctx, desired))
    outsiders, stale = _outsiders(ctx, spec, desired)
    drift += unexpected(outsiders)
    out.found = list(drift)
    try:
        written: dict[str, dict[str, Any]] = {}
        restored = restore_objects(
            ctx, desired, [d for d in drift if d.change != "unexpected"], written
        )
        out.repairs += [r for r in restored if r.key not in granted_now]
        out.repairs += remove_unexpected(ctx, outsiders, stale)
        out.remaining = (
            verify(desired, written)
            if written
            else ([d for d in drift if d.change != "unexpected"] if ctx.dry_run else [])
        )
        if ctx.dry_run:
            out.remaining += [d for d in drift if d.change == "unexpected"]
    except PermanentError as exc:
        _log.error("tenant %s: cannot repair Kubernetes objects: %s", tenant_id, exc)
        out.remaining = list(drift)
        for aspect in {d.aspect for d in drift}:
            out.errors[aspect] = CANNOT_REPAIR.format(error=exc)

    # -- cloud: checked on its own schedule; every pass reports the last check ------------
    verified_now = False  # this pass read the cloud side back as planned
    if ctx.cloud is not None:
        if cloud_check:
            found, fixes = check_cloud(ctx, tenant_id, plan.cloud)
            out.found += found
            out.repairs += fixes
        seen = ctx.cloud_seen.get(tenant_id)
        last = _condition(cr, ASPECT_CONDITIONS["cloud"])
        down = ctx.cloud_unreachable()
        if down:  # learnt once for every tenant: Unknown, not drift and not the last check
            out.unknown["cloud"] = (CLOUD_UNREACHABLE, down)
        elif seen is None and last is not None:
            # A reconciler that just started has not read the cloud side yet: the last
            # check (deploy's read-back, or an earlier reconciler) stands until it does.
            out.carried["cloud"] = last
        elif seen is None:
            out.unknown["cloud"] = (NOT_CHECKED, NOT_CHECKED_YET.format())
        elif seen.error and seen.remaining:  # observed, and a repair was refused: drift
            out.remaining += seen.remaining
            out.errors["cloud"] = seen.error
        elif seen.error:
            out.unknown["cloud"] = (seen.reason, seen.error)
        else:
            out.remaining += seen.remaining
            verified_now = cloud_check and not seen.remaining

    given = shares_given(spec, fleet, now)
    shares = verified_record(
        owned_status(cr.get("status") or {}).get("shares") or {},
        given,
        verified_now=verified_now,
        today=now.astimezone(PROVINCE_TZ).date(),
    )
    _finish(
        ctx,
        cr,
        spec,
        out,
        now,
        fleet=list(fleet.values()),
        shares=shares,
        also=next_emergency_change(requests, ctx.env, now),
    )
    return out


def _condition(cr: dict[str, Any], kind: str) -> dict[str, Any] | None:
    conditions = (cr.get("status") or {}).get("conditions") or []
    return next((dict(c) for c in conditions if c.get("type") == kind), None)


def _counters(old: dict[str, Any], repairs: list[Repair]) -> dict[str, int]:
    counts = {str(k): int(v) for k, v in (old.get("repairs") or {}).items()}
    for repair in repairs:
        if repair.action != "would-repair":
            counts[repair.aspect] = counts.get(repair.aspect, 0) + 1
            counts["total"] = counts.get("total", 0) + 1
    return counts


def _finish(
    ctx: Context,
    cr: dict[str, Any],
    spec: TenantSpec,
    out: Outcome,
    now: Any,
    *,
    fleet: list[TenantSpec],
    shares: dict[str, str],
    also: dt.datetime | None = None,
) -> None:
    upcoming = min(
        (m for m in (next_change(spec, now, fleet=fleet), also) if m is not None), default=None
    )
    if upcoming is not None:
        out.requeue_after = max(0.0, (upcoming - now).total_seconds())
    ending = next_share_end(spec, fleet, now) if ctx.cloud is not None else None
    if ending is not None:
        delay = max(0.0, (ending[0] - now).total_seconds())
        out.cloud_requeue = dict.fromkeys(sorted(ending[1]), delay)
        learn_share_ends(ctx, ending[1], ending[0])
    if ctx.dry_run:
        return
    for repair in out.repairs:
        try:
            record_repair(ctx, cr, repair)
        # Why: an Event is a report, not the repair; a failed Event must not fail the pass.
        except DriverError as exc:
            _log.warning("tenant %s: cannot record event: %s", spec.id, exc)
    meta = cr.get("metadata") or {}
    generation = int(meta.get("generation") or 0)
    status: dict[str, Any] = dict(cr.get("status") or {})
    old = owned_status(status)
    errors: dict[Aspect, str] = dict(out.errors)
    mine = conditions_for(
        out.remaining,
        generation=generation,
        errors=errors,
        carried=out.carried,
        unknown=out.unknown,
    )
    mine.append(condition(COMPLIANT, True, "Accepted", ACCEPTED.format(), generation))
    new: dict[str, Any] = {
        "observedGeneration": generation,
        "conditions": merge_conditions(
            old["conditions"], with_deploy(mine, status, generation), now
        ),
        "repairs": _counters(old, _pending(ctx, spec.id, out.repairs)),
    }
    if upcoming is not None:
        new["nextChange"] = timestamp(upcoming)
    new["shares"] = shares
    if same_status(old, new):
        return
    if ctx.coalesce_counters and same_status({**old, "repairs": new["repairs"]}, new):
        # Only the repair counters moved (the conditions read back as before): the repair
        # itself is done and has its Event; bookkeeping waits up to COUNTER_DELAY so a burst
        # of repairs shares one status write.
        due = ctx.counters_due.setdefault(spec.id, ctx.monotonic() + COUNTER_DELAY)
        if ctx.monotonic() < due:
            out.requeue_after = min(out.requeue_after or COUNTER_DELAY, due - ctx.monotonic())
            return
    ctx.kube.patch_status(TENANT_API, "Tenant", spec.id, stored(new))
    ctx.pending_repairs.pop(spec.id, None)
    ctx.counters_due.pop(spec.id, None)
    out.status_written = True


def _pending(ctx: Context, tenant: str, repairs: list[Repair]) -> list[Repair]:
    """Repairs not yet counted in status: earlier deferred ones and this pass's."""
    pending = ctx.pending_repairs.setdefault(tenant, [])
    pending += [r for r in repairs if r.action != "would-repair"]
    return list(pending)


def _write_invalid(ctx: Context, cr: dict[str, Any], message: str, out: Outcome) -> None:
    out.errors["access"] = message
    out.skipped = "invalid spec"
    _write_not_ready(ctx, cr, "InvalidSpec", message, out)


def _write_refused(
    ctx: Context, cr: dict[str, Any], spec: TenantSpec, refused: list[Finding], out: Outcome
) -> None:
    """A spec the compliance rules refuse: nothing is created or restored from it; the
    Tenant says why (Compliant=False, Ready=False) and an Event names the rules, once."""
    rules = ", ".join(sorted({f.rule for f in refused}))
    message = REFUSED.format(
        rules=rules, findings="; ".join(f"{f.rule} {f.message}" for f in refused[:3])
    )
    out.skipped = "refused by the compliance rules"
    out.errors["access"] = message
    written = _write_not_ready(ctx, cr, "ComplianceRefused", message, out)
    if written and not ctx.dry_run:
        try:
            record_event(ctx, cr, warning=True, reason="ComplianceRefused", message=message)
        # Why: an Event is a report; the condition already says it.
        except DriverError as exc:
            _log.warning("tenant %s: cannot record event: %s", spec.id, exc)
    _log.warning("tenant %s: %s", spec.id, message)


def _write_not_ready(
    ctx: Context, cr: dict[str, Any], reason: str, message: str, out: Outcome
) -> bool:
    if ctx.dry_run:
        return False
    meta = cr.get("metadata") or {}
    generation = int(meta.get("generation") or 0)
    old = owned_status(dict(cr.get("status") or {}))
    compliant = reason != "ComplianceRefused"
    mine = [
        condition("Ready", False, reason, message, generation),
        condition(
            COMPLIANT,
            compliant,
            "Accepted" if compliant else reason,
            ACCEPTED.format() if compliant else message,
            generation,
        ),
    ]
    new = {
        **old,
        "observedGeneration": generation,
        "conditions": merge_conditions(old["conditions"], mine, ctx.clock()),
    }
    if same_status(old, new):
        return False
    ctx.kube.patch_status(TENANT_API, "Tenant", str(meta.get("name")), stored(new))
    out.status_written = True
    return True
