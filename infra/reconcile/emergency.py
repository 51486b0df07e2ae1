"""Emergency access (break-glass) in a tenant's pass.

Each ``AccessRequest`` naming the tenant is brought to its phase now
(:func:`infra.plan.access_requests.phase_of`): the first pass that sees it records it
(Pending), the first that sees a valid approval grants it (``grantedAt`` = now, ``expires``
= now + its minutes), the first at or after its end marks it Expired. Each step is one
status write on the request and one Event on the Tenant. The bindings themselves are part
of the tenant's desired state (:func:`~infra.plan.access_requests.emergency_bindings`): the
pass creates a granted one and revokes an ended one as it does a written grant's.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from infra.errors import DriverError
from infra.plan.access_requests import (
    ACCESS_API,
    ACCESS_KIND,
    EmergencyRequest,
    Phase,
    approval_problem,
    emergency_binding_name,
    parse_request,
    phase_of,
)
from infra.plan.conditions import timestamp
from infra.plan.kube import OPERATOR_ROLES
from infra.plan.records import (
    EMERGENCY_ENDED,
    EMERGENCY_GRANTED,
    EMERGENCY_LAPSED,
    EMERGENCY_REFUSED,
    EMERGENCY_REQUESTED,
)

from .context import Context
from .events import record_event

__all__ = ["emergency_requests", "sync_requests"]

_log = logging.getLogger("govcloud.reconcile")


def emergency_requests(ctx: Context, tenant_id: str) -> list[EmergencyRequest]:
    """The requests naming this tenant, from the watch cache."""
    informer = ctx.caches.get(ACCESS_KIND)
    if informer is None:
        return []
    found = []
    for obj in informer.all():
        if (obj.get("spec") or {}).get("tenant") != tenant_id:
            continue
        request = parse_request(obj)
        if request is not None:
            found.append(request)
    return found


@dataclass(frozen=True)
class _Step:
    request: EmergencyRequest  # as it will be stored
    status: dict[str, Any]
    reason: str  # the Event's
    message: str


def _step(request: EmergencyRequest, phase: Phase, now: dt.datetime, ctx: Context) -> _Step:
    who, scope = request.requester.username, request.scope.value
    if phase is Phase.pending:
        return _Step(
            dataclasses.replace(request, phase=phase.value),
            {"phase": phase.value},
            reason="EmergencyAccessRequested",
            message=EMERGENCY_REQUESTED.format(
                scope=scope,
                name=request.name,
                user=who,
                minutes=request.minutes,
                reason=request.reason,
            ),
        )
    if phase is Phase.refused:
        why = approval_problem(request, ctx.env) or "refused"
        return _Step(
            dataclasses.replace(request, phase=phase.value),
            {"phase": phase.value, "message": why},
            reason="EmergencyAccessRefused",
            message=EMERGENCY_REFUSED.format(name=request.name, why=why),
        )
    if phase is Phase.lapsed:
        window = ctx.env.emergency_access.approval_window_minutes
        return _Step(
            dataclasses.replace(request, phase=phase.value),
            {"phase": phase.value, "message": f"not approved within {window} minutes"},
            reason="EmergencyAccessLapsed",
            message=EMERGENCY_LAPSED.format(name=request.name, user=who, minutes=window),
        )
    granted = request.granted_at or now
    ends = granted + dt.timedelta(minutes=request.minutes)
    stored = dataclasses.replace(request, phase=phase.value, granted_at=granted, expires=ends)
    binding = emergency_binding_name(request)
    status = {
        "phase": phase.value,
        "grantedAt": timestamp(granted),
        "expires": timestamp(ends),
        "binding": binding,
    }
    if phase is Phase.active:
        return _Step(
            stored,
            status,
            reason="EmergencyAccessGranted",
            message=EMERGENCY_GRANTED.format(
                scope=scope,
                name=request.name,
                approver=request.approver.username if request.approver else "?",
                user=who,
                role=OPERATOR_ROLES[scope],
                expires=timestamp(ends),
            ),
        )
    return _Step(
        stored,
        status,
        reason="EmergencyAccessEnded",
        message=EMERGENCY_ENDED.format(
            scope=scope, name=request.name, user=who, expires=timestamp(ends), binding=binding
        ),
    )


def sync_requests(
    ctx: Context,
    tenant: Mapping[str, Any],
    requests: list[EmergencyRequest],
    now: dt.datetime,
) -> list[EmergencyRequest]:
    """Each request's status brought to its phase now (one Event per step); the requests as
    now stored. A dry run only reads."""
    out = []
    for request in requests:
        phase = phase_of(request, ctx.env, now)
        if phase.value == request.phase or ctx.dry_run:
            out.append(request)
            continue
        step = _step(request, phase, now, ctx)
        ctx.kube.patch_status(ACCESS_API, ACCESS_KIND, request.name, step.status)
        out.append(step.request)
        try:
            record_event(
                ctx,
                tenant,
                warning=phase in (Phase.refused, Phase.lapsed),
                reason=step.reason,
                message=step.message,
            )
        # Why: an Event is a report; the request's status already says it.
        except DriverError as exc:
            _log.warning("tenant %s: cannot record event: %s", request.tenant, exc)
        _log.info("tenant %s: %s", request.tenant, step.message)
    return out
