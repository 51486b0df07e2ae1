"""Cloud drift repaired from the cloud's change events, on the local provincial cloud.

The local endpoint emulates the provider's management-event feed (CloudTrail-shaped records
of every successful mutating call, at /_govcloud/events). The reconciler runs with a poll of
300 s, so the poll cannot be what repairs anything here: a tampering through boto3 must be
repaired from its event, within 10 s. Runs after test_reconciler (module order) and stops
its replica at the end.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from infra.drivers import KubeClient
from infra.drivers import cloud as cloud_driver
from infra.drivers.cloud.events import EndpointEvents
from infra.localcloud import LocalCloud
from infra.plan import render_tenant
from infra.plan.names import cloud_name
from infra.provision import StackResult

from .conftest import TODAY, Workspace, reconciler_kubeconfig
from .test_reconciler import Replica, _until

pytestmark = pytest.mark.e2e

TENANT = "gz-wjw"
REPAIR_WITHIN = 10.0


# -- the endpoint emits the events ---------------------------------------------------------


def test_the_endpoint_records_each_mutating_call_and_no_read_or_secret(
    local_cloud: LocalCloud, cloud_env: dict[str, str]
) -> None:
    feed = EndpointEvents(local_cloud.layout().cloud_url)
    start = feed.read(None).cursor
    name = f"events-{uuid.uuid4().hex[:8]}"
    s3, kms = cloud_driver._session.client("s3"), cloud_driver._session.client("kms")
    iam, ec2 = cloud_driver._session.client("iam"), cloud_driver._session.client("ec2")
    region = cloud_env.get("AWS_REGION", "cn-northwest-1")
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Suspended"})
    s3.get_bucket_versioning(Bucket=name)  # a read: not recorded
    s3.put_object(Bucket=name, Key="data.csv", Body=b"1,2")  # a data event: not recorded
    s3.delete_object(Bucket=name, Key="data.csv")
    s3.delete_bucket(Bucket=name)
    key_id = kms.create_key(Description=name)["KeyMetadata"]["KeyId"]
    kms.encrypt(KeyId=key_id, Plaintext=b"do not record me")  # uses the key, changes nothing
    kms.disable_key(KeyId=key_id)
    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    iam.create_user(UserName=name)
    iam.create_login_profile(UserName=name, Password="Zx9!secret-Password")
    iam.delete_login_profile(UserName=name)
    iam.delete_user(UserName=name)
    vpc = ec2.describe_vpcs()["Vpcs"][0]["VpcId"]
    group = ec2.create_security_group(GroupName=name, Description=name, VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )
    ec2.delete_security_group(GroupId=group)

    page = feed.read(start, wait=5)
    mine = [
        e
        for e in page.events
        if name in json.dumps(dict(e.parameters))
        or key_id in json.dumps(dict(e.parameters))
        or group in json.dumps(dict(e.parameters))
    ]
    assert [(e.source.split(".")[0], e.name) for e in mine] == [
        ("s3", "CreateBucket"),
        ("s3", "PutBucketVersioning"),
        ("s3", "DeleteBucket"),
        ("kms", "CreateKey"),
        ("kms", "DisableKey"),
        ("kms", "ScheduleKeyDeletion"),
        ("iam", "CreateUser"),
        ("iam", "CreateLoginProfile"),
        ("iam", "DeleteLoginProfile"),
        ("iam", "DeleteUser"),
        ("ec2", "CreateSecurityGroup"),
        ("ec2", "AuthorizeSecurityGroupIngress"),
        ("ec2", "DeleteSecurityGroup"),
    ]
    by_name = {e.name: e for e in mine}
    assert by_name["PutBucketVersioning"].parameters["bucketName"] == name
    assert by_name["DisableKey"].parameters["keyId"] == key_id
    assert by_name["AuthorizeSecurityGroupIngress"].parameters["groupId"] == group
    assert by_name["CreateLoginProfile"].parameters["password"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert all(e.id and e.time.endswith("Z") and e.region for e in mine)
    assert {e.region for e in mine if not e.source.startswith("iam")} == {region}
    recorded = json.dumps([dict(e.parameters) for e in page.events])
    assert "Zx9!secret" not in recorded and "do not record me" not in recorded
    assert cloud_env["AWS_SECRET_ACCESS_KEY"] not in recorded
    assert feed.read(page.cursor).events == ()  # each event read once


# -- the reconciler repairs from them --------------------------------------------------------


@pytest.fixture(scope="module")
def follower(deployed: dict[str, StackResult], workspace: Workspace) -> Iterator[Replica]:
    kubeconfig = workspace.root / ".govcloud" / "reconciler-kubeconfig"
    if not kubeconfig.exists():
        reconciler_kubeconfig(workspace)
    # A poll of 300 s: within this module, only a change event can trigger a cloud check.
    replica = Replica(workspace.root, kubeconfig, "replica-events", "--cloud-interval", "300")
    # The tenants it reconciles are the Tenant objects (earlier tests may have destroyed a
    # tenant whose file stays); the platform's own pass only adds to the count.
    tenants = len(KubeClient().list("govcloud.gd.gov.cn/v1alpha1", "Tenant"))
    try:
        _until(replica.leading, 30, "the reconciler leads")
        # Leading, it checks every tenant once (Kubernetes and cloud): let that first full
        # pass end, so that what repairs the tampering below is the event, not that pass.
        _until(
            lambda: (
                _passes(replica) >= 2 * tenants and _metric(replica, "govcloud_queue_depth") == 0
            ),
            120,
            "the first full pass",
            step=0.5,
        )
        time.sleep(1.0)
        yield replica
    finally:
        replica.stop()


def _metric(replica: Replica, name: str, labels: str = "") -> float:
    pattern = re.escape(name + (f"{{{labels}}}" if labels else "")) + r" ([0-9.e+]+)"
    found = re.search(pattern, replica.metrics())
    return float(found.group(1)) if found else 0.0


def _passes(replica: Replica) -> float:
    return _metric(replica, "govcloud_reconcile_duration_seconds_count")


def _read(found: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return found or {}


def _timed(check: Callable[[], bool], what: str) -> float:
    started = time.monotonic()
    _until(check, REPAIR_WITHIN, what, step=0.1)
    return time.monotonic() - started


def _log_lines(path: Path) -> list[dict[str, Any]]:
    out = []
    for line in path.read_text().splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            continue
    return out


def test_cloud_tampering_is_repaired_from_its_change_event_within_ten_seconds(
    follower: Replica, workspace: Workspace
) -> None:
    env, fleet = workspace.env(), workspace.fleet()
    plan = render_tenant(fleet[TENANT], env, fleet=fleet, today=TODAY)
    props = {c.kind: c.props for c in plan.cloud}
    bucket, key, group = props["bucket"]["name"], props["kms-key"]["alias"], props["security-group"]
    s3, kms = cloud_driver._session.client("s3"), cloud_driver._session.client("kms")
    ec2, iam = cloud_driver._session.client("ec2"), cloud_driver._session.client("iam")
    placed = _metric(follower, "govcloud_cloud_events_total", 'outcome="placed"')
    took: dict[str, float] = {}

    # Named by the bucket's name: versioning suspended, public-access block deleted.
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"})
    s3.delete_public_access_block(Bucket=bucket)
    took["bucket versioning and public-access block"] = _timed(
        lambda: bool(
            (live := _read(cloud_driver.read_bucket(bucket))).get("versioning")
            and live.get("public_access_block")
        ),
        "bucket versioning and public-access block back",
    )

    # Named by id only: the key disabled by key id, a rule added by group id.
    key_id = kms.describe_key(KeyId=key)["KeyMetadata"]["KeyId"]
    kms.disable_key(KeyId=key_id)
    took["key disabled by id"] = _timed(
        lambda: bool((_read(cloud_driver.read_key(key))).get("enabled")), "key enabled again"
    )
    group_id = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [group["name"]]}]
    )["SecurityGroups"][0]["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group_id,
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 22,
                "ToPort": 22,
                "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
            }
        ],
    )
    took["ssh from anywhere on the security group"] = _timed(
        lambda: all(
            r["cidr"] != "0.0.0.0/0"
            for r in (
                _read(cloud_driver.read_security_group(group["name"], group["vpc_name"]))
            ).get("ingress", [{"cidr": "0.0.0.0/0"}])
        ),
        "the rule revoked",
    )

    # Named by the role's name: its permissions boundary taken away.
    iam.delete_role_permissions_boundary(RoleName=cloud_name(env.name, TENANT))
    took["role boundary removed"] = _timed(
        lambda: bool(
            iam.get_role(RoleName=cloud_name(env.name, TENANT))["Role"].get("PermissionsBoundary")
        ),
        "the boundary back",
    )

    print(json.dumps({k: round(v, 2) for k, v in took.items()}))  # the measured latencies
    assert max(took.values()) < REPAIR_WITHIN
    assert _metric(follower, "govcloud_cloud_events_total", 'outcome="placed"') >= placed + 5

    def logged() -> list[dict[str, Any]] | None:
        # A repair is logged once its check has read the resource back and written status.
        lines = _log_lines(follower.log)
        mine = [line for line in lines if line.get("tenant") == TENANT]
        repairs = [
            line["repair"] for line in mine if line.get("repair", {}).get("aspect") == "cloud"
        ]
        return mine if len(repairs) >= 4 else None

    mine = _until(logged, 10, "four cloud repairs logged")
    triggered = {line.get("cloud_event") for line in mine}
    assert {
        "PutBucketVersioning",
        "DeleteBucketPublicAccessBlock",
        "DisableKey",
        "AuthorizeSecurityGroupIngress",
        "DeleteRolePermissionsBoundary",
    } <= triggered
    repaired = {line["repair"]["key"] for line in mine if "repair" in line}
    assert {
        f"bucket/{TENANT}-bucket",
        f"kms-key/{TENANT}-key",
        f"security-group/{TENANT}-sg",
        f"role/{TENANT}-role",
    } <= repaired
