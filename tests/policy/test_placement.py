"""Placement by rule, its override and disaster-recovery region checked; CIDRs, ceilings,
capacity and peerings judged per region."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from infra.policy import Severity, evaluate
from infra.policy.allocate import next_free_cidr
from infra.policy.capacity import region_usage
from infra.policy.placement import region_of, rule_region
from infra.spec import EnvironmentSpec, LoadedTenant, load_environment, load_tenants
from infra.spec.regions import regions_of
from infra.spec.tenant import Placement

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples"
FLEET = ROOT / "tests" / "fixtures" / "regions" / "tenants"
TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="module")
def env() -> EnvironmentSpec:
    return load_environment("province", EXAMPLE)


@pytest.fixture(scope="module")
def fleet() -> dict[str, LoadedTenant]:
    return {t.spec.id: t for t in load_tenants([FLEET])}


def _with(tenant: LoadedTenant, **fields: Any) -> LoadedTenant:
    """The tenant with some spec fields replaced (``network`` by a dict of its own)."""
    spec = tenant.spec
    if "network" in fields:
        fields["network"] = spec.network.model_copy(update=fields["network"])
    return dataclasses.replace(tenant, spec=spec.model_copy(update=fields))


def _findings(tenants: list[LoadedTenant], env: EnvironmentSpec, rule: str) -> list[Any]:
    return [f for f in evaluate(tenants, env, TODAY) if f.rule == rule]


@pytest.mark.parametrize(
    ("tenant", "region"),
    [
        ("gd-gat", "province"),  # province level
        ("gz-gaj", "guangzhou"),  # Guangzhou city level (440100)
        ("th-zwsjj", "guangzhou"),  # Tianhe district (440106) of Guangzhou
        ("sz-zwfwsjj", "shenzhen"),  # Shenzhen city level, important data
        ("nh-wsjkj", "province"),  # Nanhai district of Foshan: Foshan has no node
        ("st-wglj", "province"),  # Shantou: no node
    ],
)
def test_the_rule_places_a_department_on_its_citys_node_else_the_provincial_node(
    env: EnvironmentSpec, fleet: dict[str, LoadedTenant], tenant: str, region: str
) -> None:
    assert rule_region(fleet[tenant].spec, env).id == region
    assert region_of(fleet[tenant].spec, env).id == region


def test_core_data_of_a_city_whose_node_is_not_certified_for_it_goes_to_the_provincial_node(
    env: EnvironmentSpec, fleet: dict[str, LoadedTenant]
) -> None:
    spec = fleet["sz-zwfwsjj"].spec
    core = spec.model_copy(update={"data": spec.data.model_copy(update={"classification": "core"})})
    assert rule_region(core, env).id == "province"


def test_without_regions_every_tenant_is_in_the_one_implicit_region(
    fleet: dict[str, LoadedTenant],
) -> None:
    local = load_environment("local", ROOT / "stacks")
    assert {region_of(t.spec, local).id for t in fleet.values()} == {"local"}


def test_the_example_fleet_is_clean_with_three_regions(
    env: EnvironmentSpec, fleet: dict[str, LoadedTenant]
) -> None:
    findings = evaluate(list(fleet.values()), env, TODAY)
    assert [f for f in findings if f.severity is not Severity.note] == []


def test_an_override_against_the_rule_is_a_warning_naming_the_rules_region(
    env: EnvironmentSpec, fleet: dict[str, LoadedTenant]
) -> None:
    moved = _with(
        fleet["th-zwsjj"],
        placement=Placement(region="province"),
        network={"cidr": "10.64.10.0/24"},
    )
    (finding,) = _findings([moved], env, "GC035")
    assert finding.severity is Severity.warning
    assert finding.field == "placement.region"
    assert "'guangzhou', not 'province'" in finding.message
    assert region_of(moved.spec, env).id == "province"
    assert _findings([moved], env, "GC011") == []  # its CIDR is in the provincial pool


@pytest.mark.parametrize(
    ("placement", "message"),
    [
        (Placement(region="foshan"), "no region 'foshan' in this environment"),
        # Shenzhen's node is not certified for core data.
        (
            Placement(region="shenzhen", dr_region="province"),
            "region 'shenzhen' is not certified for core data",
        ),
    ],
)
def test_an_unknown_or_uncertified_region_is_an_error(
    env: EnvironmentSpec, fleet: dict[str, LoadedTenant], placement: Placement, message: str
) -> None:
    tenant = _with(fleet["gz-gaj"], placement=placement)
    findings = _findings([tenant], env, "GC034")
    assert any(message in f.message and f.severity is Severity.error for f in findings)


@pytest.mark.parametrize(
    ("placement", "message"),
    [
        (None, "important data needs a disaster-recovery region"),
        (Placement(dr_region="guangzhou"), "'guangzhou' is the tenant's own region"),
        (Placement(dr_region="hainan"), "no region 'hainan'"),
    ],
)
def test_important_data_needs_another_region_for_disaster_recovery(
    env: EnvironmentSpec,
    fleet: dict[str, LoadedTenant],
    placement: Placement | None,
    message: str,
) -> None:
    tenant = _with(fleet["gz-wjw"], placement=placement)
    (finding,) = _findings([tenant], env, "GC036")
    assert message in finding.message and finding.field == "placement.dr_region"


def test_a_dr_region_must_be_certified_for_the_data(
    env: EnvironmentSpec, fleet: dict[str, LoadedTenant]
) -> None:
    tenant = _with(fleet["gz-gaj"], placement=Placement(dr_region="shenzhen"))
    (finding,) = _findings([tenant], env, "GC036")
    assert "region 'shenzhen' is not certified for core data" in finding.message


def test_general_data_needs_no_dr_region_and_one_region_has_nowhere_to_copy_to(
    env: EnvironmentSpec, fleet: dict[str, LoadedTenant]
) -> None:
    assert _findings([fleet["th-zwsjj"]], env, "GC036") == []
    local = load_environment("local", ROOT / "stacks")
    core = [t for t in load_tenants([ROOT / "tenants"]) if t.spec.id == "gd-gat"]
    assert _findings(core, local, "GC036") == []


def test_a_cidr_outside_its_regions_pool_names_the_region(
    env: EnvironmentSpec, fleet: dict[str, LoadedTenant]
) -> None:
    tenant = _with(fleet["gz-gaj"], network={"cidr": "10.64.7.0/24"})
    (finding,) = _findings([tenant], env, "GC011")
    assert "outside the pool 10.68.0.0/14 of region 'guangzhou'" in finding.message


def test_a_peering_across_regions_needs_both_regions_permission(
    env: EnvironmentSpec, fleet: dict[str, LoadedTenant]
) -> None:
    pair = [fleet["gd-zsj"], fleet["sz-zwfwsjj"], fleet["gz-zwsjj"]]
    assert _findings(pair, env, "GC037") == []  # province and shenzhen permit each other
    closed = env.model_copy(
        update={
            "regions": [
                r.model_copy(update={"peers_with": []}) if r.id == "shenzhen" else r
                for r in env.regions
            ]
        }
    )
    findings = _findings(pair, closed, "GC037")
    assert sorted(f.tenant for f in findings) == ["gd-zsj", "sz-zwfwsjj"]
    assert all("does not both permit" in f.message or "do not both" in f.message for f in findings)


def test_capacity_is_judged_per_region_and_points_at_the_regions_capacity(
    env: EnvironmentSpec, fleet: dict[str, LoadedTenant]
) -> None:
    small = env.model_copy(
        update={
            "regions": [
                r.model_copy(update={"capacity": r.capacity.model_copy(update={"cpu": "100"})})
                if r.id == "guangzhou"
                else r
                for r in env.regions
            ]
        }
    )
    findings = _findings(list(fleet.values()), small, "GC010")
    assert [f.field for f in findings] == ["regions[1].capacity.cpu"]
    assert "region 'guangzhou'" in findings[0].message
    usage = region_usage([t.spec for t in fleet.values()], small)
    assert list(usage) == ["province", "guangzhou", "shenzhen"]
    guangzhou_cpu = sum(
        int(t.spec.quotas.cpu) for t in fleet.values() if region_of(t.spec, env).id == "guangzhou"
    )
    assert usage["guangzhou"][0].used == guangzhou_cpu


def test_ceilings_are_the_regions_own(env: EnvironmentSpec, fleet: dict[str, LoadedTenant]) -> None:
    gz = next(r for r in env.regions if r.id == "guangzhou")
    lower = gz.model_copy(
        update={
            "ceilings": {
                level: c.model_copy(update={"cpu": "4"}) for level, c in env.ceilings.items()
            }
        }
    )
    tight = env.model_copy(
        update={"regions": [lower if r.id == "guangzhou" else r for r in env.regions]}
    )
    over = {f.tenant for f in _findings(list(fleet.values()), tight, "GC008")}
    assert over and all(region_of(fleet[t].spec, env).id == "guangzhou" for t in over)


def test_the_next_free_cidr_is_taken_from_the_regions_pool(
    env: EnvironmentSpec, fleet: dict[str, LoadedTenant]
) -> None:
    province, guangzhou, shenzhen = regions_of(env)
    taken = [t.spec.network.cidr for t in fleet.values()]
    assert next_free_cidr(env, taken, region=guangzhou) == "10.68.0.0/24"
    assert next_free_cidr(env, taken, region=shenzhen) == "10.72.0.0/24"
    # The platform's reserved range is in the provincial pool: it is skipped there.
    assert next_free_cidr(env, taken, region=province) == "10.64.6.0/24"


def test_a_regions_own_reserved_range_is_not_given_to_a_tenant(
    env: EnvironmentSpec, fleet: dict[str, LoadedTenant]
) -> None:
    gz = next(r for r in env.regions if r.id == "guangzhou")
    reserving = env.model_copy(
        update={
            "regions": [
                gz.model_copy(
                    update={"network": gz.network.model_copy(update={"reserved": ["10.68.4.0/24"]})}
                )
                if r.id == "guangzhou"
                else r
                for r in env.regions
            ]
        }
    )
    (finding,) = _findings([fleet["th-zwsjj"]], reserving, "GC012")
    assert "reserved range 10.68.4.0/24 of region 'guangzhou'" in finding.message
    guangzhou = regions_of(reserving)[1]
    assert next_free_cidr(reserving, [], region=guangzhou) == "10.68.0.0/24"
    taken = ["10.68.0.0/24", "10.68.1.0/24", "10.68.2.0/24", "10.68.3.0/24"]
    assert next_free_cidr(reserving, taken, region=guangzhou) == "10.68.5.0/24"
