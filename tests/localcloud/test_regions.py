"""A local cloud with regions at our own seam: small HTTP servers stand in for each region's
components, so starting every region in its own directory and ports, stopping one region
while the others run and starting it again on the ports it had are checked without the real
control plane (tests/e2e/test_regions_localcloud.py runs the real one)."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from infra.errors import InputError, LocalCloudError
from infra.localcloud import LocalCloud, cluster, regions
from infra.localcloud import components as components_module
from infra.localcloud.components import Component
from infra.localcloud.regions import RegionalCloud
from infra.spec.load import load_environment

STACKS = Path(__file__).resolve().parents[1] / "fixtures" / "regions" / "stacks"


def _server(name: str) -> Component:
    return Component(
        name,
        sys.executable,
        lambda lay: ["-m", "http.server", "--bind", "127.0.0.1", str(lay.ports[name])],
        health=lambda lay: f"http://127.0.0.1:{lay.ports[name]}/",
        version="test",
        ports=(name,),
        ready_seconds=20.0,
    )


@pytest.fixture
def cloud(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[RegionalCloud]:
    def fakes() -> tuple[Component, ...]:
        return (_server("cloud"), _server("metrics"))

    monkeypatch.setattr(cluster, "components", fakes)
    monkeypatch.setattr(components_module, "components", fakes)
    monkeypatch.setattr(regions, "ensure_tools", lambda tools, say: [])
    env = load_environment("regions-local", STACKS)
    rc = RegionalCloud.for_environment(
        tmp_path / "state", env, stacks_dir=STACKS, targets=tmp_path / "targets.yaml"
    )
    try:
        yield rc
    finally:
        rc.down(quiet=True)


def _health(rc: RegionalCloud) -> dict[str, bool]:
    by_region: dict[str, bool] = {}
    for s in rc.status():
        assert s.region is not None
        by_region[s.region] = by_region.get(s.region, True) and s.healthy
    return by_region


def test_every_region_runs_in_its_own_directory_on_its_own_ports(cloud: RegionalCloud) -> None:
    layouts = cloud.up(say=lambda _: None)
    assert list(layouts) == ["province", "guangzhou", "shenzhen"]
    assert {lay.state.name for lay in layouts.values()} == set(layouts)
    assert len({lay.ports["cloud"] for lay in layouts.values()}) == 3
    # one metrics store is enough: the regions run without theirs
    assert {s.name for s in cloud.status()} == {"cloud"}
    targets = yaml.safe_load((cloud.state.parent / "targets.yaml").read_text())
    assert targets["environment"] == "regions-local"
    assert targets["regions"]["guangzhou"]["cloud_endpoint"] == layouts["guangzhou"].cloud_url
    assert targets["regions"]["guangzhou"]["cloud_region"] == "cn-north-1"
    assert targets["regions"]["guangzhou"]["context"] == "guangzhou"


def test_a_stopped_region_keeps_its_ports_and_the_others_run(cloud: RegionalCloud) -> None:
    cloud.up(say=lambda _: None)
    ports = cloud.layouts()["shenzhen"].ports
    assert cloud.stop("shenzhen", say=lambda _: None)
    assert _health(cloud) == {"province": True, "guangzhou": True, "shenzhen": False}
    # a later command finds the regions in the state directory alone
    again = RegionalCloud.open(cloud.state)
    assert again.ids == cloud.ids
    assert _health(again)["shenzhen"] is False
    again.start("shenzhen", say=lambda _: None)
    assert all(_health(cloud).values())
    assert cloud.layouts()["shenzhen"].ports == ports


def test_an_unknown_region_and_a_log_without_region_are_refused(cloud: RegionalCloud) -> None:
    with pytest.raises(InputError, match=r"no region 'foshan' in this local cloud"):
        cloud.stop("foshan")
    with pytest.raises(
        InputError, match=re.escape("say whose log: --region province|guangzhou|shenzhen")
    ):
        cloud.logs("cloud")


def test_regions_do_not_start_beside_a_running_cloud_without_regions(
    cloud: RegionalCloud,
) -> None:
    single = LocalCloud(cloud.state, tools=())
    single.up(say=lambda _: None)
    try:
        with pytest.raises(LocalCloudError, match="runs a local cloud without regions"):
            cloud.up(say=lambda _: None)
    finally:
        single.down(quiet=True)
