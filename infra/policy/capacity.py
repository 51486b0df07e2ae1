"""Cluster capacity: the sum of all quotas against capacity × overcommit."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal

from infra.i18n import _
from infra.spec import EnvironmentSpec, TenantSpec
from infra.spec.environment import Capacity
from infra.spec.quantity import format_quantity
from infra.spec.regions import Region, regions_of

from .context import q

__all__ = ["RESOURCES", "Usage", "capacity_usage", "region_usage"]

RESOURCES = ("cpu", "memory", "storage")


@dataclass(frozen=True)
class Usage:
    resource: str
    used: Decimal
    available: Decimal

    @property
    def fraction(self) -> float:
        return float(self.used / self.available) if self.available else float("inf")

    @property
    def unit(self) -> str:
        """What ``used`` and ``available`` count: CPU cores, or bytes of memory and storage."""
        return "cores" if self.resource == "cpu" else "bytes"

    @property
    def over(self) -> bool:
        return self.used > self.available

    def render(self) -> str:
        binary = self.resource != "cpu"
        return _("{resource} {used} of {available} ({fraction:.0%})").format(
            resource=self.resource,
            used=format_quantity(self.used, binary=binary),
            available=format_quantity(self.available, binary=binary),
            fraction=self.fraction,
        )


def capacity_usage(specs: Iterable[TenantSpec], env: EnvironmentSpec) -> list[Usage]:
    """Quota sums per resource; CPU and memory may be overcommitted, storage may not."""
    return _usage(specs, env.capacity)


def region_usage(
    specs: Iterable[TenantSpec],
    env: EnvironmentSpec,
    where: Callable[[TenantSpec], Region] | None = None,
) -> dict[str, list[Usage]]:
    """``capacity_usage`` per region (by id, in the environment's order), each tenant
    counted where it is placed (``where``, default ``placement.region_of``)."""
    from .placement import region_of

    regions = regions_of(env)
    placed: dict[str, list[TenantSpec]] = {r.id: [] for r in regions}
    for spec in specs:
        placed[(where(spec) if where else region_of(spec, env)).id].append(spec)
    return {r.id: _usage(placed[r.id], r.capacity) for r in regions}


def _usage(specs: Iterable[TenantSpec], capacity: Capacity) -> list[Usage]:
    totals = dict.fromkeys(RESOURCES, Decimal(0))
    for spec in specs:
        for name in RESOURCES:
            totals[name] += q(getattr(spec.quotas, name))
    ratio = Decimal(str(capacity.overcommit))
    usage = []
    for name in RESOURCES:
        available = q(getattr(capacity, name))
        if name != "storage":
            available *= ratio
        usage.append(Usage(name, totals[name], available))
    return usage
