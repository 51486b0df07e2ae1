"""The report's capacity section per region: each region's tenants against its own
capacity, and the peerings that cross regions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from infra.bureau import build_report
from infra.bureau.capacity import capacity_view
from infra.bureau.render_json import render_json
from infra.bureau.render_md import render_markdown
from infra.policy.capacity import region_usage
from infra.spec import EnvironmentSpec, load_environment, load_tenants
from infra.spec.git import SharingHistory
from infra.spec.tenant import TenantSpec

from .conftest import ROOT, TODAY

FLEET = ROOT / "tests" / "fixtures" / "regions" / "tenants"


@pytest.fixture(scope="module")
def province() -> EnvironmentSpec:
    return load_environment("province", ROOT / "docs" / "examples")


@pytest.fixture(scope="module")
def fleet() -> list[TenantSpec]:
    return [t.spec for t in load_tenants([Path(FLEET)])]


def test_each_region_is_measured_against_its_own_capacity(
    province: EnvironmentSpec, fleet: list[TenantSpec]
) -> None:
    view = capacity_view(fleet, province)
    assert list(view.by_region) == ["province", "guangzhou", "shenzhen"]
    assert view.region_names["guangzhou"] == "广州节点"
    rule = region_usage(fleet, province)
    for region, allocations in view.by_region.items():
        assert [a.allocated for a in allocations[:3]] == [u.used for u in rule[region]]
        assert [a.available for a in allocations[:3]] == [u.available for u in rule[region]]
    # The regions partition the fleet.
    for i, total in enumerate(view.total):
        assert sum(r[i].allocated for r in view.by_region.values()) == total.allocated


def test_peerings_across_regions_are_listed_once(
    province: EnvironmentSpec, fleet: list[TenantSpec]
) -> None:
    crossing = {p.tenants: p.regions for p in capacity_view(fleet, province).cross_region}
    assert crossing == {
        ("gd-gat", "gz-gaj"): ("province", "guangzhou"),
        ("gd-wjw", "gz-wjw"): ("province", "guangzhou"),
        ("gd-zsj", "gz-zwsjj"): ("province", "guangzhou"),
        ("gd-zsj", "sz-zwfwsjj"): ("province", "shenzhen"),
    }


def test_the_report_shows_regions_only_when_the_environment_has_them(
    province: EnvironmentSpec, fleet: list[TenantSpec], env: EnvironmentSpec
) -> None:
    report = build_report(fleet, province, today=TODAY, history=SharingHistory())
    page = render_markdown(report)
    assert "### By region" in page and "guangzhou (广州节点)" in page
    assert "### Peerings across regions" in page and "gd-zsj ↔ sz-zwfwsjj" in page
    data = json.loads(render_json(report))
    assert data["capacity"]["by_region"]["shenzhen"][0]["available"] == 4000 * 1.2
    plain = render_markdown(build_report(fleet, env, today=TODAY, history=SharingHistory()))
    assert "By region" not in plain and "across regions" not in plain
