"""Capacity by level and city, the largest consumers, and cost against budget."""

from __future__ import annotations

from decimal import Decimal

from infra.bureau.capacity import PROVINCE, capacity_view, city_of
from infra.bureau.cost import cost_view
from infra.policy import capacity_usage
from infra.policy.cost import annual_cost
from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import TenantSpec


def _by_id(specs: list[TenantSpec]) -> dict[str, TenantSpec]:
    return {s.id: s for s in specs}


def test_totals_agree_with_the_capacity_rule(specs: list[TenantSpec], env: EnvironmentSpec) -> None:
    view = capacity_view(specs, env)
    rule = {u.resource: u for u in capacity_usage(specs, env)}
    for allocation in view.total[:3]:
        assert allocation.allocated == rule[allocation.resource].used
        assert allocation.available == rule[allocation.resource].available
    cpu = view.total[0]
    assert cpu.headroom == Decimal(768) - Decimal(472)
    pods = view.total[3]
    assert pods.allocated == sum(s.quotas.pods for s in specs) and pods.available is None


def test_levels_and_cities_partition_the_fleet(
    specs: list[TenantSpec], env: EnvironmentSpec
) -> None:
    view = capacity_view(specs, env)
    assert list(view.by_level) == ["province", "city", "county"]
    for groups in (view.by_level, view.by_city):
        for i, total in enumerate(view.total):
            assert sum(g[i].allocated for g in groups.values()) == total.allocated
    ids = _by_id(specs)
    assert city_of(ids["th-zwsjj"]) == "440100"  # Tianhe district belongs to Guangzhou
    assert city_of(ids["gz-wjw"]) == "440100"
    assert city_of(ids["gd-gat"]) == PROVINCE
    guangzhou_cpu = sum(
        Decimal(ids[t].quotas.cpu) for t in ("gz-gaj", "gz-wjw", "gz-zwsjj", "th-zwsjj")
    )
    assert view.by_city["440100"][0].allocated == guangzhou_cpu


def test_largest_consumers_are_ten_biggest_first(
    specs: list[TenantSpec], env: EnvironmentSpec
) -> None:
    largest = capacity_view(specs, env).largest
    assert len(largest) == 10
    assert largest[0].tenant == "gd-gat"  # 128 of 768 vCPU
    assert [c.share for c in largest] == sorted((c.share for c in largest), reverse=True)


def test_annual_cost_at_list_prices(specs: list[TenantSpec], env: EnvironmentSpec) -> None:
    assert env.prices is not None
    gat = annual_cost(_by_id(specs)["gd-gat"], env.prices)
    # 128 vCPU × 180 + 512 GiB × 45 + 60 TiB × 900 + one dedicated key × 60 + a bucket × 30
    assert gat.total == (128 * 180 + 512 * 45 + 60 * 900 + 60 + 30) * 12
    general = annual_cost(_by_id(specs)["th-zwsjj"], env.prices)
    assert general.keys == 0  # general data without sensitive information: the platform key


def test_cost_view_flags_departments_over_budget(
    specs: list[TenantSpec], env: EnvironmentSpec
) -> None:
    th = _by_id(specs)["th-zwsjj"]
    poor = th.model_copy(update={"budget": th.budget.model_copy(update={"annual_cny": 1000})})
    view = cost_view([*specs, poor.model_copy(update={"id": "th-poor"})], env)
    assert [line.tenant for line in view.over] == ["th-poor"]
    share = view.lines[0].share
    assert view.lines[0].tenant == "th-poor" and share is not None and share > 50
    assert view.total == sum(line.cost.total for line in view.lines)


def test_without_a_price_catalogue_nothing_is_costed(
    specs: list[TenantSpec], env: EnvironmentSpec
) -> None:
    view = cost_view(specs, env.model_copy(update={"prices": None}))
    assert not view.priced and view.lines == []
