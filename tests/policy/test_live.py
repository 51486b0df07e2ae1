"""The compliance rules judge a Tenant object's spec as they judge a file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from infra.policy.live import fleet_refusals, refusals
from infra.spec.load import load_environment, load_tenants
from infra.spec.tenant import TenantSpec

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 11, 28)


def _fleet() -> dict:
    return {t.spec.id: t.spec for t in load_tenants([ROOT / "tenants"])}


def _with_cpu(spec: TenantSpec, cpu: str) -> TenantSpec:
    data = spec.model_dump(mode="json")
    data["quotas"]["cpu"] = cpu
    return TenantSpec.model_validate(data)


def test_an_approved_spec_is_not_refused() -> None:
    env = load_environment("local", ROOT / "stacks")
    fleet = _fleet()
    assert refusals(fleet["gz-wjw"], fleet, env, TODAY) == []


def test_a_tenant_edited_past_its_ceiling_is_refused_with_the_rule() -> None:
    env = load_environment("local", ROOT / "stacks")
    fleet = _fleet()
    edited = _with_cpu(fleet["gz-wjw"], "5000")
    found = refusals(edited, fleet, env, TODAY)
    assert found and all(f.path == str(Path("Tenant") / "gz-wjw") for f in found)
    assert {f.field for f in found} >= {"quotas.cpu"}


def test_an_override_accepts_exactly_the_rules_it_names() -> None:
    env = load_environment("local", ROOT / "stacks")
    fleet = _fleet()
    edited = _with_cpu(fleet["gz-wjw"], "5000")
    rules = sorted({f.rule for f in refusals(edited, fleet, env, TODAY)})
    assert rules
    assert refusals(edited, fleet, env, TODAY, accepted=rules) == []
    assert {f.rule for f in refusals(edited, fleet, env, TODAY, accepted=rules[:-1])} == {rules[-1]}


def test_judging_the_fleet_at_once_gives_each_tenant_what_judging_it_alone_does() -> None:
    env = load_environment("local", ROOT / "stacks")
    fleet = _fleet()
    fleet["gz-wjw"] = _with_cpu(fleet["gz-wjw"], "5000")
    at_once = fleet_refusals(fleet, env, TODAY)
    assert at_once["gz-wjw"]
    for tenant, spec in fleet.items():
        alone = refusals(spec, fleet, env, TODAY)
        assert sorted(map(repr, at_once.get(tenant, []))) == sorted(map(repr, alone)), tenant


def _decommissioning(spec: TenantSpec) -> TenantSpec:
    """The spec deploy judges when a tenant's file is gone: its last, decommissioning (its
    peerings were removed on both ends before, as GC028 asks)."""
    data = spec.model_dump(mode="json")
    data["lifecycle"] = {"state": "decommissioning", "since": TODAY.isoformat()}
    data["network"]["peers"] = []
    return TenantSpec.model_validate(data)


def _without_peer(spec: TenantSpec, peer: str) -> TenantSpec:
    data = spec.model_dump(mode="json")
    data["network"]["peers"] = [p for p in data["network"]["peers"] if p["tenant"] != peer]
    return TenantSpec.model_validate(data)


def test_removing_a_requester_with_its_provider_is_not_refused_for_its_own_requests() -> None:
    # gz-zwsjj requests data (datasets and peering-era data) from gd-rst and gd-jyt; both it
    # and gd-rst are removed in one change: the removed requester's requests are revoked first
    # and deliver nothing, so the fleet without its provider is no reason to refuse it.
    env = load_environment("local", ROOT / "stacks")
    fleet = _fleet()
    removed = _decommissioning(fleet.pop("gz-zwsjj"))
    fleet.pop("gd-rst")
    fleet["gd-zsj"] = _without_peer(fleet["gd-zsj"], "gz-zwsjj")
    assert any(r.provider == "gd-rst" for r in removed.data_requests)
    assert refusals(removed, fleet, env, TODAY) == []
    # an active requester naming a provider that is gone is still refused
    active = _fleet()["gz-zwsjj"]
    found = refusals(active, fleet, env, TODAY)
    assert [(f.rule, f.field) for f in found if f.rule == "GC030"]
