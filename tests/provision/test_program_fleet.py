"""A stack's program reads its tenant, that tenant's peers and the providers its requests
name (and, for a publisher of datasets, the tenants naming it), not the whole fleet, and
renders exactly the plan the whole fleet gives."""

from __future__ import annotations

import datetime as dt
import shutil
from pathlib import Path

import pytest

from infra.plan import render_tenant
from infra.provision.program import _fleet_around
from infra.spec.load import load_environment, load_tenants

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted(p.stem for p in (ROOT / "tenants").glob("*.yaml"))
TODAY = dt.date(2026, 11, 20)


@pytest.mark.parametrize("tenant", EXAMPLES)
def test_the_plan_from_tenant_and_peers_is_the_plan_from_the_whole_fleet(tenant: str) -> None:
    env = load_environment("local", ROOT / "stacks")
    fleet = {t.spec.id: t.spec for t in load_tenants([ROOT / "tenants"])}
    around = _fleet_around(ROOT / "tenants", tenant)
    spec = fleet[tenant]
    named = {p.tenant for p in spec.network.peers} | {r.provider for r in spec.data_requests}
    requesters = {
        s.id for s in fleet.values() if any(r.provider == tenant for r in s.data_requests)
    }
    expected = {tenant} | (named & set(fleet)) | (requesters if spec.data.datasets else set())
    assert set(around) == expected
    assert render_tenant(around[tenant], env, fleet=around, today=TODAY) == render_tenant(
        fleet[tenant], env, fleet=fleet, today=TODAY
    )


def test_only_the_named_files_are_read(tmp_path: Path) -> None:
    with_peer = next(t.spec for t in load_tenants([ROOT / "tenants"]) if t.spec.network.peers)
    shutil.copy(ROOT / "tenants" / f"{with_peer.id}.yaml", tmp_path)
    (tmp_path / "zz-broken.yaml").write_text("id: [not a tenant\n", encoding="utf-8")
    around = _fleet_around(tmp_path, with_peer.id)  # the broken file is never opened
    assert list(around) == [with_peer.id]  # its peers' files are absent: no peering


def test_a_removed_tenant_has_no_fleet(tmp_path: Path) -> None:
    assert _fleet_around(tmp_path, "gone") == {}
