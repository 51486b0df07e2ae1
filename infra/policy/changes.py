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

from .capacity import Usage, capacity_usage, region_usage
from .context import q
from .placement import region_of
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
    # With regions: (region id, before, after) per resource, in the environment's order.
    region_capacity: list[tuple[str, Usage, Usage]] = field(default_factory=list)


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


def _summary(spec: TenantSpec, env: EnvironmentSpec) -> list[str]:
    """An added tenant at a glance."""
    region = (
        [_("region {region} ({name})").format(region=r.id, name=r.name)]
        if env.regions and (r := region_of(spec, env))
        else []
    )
    return [
        *region,
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


def _peerings(specs: Sequence[TenantSpec], env: EnvironmentSpec) -> set[str]:
    """Declared peerings; one across regions says so (``A ↔ B (agreement), cross-region
    r1 ↔ r2``)."""
    where = {s.id: region_of(s, env).id for s in specs} if env.regions else {}
    out = set()
    for s in specs:
        for p in s.network.peers:
            text = " ↔ ".join(sorted((s.id, p.tenant))) + f" ({p.agreement})"
            mine, theirs = where.get(s.id), where.get(p.tenant)
            if mine and theirs and mine != theirs:
                pair = dict(zip((s.id, p.tenant), (mine, theirs), strict=True))
                text += ", " + _("cross-region {regions}").format(
                    regions=" ↔ ".join(pair[t] for t in sorted(pair))
                )
            out.add(text)
    return out


def _move(
    before: TenantSpec,
    after: TenantSpec,
    was: EnvironmentSpec,
    env: EnvironmentSpec,
    today: dt.date,
) -> list[str]:
    """A tenant whose region changes (its placement, or the environment's regions): the
    planned move, explained (executed by a later release; deploy does not move tenants
    yet)."""
    if not (was.regions or env.regions):
        return []
    old, new = region_of(before, was), region_of(after, env)
    if old.id == new.id:
        return []
    days = after.data.retention_days or 0
    return [
        _("moves from region {old} ({old_name}) to region {new} ({new_name})").format(
            old=old.id, old_name=old.name, new=new.id, new_name=new.name
        ),
        _(
            "planned move: 1. the tenant is created in {new} first; 2. its data is copied "
            "there; 3. cut over to {new}; 4. {old} keeps the old copy until the retention "
            "rule allows its destruction (retention {days} days, not before {ends})"
        ).format(
            new=new.id, old=old.id, days=days, ends=(today + dt.timedelta(days=days)).isoformat()
        ),
        _(
            "this release only explains the move: deploy still runs every tenant in one "
            "cluster; moving between regions is carried out by a later release"
        ),
    ]


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
    base_env: EnvironmentSpec | None = None,
) -> FleetChange:
    """Dictionaries by id on both sides: O(n). ``base_env`` is the environment at the base
    (default ``env``): a region added or changed there moves tenants too."""
    old = {s.id: s for s in base}
    new = {s.id: s for s in head}
    was = base_env or env
    day = today or dt.date.today()
    changes = []
    for tid in sorted(old.keys() | new.keys()):
        before, after = old.get(tid), new.get(tid)
        move = (
            _move(before, after, was, env, day) if before is not None and after is not None else []
        )
        if before is None:
            assert after is not None
            changes.append(
                TenantChange(tid, "added", [], _deltas(None, after), _summary(after, env))
            )
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
        elif before != after or move:
            assert before is not None
            changes.append(
                TenantChange(
                    tid,
                    "changed",
                    _changed_fields(before, after),
                    _deltas(before, after),
                    move + _network(before, after),
                )
            )
    capacity = list(zip(capacity_usage(base, env), capacity_usage(head, env), strict=True))
    return FleetChange(
        tenants=changes,
        capacity=capacity,
        new_peerings=sorted(_peerings(head, env) - _peerings(base, was)),
        new_grants=sorted(_grants(head) - _grants(base)),
        satisfied_requests=sorted(_satisfied(head) - _satisfied(base)),
        pending_requests=_pending(head, {c.id for c in changes}, day),
        region_capacity=_region_capacity(base, head, was, env),
    )


def _region_capacity(
    base: Sequence[TenantSpec],
    head: Sequence[TenantSpec],
    was: EnvironmentSpec,
    env: EnvironmentSpec,
) -> list[tuple[str, Usage, Usage]]:
    if not env.regions:
        return []
    before, after = region_usage(base, was), region_usage(head, env)
    out = []
    for region, usages in after.items():
        old = before.get(region) or [Usage(u.resource, Decimal(0), u.available) for u in usages]
        out += [(region, b, a) for b, a in zip(old, usages, strict=True)]
    return out
