"""Capacity: what the fleet's quotas take of the cloud, by level, by city and (when the
environment declares regions) by region, each region against its own capacity."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from infra.policy.context import q
from infra.policy.placement import region_of
from infra.spec import EnvironmentSpec, TenantSpec
from infra.spec.environment import Capacity
from infra.spec.quantity import format_quantity
from infra.spec.regions import regions_of
from infra.spec.tenant import Level

__all__ = [
    "RESOURCES",
    "Allocation",
    "CapacityView",
    "Consumer",
    "CrossRegionPeering",
    "capacity_view",
    "city_of",
]

RESOURCES = ("cpu", "memory", "storage", "pods")
PROVINCE = "省级"


@dataclass(frozen=True)
class Allocation:
    """One resource: quotas allocated against capacity × overcommit (None: not capped)."""

    resource: str
    allocated: Decimal
    available: Decimal | None

    @property
    def fraction(self) -> float | None:
        if self.available is None or self.available == 0:
            return None
        return float(self.allocated / self.available)

    @property
    def headroom(self) -> Decimal | None:
        return None if self.available is None else self.available - self.allocated

    def amount(self, value: Decimal | None) -> str:
        return "—" if value is None else fmt(self.resource, value)


@dataclass(frozen=True)
class Consumer:
    tenant: str
    name: str
    share: float  # the largest fraction of capacity it holds of any resource
    allocated: dict[str, Decimal]


@dataclass(frozen=True)
class CrossRegionPeering:
    """A declared peering whose two tenants run in different regions."""

    tenants: tuple[str, str]
    regions: tuple[str, str]
    agreement: str


@dataclass(frozen=True)
class CapacityView:
    total: list[Allocation]
    by_level: dict[str, list[Allocation]]
    by_city: dict[str, list[Allocation]]
    largest: list[Consumer]
    # With regions: each region's allocation against its own capacity, and its name.
    by_region: dict[str, list[Allocation]] = field(default_factory=dict)
    region_names: dict[str, str] = field(default_factory=dict)
    cross_region: list[CrossRegionPeering] = field(default_factory=list)


def fmt(resource: str, value: Decimal) -> str:
    if resource == "pods":
        return f"{value:,.0f}"
    if resource == "cpu":
        return format_quantity(value.quantize(Decimal("0.001")), binary=False)
    return format_quantity(value, binary=True)


def city_of(spec: TenantSpec) -> str:
    """The prefecture-level city of a tenant's GB/T 2260 code (PROVINCE for the province)."""
    code = spec.division_code
    if code.endswith("0000"):
        return PROVINCE
    return code[:4] + "00"


def _amounts(spec: TenantSpec) -> dict[str, Decimal]:
    quotas = spec.quotas
    return {
        "cpu": q(quotas.cpu),
        "memory": q(quotas.memory),
        "storage": q(quotas.storage),
        "pods": Decimal(quotas.pods),
    }


def _available(cap: Capacity) -> dict[str, Decimal | None]:
    ratio = Decimal(str(cap.overcommit))
    return {
        "cpu": q(cap.cpu) * ratio,
        "memory": q(cap.memory) * ratio,
        "storage": q(cap.storage),
        "pods": None,
    }


def _sum(
    amounts: Iterable[dict[str, Decimal]], available: dict[str, Decimal | None]
) -> list[Allocation]:
    totals = dict.fromkeys(RESOURCES, Decimal(0))
    for amount in amounts:
        for name in RESOURCES:
            totals[name] += amount[name]
    return [Allocation(name, totals[name], available[name]) for name in RESOURCES]


def capacity_view(
    specs: Sequence[TenantSpec], env: EnvironmentSpec, *, top: int = 10
) -> CapacityView:
    """One pass over the fleet; groups share the cloud's capacity as their denominator."""
    available = _available(env.capacity)
    amounts = {s.id: _amounts(s) for s in specs}
    levels: dict[str, list[dict[str, Decimal]]] = {}
    cities: dict[str, list[dict[str, Decimal]]] = {}
    consumers = []
    for spec in specs:
        amount = amounts[spec.id]
        levels.setdefault(spec.level.value, []).append(amount)
        cities.setdefault(city_of(spec), []).append(amount)
        shares = [float(amount[r] / a) for r in RESOURCES if (a := available[r])]
        consumers.append(Consumer(spec.id, spec.name, max(shares, default=0.0), amount))
    consumers.sort(key=lambda c: (-c.share, c.tenant))
    return CapacityView(
        total=_sum(amounts.values(), available),
        by_level={
            lv.value: _sum(levels[lv.value], available) for lv in Level if lv.value in levels
        },
        by_city={k: _sum(v, available) for k, v in sorted(cities.items())},
        largest=consumers[:top],
        **_by_region(specs, env, amounts),
    )


def _by_region(
    specs: Sequence[TenantSpec], env: EnvironmentSpec, amounts: dict[str, dict[str, Decimal]]
) -> dict[str, Any]:
    """``by_region`` and ``region_names`` (empty without regions): tenants counted where
    their specs place them."""
    if not env.regions:
        return {}
    regions = regions_of(env)
    placed: dict[str, list[dict[str, Decimal]]] = {r.id: [] for r in regions}
    where = {s.id: region_of(s, env).id for s in specs}
    for spec in specs:
        placed[where[spec.id]].append(amounts[spec.id])
    return {
        "by_region": {r.id: _sum(placed[r.id], _available(r.capacity)) for r in regions},
        "region_names": {r.id: r.name for r in regions},
        "cross_region": _cross_region(specs, where),
    }


def _cross_region(specs: Sequence[TenantSpec], where: dict[str, str]) -> list[CrossRegionPeering]:
    """Each peering across regions once (declared by both sides or by one)."""
    found: dict[tuple[str, str], CrossRegionPeering] = {}
    for spec in specs:
        for peer in spec.network.peers:
            theirs = where.get(peer.tenant)
            if theirs is None or theirs == where[spec.id]:
                continue
            pair = tuple(sorted((spec.id, peer.tenant)))
            first, second = pair
            found.setdefault(
                (first, second),
                CrossRegionPeering((first, second), (where[first], where[second]), peer.agreement),
            )
    return [found[k] for k in sorted(found)]
