"""infra.plan.reach: deny by default on the cloud side, and which key an alias must name."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from infra.plan import cloud_drift, render_platform, render_tenant
from infra.plan.reach import (
    ALIAS_PINNED,
    KEY_PIN_TAG,
    alias_key_view,
    encryption_view,
    key_id_of,
    parse_pin,
    pin_record,
    pinned_key,
    retention_rules,
    unknown_key,
)
from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import TenantSpec

from .conftest import TODAY

ALIAS = "alias/govcloud/local/gz-wjw"
OURS, THEIRS = "1111-ours", "2222-theirs"


# -- which key is govcloud's ----------------------------------------------------------------


def test_a_recorded_pin_wins_over_a_moved_alias_and_a_changed_bucket_key() -> None:
    recorded = pin_record(ALIAS, OURS)
    assert pinned_key(ALIAS, recorded=recorded, encrypted_with=OURS, alias_target=THEIRS) == OURS
    assert pinned_key(ALIAS, recorded=recorded, encrypted_with=THEIRS, alias_target=OURS) == OURS
    assert pinned_key(ALIAS, recorded=recorded, encrypted_with=THEIRS, alias_target=THEIRS) == OURS


def test_a_pin_for_another_alias_is_a_planned_change_of_key() -> None:
    """A general tenant that became important: its bucket moves to its own key."""
    recorded = pin_record("alias/govcloud/local/platform", "9999-platform")
    assert (
        pinned_key(ALIAS, recorded=recorded, encrypted_with="9999-platform", alias_target=OURS)
        == OURS
    )


def test_without_a_pin_the_bucket_key_and_the_alias_must_agree() -> None:
    assert pinned_key(ALIAS, recorded=None, encrypted_with=OURS, alias_target=OURS) == OURS
    assert pinned_key(ALIAS, recorded=None, encrypted_with=OURS, alias_target="") == OURS
    assert pinned_key(ALIAS, recorded=None, encrypted_with="", alias_target=OURS) == OURS
    assert pinned_key(ALIAS, recorded=None, encrypted_with=OURS, alias_target=THEIRS) is None
    assert pinned_key(ALIAS, recorded=None, encrypted_with="", alias_target="") == ""


@pytest.mark.parametrize("value", ["", "junk", f"{ALIAS}=", f"=x{OURS}", f"notalias={OURS}"])
def test_a_tag_that_is_not_a_pin_counts_as_none(value: str) -> None:
    assert parse_pin(value) is None
    assert pinned_key(ALIAS, recorded=value, encrypted_with=OURS, alias_target=THEIRS) is None


def test_pins_round_trip_and_key_ids_come_out_of_arns() -> None:
    assert parse_pin(pin_record(ALIAS, OURS)) == (ALIAS, OURS)
    assert key_id_of(f"arn:aws-cn:kms:cn-northwest-1:123456789012:key/{OURS}") == OURS
    assert key_id_of(OURS) == OURS


def test_what_a_reading_says() -> None:
    assert alias_key_view(OURS, OURS) == ALIAS_PINNED
    assert alias_key_view(THEIRS, OURS) == f"moved to key {THEIRS} (govcloud's key is {OURS})"
    assert alias_key_view("", OURS) == f"no alias (govcloud's key is {OURS})"
    assert "cannot tell" in alias_key_view(THEIRS, None)
    assert encryption_view(ALIAS, OURS, OURS) == ALIAS
    assert encryption_view(ALIAS, "", OURS) == ""
    assert encryption_view(ALIAS, THEIRS, OURS) == (
        f"key {THEIRS}, not govcloud's key {OURS} for {ALIAS}"
    )
    message = unknown_key("govcloud-local-gz-wjw", ALIAS, alias_target=THEIRS, encrypted_with=OURS)
    assert THEIRS in message and OURS in message and f"{KEY_PIN_TAG}={ALIAS}=" in message


# -- the plan states everything in reach -----------------------------------------------------


def _cloud(
    spec: TenantSpec, env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> dict[str, dict[str, Any]]:
    return {o.kind: o.props for o in render_tenant(spec, env, fleet=fleet, today=TODAY).cloud}


def test_every_tenant_plan_closes_its_bucket_key_and_role(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    for spec in fleet.values():
        cloud = _cloud(spec, env, fleet)
        bucket, role = cloud["bucket"], cloud["role"]
        assert bucket["lifecycle_rules"] == retention_rules(spec.data.retention_days)
        assert (bucket["acl_grants"], bucket["replication"], bucket["notifications"]) == (
            [],
            "",
            "",
        )
        assert role["inline_policies"] == ["govcloud-access"]
        assert role["attached_policies"] == [] and role["boundary_versions"] == 1
        if "kms-key" in cloud:
            key = cloud["kms-key"]
            assert key["pin_bucket"] == bucket["name"] and key["alias_key"] == ALIAS_PINNED
            assert key["state"] == "Enabled" and key["grants"] == []


def test_the_platform_plan_closes_its_key_audit_bucket_and_admin_role(env: EnvironmentSpec) -> None:
    cloud = {o.kind: o.props for o in render_platform(env).cloud if o.name != "signing-key"}
    assert cloud["kms-key"]["pin_bucket"] == cloud["bucket"]["name"] == "govcloud-local-audit"
    signing = next(o.props for o in render_platform(env).cloud if o.name == "signing-key")
    assert signing["state"] == "Enabled" and signing["grants"] == []  # no grant signs
    assert cloud["bucket"]["lifecycle_rules"] == retention_rules(cloud["bucket"]["expiration_days"])
    assert cloud["role"]["attached_policies"] == []


def test_retention_rules_expire_noncurrent_versions_too() -> None:
    assert retention_rules(None) == []
    (rule,) = retention_rules(30)
    assert rule["Expiration"] == {"Days": 30}
    assert rule["NoncurrentVersionExpiration"] == {"NoncurrentDays": 30}


def test_a_tenant_role_is_trusted_by_its_own_namespace_only_never_by_a_tag(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    for spec in fleet.values():
        trust = json.loads(_cloud(spec, env, fleet)["role"]["trust_policy"])
        (statement,) = trust["Statement"]
        assert "PrincipalTag" not in json.dumps(statement)
        assert statement["Principal"] == {
            "Federated": (
                "arn:aws-cn:iam::123456789012:oidc-provider/kubernetes.default.svc.cluster.local"
            )
        }
        assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
        subject = statement["Condition"]["StringLike"]["kubernetes.default.svc.cluster.local:sub"]
        assert subject == f"system:serviceaccount:{spec.id}:*"


# -- drift: anything beyond the plan is a difference ------------------------------------------


@pytest.mark.parametrize(
    ("kind", "prop", "tampered"),
    [
        (
            "bucket",
            "lifecycle_rules",
            lambda v: [
                *v,
                {"ID": "expire-all", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}},
            ],
        ),
        (
            "bucket",
            "acl_grants",
            lambda v: ["http://acs.amazonaws.com/groups/global/AllUsers:READ"],
        ),
        ("bucket", "replication", lambda v: '{"Role":"x","Rules":[]}'),
        ("bucket", "notifications", lambda v: '{"QueueConfigurations":[]}'),
        ("bucket", "kms_key_alias", lambda v: "key 2222, not govcloud's key 1111 for alias/x"),
        ("kms-key", "grants", lambda v: ["arn:aws-cn:iam::123456789012:role/x: Decrypt (grant g)"]),
        ("kms-key", "alias_key", lambda v: "moved to key 2222 (govcloud's key is 1111)"),
        ("kms-key", "state", lambda v: "PendingDeletion"),
        ("role", "inline_policies", lambda v: [*v, "evil"]),
        ("role", "attached_policies", lambda v: ["arn:aws-cn:iam::123456789012:policy/evil"]),
        ("role", "boundary_versions", lambda v: 2),
        ("role", "trust_policy", lambda v: '{"Statement":[{"Principal":{"AWS":"*"}}]}'),
        (
            "security-group",
            "ingress",
            lambda v: [
                *v,
                {
                    "cidr": "sg-0abc",
                    "protocol": "tcp",
                    "from_port": 5432,
                    "to_port": 5432,
                    "description": "",
                },
            ],
        ),
        (
            "security-group",
            "egress",
            lambda v: [
                *v,
                {
                    "cidr": "sg-0abc",
                    "protocol": "-1",
                    "from_port": -1,
                    "to_port": -1,
                    "description": "",
                },
            ],
        ),
    ],
)
def test_each_setting_beyond_the_plan_is_drift(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec], kind: str, prop: str, tampered: Any
) -> None:
    plan = render_tenant(fleet["gz-wjw"], env, fleet=fleet, today=TODAY)
    observed = {o.key: copy.deepcopy(o.props) for o in plan.cloud}
    assert cloud_drift(plan.cloud, observed) == []
    target = next(o for o in plan.cloud if o.kind == kind)
    observed[target.key][prop] = tampered(observed[target.key][prop])
    (diff,) = cloud_drift(plan.cloud, observed)
    assert (diff.key, diff.change, diff.path.split("[")[0]) == (target.key, "changed", f".{prop}")
    assert prop in diff.describe()
