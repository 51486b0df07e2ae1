"""Find every cloud resource carrying our ownership tag, to prove there are no orphans."""

from __future__ import annotations

from typing import NamedTuple

from infra.drivers.cloud._session import call, client, pages, tag_dict
from infra.errors import NotFoundError
from infra.plan.names import MANAGED_BY, TAG_MANAGED_BY
from infra.plan.objects import CloudKind

__all__ = ["ManagedResource", "list_managed"]


class ManagedResource(NamedTuple):
    kind: CloudKind
    handle: str  # alias, bucket or role name, Name tag; "<vpc>/<name>" inside a VPC
    tags: dict[str, str]


def list_managed(
    tag_key: str = TAG_MANAGED_BY, tag_value: str = MANAGED_BY
) -> list[ManagedResource]:
    """Every key, bucket, role, VPC, subnet and security group tagged ``tag_key=tag_value``.
    Keys scheduled for deletion are left out; a key without an alias is listed by key id."""
    found = [*_keys(), *_buckets(), *_roles(), *_network(tag_key, tag_value)]
    return sorted(
        (r for r in found if r.tags.get(tag_key) == tag_value), key=lambda r: (r.kind, r.handle)
    )


def _keys() -> list[ManagedResource]:
    kms = client("kms")
    aliases: dict[str, str] = {}
    for alias in pages("kms:ListAliases", kms.list_aliases, "Aliases"):
        if alias.get("TargetKeyId"):
            aliases.setdefault(alias["TargetKeyId"], alias["AliasName"])
    out = []
    for key in pages("kms:ListKeys", kms.list_keys, "Keys"):
        key_id = key["KeyId"]
        meta = call(f"kms:DescribeKey {key_id}", kms.describe_key, KeyId=key_id)["KeyMetadata"]
        if meta.get("KeyState") == "PendingDeletion" or meta.get("KeyManager") == "AWS":
            continue
        tags = call(f"kms:ListResourceTags {key_id}", kms.list_resource_tags, KeyId=key_id)
        out.append(
            ManagedResource(
                "kms-key",
                aliases.get(key_id, key_id),
                tag_dict(tags.get("Tags"), "TagKey", "TagValue"),
            )
        )
    return out


def _buckets() -> list[ManagedResource]:
    s3 = client("s3")
    out = []
    for bucket in call("s3:ListBuckets", s3.list_buckets).get("Buckets", []):
        name = bucket["Name"]
        try:
            tags = call(f"s3:GetBucketTagging {name}", s3.get_bucket_tagging, Bucket=name)
        except NotFoundError:  # no tags, or deleted since the listing
            continue
        out.append(ManagedResource("bucket", name, tag_dict(tags.get("TagSet"))))
    return out


def _roles() -> list[ManagedResource]:
    iam = client("iam")
    out = []
    for role in pages("iam:ListRoles", iam.list_roles, "Roles"):
        name = role["RoleName"]
        try:
            tags = call(f"iam:ListRoleTags {name}", iam.list_role_tags, RoleName=name)
        except NotFoundError:
            continue
        out.append(ManagedResource("role", name, tag_dict(tags.get("Tags"))))
    return out


def _network(tag_key: str, tag_value: str) -> list[ManagedResource]:
    ec2 = client("ec2")
    ours = [{"Name": f"tag:{tag_key}", "Values": [tag_value]}]
    vpc_names = {
        v["VpcId"]: tag_dict(v.get("Tags")).get("Name", v["VpcId"])
        for v in call("ec2:DescribeVpcs", ec2.describe_vpcs)["Vpcs"]
    }
    out = []
    for vpc in call("ec2:DescribeVpcs", ec2.describe_vpcs, Filters=ours)["Vpcs"]:
        tags = tag_dict(vpc.get("Tags"))
        out.append(ManagedResource("vpc", tags.pop("Name", vpc["VpcId"]), tags))
    for subnet in call("ec2:DescribeSubnets", ec2.describe_subnets, Filters=ours)["Subnets"]:
        tags = tag_dict(subnet.get("Tags"))
        name = tags.pop("Name", subnet["SubnetId"])
        out.append(ManagedResource("subnet", f"{vpc_names.get(subnet['VpcId'])}/{name}", tags))
    for group in call("ec2:DescribeSecurityGroups", ec2.describe_security_groups, Filters=ours)[
        "SecurityGroups"
    ]:
        tags = tag_dict(group.get("Tags"))
        tags.pop("Name", None)
        out.append(
            ManagedResource(
                "security-group", f"{vpc_names.get(group['VpcId'])}/{group['GroupName']}", tags
            )
        )
    return out
