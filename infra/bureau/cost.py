"""Cost vs budget: each department's quotas at list prices against its approved budget, and
beside it the metered cost: its mean recorded use over the metering period at the same
prices, annualized (only when a metrics store was read)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from infra.policy.cost import AnnualCost, annual_cost, metered_cost
from infra.spec import EnvironmentSpec, TenantSpec

__all__ = ["CostLine", "CostView", "cost_view"]


@dataclass(frozen=True)
class CostLine:
    tenant: str
    name: str
    level: str
    cost: AnnualCost  # the quotas (allocation)
    budget: int
    metered: AnnualCost | None = None  # the recorded use, annualized

    @property
    def share(self) -> float | None:
        """Cost over budget; None while no budget is approved (0)."""
        return float(self.cost.total / self.budget) if self.budget else None

    @property
    def over(self) -> bool:
        return self.budget > 0 and self.cost.total > self.budget


@dataclass(frozen=True)
class LevelCost:
    level: str
    allocated: Decimal
    metered: Decimal | None
    budget: int


@dataclass(frozen=True)
class CostView:
    priced: bool
    lines: list[CostLine]  # most expensive relative to budget first
    # The span the metered cost is the mean of; None when no metrics store was read.
    metered_period: dt.timedelta | None = None

    @property
    def total(self) -> Decimal:
        return sum((line.cost.total for line in self.lines), Decimal(0))

    @property
    def metered_total(self) -> Decimal | None:
        if self.metered_period is None:
            return None
        return sum((ln.metered.total for ln in self.lines if ln.metered), Decimal(0))

    @property
    def levels(self) -> list[LevelCost]:
        """Allocated and metered cost per level (province, city, county)."""
        out = []
        for level in sorted({line.level for line in self.lines}):
            mine = [line for line in self.lines if line.level == level]
            metered = (
                sum((ln.metered.total for ln in mine if ln.metered), Decimal(0))
                if self.metered_period is not None
                else None
            )
            out.append(
                LevelCost(
                    level,
                    sum((ln.cost.total for ln in mine), Decimal(0)),
                    metered,
                    sum(ln.budget for ln in mine),
                )
            )
        return out

    @property
    def budget(self) -> int:
        return sum(line.budget for line in self.lines)

    @property
    def over(self) -> list[CostLine]:
        return [line for line in self.lines if line.over]


def cost_view(
    specs: Sequence[TenantSpec],
    env: EnvironmentSpec,
    *,
    mean_use: Mapping[str, Mapping[str, Decimal]] | None = None,
    period: dt.timedelta | None = None,
) -> CostView:
    """``mean_use``: each tenant's mean recorded use over ``period`` (from the metrics store);
    a tenant the store has no record of is metered at zero use."""
    prices = env.prices
    if prices is None:
        return CostView(priced=False, lines=[])
    metering = mean_use is not None and period is not None
    lines = [
        CostLine(
            s.id,
            s.name,
            s.level.value,
            annual_cost(s, prices),
            s.budget.annual_cny,
            metered_cost(s, prices, (mean_use or {}).get(s.id, {})) if metering else None,
        )
        for s in specs
    ]
    lines.sort(key=lambda line: (-(line.share or 0.0), line.tenant))
    return CostView(priced=True, lines=lines, metered_period=period if metering else None)
