"""What a department's quotas cost a year at the environment's list prices."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from decimal import Decimal

from infra.i18n import _
from infra.spec import TenantSpec
from infra.spec.environment import Prices
from infra.spec.tenant import Classification, PersonalInformation

from .context import Context, Issue, q

__all__ = ["AnnualCost", "annual_cost", "check_cost", "has_dedicated_key", "metered_cost"]

_GIB = Decimal(2) ** 30
_TIB = Decimal(2) ** 40


def has_dedicated_key(spec: TenantSpec) -> bool:
    """Important and core data, sensitive personal information, or asked for: own key."""
    return (
        spec.data.dedicated_key
        or spec.data.classification is not Classification.general
        or spec.data.personal_information is PersonalInformation.sensitive
    )


@dataclass(frozen=True)
class AnnualCost:
    """CNY per year, by priced item."""

    cpu: Decimal
    memory: Decimal
    storage: Decimal
    keys: Decimal
    buckets: Decimal

    @property
    def total(self) -> Decimal:
        return self.cpu + self.memory + self.storage + self.keys + self.buckets


def _per_year(monthly: float) -> Decimal:
    return Decimal(str(monthly)) * 12


def _priced(
    spec: TenantSpec, prices: Prices, cpu: Decimal, memory: Decimal, storage: Decimal
) -> AnnualCost:
    """CPU in cores, memory and storage in bytes, held for a year; the key and the bucket
    are a tenant's whatever it uses."""
    return AnnualCost(
        cpu=cpu * _per_year(prices.vcpu_month),
        memory=memory / _GIB * _per_year(prices.memory_gib_month),
        storage=storage / _TIB * _per_year(prices.storage_tib_month),
        keys=_per_year(prices.key_month) if has_dedicated_key(spec) else Decimal(0),
        buckets=_per_year(prices.bucket_month),
    )


def annual_cost(spec: TenantSpec, prices: Prices) -> AnnualCost:
    """What the quotas cost a year (the allocation, used or not)."""
    quotas = spec.quotas
    return _priced(spec, prices, q(quotas.cpu), q(quotas.memory), q(quotas.storage))


def metered_cost(spec: TenantSpec, prices: Prices, mean_use: Mapping[str, Decimal]) -> AnnualCost:
    """What a year at ``mean_use`` (the mean recorded use of cpu, memory, storage, in base
    units) costs at the same list prices: metered cost, annualized."""
    zero = Decimal(0)
    return _priced(
        spec,
        prices,
        mean_use.get("cpu", zero),
        mean_use.get("memory", zero),
        mean_use.get("storage", zero),
    )


def check_cost(spec: TenantSpec, ctx: Context) -> Iterator[Issue]:
    prices = ctx.env.prices
    if prices is None or spec.budget.annual_cny == 0:  # 0: no budget approved yet
        return
    cost = annual_cost(spec, prices).total
    if cost > spec.budget.annual_cny:
        yield Issue(
            "GC033",
            ("budget", "annual_cny"),
            _(
                "the quotas cost {cost:,.0f} CNY a year at {env} list prices, above the "
                "approved budget of {budget:,} CNY"
            ).format(cost=cost, env=ctx.env.name, budget=spec.budget.annual_cny),
        )
