"""What a change to the fleet does: tenants added, changed, removed; quotas; capacity;
the data requests it satisfies and those still pending for the departments it touches."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from infra.i18n import _
from infra.spec import EnvironmentSpec, TenantSpec
from infra.spec.quantity import format_quantity

from .capacity import Usage, capacity_usage
from .context import q
from .requests import RequestState, pending_groups, request_state

__all__ = ["FleetChange", "TenantChange", "compare"]

_QUOTAS = (
    "cpu",
    "memory",
    "storage",
    "pods",
    "services",
    "config_maps",
    "secrets",
    "persistent_volume_claims",
    "gpus",
    "network_policies",
)


@dataclass(frozen=True)
class TenantChange:
    id: str
    kind: str  # added, changed, removed
    fields: list[str] = field(default_factory=list)
    quota_deltas: list[str] = field(default_factory=list)
    details: list[str] = field(default_factory=list)  # what a reviewer reads first


@dataclass(frozen=True)
class FleetChange:
    tenants: list[TenantChange]
    capacity: list[tuple[Usage, Usage]]
    new_peerings: list[str]
    new_grants: list[str]
    satisfied_requests: list[str] = field(default_factory=list)
    pending_requests: list[str] = field(default_factory=list)


def _amount(name: str, value: Decimal) -> str:
    if name in ("cpu", "memory", "storage"):
        sign = "-" if value < 0 else "+"
        return sign + format_quantity(abs(value), binary=name != "cpu")
    return f"{value:+}"


def _deltas(before: TenantSpec | None, after: TenantSpec | None) -> list[str]:
    out = []
    for name in _QUOTAS:
        old = getattr(before.quotas, name) if before else 0
        new = getattr(after.quotas, name) if after else 0
        delta = (
            (q(str(new)) - q(str(old)))
            if name in ("cpu", "memory", "storage")
            else Decimal(int(new) - int(old))
        )
        if delta:
            out.append(f"{name} {old} → {new} ({_amount(name, delta)})")
    return out


def _summary(spec: TenantSpec) -> list[str]:
    """An added tenant at a glance."""
    return [
        _("{name}: {level} level, {classification} data, personal information {personal}").format(
            name=spec.name,
            level=spec.level.value,
            classification=spec.data.classification.value,
            personal=spec.data.personal_information.value,
        ),
        _("CIDR {cidr}, egress {egress}").format(
            cidr=spec.network.cidr, egress=spec.network.egress.value
        ),
        _("owners {group}: {emails}").format(
            group=spec.owners.group, emails=", ".join(c.email for c in spec.owners.contacts)
        ),
    ]


def _removal(spec: TenantSpec, today: dt.date) -> list[str]:
    """A removed file is a decommissioning: what the next deploys will do."""
    since = spec.lifecycle.since or today
    ends = since + dt.timedelta(days=spec.data.retention_days or 0)
    return [
        _(
            "decommissioning: the next deploy revokes all access (bindings, operator grants, "
            "peerings)"
        ),
        _(
            "its bucket and data are kept until {ends} (retention {days} days), then the "
            "stack is destroyed"
        ).format(ends=ends.isoformat(), days=spec.data.retention_days or 0),
    ]


def _network(before: TenantSpec, after: TenantSpec) -> list[str]:
    out: list[str] = []
    b, a = before.network, after.network
    if b.egress != a.egress:
        out.append(_("egress {old} → {new}").format(old=b.egress.value, new=a.egress.value))
    if b.cidr != a.cidr:
        out.append(f"CIDR {b.cidr} → {a.cidr}")
    old_peers, new_peers = {p.tenant for p in b.peers}, {p.tenant for p in a.peers}
    out += [_("peer added: {peer}").format(peer=p) for p in sorted(new_peers - old_peers)]
    out += [_("peer removed: {peer}").format(peer=p) for p in sorted(old_peers - new_peers)]
    old_svc, new_svc = set(b.shared_services), set(a.shared_services)
    out += [
        _("shared service added: {service}").format(service=s) for s in sorted(new_svc - old_svc)
    ]
    out += [
        _("shared service removed: {service}").format(service=s) for s in sorted(old_svc - new_svc)
    ]
    return out


def _changed_fields(before: TenantSpec, after: TenantSpec) -> list[str]:
    return [
        name for name in type(after).model_fields if getattr(before, name) != getattr(after, name)
    ]


def _peerings(specs: Sequence[TenantSpec]) -> set[str]:
    return {
        " ↔ ".join(sorted((s.id, p.tenant))) + f" ({p.agreement})"
        for s in specs
        for p in s.network.peers
    }


def _grants(specs: Sequence[TenantSpec]) -> set[str]:
    return {
        _("{tenant}: {group} {scope} until {expires} ({document})").format(
            tenant=s.id, group=g.group, scope=g.scope.value, expires=g.expires, document=g.document
        )
        for s in specs
        for g in s.access
    }


def _satisfied(specs: Sequence[TenantSpec]) -> set[str]:
    fleet = {s.id: s for s in specs}
    return {
        f"{r.provider} → {s.id}: {r.dataset or r.data}"
        for s in specs
        for r in s.data_requests
        if request_state(s, r, fleet) is RequestState.satisfied
    }


def _pending(head: Sequence[TenantSpec], touched: set[str], today: dt.date) -> list[str]:
    """Pending requests to or from a department this change touches (both sides' PRs)."""
    return [
        g.render(today)
        for g in pending_groups(head)
        if g.provider in touched or g.requester in touched
    ]


def compare(
    base: Sequence[TenantSpec],
    head: Sequence[TenantSpec],
    env: EnvironmentSpec,
    *,
    today: dt.date | None = None,
) -> FleetChange:
    """Dictionaries by id on both sides: O(n)."""
    old = {s.id: s for s in base}
    new = {s.id: s for s in head}
    changes = []
    for tid in sorted(old.keys() | new.keys()):
        before, after = old.get(tid), new.get(tid)
        if before is None:
            assert after is not None
            changes.append(TenantChange(tid, "added", [], _deltas(None, after), _summary(after)))
        elif after is None:
            changes.append(
                TenantChange(
                    tid,
                    "removed",
                    [],
                    _deltas(before, None),
                    _removal(before, today or dt.date.today()),
                )
            )
        elif before != after:
            changes.append(
                TenantChange(
                    tid,
                    "changed",
                    _changed_fields(before, after),
                    _deltas(before, after),
                    _network(before, after),
                )
            )
    capacity = list(zip(capacity_usage(base, env), capacity_usage(head, env), strict=True))
    return FleetChange(
        tenants=changes,
        capacity=capacity,
        new_peerings=sorted(_peerings(head) - _peerings(base)),
        new_grants=sorted(_grants(head) - _grants(base)),
        satisfied_requests=sorted(_satisfied(head) - _satisfied(base)),
        pending_requests=_pending(head, {c.id for c in changes}, today or dt.date.today()),
    )
