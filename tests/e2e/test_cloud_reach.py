"""Deny by default within a tenant's reach, on the cloud side, against the local cloud.

A red team with the cloud API reference tampers with a deployed tenant straight through
boto3 (as an administrator, bypassing govcloud): an extra lifecycle rule that expires every
object after a day, a KMS grant, an extra inline and an extra attached role policy, a public
ACL grant, replication to an outside bucket, an event notification, the key's alias moved to
a look-alike key (and the bucket re-encrypted with it), the key scheduled for deletion, the
role's trust widened to everyone, security-group rules both ways (a group reference in, a
CIDR out), a new default version of the permissions boundary.

`govcloud drift` must report each one, the audit must report each one, and one reconciler
pass (`govcloud reconcile --once`) must repair all of them, as read back live with boto3.
The moved alias is put back on govcloud's key, never followed.

What the local endpoint (moto 5.2.5) does not do, and what stands in for it:
- AWS-managed policies (``arn:aws-cn:iam::aws:policy/...``) are not loaded, so the attached
  policy is a customer-managed one the red team creates (AttachRolePolicy is the real call);
- an ACL grant is accepted although ownership is BucketOwnerEnforced (real S3 refuses it with
  AccessControlListNotSupported); the grant is stored and read back, which is what is judged;
- replication is stored, objects are not copied; the notification target queue need not
  exist; an EventBridge notification setting is accepted but not returned, so the test uses a
  queue notification.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from infra.audit import AuditOptions, audit_environment, render
from infra.drivers import CloudTable, KubeClient
from infra.plan import CLOUD_DEPENDS_ON, CloudObject, render_tenant
from infra.provision import StackResult

from .conftest import TODAY, Workspace

pytestmark = pytest.mark.e2e

TENANT = "gz-wjw"  # important data: a key of its own
REDTEAM = "arn:aws-cn:iam::123456789012:role/redteam"
OUTSIDE = "redteam-outside-copy"
SINK = "10.255.0.0/24"
_ADMIN_DOC = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


@dataclass
class Tampered:
    objects: list[CloudObject]
    props: dict[Any, dict[str, Any]]
    key_id: str  # govcloud's key
    look_alike: str  # the red team's key
    group_id: str
    outsider_group: str
    boundary_arn: str
    managed_arn: str


def _govcloud(workspace: Workspace, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "GOVCLOUD_ENV": "local"}
    return subprocess.run(
        [sys.executable, "-m", "infra.cli.main", *args],
        cwd=workspace.root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _put_back(objects: list[CloudObject]) -> None:
    """What a test that failed half-way leaves: put as planned, so other modules start clean."""
    table = CloudTable()
    for obj in sorted(objects, key=lambda o: len(CLOUD_DEPENDS_ON.get(o.kind, ()))):
        table.ensure(obj.kind, obj.props)


@pytest.fixture(scope="module")
def tampered(deployed: dict[str, StackResult], workspace: Workspace) -> Iterator[Tampered]:
    fleet = workspace.fleet()
    objects = render_tenant(fleet[TENANT], workspace.env(), fleet=fleet, today=TODAY).cloud
    props = {o.kind: o.props for o in objects}
    bucket, alias, role = (
        props["bucket"]["name"],
        props["kms-key"]["alias"],
        props["role"]["name"],
    )
    s3, kms, iam, ec2 = (boto3.client(s) for s in ("s3", "kms", "iam", "ec2"))
    key = kms.describe_key(KeyId=alias)["KeyMetadata"]
    group = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [props["security-group"]["name"]]}]
    )["SecurityGroups"][0]

    # Durability: every object expires after one day.
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket).get("Rules", [])
    s3.put_bucket_lifecycle_configuration(
        Bucket=bucket,
        LifecycleConfiguration={
            "Rules": [
                *rules,
                {"ID": "expire-all", "Status": "Enabled", "Filter": {}, "Expiration": {"Days": 1}},
            ]
        },
    )
    # Access to the key outside its policy.
    kms.create_grant(
        KeyId=key["KeyId"], GranteePrincipal=REDTEAM, Operations=["Decrypt", "GenerateDataKey"]
    )
    # More for the role: an inline policy and an attached one.
    iam.put_role_policy(RoleName=role, PolicyName="redteam-inline", PolicyDocument=_ADMIN_DOC)
    managed = iam.create_policy(PolicyName="redteam-managed", PolicyDocument=_ADMIN_DOC)["Policy"][
        "Arn"
    ]
    iam.attach_role_policy(RoleName=role, PolicyArn=managed)
    # The bucket: a public ACL grant, replication to an outside bucket, a notification.
    s3.put_bucket_acl(
        Bucket=bucket, GrantRead="uri=http://acs.amazonaws.com/groups/global/AllUsers"
    )
    s3.create_bucket(
        Bucket=OUTSIDE, CreateBucketConfiguration={"LocationConstraint": "cn-northwest-1"}
    )
    s3.put_bucket_versioning(Bucket=OUTSIDE, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_replication(
        Bucket=bucket,
        ReplicationConfiguration={
            "Role": REDTEAM,
            "Rules": [
                {
                    "ID": "copy-out",
                    "Status": "Enabled",
                    "Priority": 1,
                    "Filter": {},
                    "DeleteMarkerReplication": {"Status": "Disabled"},
                    "Destination": {"Bucket": f"arn:aws-cn:s3:::{OUTSIDE}"},
                }
            ],
        },
    )
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "Id": "redteam",
                    "Events": ["s3:ObjectCreated:*"],
                    "QueueArn": "arn:aws-cn:sqs:cn-northwest-1:123456789012:redteam",
                }
            ]
        },
    )
    # A look-alike key (same description, policy and tags); the alias and the bucket's
    # default encryption are moved to it.
    policy = kms.get_key_policy(KeyId=key["KeyId"], PolicyName="default")["Policy"]
    tags = kms.list_resource_tags(KeyId=key["KeyId"])["Tags"]
    look_alike = kms.create_key(Description=key["Description"], Policy=policy, Tags=tags)[
        "KeyMetadata"
    ]
    kms.update_alias(AliasName=alias, TargetKeyId=look_alike["KeyId"])
    s3.put_bucket_encryption(
        Bucket=bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": look_alike["Arn"],
                    }
                }
            ]
        },
    )
    # govcloud's key itself: scheduled for deletion.
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    # Trust widened to everyone.
    iam.update_assume_role_policy(
        RoleName=role,
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
                ],
            }
        ),
    )
    # Security group: in from another group (a reference), out to a CIDR.
    outsider = ec2.create_security_group(
        GroupName="redteam-outsider", Description="red team", VpcId=group["VpcId"]
    )["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=group["GroupId"],
        IpPermissions=[
            {
                "IpProtocol": "tcp",
                "FromPort": 5432,
                "ToPort": 5432,
                "UserIdGroupPairs": [{"GroupId": outsider}],
            }
        ],
    )
    ec2.authorize_security_group_egress(
        GroupId=group["GroupId"],
        IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": SINK}]}],
    )
    # The permissions boundary: a new default version allowing everything.
    boundary = iam.get_role(RoleName=role)["Role"]["PermissionsBoundary"]["PermissionsBoundaryArn"]
    iam.create_policy_version(PolicyArn=boundary, PolicyDocument=_ADMIN_DOC, SetAsDefault=True)
    try:
        yield Tampered(
            list(objects),
            props,
            key["KeyId"],
            look_alike["KeyId"],
            group["GroupId"],
            outsider,
            boundary,
            managed,
        )
    finally:
        _put_back(list(objects))
        iam.delete_policy(PolicyArn=managed)
        ec2.delete_security_group(GroupId=outsider)
        s3.delete_bucket(Bucket=OUTSIDE)
        kms.schedule_key_deletion(KeyId=look_alike["KeyId"], PendingWindowInDays=7)


def _expected(t: Tampered) -> list[tuple[str, str]]:
    """(where, a detail naming the tampering) for each one, as drift and the audit say it."""
    return [
        ("bucket/gz-wjw-bucket.lifecycle_rules: not in the plan", "expire-all"),
        ("kms-key/gz-wjw-key.grants: not in the plan", REDTEAM),
        ("role/gz-wjw-role.inline_policies: not in the plan", "redteam-inline"),
        ("role/gz-wjw-role.attached_policies: not in the plan", t.managed_arn),
        ("bucket/gz-wjw-bucket.acl_grants: not in the plan", "AllUsers:READ"),
        ("bucket/gz-wjw-bucket.replication:", REDTEAM),
        ("bucket/gz-wjw-bucket.notifications:", "QueueConfigurations"),
        ("kms-key/gz-wjw-key.alias_key:", f"moved to key {t.look_alike}"),
        ("bucket/gz-wjw-bucket.kms_key_alias:", f"key {t.look_alike}, not govcloud's key"),
        ("kms-key/gz-wjw-key.state:", "PendingDeletion"),
        ("role/gz-wjw-role.trust_policy:", 'sts:AssumeRole\\"'),
        ("role/gz-wjw-role.boundary_versions:", "2 (plan: 1)"),
        ("role/gz-wjw-role.boundary_policy:", '\\"Action\\":\\"*\\"'),
        ("security-group/gz-wjw-sg.ingress: not in the plan", t.outsider_group),
        ("security-group/gz-wjw-sg.egress: not in the plan", SINK),
    ]


def _missing(lines: list[str], expected: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [
        (where, detail)
        for where, detail in expected
        if not any(where in line and detail in line for line in lines)
    ]


def test_drift_reports_each_tampering(tampered: Tampered, workspace: Workspace) -> None:
    report = _govcloud(workspace, "drift", "--env", "local", "--format", "json")
    assert report.returncode == 1, report.stderr
    data = json.loads(report.stdout)
    lines = [d["what"] for d in data["differences"] if d["tenant"] == TENANT]
    assert _missing(lines, _expected(tampered)) == [], "\n".join(lines)


def test_the_audit_reports_each_tampering(tampered: Tampered, workspace: Workspace) -> None:
    options = AuditOptions(
        root=workspace.root,
        env="local",
        tenants=[TENANT],
        prowler=False,
        now=dt.datetime.combine(TODAY, dt.time(4), dt.UTC),
    )
    result = audit_environment(workspace.env(), workspace.fleet(), options, admin=KubeClient())
    lines = [f.line() for f in result.findings if f.category == "cloud"]
    assert result.exit_code == 1
    assert _missing(lines, _expected(tampered)) == [], render(result, "text")
    leaks = " ".join(f.line() for f in result.leaks)
    for why in (
        "a KMS grant lets a principal use the key",
        "replication copies the data",
        "the alias names another key",
        "the role trusts principals",
        "a rule the plan does not name lets traffic in",
    ):
        assert why in leaks, why


def _no_replication(s3: Any, bucket: str) -> bool:
    try:
        s3.get_bucket_replication(Bucket=bucket)
    except ClientError as exc:
        return exc.response["Error"]["Code"] == "ReplicationConfigurationNotFoundError"
    return False


def test_one_reconciler_pass_repairs_everything_read_back_live(
    tampered: Tampered, workspace: Workspace
) -> None:
    once = _govcloud(workspace, "reconcile", "--env", "local", "--once")
    assert once.returncode == 0, once.stdout + once.stderr
    assert f"restored kms-key/{TENANT}-key" in once.stdout, once.stdout
    t, s3, kms, iam, ec2 = (tampered, *(boto3.client(s) for s in ("s3", "kms", "iam", "ec2")))
    bucket, role = t.props["bucket"], t.props["role"]["name"]
    alias = t.props["kms-key"]["alias"]
    # The bucket: exactly the retention rule, no grant but the owner's, nothing out.
    rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket["name"])["Rules"]
    assert [r["ID"] for r in rules] == ["govcloud-retention"]
    acl = s3.get_bucket_acl(Bucket=bucket["name"])
    assert [g["Grantee"].get("ID") for g in acl["Grants"]] == [acl["Owner"]["ID"]]
    assert _no_replication(s3, bucket["name"])
    notes = s3.get_bucket_notification_configuration(Bucket=bucket["name"])
    assert not notes.get("QueueConfigurations") and not notes.get("TopicConfigurations")
    # The key: the alias back on govcloud's key (never the look-alike), the bucket encrypted
    # with it, enabled again, no grant.
    assert kms.describe_key(KeyId=alias)["KeyMetadata"]["KeyId"] == t.key_id
    encryption = s3.get_bucket_encryption(Bucket=bucket["name"])[
        "ServerSideEncryptionConfiguration"
    ]["Rules"][0]["ApplyServerSideEncryptionByDefault"]
    assert encryption["KMSMasterKeyID"].endswith(f"key/{t.key_id}")
    assert kms.describe_key(KeyId=t.key_id)["KeyMetadata"]["KeyState"] == "Enabled"
    assert kms.list_grants(KeyId=t.key_id)["Grants"] == []
    # The role: the planned trust, its one inline policy, nothing attached, one boundary
    # version: the planned one.
    live_role = iam.get_role(RoleName=role)["Role"]
    assert live_role["AssumeRolePolicyDocument"] == json.loads(t.props["role"]["trust_policy"])
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == ["govcloud-access"]
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
    (version,) = iam.list_policy_versions(PolicyArn=t.boundary_arn)["Versions"]
    document = iam.get_policy_version(PolicyArn=t.boundary_arn, VersionId=version["VersionId"])[
        "PolicyVersion"
    ]
    assert document["Document"] == json.loads(t.props["role"]["boundary_policy"])
    # The security group: no reference to the outsider, no rule out to the sink.
    rules = ec2.describe_security_group_rules(
        Filters=[{"Name": "group-id", "Values": [t.group_id]}]
    )["SecurityGroupRules"]
    assert not [
        r
        for r in rules
        if (r.get("ReferencedGroupInfo") or {}).get("GroupId") == t.outsider_group
        or r.get("CidrIpv4") == SINK
    ]
    # And nothing of it is drift any more.
    again = _govcloud(workspace, "drift", "--env", "local", "--format", "json")
    rows = [
        d["what"]
        for d in json.loads(again.stdout)["differences"]
        if d["tenant"] == TENANT and d["aspect"] == "cloud"
    ]
    assert rows == []
