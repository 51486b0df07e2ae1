"""Break-glass: emergency access to a tenant under two-person approval.

An operator asks for it with an ``AccessRequest`` (cluster-scoped, like the Tenant it names:
no namespace of its own to guard, one list for the bureau to read). The admission policy
(:mod:`infra.plan.access_policy`) holds each write to who made it: the requester recorded is
the user who created it, the approver recorded the user who approved it, never the
requester and never the operating company. Only then does the reconciler bind the
requester, as a user, to the operator role of the requested scope in the tenant's
namespace: the moment it first sees the approval is the grant (``status.grantedAt``) and
the binding ends ``minutes`` later (``status.expires``), revoked to the second as a
written grant is.

Everything here is pure: the reconciler, the CLI and the report read requests through it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from infra.spec.environment import MAX_EMERGENCY_MINUTES, EnvironmentSpec
from infra.spec.tenant import LifecycleState, Scope, TenantSpec

from .crd import custom_resource_definition
from .kube import operator_binding
from .names import CRD_GROUP, CRD_VERSION, DOMAIN, LABEL_MANAGED_BY, MANAGED_BY, k8s_name
from .objects import KubeObject

__all__ = [
    "ACCESS_API",
    "ACCESS_KIND",
    "ACCESS_RESOURCE",
    "EmergencyRequest",
    "Person",
    "Phase",
    "access_request_crd",
    "approval_problem",
    "emergency_binding_name",
    "emergency_bindings",
    "lapses_at",
    "next_emergency_change",
    "parse_request",
    "phase_of",
    "request_manifest",
]

ACCESS_API = f"{CRD_GROUP}/{CRD_VERSION}"
ACCESS_KIND = "AccessRequest"
ACCESS_RESOURCE = "accessrequests"


class Phase(StrEnum):
    pending = "Pending"  # waiting for a second person's approval
    active = "Active"  # approved: bound until status.expires
    expired = "Expired"  # its time is over: the binding is revoked
    refused = "Refused"  # an approval the rules do not accept (the reconciler's own check)
    lapsed = "Lapsed"  # nobody approved it within the environment's approval window


@dataclass(frozen=True)
class Person:
    username: str
    groups: tuple[str, ...]

    def as_data(self) -> dict[str, Any]:
        return {"username": self.username, "groups": list(self.groups)}


@dataclass(frozen=True)
class EmergencyRequest:
    name: str
    tenant: str
    scope: Scope
    reason: str
    minutes: int
    requester: Person
    approver: Person | None
    created: dt.datetime | None
    granted_at: dt.datetime | None  # status: the approval as the reconciler first saw it
    expires: dt.datetime | None  # status: granted_at + minutes
    phase: str  # status.phase as stored ("" before the reconciler saw the request)

    def ends(self) -> dt.datetime | None:
        if self.granted_at is None:
            return None
        return self.granted_at + dt.timedelta(minutes=self.minutes)


def _time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def _person(value: Any) -> Person | None:
    if not isinstance(value, Mapping) or not isinstance(value.get("username"), str):
        return None
    groups = value.get("groups")
    listed = tuple(str(g) for g in groups) if isinstance(groups, list) else ()
    return Person(str(value["username"]), listed)


def parse_request(obj: Mapping[str, Any]) -> EmergencyRequest | None:
    """The request an ``AccessRequest`` object carries; None when it is not one (the CRD's
    schema makes that rare: an object written before the schema, or by hand without it)."""
    meta = obj.get("metadata") or {}
    spec = obj.get("spec") or {}
    status = obj.get("status") or {}
    requester = _person(spec.get("requester"))
    minutes = spec.get("minutes")
    try:
        scope = Scope(str(spec.get("scope")))
    except ValueError:
        return None
    if (
        requester is None
        or not isinstance(minutes, int)
        or not 1 <= minutes <= MAX_EMERGENCY_MINUTES
        or not isinstance(spec.get("tenant"), str)
    ):
        return None
    return EmergencyRequest(
        name=str(meta.get("name")),
        tenant=str(spec["tenant"]),
        scope=scope,
        reason=str(spec.get("reason") or ""),
        minutes=minutes,
        requester=requester,
        approver=_person(spec.get("approval")),
        created=_time(meta.get("creationTimestamp")),
        granted_at=_time(status.get("grantedAt")),
        expires=_time(status.get("expires")),
        phase=str(status.get("phase") or ""),
    )


def _operator(person: Person, env: EnvironmentSpec) -> bool:
    return any(g in env.operator_groups for g in person.groups) or any(
        person.username.endswith(f"@{d}") for d in env.operator_domains
    )


def approval_problem(request: EmergencyRequest, env: EnvironmentSpec) -> str | None:
    """Why this approval is not one the rules accept (None: it is). The same rule as the
    admission policy's: the reconciler judges it again before it binds anything. English,
    as the reconciler stores it; the CLI translates the same checks itself."""
    approver = request.approver
    if approver is None:
        return "not approved"
    if approver.username == request.requester.username:
        return "the requester cannot approve their own request"
    if _operator(approver, env):
        return "the operating company cannot approve emergency access"
    if not any(g in env.emergency_access.approver_groups for g in approver.groups):
        return "the approver is not in the bureau's approver groups"
    if not any(g in env.operator_groups for g in request.requester.groups):
        return "the requester is not in an operator group"
    if request.minutes > env.emergency_access.max_minutes:
        return f"{request.minutes} minutes is more than {env.emergency_access.max_minutes}"
    return None


def lapses_at(request: EmergencyRequest, env: EnvironmentSpec) -> dt.datetime | None:
    """When a request not yet granted lapses (None: granted, or its creation is unknown)."""
    if request.granted_at is not None or request.created is None:
        return None
    return request.created + dt.timedelta(minutes=env.emergency_access.approval_window_minutes)


def phase_of(request: EmergencyRequest, env: EnvironmentSpec, now: dt.datetime) -> Phase:
    """What the request is now: waiting, bound, over, refused, or lapsed. An approval the
    reconciler first sees after the approval window grants nothing: the grant is the moment
    it is seen, and a request may not wait for a second person for ever."""
    if request.phase in (Phase.refused, Phase.lapsed):
        return Phase(request.phase)
    lapses = lapses_at(request, env)
    if lapses is not None and now >= lapses:
        return Phase.lapsed
    if request.approver is None:
        return Phase.pending
    if request.granted_at is None and approval_problem(request, env) is not None:
        return Phase.refused
    ends = request.ends()
    if ends is not None and now >= ends:
        return Phase.expired
    return Phase.active


def emergency_binding_name(request: EmergencyRequest) -> str:
    return k8s_name("govcloud-emergency", request.name)


def emergency_bindings(
    spec: TenantSpec, requests: Iterable[EmergencyRequest], now: dt.datetime
) -> list[KubeObject]:
    """The RoleBindings of this tenant's granted, unexpired emergency accesses: the
    requester (a user, not their group) bound to the operator role of the scope."""
    if spec.lifecycle.state is not LifecycleState.active:
        return []  # a decommissioning tenant has no access at all
    out = []
    for request in sorted(requests, key=lambda r: r.name):
        ends = request.ends()
        if request.tenant != spec.id or ends is None or request.phase == Phase.refused:
            continue
        if not request.granted_at or not request.granted_at <= now < ends:
            continue
        out.append(
            operator_binding(
                spec,
                emergency_binding_name(request),
                request.scope,
                {"kind": "User", "name": request.requester.username},
                {
                    f"{DOMAIN}/access-request": request.name,
                    f"{DOMAIN}/approved-by": request.approver.username if request.approver else "",
                    f"{DOMAIN}/expires": ends.isoformat(),
                },
            )
        )
    return out


def next_emergency_change(
    requests: Iterable[EmergencyRequest], env: EnvironmentSpec, now: dt.datetime
) -> dt.datetime | None:
    """The next end of a granted emergency access, or lapse of a waiting request, after
    ``now``: when to look again."""
    moments = [
        m
        for r in requests
        if r.phase not in (Phase.refused, Phase.lapsed)
        for m in (r.ends(), lapses_at(r, env))
        if m is not None and m > now
    ]
    return min(moments) if moments else None


def request_manifest(
    *, tenant: str, scope: Scope, reason: str, minutes: int, requester: Person
) -> dict[str, Any]:
    """A new request, named by the API server (``generateName``)."""
    return {
        "apiVersion": ACCESS_API,
        "kind": ACCESS_KIND,
        "metadata": {
            "generateName": f"{tenant}-{scope.value}-",
            "labels": {LABEL_MANAGED_BY: MANAGED_BY, f"{DOMAIN}/tenant": tenant},
        },
        "spec": {
            "tenant": tenant,
            "scope": scope.value,
            "reason": reason,
            "minutes": minutes,
            "requester": requester.as_data(),
        },
    }


_PERSON = {
    "type": "object",
    "required": ["username", "groups"],
    "properties": {
        "username": {"type": "string", "minLength": 1, "maxLength": 256},
        "groups": {"type": "array", "items": {"type": "string"}, "maxItems": 100},
    },
}


def access_request_crd() -> KubeObject:
    columns: list[dict[str, Any]] = [
        {"name": "Tenant", "type": "string", "jsonPath": ".spec.tenant"},
        {"name": "Scope", "type": "string", "jsonPath": ".spec.scope"},
        {"name": "Minutes", "type": "integer", "jsonPath": ".spec.minutes"},
        {"name": "Requester", "type": "string", "jsonPath": ".spec.requester.username"},
        {"name": "Approver", "type": "string", "jsonPath": ".spec.approval.username"},
        {"name": "Phase", "type": "string", "jsonPath": ".status.phase"},
        {"name": "Expires", "type": "date", "jsonPath": ".status.expires"},
        {"name": "Reason", "type": "string", "jsonPath": ".spec.reason", "priority": 1},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    ]
    spec_schema = {
        "type": "object",
        "required": ["tenant", "scope", "reason", "minutes", "requester"],
        "properties": {
            "tenant": {"type": "string", "minLength": 1, "maxLength": 63},
            "scope": {"type": "string", "enum": [s.value for s in Scope]},
            "reason": {"type": "string", "minLength": 1, "maxLength": 512},
            "minutes": {"type": "integer", "minimum": 1, "maximum": MAX_EMERGENCY_MINUTES},
            "requester": _PERSON,
            "approval": _PERSON,
        },
    }
    status_schema = {
        "type": "object",
        "properties": {
            "phase": {"type": "string", "enum": [p.value for p in Phase]},
            "grantedAt": {"type": "string", "format": "date-time"},
            "expires": {"type": "string", "format": "date-time"},
            "binding": {"type": "string"},
            "message": {"type": "string"},
        },
    }
    return custom_resource_definition(
        plural=ACCESS_RESOURCE,
        kind=ACCESS_KIND,
        short_names=["areq"],
        columns=columns,
        properties={"spec": spec_schema, "status": status_schema},
    )
