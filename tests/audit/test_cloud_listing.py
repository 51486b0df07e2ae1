"""The cloud audit reads each kind of resource once (one listing per kind) and judges every
tenant from it: the props it reads are the ones the direct reads give, a leak is found
whether or not its tenant is in the sample read object by object, the sample covers every
class of tenant, and a listing that differs from a direct read is named."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import boto3
import pytest
from moto import mock_aws

from infra.audit.cloud import TenantCloud, audit_cloud, sample, tenant_classes, tenant_cloud
from infra.drivers import CloudTable
from infra.drivers.cloud import canonical_json
from infra.drivers.cloud.iam import read_role, read_role_documents
from infra.drivers.cloud.listing import CloudListing, IamListing
from infra.plan import render_platform, render_tenant
from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import TenantSpec

from .conftest import TODAY

REGION = "cn-northwest-1"
TENANTS = ("gd-rst", "gz-zwsjj", "gd-wjw", "gd-jyt", "gz-wjw")


@pytest.fixture(scope="module")
def aws() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
            patch.delenv(name, raising=False)
        patch.setenv("AWS_ACCESS_KEY_ID", "test")
        patch.setenv("AWS_SECRET_ACCESS_KEY", "test")
        patch.setenv("AWS_REGION", REGION)
        patch.setenv("AWS_DEFAULT_REGION", REGION)
        with mock_aws():
            yield


def _clouds(env: EnvironmentSpec, fleet: dict[str, TenantSpec]) -> list[TenantCloud]:
    prefix = f"arn:{env.cloud.partition}:iam::{env.cloud.account_id}:"
    return [
        tenant_cloud(t, render_tenant(fleet[t], env, fleet=fleet, today=TODAY), prefix)
        for t in sorted(fleet)
    ]


@pytest.fixture
def deployed(aws: None, env: EnvironmentSpec, fleet: dict[str, TenantSpec]) -> list[TenantCloud]:
    """The platform's VPCs and four tenants' cloud objects, ensured as deploy does."""
    table = CloudTable()
    clouds = [c for c in _clouds(env, fleet) if c.tenant in TENANTS]
    vpcs = {c.subnet[1] for c in clouds}
    for obj in render_platform(env).cloud:
        if obj.kind in ("kms-key", "bucket") or obj.props.get("name") in vpcs:
            table.ensure(obj.kind, obj.props)
    for c in clouds:
        for obj in c.objects:
            table.ensure(obj.kind, obj.props)
    _tamper(clouds, _outside(clouds))
    return clouds


def _outside(clouds: list[TenantCloud]) -> str:
    """A tenant the smallest sample leaves out."""
    return sorted(c.tenant for c in clouds if c.tenant not in sample(clouds, clouds, 1))[0]


def _tamper(clouds: list[TenantCloud], reader: str) -> None:
    """``reader``'s role gets an inline policy on gd-rst's bucket; gd-wjw's group is open to
    the world."""
    jyt = next(c for c in clouds if c.tenant == reader)
    rst = next(c for c in clouds if c.tenant == "gd-rst")
    wjw = next(c for c in clouds if c.tenant == "gd-wjw")
    boto3.client("iam").put_role_policy(
        RoleName=jyt.role,
        PolicyName="helpdesk",
        PolicyDocument=json.dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {"Effect": "Allow", "Action": "s3:*", "Resource": f"{rst.bucket_arn}/*"}
                ],
            }
        ),
    )
    ec2 = boto3.client("ec2")
    group = ec2.describe_security_groups(
        Filters=[{"Name": "group-name", "Values": [wjw.group[0]]}]
    )["SecurityGroups"][0]
    ec2.authorize_security_group_ingress(
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


def test_the_listing_reads_what_the_direct_reads_read(deployed: list[TenantCloud]) -> None:
    listing, table = CloudListing.take(), CloudTable()
    after_listing = listing.requests
    for c in deployed:
        for obj in c.objects:
            assert listing.read(obj.kind, obj.props) == table.read(obj.kind, obj.props), obj.key
    # roles, subnets and groups come from the listing: only buckets and keys are asked
    assert after_listing == 6  # aliases, authorization details, VPCs, subnets, groups, rules
    asked = listing.requests - after_listing
    assert 0 < asked <= 25 * len(deployed)
    assert listing.read("role", {"name": "nobody"}) is None


def test_a_leak_is_found_outside_the_sample(deployed: list[TenantCloud]) -> None:
    outside = _outside(deployed)
    done = audit_cloud(deployed, deployed, workers=2, sample_size=1)
    assert outside not in done.sampled and done.disagree == []
    leaks = {(f.subject, f.target) for f in done.findings if f.kind == "leak"}
    assert (f"role/{outside}-role", outside) in leaks  # an inline policy not planned
    wjw = next(c for c in deployed if c.tenant == "gd-wjw")
    assert (f"security group {wjw.group[0]}", "gd-wjw") in leaks


def test_the_same_findings_whatever_the_sample(deployed: list[TenantCloud]) -> None:
    few = audit_cloud(deployed, deployed, workers=2, sample_size=1)
    every = audit_cloud(deployed, deployed, workers=2, sample_size=len(deployed))
    assert sorted(every.sampled) == sorted(c.tenant for c in deployed)
    assert sorted(map(repr, few.findings)) == sorted(map(repr, every.findings))
    assert every.tally.requests > few.tally.requests


class _Stale:
    """A direct reader that sees one more tag on every role than the listing did."""

    def read(self, kind: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
        got = CloudTable().read(kind, props)
        if kind == "role" and got is not None:
            return {**got, "tags": {**got["tags"], "changed": "meanwhile"}}
        return got


def test_a_listing_that_differs_from_a_direct_read_is_named(
    deployed: list[TenantCloud],
) -> None:
    done = audit_cloud(deployed, deployed, workers=2, sample_size=2, direct=_Stale())
    assert done.disagree == sorted(f"role/{t}-role" for t in done.sampled), done.disagree


def test_the_sample_covers_every_class(env: EnvironmentSpec, fleet: dict[str, TenantSpec]) -> None:
    clouds = _clouds(env, fleet)
    of = tenant_classes(clouds)
    classes = set(of.values())
    assert len(classes) >= 3  # the examples hold dedicated and shared keys, shares both ways
    chosen = sample(clouds, clouds, 1)
    assert {of[t] for t in chosen} == classes
    assert len(chosen) == len(classes)
    assert len(sample(clouds, clouds, 8)) == 8
    assert sample(clouds, clouds, 100) == sorted(c.tenant for c in clouds)


class _AwsManaged:
    """The endpoint, asked only about the AWS-managed policy the listing leaves out."""

    ARN = "arn:aws-cn:iam::aws:policy/ReadOnlyAccess"
    DOC: ClassVar[dict[str, Any]] = {"Statement": [{"Effect": "Allow", "Action": "*"}]}

    def get_policy(self, *, PolicyArn: str) -> dict[str, Any]:
        assert PolicyArn == self.ARN
        return {"Policy": {"Arn": PolicyArn, "DefaultVersionId": "v3"}}

    def get_policy_version(self, *, PolicyArn: str, VersionId: str) -> dict[str, Any]:
        assert (PolicyArn, VersionId) == (self.ARN, "v3")
        return {"PolicyVersion": {"VersionId": "v3", "Document": self.DOC}}


def test_an_aws_managed_policy_is_asked_of_the_endpoint() -> None:
    role = {
        "RoleName": "r",
        "RolePolicyList": [{"PolicyName": "own", "PolicyDocument": {"Statement": []}}],
        "AttachedManagedPolicies": [{"PolicyName": "ReadOnlyAccess", "PolicyArn": _AwsManaged.ARN}],
    }
    listing = IamListing([role], [], _AwsManaged())
    docs = read_role_documents("r", iam=listing)
    assert docs == {
        "inline:own": '{"Statement":[]}',
        f"attached:{_AwsManaged.ARN}": canonical_json(_AwsManaged.DOC),
    }
    assert read_role("nobody", iam=listing) is None
