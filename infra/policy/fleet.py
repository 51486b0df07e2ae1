"""Rules over the whole fleet, each O(n log n) or better: never pairwise.

- uniqueness: dictionaries keyed by id and credit code;
- overlaps: CIDRs (and reserved ranges) sorted by start address, compared with the widest
  range seen so far — any overlap shows up between neighbours in that order;
- peers: a dict of declared (from, to) -> agreement, looked up in reverse; a peering with a
  decommissioning tenant is reported on both ends, since deploy drops it;
- capacity: sums, for the environment and (with regions) per region;
- regions: a peering across regions needs both regions' permission.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator, Sequence
from typing import NamedTuple

from infra.i18n import _
from infra.spec import EnvironmentSpec, LoadedTenant, TenantSpec
from infra.spec.tenant import LifecycleState

from .capacity import capacity_usage, region_usage
from .context import Context, Issue

__all__ = ["FleetIssue", "check_fleet"]


class FleetIssue(NamedTuple):
    tenant: LoadedTenant | None
    issue: Issue


def check_fleet(tenants: Sequence[LoadedTenant], ctx: Context) -> Iterator[FleetIssue]:
    yield from _unique(tenants)
    yield from _overlaps(tenants, ctx.env)
    yield from _peers(tenants, ctx)
    for usage in capacity_usage((t.spec for t in tenants), ctx.env):
        if usage.over:
            yield FleetIssue(
                None,
                Issue(
                    "GC010",
                    ("quotas", usage.resource),
                    _("all tenants together ask for {usage}").format(usage=usage.render()),
                ),
            )
    if ctx.env.regions:
        yield from _region_capacity(tenants, ctx)


def _region_capacity(tenants: Sequence[LoadedTenant], ctx: Context) -> Iterator[FleetIssue]:
    """Each region's tenants against its own capacity (found at regions[i].capacity)."""
    index = {r.id: i for i, r in enumerate(ctx.env.regions)}
    for region, usages in region_usage((t.spec for t in tenants), ctx.env, ctx.region_of).items():
        for usage in usages:
            if usage.over:
                yield FleetIssue(
                    None,
                    Issue(
                        "GC010",
                        ("regions", index[region], "capacity", usage.resource),
                        _("the tenants placed on region {region!r} ask for {usage}").format(
                            region=region, usage=usage.render()
                        ),
                    ),
                )


def _unique(tenants: Sequence[LoadedTenant]) -> Iterator[FleetIssue]:
    for field in ("id", "credit_code"):
        first: dict[str, LoadedTenant] = {}
        for tenant in tenants:
            value = getattr(tenant.spec, field)
            if value in first:
                yield FleetIssue(
                    tenant,
                    Issue(
                        "GC003",
                        (field,),
                        _("{value!r} is already used by {path}").format(
                            value=value, path=first[value].path
                        ),
                    ),
                )
            else:
                first[value] = tenant


class _Range(NamedTuple):
    start: int
    end: int
    label: str
    tenant: LoadedTenant | None


def _overlaps(tenants: Sequence[LoadedTenant], env: EnvironmentSpec) -> Iterator[FleetIssue]:
    reserved = [
        (cidr, _("reserved range {cidr}").format(cidr=cidr)) for cidr in env.network.reserved
    ]
    reserved += [  # each region's own reserved ranges
        (cidr, _("reserved range {cidr} of region {region!r}").format(cidr=cidr, region=r.id))
        for r in env.regions
        for cidr in r.network.reserved
    ]
    ranges = []
    for cidr, label in reserved:
        net = ipaddress.IPv4Network(cidr)
        ranges.append(_Range(int(net.network_address), int(net.broadcast_address), label, None))
    for tenant in tenants:
        net = ipaddress.IPv4Network(tenant.spec.network.cidr)
        ranges.append(
            _Range(
                int(net.network_address),
                int(net.broadcast_address),
                _("{cidr} of tenant {tenant}").format(cidr=net, tenant=tenant.spec.id),
                tenant,
            )
        )
    ranges.sort(key=lambda r: (r.start, -r.end))
    widest: _Range | None = None
    for current in ranges:
        if widest is not None and current.start <= widest.end:
            for here, there in ((current, widest), (widest, current)):
                if here.tenant is not None:
                    yield FleetIssue(
                        here.tenant,
                        Issue(
                            "GC012",
                            ("network", "cidr"),
                            _("overlaps {other}").format(other=there.label),
                        ),
                    )
        if widest is None or current.end > widest.end:
            widest = current


