"""Cost vs budget: each department's quotas at list prices against its approved budget."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from infra.policy.cost import AnnualCost, annual_cost
from infra.spec import EnvironmentSpec, TenantSpec

__all__ = ["CostLine", "CostView", "cost_view"]


@dataclass(frozen=True)
class CostLine:
    tenant: str
    name: str
    cost: AnnualCost
    budget: int

    @property
    def share(self) -> float | None:
        """Cost over budget; None while no budget is approved (0)."""
        return float(self.cost.total / self.budget) if self.budget else None

    @property
    def over(self) -> bool:
        return self.budget > 0 and self.cost.total > self.budget


@dataclass(frozen=True)
class CostView:
    priced: bool
    lines: list[CostLine]  # most expensive relative to budget first

    @property
    def total(self) -> Decimal:
        return sum((line.cost.total for line in self.lines), Decimal(0))

    @property
    def budget(self) -> int:
        return sum(line.budget for line in self.lines)

    @property
    def over(self) -> list[CostLine]:
        return [line for line in self.lines if line.over]


def cost_view(specs: Sequence[TenantSpec], env: EnvironmentSpec) -> CostView:
    prices = env.prices
    if prices is None:
        return CostView(priced=False, lines=[])
    lines = [CostLine(s.id, s.name, annual_cost(s, prices), s.budget.annual_cny) for s in specs]
    lines.sort(key=lambda line: (-(line.share or 0.0), line.tenant))
    return CostView(priced=True, lines=lines)
