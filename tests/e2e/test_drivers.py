"""infra.drivers against the local provincial cloud: a real API server and cloud endpoint."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import boto3
import pytest

from infra.drivers import KubeClient, cloud
from infra.errors import PermanentError
from infra.plan.objects import (
    BucketProps,
    KeyProps,
    RoleProps,
    SecurityGroupProps,
    SubnetProps,
    VpcProps,
)
from infra.plan.reach import retention_rules

pytestmark = pytest.mark.e2e

RUN = uuid.uuid4().hex[:8]
TAGS = {"tenant": f"drv-{RUN}", "classification": "general", "managed-by": "govcloud"}


@pytest.fixture(scope="module")
def kube(cloud_env: dict[str, str]) -> KubeClient:
    return KubeClient()  # from KUBECONFIG, set by cloud_env


@pytest.fixture
def namespace(kube: KubeClient) -> Iterator[str]:
    name = f"drv-{uuid.uuid4().hex[:8]}"
    kube.apply(
        {
            "apiVersion": "v1",
            "kind": "Namespace",
            "metadata": {"name": name, "labels": {"managed-by": "govcloud"}},
        }
    )
    yield name
    kube.delete("v1", "Namespace", name)


def _config_map(name: str, namespace: str, team: str, value: str = "1") -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace, "labels": {"team": team}},
        "data": {"value": value},
    }


# -- Kubernetes --------------------------------------------------------------------------
def test_apply_twice_changes_nothing_the_second_time(kube: KubeClient, namespace: str) -> None:
    first = kube.apply(_config_map("settings", namespace, "a"))
    second = kube.apply(_config_map("settings", namespace, "a"))
    assert first["metadata"]["resourceVersion"] == second["metadata"]["resourceVersion"]
    managers = {m["manager"] for m in second["metadata"]["managedFields"]}
    assert managers == {"govcloud"}
    changed = kube.apply(_config_map("settings", namespace, "a", value="2"))
    assert changed["data"] == {"value": "2"}


def test_get_list_by_label_and_delete(kube: KubeClient, namespace: str) -> None:
    for name, team in (("one", "a"), ("two", "a"), ("three", "b")):
        kube.apply(_config_map(name, namespace, team))
    got = kube.get("v1", "ConfigMap", "one", namespace)
    assert got is not None and got["data"] == {"value": "1"}
    names = {
        o["metadata"]["name"]
        for o in kube.list("v1", "ConfigMap", namespace=namespace, label_selector="team=a")
    }
    assert names == {"one", "two"}
    assert kube.delete("v1", "ConfigMap", "one", namespace) is True
    kube.wait_deleted("v1", "ConfigMap", "one", namespace, timeout=10)
    assert kube.get("v1", "ConfigMap", "one", namespace) is None
    assert kube.delete("v1", "ConfigMap", "one", namespace) is False


def test_watch_yields_events_for_matching_objects(kube: KubeClient, namespace: str) -> None:
    kube.apply(_config_map("watched", namespace, "w"))
    kube.apply(_config_map("ignored", namespace, "other"))
    events = list(
        kube.watch(
            "v1", "ConfigMap", namespace=namespace, label_selector="team=w", timeout_seconds=2
        )
    )
    # BOOKMARK events carry only a resourceVersion (where to resume), no object
    assert [(t, o["metadata"]["name"]) for t, o in events if t != "BOOKMARK"] == [
        ("ADDED", "watched")
    ]


def test_impersonated_user_is_denied_without_a_binding(kube: KubeClient, namespace: str) -> None:
    kube.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "Role",
            "metadata": {"name": "reader", "namespace": namespace},
            "rules": [{"apiGroups": [""], "resources": ["configmaps"], "verbs": ["get", "list"]}],
        }
    )
    kube.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "readers", "namespace": namespace},
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": "reader"},
            "subjects": [
                {"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": "team-readers"}
            ],
        }
    )
    outsider = kube.impersonate("mallory@other-dept", ["other-dept"])
    with pytest.raises(PermanentError, match="forbidden") as info:
        outsider.list("v1", "ConfigMap", namespace=namespace)
    assert info.value.status == 403
    assert "mallory@other-dept" in str(info.value)
    with pytest.raises(PermanentError, match="forbidden"):
        outsider.apply(_config_map("planted", namespace, "x"))
    member = kube.impersonate("alice", ["other-dept", "team-readers"])
    assert member.list("v1", "ConfigMap", namespace=namespace) is not None


GROUP = "drivers.test.govcloud.io"


def _crd(kube: KubeClient, kind: str, schema: dict[str, Any]) -> str:
    """A cluster-scoped custom resource ``kind`` with a status subresource, established;
    returns the CRD's name."""
    plural = f"{kind.lower()}s"
    name = f"{plural}.{GROUP}"
    kube.apply(
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": name},
            "spec": {
                "group": GROUP,
                "scope": "Cluster",
                "names": {"kind": kind, "plural": plural, "singular": plural[:-1]},
                "versions": [
                    {
                        "name": "v1",
                        "served": True,
                        "storage": True,
                        "subresources": {"status": {}},
                        "schema": {"openAPIV3Schema": schema},
                    }
                ],
            },
        }
    )
    deadline = time.monotonic() + 20
    while True:
        crd = kube.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", name)
        conditions = ((crd or {}).get("status") or {}).get("conditions") or []
        if any(c["type"] == "Established" and c["status"] == "True" for c in conditions):
            return name
        assert time.monotonic() < deadline, "CRD not established"
        time.sleep(0.2)