def _peers(tenants: Sequence[LoadedTenant], ctx: Context) -> Iterator[FleetIssue]:
    by_id = {t.spec.id: t for t in tenants}
    declared: dict[tuple[str, str], str] = {}
    for tenant in tenants:
        for peer in tenant.spec.network.peers:
            declared.setdefault((tenant.spec.id, peer.tenant), peer.agreement)
    for tenant in tenants:
        me = tenant.spec
        seen: set[str] = set()
        for i, peer in enumerate(me.network.peers):
            at = ("network", "peers", i, "tenant")
            other = by_id.get(peer.tenant)
            if peer.tenant in seen or peer.tenant == me.id:
                yield FleetIssue(
                    tenant,
                    Issue(
                        "GC013",
                        at,
                        _("{peer!r} is listed twice").format(peer=peer.tenant)
                        if peer.tenant in seen
                        else _("a tenant cannot peer with itself"),
                    ),
                )
                continue
            seen.add(peer.tenant)
            if other is None:
                yield FleetIssue(
                    tenant, Issue("GC013", at, _("no tenant {peer!r}").format(peer=peer.tenant))
                )
                continue
            inactive = _inactive_peering(me, other.spec)
            if inactive:
                yield FleetIssue(tenant, Issue("GC028", at, inactive))
                continue
            back = declared.get((peer.tenant, me.id))
            if back is None:
                yield FleetIssue(
                    tenant,
                    Issue(
                        "GC013",
                        at,
                        _("{peer!r} does not declare a peering back to {me!r}").format(
                            peer=peer.tenant, me=me.id
                        ),
                    ),
                )
            elif back != peer.agreement:
                yield FleetIssue(
                    tenant,
                    Issue(
                        "GC013",
                        ("network", "peers", i, "agreement"),
                        _("{agreement!r} differs from {back!r} cited by {peer!r}").format(
                            agreement=peer.agreement, back=back, peer=peer.tenant
                        ),
                    ),
                )
            mine_at, theirs_at = ctx.region_of(me), ctx.region_of(other.spec)
            if not mine_at.may_peer(theirs_at):
                yield FleetIssue(
                    tenant,
                    Issue(
                        "GC037",
                        at,
                        _(
                            "{peer!r} runs on region {theirs!r} and this tenant on {mine!r}; "
                            "the two regions do not both permit peering (peers_with)"
                        ).format(peer=peer.tenant, theirs=theirs_at.id, mine=mine_at.id),
                    ),
                )
            theirs = other.spec.data.classification
            if theirs.rank < me.data.classification.rank:
                yield FleetIssue(
                    tenant,
                    Issue(
                        "GC016",
                        at,
                        _(
                            "{mine} data may not flow to {peer!r}, which holds only {theirs} data"
                        ).format(
                            mine=me.data.classification.value, peer=peer.tenant, theirs=theirs.value
                        ),
                    ),
                )


def _inactive_peering(me: TenantSpec, other: TenantSpec) -> str | None:
    """Why a declared peering can never be deployed (either end decommissioning), or None."""
    for leaving in (me, other):
        if leaving.lifecycle.state is LifecycleState.decommissioning:
            since = leaving.lifecycle.since
            if leaving is me:
                message = (
                    _(
                        "this tenant is decommissioning: deploy drops this peering and "
                        "its data-sharing agreement"
                    )
                    if since is None
                    else _(
                        "this tenant is decommissioning since {since}: deploy drops this "
                        "peering and its data-sharing agreement"
                    )
                )
            else:
                message = (
                    _(
                        "{other!r} is decommissioning: deploy drops this peering and its "
                        "data-sharing agreement"
                    )
                    if since is None
                    else _(
                        "{other!r} is decommissioning since {since}: deploy drops this peering "
                        "and its data-sharing agreement"
                    )
                )
            return message.format(other=other.id, since=since)
    return None
