"""The plan: what each tenant gets, pure and deterministic."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from infra.errors import InputError
from infra.plan import dump_plan, mutual_peers, render_platform, render_tenant
from infra.plan.kube import grant_binding_name
from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import LifecycleState, TenantSpec

from .conftest import ROOT, TODAY

SNAPSHOTS = Path(__file__).parent / "snapshots"
TENANT_IDS = sorted(p.stem for p in (ROOT / "tenants").glob("*.yaml"))


@pytest.mark.parametrize("tenant", TENANT_IDS)
def test_plan_matches_snapshot(
    tenant: str, env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    rendered = dump_plan(render_tenant(fleet[tenant], env, fleet=fleet, today=TODAY))
    snapshot = SNAPSHOTS / f"{tenant}.yaml"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        snapshot.write_text(rendered)
    assert snapshot.exists(), f"no snapshot for {tenant}; run with UPDATE_SNAPSHOTS=1"
    assert rendered == snapshot.read_text(), f"plan of {tenant} changed; review the diff"


def test_platform_matches_snapshot(env: EnvironmentSpec) -> None:
    rendered = dump_plan(render_platform(env))
    snapshot = SNAPSHOTS / "platform.yaml"
    if os.environ.get("UPDATE_SNAPSHOTS") == "1":
        snapshot.write_text(rendered)
    assert rendered == snapshot.read_text()


def test_same_input_gives_byte_identical_output(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    for tenant in fleet.values():
        first = dump_plan(render_tenant(tenant, env, fleet=fleet, today=TODAY), "json")
        shuffled = dict(reversed(list(fleet.items())))
        second = dump_plan(render_tenant(tenant, env, fleet=shuffled, today=TODAY), "json")
        assert first == second


def _kinds(
    tenant: TenantSpec, env: EnvironmentSpec, fleet: dict[str, TenantSpec], today: dt.date = TODAY
) -> dict[str, dict[str, object]]:
    plan = render_tenant(tenant, env, fleet=fleet, today=today)
    return {o.key: o.manifest for o in plan.kube}


def test_every_namespace_is_restricted_with_quota_limits_and_default_deny(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    for tenant in fleet.values():
        objects = _kinds(tenant, env, fleet)
        ns = objects[f"Namespace/{tenant.id}"]
        labels = ns["metadata"]["labels"]  # type: ignore[index]
        assert labels["pod-security.kubernetes.io/enforce"] == "restricted"
        quota = objects[f"ResourceQuota/{tenant.id}/govcloud-quota"]
        hard = quota["spec"]["hard"]  # type: ignore[index]
        assert hard["services.nodeports"] == "0" and hard["services.loadbalancers"] == "0"
        assert hard["requests.cpu"] == tenant.quotas.cpu
        deny = objects[f"NetworkPolicy/{tenant.id}/govcloud-default-deny"]["spec"]
        assert deny == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}


def test_peering_needs_both_sides(env: EnvironmentSpec, fleet: dict[str, TenantSpec]) -> None:
    pairs = [(t, p.tenant) for t in fleet.values() for p in t.network.peers]
    assert pairs, "the examples should include peerings"
    tenant, peer = pairs[0]
    assert peer in mutual_peers(tenant, fleet)
    one_sided = fleet[peer].model_copy(
        update={"network": fleet[peer].network.model_copy(update={"peers": []})}
    )
    broken = {**fleet, peer: one_sided}
    assert peer not in mutual_peers(tenant, broken)
    objects = _kinds(tenant, env, broken)
    assert f"NetworkPolicy/{tenant.id}/govcloud-peer-{peer}" not in objects


def test_operator_grant_bound_only_inside_its_window(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    tenant = next(t for t in fleet.values() if t.access)
    grant = tenant.access[0]
    name = f"RoleBinding/{tenant.id}/{grant_binding_name(grant)}"
    assert name in _kinds(tenant, env, fleet, today=grant.granted)
    binding = _kinds(tenant, env, fleet, today=grant.expires)[name]
    assert (
        binding["metadata"]["annotations"][  # type: ignore[index]
            "govcloud.gd.gov.cn/document"
        ]
        == grant.document
    )
    after = grant.expires + dt.timedelta(days=1)
    assert name not in _kinds(tenant, env, fleet, today=after)


def test_a_renewal_renders_beside_the_grant_it_renews(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    tenant = next(t for t in fleet.values() if t.access)
    old = tenant.access[0]
    renewal = old.model_copy(
        update={
            "document": old.document.replace("〕", "〕9"),
            "granted": TODAY,
            "expires": old.expires.replace(year=old.expires.year + 1),
        }
    )
    renewed = tenant.model_copy(update={"access": [old, renewal]})
    bindings = {
        k: v
        for k, v in _kinds(renewed, env, fleet).items()
        if k.startswith("RoleBinding/") and "operator" in k
    }
    assert len(bindings) == 2
    documents = {
        b["metadata"]["annotations"]["govcloud.gd.gov.cn/document"]  # type: ignore[index]
        for b in bindings.values()
    }
    assert documents == {old.document, renewal.document}
    # Stable: the old grant keeps its name whether or not the renewal is there.
    assert f"RoleBinding/{tenant.id}/{grant_binding_name(old)}" in bindings
    assert f"RoleBinding/{tenant.id}/{grant_binding_name(old)}" in _kinds(tenant, env, fleet)


def test_long_names_are_cut_with_a_digest_never_collide(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    tenant = next(t for t in fleet.values() if t.access)
    group_a, group_b = "g" * 60 + "-a", "g" * 60 + "-b"
    grants = [tenant.access[0].model_copy(update={"group": g}) for g in (group_a, group_b)]
    names = [grant_binding_name(g) for g in grants]
    assert all(len(n) <= 63 for n in names) and names[0] != names[1]
    objects = _kinds(tenant.model_copy(update={"access": grants}), env, fleet)
    assert all(f"RoleBinding/{tenant.id}/{n}" in objects for n in names)


def test_decommissioning_tenant_loses_all_access_but_keeps_its_bucket(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    tenant = next(iter(fleet.values()))
    leaving = tenant.model_copy(
        update={
            "lifecycle": tenant.lifecycle.model_copy(
                update={"state": LifecycleState.decommissioning}
            )
        }
    )
    plan = render_tenant(leaving, env, fleet={**fleet, tenant.id: leaving}, today=TODAY)
    assert not [o for o in plan.kube if o.kind == "RoleBinding"]
    assert not [o for o in plan.kube if o.name.startswith("govcloud-peer-")]
    assert [c for c in plan.cloud if c.kind == "bucket"]


def test_classified_data_gets_a_dedicated_key_and_retention_expiry(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    for tenant in fleet.values():
        plan = render_tenant(tenant, env, fleet=fleet, today=TODAY)
        bucket = next(c for c in plan.cloud if c.kind == "bucket").props
        keys = [c for c in plan.cloud if c.kind == "kms-key"]
        if tenant.data.classification.value != "general":
            assert keys and bucket["kms_key_alias"] == keys[0].props["alias"]
        assert bucket["expiration_days"] == tenant.data.retention_days
        assert bucket["tags"]["tenant"] == tenant.id


def test_security_group_never_opens_to_the_world(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    for tenant in fleet.values():
        plan = render_tenant(tenant, env, fleet=fleet, today=TODAY)
        group = next(c for c in plan.cloud if c.kind == "security-group").props
        cidrs = {rule["cidr"] for rule in group["ingress"]}
        assert "0.0.0.0/0" not in cidrs
        assert cidrs == {tenant.network.cidr, *mutual_peers(tenant, fleet).values()}


def test_reserved_ids_are_refused(env: EnvironmentSpec, fleet: dict[str, TenantSpec]) -> None:
    tenant = next(iter(fleet.values())).model_copy(update={"id": "kube-system"})
    with pytest.raises(InputError, match="reserved"):
        render_tenant(tenant, env, fleet=fleet, today=TODAY)