def test_a_status_map_emptied_by_its_own_manager_is_accepted(kube: KubeClient) -> None:
    """Server-side apply turns a map whose entries our manager dropped into null; a typed
    schema (like the Tenant's ``status.repairs``) refuses null."""
    kind, counts = f"Counter{RUN}", {"type": "object", "additionalProperties": {"type": "integer"}}
    crd_name = _crd(
        kube,
        kind,
        {
            "type": "object",
            "properties": {
                "spec": {"type": "object"},
                "status": {
                    "type": "object",
                    "properties": {"phase": {"type": "string"}, "repairs": counts},
                },
            },
        },
    )
    try:
        api_version = f"{GROUP}/v1"
        kube.apply(
            {"apiVersion": api_version, "kind": kind, "metadata": {"name": "c1"}, "spec": {}}
        )
        kube.patch_status(
            api_version, kind, "c1", {"phase": "Ready", "repairs": {"quota": 1, "total": 1}}
        )
        written = kube.patch_status(api_version, kind, "c1", {"phase": "Ready", "repairs": {}})
        assert written["status"] == {"phase": "Ready"}
    finally:
        kube.delete("apiextensions.k8s.io/v1", "CustomResourceDefinition", crd_name)


def test_custom_resource_right_after_its_crd_and_status(kube: KubeClient) -> None:
    kube.list("v1", "Namespace")  # warm the discovery cache before the CRD exists
    kind = f"Widget{RUN}"
    crd_name = _crd(kube, kind, {"type": "object", "x-kubernetes-preserve-unknown-fields": True})
    try:
        api_version = f"{GROUP}/v1"
        kube.apply(
            {
                "apiVersion": api_version,
                "kind": kind,
                "metadata": {"name": "w1"},
                "spec": {"size": 3},
            }
        )
        written = kube.patch_status(
            api_version, kind, "w1", {"phase": "Ready", "observedGeneration": 1}
        )
        assert written["status"] == {"phase": "Ready", "observedGeneration": 1}
        got = kube.get(api_version, kind, "w1")
        assert got is not None and got["spec"] == {"size": 3}
        assert got["status"]["phase"] == "Ready"
    finally:
        kube.delete("apiextensions.k8s.io/v1", "CustomResourceDefinition", crd_name)


