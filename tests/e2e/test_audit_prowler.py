"""`govcloud audit` with real prowler against the local cloud endpoint: the deployed examples
give no failing prowler finding on govcloud's resources; a public bucket policy and a
world-open security group rule, written directly with boto3 as admin (bypassing govcloud)
and undone afterwards, are each reported by prowler's check id against the victim tenant.

prowler comes from `govcloud localcloud build` (its own cached virtualenv), as in CI."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra.audit import AuditOptions, AuditResult, audit_environment, render
from infra.drivers import KubeClient
from infra.localcloud.prowler import PROWLER_VERSION, prowler_python
from infra.plan import render_tenant
from infra.provision import StackResult

from .conftest import TODAY, Workspace

pytestmark = pytest.mark.e2e

VICTIM = "gz-gaj"
OPEN_SSH = {
    "IpProtocol": "tcp",
    "FromPort": 22,
    "ToPort": 22,
    "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
}
BLOCK_ALL = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def _python() -> Path:
    python = prowler_python()
    assert python is not None, "prowler is not installed: run `govcloud localcloud build`"
    return python


def _audit(workspace: Workspace, **changes: Any) -> AuditResult:
    options = AuditOptions(
        root=workspace.root,
        env="local",
        prowler_python=_python(),
        now=dt.datetime.combine(TODAY, dt.time(4), dt.UTC),
        **changes,
    )
    return audit_environment(workspace.env(), workspace.fleet(), options, admin=KubeClient())


def _prowler(result: AuditResult) -> list[str]:
    return [f.line() for f in result.findings if f.request.startswith("prowler ")]


@pytest.fixture(scope="module")
def clean(deployed: dict[str, StackResult], workspace: Workspace) -> AuditResult:
    return _audit(workspace)


def test_prowler_finds_nothing_failing_on_the_deployed_examples(clean: AuditResult) -> None:
    report = render(clean, "text")
    assert _prowler(clean) == [], report
    summary = next(n for n in clean.notes if n.startswith(f"prowler {PROWLER_VERSION}:"))
    assert " FAIL: 0 reported, " in summary, report
    # What was set aside says why, and the endpoint's own objects are not ours.
    assert any(n.startswith("prowler set aside ") and ": " in n for n in clean.notes), report
    assert "on objects govcloud does not own" in summary
    assert "prowler not run" not in report


@pytest.fixture(scope="module")
def broken(clean: AuditResult, workspace: Workspace) -> Iterator[AuditResult]:
    fleet, env = workspace.fleet(), workspace.env()
    cloud = {
        o.kind: o.props for o in render_tenant(fleet[VICTIM], env, fleet=fleet, today=TODAY).cloud
    }
    bucket, group = cloud["bucket"]["name"], cloud["security-group"]["name"]
    s3, ec2 = boto3.client("s3"), boto3.client("ec2")
    saved_policy = s3.get_bucket_policy(Bucket=bucket)["Policy"]
    group_id = ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": [group]}])[
        "SecurityGroups"
    ][0]["GroupId"]
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_policy(
        Bucket=bucket,
        Policy=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "RedTeamPublic",
                        "Effect": "Allow",
                        "Principal": "*",
                        "Action": "s3:GetObject",
                        "Resource": f"arn:aws-cn:s3:::{bucket}/*",
                    }
                ],
            }
        ),
    )
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=[OPEN_SSH])
    try:
        yield _audit(workspace, tenants=[VICTIM])
    finally:
        s3.put_bucket_policy(Bucket=bucket, Policy=saved_policy)
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=BLOCK_ALL)
        ec2.revoke_security_group_ingress(GroupId=group_id, IpPermissions=[OPEN_SSH])


def test_prowler_names_a_public_bucket_and_a_world_open_group(broken: AuditResult) -> None:
    found = _prowler(broken)
    report = render(broken, "text")
    assert broken.exit_code == 1
    assert [
        line
        for line in found
        if f"prowler s3_bucket_public_access on arn:aws-cn:s3:::govcloud-local-{VICTIM}" in line
        and f"-> {VICTIM}:" in line
    ], report
    assert [
        line
        for line in found
        if "prowler ec2_securitygroup_allow_ingress_from_internet_to_tcp_port_22 on " in line
        and f"govcloud-local-{VICTIM}" in line
        and f"-> {VICTIM}:" in line
    ], report
    # Only the audited tenant's resources: the platform's are out of this audit's scope.
    assert all(f"-> {VICTIM}:" in line for line in found), report
