"""The cloud side of the plan the audit expects: egress exactly as specified, buckets with
ACLs off and access logging, each role able to use its bucket's key, no kms wildcards."""

from __future__ import annotations

import json
from typing import Any

from infra.audit.policies import allows, statements
from infra.plan import mutual_peers, render_platform, render_tenant
from infra.plan.cloud import uses_tls
from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import Egress, TenantSpec

from .conftest import TODAY


def _cloud(
    spec: TenantSpec, env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> dict[str, dict[str, Any]]:
    return {o.kind: o.props for o in render_tenant(spec, env, fleet=fleet, today=TODAY).cloud}


def test_security_group_egress_is_exactly_the_spec(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    for spec in fleet.values():
        group = _cloud(spec, env, fleet)["security-group"]
        targets = {r["cidr"] for r in group["egress"]}
        assert "0.0.0.0/0" not in targets and "::/0" not in targets
        assert spec.network.cidr in targets
        has_proxy = env.proxy_cidr in targets
        assert has_proxy == (spec.network.egress is Egress.proxy), spec.id


def test_peering_ports_are_the_declared_ones(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    spec = next(t for t in fleet.values() if mutual_peers(t, fleet))
    peer = next(iter(mutual_peers(spec, fleet)))
    data = spec.model_dump()
    for entry in data["network"]["peers"]:
        if entry["tenant"] == peer:
            entry["ports"] = [5432, 443]
    changed = TenantSpec.model_validate(data)
    both = {**fleet, spec.id: changed}
    group = _cloud(changed, env, both)["security-group"]
    peer_cidr = fleet[peer].network.cidr
    for side in ("ingress", "egress"):
        ports = {r["from_port"] for r in group[side] if r["cidr"] == peer_cidr}
        assert ports == {443, 5432}, side
    kube = {o.name: o for o in render_tenant(changed, env, fleet=both, today=TODAY).kube}
    rule = kube[f"govcloud-peer-{peer}"].manifest["spec"]["ingress"][0]
    assert [p["port"] for p in rule["ports"]] == [443, 5432]


def test_buckets_disable_acls_and_log_to_the_audit_bucket(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    for spec in fleet.values():
        bucket = _cloud(spec, env, fleet)["bucket"]
        assert bucket["ownership"] == "BucketOwnerEnforced"
        assert bucket["access_log_bucket"] == "govcloud-local-audit"
        assert not bucket.get("object_lock_days")
    audit = next(o.props for o in render_platform(env).cloud if o.kind == "bucket")
    assert audit["name"] == "govcloud-local-audit" and audit["ownership"] == "BucketOwnerEnforced"
    assert audit["object_lock_days"] == audit["expiration_days"] == 180  # compliance mode
    delivery = next(
        s for s in statements(str(audit["policy"])) if s.get("Sid") == "AccessLogDelivery"
    )
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}


def test_each_role_may_use_exactly_the_key_of_its_own_bucket(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    for spec in fleet.values():
        cloud = _cloud(spec, env, fleet)
        alias, role = cloud["bucket"]["kms_key_alias"], cloud["role"]
        key = "arn:aws-cn:kms:cn-northwest-1:123456789012:key/k"
        for doc in (role["inline_policy"], role["boundary_policy"]):
            assert allows(doc, "kms:Decrypt", key, alias=str(alias)), spec.id
            assert not allows(doc, "kms:Decrypt", key, alias="alias/govcloud/local/other")


def test_no_key_policy_or_platform_boundary_grants_kms_wildcards(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    docs = [str(o.props["policy"]) for o in render_platform(env).cloud if o.kind == "kms-key"]
    docs += [
        str(o.props["boundary_policy"]) for o in render_platform(env).cloud if o.kind == "role"
    ]
    for spec in fleet.values():
        docs += [str(p["policy"]) for k, p in _cloud(spec, env, fleet).items() if k == "kms-key"]
    for doc in docs:
        for stmt in statements(doc):
            actions = stmt["Action"] if isinstance(stmt["Action"], list) else [stmt["Action"]]
            assert not any(a.startswith("kms:") and "*" in a for a in actions), stmt


def test_deny_non_tls_follows_the_endpoint(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    spec = next(iter(fleet.values()))
    plain = env.model_copy(
        update={
            "cloud": env.cloud.model_copy(update={"endpoint": "http://127.0.0.1:4566", "tls": None})
        }
    )
    tls = env.model_copy(
        update={
            "cloud": env.cloud.model_copy(
                update={"endpoint": "https://cloud.gd.gov.cn", "tls": None}
            )
        }
    )
    assert not uses_tls(plain) and uses_tls(tls)
    declared = env.model_copy(
        update={"cloud": env.cloud.model_copy(update={"endpoint": None, "tls": False})}
    )
    assert not uses_tls(declared)  # stacks/local.yaml says so for the loopback endpoint
    for which, expect in ((plain, False), (tls, True)):
        policy = json.loads(str(_cloud(spec, which, fleet)["bucket"]["policy"]))
        sids = {s.get("Sid") for s in policy["Statement"]}
        assert ("DenyInsecureTransport" in sids) is expect