# -- cloud -------------------------------------------------------------------------------
def _policy(statement: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@pytest.fixture(scope="module")
def key_props(cloud_env: dict[str, str]) -> KeyProps:
    return {
        "alias": f"alias/govcloud/test/{RUN}",
        "description": f"tenant {RUN} data key",
        "policy": _policy(
            {
                "Sid": "Root",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws-cn:iam::123456789012:root"},
                "Action": "kms:*",
                "Resource": "*",
            }
        ),
        "rotation": True,
        "enabled": True,
        "tags": TAGS,
    }


@pytest.fixture(scope="module")
def key(key_props: KeyProps) -> cloud.KeyOutputs:
    return cloud.ensure_key(key_props)


def test_key_ensure_twice_gives_one_key_and_reads_back(
    key_props: KeyProps, key: cloud.KeyOutputs
) -> None:
    again = cloud.ensure_key(key_props)
    assert again == key
    assert key["arn"].startswith("arn:aws-cn:kms:cn-northwest-1:")
    actual = cloud.read_key(key_props["alias"])
    assert actual == {
        **key_props,
        "policy": cloud.canonical_json(key_props["policy"]),
        "state": "Enabled",
        "grants": [],
    }


def test_a_key_whose_creator_died_before_its_alias_is_adopted_not_duplicated(
    key_props: KeyProps,
) -> None:
    """A deploy killed between CreateKey and CreateAlias leaves a key without its alias;
    the next ensure finds it by the tag it was created with."""
    kms = boto3.client("kms")
    alias = f"{key_props['alias']}-killed"
    tags = {**key_props["tags"], cloud.ALIAS_TAG: alias}
    orphan = kms.create_key(
        Description="half made",
        Policy=key_props["policy"],
        Tags=[{"TagKey": k, "TagValue": v} for k, v in tags.items()],
    )
    made = cloud.ensure_key({**key_props, "alias": alias})
    assert made["key_id"] == orphan["KeyMetadata"]["KeyId"]
    actual = cloud.read_key(alias)
    assert actual is not None and actual["tags"] == key_props["tags"]  # the mark is gone
    assert actual["description"] == key_props["description"]
    mine = [
        r
        for r in cloud.list_managed()
        if r.kind == "kms-key" and r.handle in (alias, made["key_id"])
    ]
    assert [r.handle for r in mine] == [alias]  # one key, found by its alias
    cloud.delete_key(alias)


def test_a_disabled_key_is_enabled_again_by_ensure(
    key_props: KeyProps, key: cloud.KeyOutputs
) -> None:
    cloud._session.client("kms").disable_key(KeyId=key["key_id"])
    disabled = cloud.read_key(key_props["alias"])
    assert disabled is not None and disabled["enabled"] is False
    cloud.ensure_key(key_props)
    enabled = cloud.read_key(key_props["alias"])
    assert enabled is not None and enabled["enabled"] is True


def _bucket_props(name: str, alias: str) -> BucketProps:
    return {
        "name": name,
        "kms_key_alias": alias,
        "versioning": True,
        "public_access_block": True,
        "policy": _policy(
            {
                "Sid": "DenyInsecure",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": [f"arn:aws-cn:s3:::{name}", f"arn:aws-cn:s3:::{name}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ),
        "expiration_days": 365,
        "ownership": "BucketOwnerEnforced",
        "access_log_bucket": "",
        "tags": TAGS,
    }


def test_bucket_ensure_twice_and_read_back(key_props: KeyProps, key: cloud.KeyOutputs) -> None:
    props = _bucket_props(f"govcloud-test-{RUN}", key_props["alias"])
    assert cloud.ensure_bucket(props) == cloud.ensure_bucket(props)
    names = [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]
    assert names.count(props["name"]) == 1
    closed = {"acl_grants": [], "replication": "", "notifications": ""}
    assert cloud.read_bucket(props["name"]) == {
        **props,
        "policy": cloud.canonical_json(props["policy"]),
        **closed,
        "lifecycle_rules": retention_rules(365),
    }
    assert cloud.read_public_access_block(props["name"]) == {
        "BlockPublicAcls": True,
        "IgnorePublicAcls": True,
        "BlockPublicPolicy": True,
        "RestrictPublicBuckets": True,
    }
    loose: BucketProps = {
        **props,
        "expiration_days": None,
        "versioning": False,
        "public_access_block": False,
        "policy": "",
    }
    cloud.ensure_bucket(loose)
    assert cloud.read_bucket(props["name"]) == {**loose, **closed, "lifecycle_rules": []}
    assert not any(cloud.read_public_access_block(props["name"]).values())


def test_bucket_holding_data_is_not_deleted_without_force(
    key_props: KeyProps, key: cloud.KeyOutputs
) -> None:
    # No policy here: the endpoint enforces the deny-non-TLS statement, and it speaks plain
    # HTTP on loopback, so writing test data would be refused.
    props: BucketProps = {**_bucket_props(f"govcloud-data-{RUN}", key_props["alias"]), "policy": ""}
    cloud.ensure_bucket(props)
    s3 = boto3.client("s3")
    s3.put_object(Bucket=props["name"], Key="records/1.json", Body=b"{}")
    s3.put_object(Bucket=props["name"], Key="records/1.json", Body=b'{"v": 2}')
    with pytest.raises(PermanentError, match="holds data"):
        cloud.delete_bucket(props["name"])
    assert cloud.read_bucket(props["name"]) is not None
    assert cloud.delete_bucket(props["name"], force=True) is True
    assert cloud.read_bucket(props["name"]) is None
    assert cloud.delete_bucket(props["name"]) is False


def _role_props(name: str) -> RoleProps:
    return {
        "name": name,
        "trust_policy": _policy(
            {
                "Effect": "Allow",
                "Action": "sts:AssumeRole",
                "Principal": {"Service": "ec2.amazonaws.com.cn"},
            }
        ),
        "boundary_name": f"{name}-boundary",
        "boundary_policy": _policy(
            {"Effect": "Allow", "Action": ["s3:*", "kms:*"], "Resource": "*"}
        ),
        "inline_policy": _policy(
            {
                "Effect": "Allow",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws-cn:s3:::govcloud-test-{RUN}/*",
            }
        ),
        "tags": TAGS,
    }


def test_role_ensure_twice_read_back_update_and_delete(cloud_env: dict[str, str]) -> None:
    props = _role_props(f"govcloud-test-{RUN}")
    first = cloud.ensure_role(props)
    assert cloud.ensure_role(props) == first
    canon: RoleProps = {
        **props,
        **{
            k: cloud.canonical_json(props[k])  # type: ignore[typeddict-item]
            for k in ("trust_policy", "boundary_policy", "inline_policy")
        },
    }
    assert cloud.read_role(props["name"]) == {
        **canon,
        "inline_policies": ["govcloud-access"],
        "attached_policies": [],
        "boundary_versions": 1,
    }
    changed: RoleProps = {
        **props,
        "boundary_policy": _policy({"Effect": "Allow", "Action": "s3:*", "Resource": "*"}),
        "tags": {**TAGS, "extra": "yes"},
    }
    for _ in range(6):  # more updates than IAM keeps policy versions
        cloud.ensure_role(changed)
    actual = cloud.read_role(props["name"])
    assert actual is not None
    assert actual["boundary_policy"] == cloud.canonical_json(changed["boundary_policy"])
    assert actual["tags"] == changed["tags"]
    assert cloud.delete_role(props["name"]) is True
    assert cloud.read_role(props["name"]) is None
    assert cloud.delete_role(props["name"]) is False


@pytest.fixture(scope="module")
def network(cloud_env: dict[str, str]) -> tuple[VpcProps, SubnetProps, SecurityGroupProps]:
    vpc: VpcProps = {
        "name": f"govcloud-test-{RUN}",
        "cidr": "10.80.0.0/16",
        "tags": TAGS,
        "default_group_closed": True,
    }
    subnet: SubnetProps = {
        "name": f"tenant-{RUN}",
        "vpc_name": vpc["name"],
        "cidr": "10.80.1.0/24",
        "tags": TAGS,
    }
    group: SecurityGroupProps = {
        "name": f"tenant-{RUN}",
        "vpc_name": vpc["name"],
        "description": "tenant traffic",
        "ingress": [
            {
                "cidr": "10.80.2.0/24",
                "protocol": "tcp",
                "from_port": 443,
                "to_port": 443,
                "description": "peer dept-b",
            },
            {
                "cidr": "10.80.3.0/24",
                "protocol": "-1",
                "from_port": -1,
                "to_port": -1,
                "description": "peer dept-c",
            },
        ],
        "egress": [
            {
                "cidr": "10.80.2.0/24",
                "protocol": "tcp",
                "from_port": 443,
                "to_port": 443,
                "description": "peer dept-b",
            }
        ],
        "tags": TAGS,
    }
    return vpc, subnet, group


def test_network_ensure_twice_gives_one_of_each(
    network: tuple[VpcProps, SubnetProps, SecurityGroupProps],
) -> None:
    vpc, subnet, group = network
    assert cloud.ensure_vpc(vpc) == cloud.ensure_vpc(vpc)
    assert cloud.ensure_subnet(subnet) == cloud.ensure_subnet(subnet)
    assert cloud.ensure_security_group(group) == cloud.ensure_security_group(group)
    ec2 = boto3.client("ec2")
    named = [{"Name": "tag:Name", "Values": [vpc["name"]]}]
    assert len(ec2.describe_vpcs(Filters=named)["Vpcs"]) == 1
    assert cloud.read_vpc(vpc["name"]) == vpc
    assert cloud.read_subnet(subnet["name"], vpc["name"]) == subnet
    actual = cloud.read_security_group(group["name"], vpc["name"])
    assert actual is not None
    assert sorted(actual["ingress"], key=str) == sorted(group["ingress"], key=str)
    assert {**actual, "ingress": []} == {**group, "ingress": []}


def test_a_vpc_default_security_group_allows_nothing(
    network: tuple[VpcProps, SubnetProps, SecurityGroupProps],
) -> None:
    vpc = network[0]
    vpc_id = cloud.ensure_vpc(vpc)["vpc_id"]
    ec2 = boto3.client("ec2")

    def default() -> dict[str, Any]:
        return dict(
            ec2.describe_security_groups(
                Filters=[
                    {"Name": "vpc-id", "Values": [vpc_id]},
                    {"Name": "group-name", "Values": ["default"]},
                ]
            )["SecurityGroups"][0]
        )

    group = default()
    assert group["IpPermissions"] == [] and group["IpPermissionsEgress"] == []
    # Someone opens it again (IPv6 too): the read says so, and ensure closes it.
    ec2.authorize_security_group_ingress(
        GroupId=group["GroupId"],
        IpPermissions=[{"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}],
    )
    ec2.authorize_security_group_egress(
        GroupId=group["GroupId"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )
    assert cloud.read_vpc(vpc["name"]) == {**vpc, "default_group_closed": False}
    cloud.ensure_vpc(vpc)
    group = default()
    assert group["IpPermissions"] == [] and group["IpPermissionsEgress"] == []
    assert cloud.read_vpc(vpc["name"]) == vpc


def test_security_group_ingress_becomes_exactly_the_rules_given(
    network: tuple[VpcProps, SubnetProps, SecurityGroupProps],
) -> None:
    vpc, _, group = network
    cloud.ensure_vpc(vpc)
    narrowed: SecurityGroupProps = {
        **group,
        "ingress": [
            {
                "cidr": "10.80.4.0/24",
                "protocol": "tcp",
                "from_port": 5432,
                "to_port": 5432,
                "description": "peer dept-d",
            }
        ],
    }
    cloud.ensure_security_group(narrowed)
    actual = cloud.read_security_group(group["name"], vpc["name"])
    assert actual is not None and actual["ingress"] == narrowed["ingress"]
    cloud.ensure_security_group(group)
    actual = cloud.read_security_group(group["name"], vpc["name"])
    assert actual is not None
    assert sorted(actual["ingress"], key=str) == sorted(group["ingress"], key=str)


def test_list_managed_finds_each_resource_once(
    key_props: KeyProps,
    key: cloud.KeyOutputs,
    network: tuple[VpcProps, SubnetProps, SecurityGroupProps],
) -> None:
    vpc, subnet, group = network
    cloud.ensure_vpc(vpc)
    cloud.ensure_subnet(subnet)
    cloud.ensure_security_group(group)
    bucket = _bucket_props(f"govcloud-inv-{RUN}", key_props["alias"])
    role = _role_props(f"govcloud-inv-{RUN}")
    cloud.ensure_bucket(bucket)
    cloud.ensure_role(role)
    cloud.ensure_role(role)
    ours: list[tuple[str, str]] = [
        (r.kind, r.handle) for r in cloud.list_managed() if r.tags.get("tenant") == TAGS["tenant"]
    ]
    expected = [
        ("kms-key", key_props["alias"]),
        ("bucket", bucket["name"]),
        ("role", role["name"]),
        ("vpc", vpc["name"]),
        ("subnet", f"{vpc['name']}/{subnet['name']}"),
        ("security-group", f"{vpc['name']}/{group['name']}"),
    ]
    for item in expected:
        assert ours.count(item) == 1, (item, ours)
    cloud.delete_role(role["name"])
    cloud.delete_bucket(bucket["name"], force=True)
    assert ("bucket", bucket["name"]) not in [(r.kind, r.handle) for r in cloud.list_managed()]


def test_network_and_key_delete(
    key_props: KeyProps,
    key: cloud.KeyOutputs,
    network: tuple[VpcProps, SubnetProps, SecurityGroupProps],
) -> None:
    vpc, subnet, group = network
    cloud.ensure_vpc(vpc)
    cloud.ensure_subnet(subnet)
    cloud.ensure_security_group(group)
    assert cloud.delete_security_group(group["name"], vpc["name"]) is True
    assert cloud.delete_subnet(subnet["name"], vpc["name"]) is True
    assert cloud.delete_vpc(vpc["name"]) is True
    assert cloud.read_vpc(vpc["name"]) is None
    assert cloud.delete_vpc(vpc["name"]) is False
    assert cloud.delete_key(key_props["alias"]) is True
    assert cloud.read_key(key_props["alias"]) is None
    assert cloud.delete_key(key_props["alias"]) is False
