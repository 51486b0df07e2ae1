"""Capacity: what the fleet's quotas take of the cloud, by level and by city."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from infra.policy.context import q
from infra.spec import EnvironmentSpec, TenantSpec
from infra.spec.quantity import format_quantity
from infra.spec.tenant import Level

__all__ = ["RESOURCES", "Allocation", "CapacityView", "Consumer", "capacity_view", "city_of"]

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
class CapacityView:
    total: list[Allocation]
    by_level: dict[str, list[Allocation]]
    by_city: dict[str, list[Allocation]]
    largest: list[Consumer]


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


def _available(env: EnvironmentSpec) -> dict[str, Decimal | None]:
    ratio = Decimal(str(env.capacity.overcommit))
    cap = env.capacity
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
    available = _available(env)
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
    )
