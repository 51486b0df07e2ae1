"""A tenant's cloud resources: key, encrypted bucket, role with boundary, subnet, group."""

from __future__ import annotations

import json
from typing import Any

from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import Classification, PersonalInformation, TenantSpec

from .names import (
    bucket_name,
    cloud_name,
    key_alias,
    platform_key_alias,
    tags,
    vpc_for,
    vpc_name,
)
from .objects import (
    BucketProps,
    CloudObject,
    IngressRule,
    KeyProps,
    RoleProps,
    SecurityGroupProps,
    SubnetProps,
)

__all__ = ["arn", "dedicated_key", "policy_json", "tenant_cloud_objects"]


def policy_json(statements: list[dict[str, Any]]) -> str:
    """Canonical JSON (sorted keys, no spaces) so equal policies compare equal."""
    return json.dumps(
        {"Version": "2012-10-17", "Statement": statements},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )


def arn(env: EnvironmentSpec, service: str, resource: str, *, regional: bool = False) -> str:
    region = env.cloud.region if regional else ""
    account = "" if service == "s3" else env.cloud.account_id
    return f"arn:{env.cloud.partition}:{service}:{region}:{account}:{resource}"


def dedicated_key(spec: TenantSpec) -> bool:
    """Important and core data, sensitive personal information, or a request: own key."""
    return (
        spec.data.dedicated_key
        or spec.data.classification is not Classification.general
        or spec.data.personal_information is PersonalInformation.sensitive
    )


def _role_arn(env: EnvironmentSpec, name: str) -> str:
    return arn(env, "iam", f"role/{name}")


def _key(spec: TenantSpec, env: EnvironmentSpec, role: str) -> CloudObject:
    admin = _role_arn(env, env.platform_admin_role)
    root = arn(env, "iam", "root")
    policy = policy_json(
        [
            {
                "Sid": "AccountAdministersKey",
                "Effect": "Allow",
                "Principal": {"AWS": root},
                "Action": [
                    "kms:Create*",
                    "kms:Describe*",
                    "kms:Enable*",
                    "kms:List*",
                    "kms:Put*",
                    "kms:Update*",
                    "kms:Revoke*",
                    "kms:Disable*",
                    "kms:Get*",
                    "kms:Delete*",
                    "kms:TagResource",
                    "kms:UntagResource",
                    "kms:ScheduleKeyDeletion",
                    "kms:CancelKeyDeletion",
                ],
                "Resource": "*",
            },
            {
                "Sid": "TenantAndPlatformUseKey",
                "Effect": "Allow",
                "Principal": {"AWS": sorted([_role_arn(env, role), admin])},
                "Action": [
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:ReEncrypt*",
                    "kms:GenerateDataKey*",
                    "kms:DescribeKey",
                ],
                "Resource": "*",
            },
        ]
    )
    props: KeyProps = {
        "alias": key_alias(env.name, spec.id),
        "description": f"govcloud {env.name} data key of {spec.id} ({spec.name})",
        "policy": policy,
        "rotation": True,
        "tags": tags(env.name, spec.id, spec.data.classification.value),
    }
    return CloudObject("kms-key", f"{spec.id}-key", dict(props))


def _bucket(spec: TenantSpec, env: EnvironmentSpec, role: str, alias: str) -> CloudObject:
    name = bucket_name(env.name, spec.id)
    resources = [arn(env, "s3", name), arn(env, "s3", f"{name}/*")]
    allowed = sorted([_role_arn(env, role), _role_arn(env, env.platform_admin_role)])
    policy = policy_json(
        [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": resources,
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            },
            {
                "Sid": "DenyOtherPrincipals",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": resources,
                "Condition": {"ArnNotLike": {"aws:PrincipalArn": allowed}},
            },
        ]
    )
    props: BucketProps = {
        "name": name,
        "kms_key_alias": alias,
        "versioning": True,
        "public_access_block": True,
        "policy": policy,
        "expiration_days": spec.data.retention_days,
        "tags": tags(env.name, spec.id, spec.data.classification.value),
    }
    return CloudObject("bucket", f"{spec.id}-bucket", dict(props))


def _role(spec: TenantSpec, env: EnvironmentSpec, role: str) -> CloudObject:
    bucket = bucket_name(env.name, spec.id)
    own = [arn(env, "s3", bucket), arn(env, "s3", f"{bucket}/*")]
    tenant_tag = {"aws:ResourceTag/tenant": spec.id}
    trust = policy_json(
        [
            {
                "Effect": "Allow",
                "Principal": {"AWS": arn(env, "iam", "root")},
                "Action": "sts:AssumeRole",
                "Condition": {"StringEquals": {"aws:PrincipalTag/tenant": spec.id}},
            }
        ]
    )
    boundary = policy_json(
        [
            {"Sid": "OwnBucket", "Effect": "Allow", "Action": "s3:*", "Resource": own},
            {
                "Sid": "OwnTaggedResources",
                "Effect": "Allow",
                "Action": [
                    "kms:Encrypt",
                    "kms:Decrypt",
                    "kms:GenerateDataKey*",
                    "kms:DescribeKey",
                    "ec2:Describe*",
                ],
                "Resource": "*",
                "Condition": {"StringEquals": tenant_tag},
            },
        ]
    )
    inline = policy_json(
        [
            {
                "Sid": "UseOwnBucket",
                "Effect": "Allow",
                "Action": [
                    "s3:GetObject",
                    "s3:PutObject",
                    "s3:DeleteObject",
                    "s3:ListBucket",
                    "s3:GetObjectVersion",
                ],
                "Resource": own,
            },
            {
                "Sid": "UseOwnKey",
                "Effect": "Allow",
                "Action": ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"],
                "Resource": arn(env, "kms", "key/*", regional=True),
                "Condition": {"StringEquals": tenant_tag},
            },
        ]
    )
    props: RoleProps = {
        "name": role,
        "trust_policy": trust,
        "boundary_name": cloud_name(env.name, spec.id, "boundary"),
        "boundary_policy": boundary,
        "inline_policy": inline,
        "tags": tags(env.name, spec.id, spec.data.classification.value),
    }
    return CloudObject("role", f"{spec.id}-role", dict(props))


def _network(
    spec: TenantSpec, env: EnvironmentSpec, peer_cidrs: dict[str, str]
) -> list[CloudObject]:
    name = cloud_name(env.name, spec.id)
    tagset = tags(env.name, spec.id, spec.data.classification.value)
    subnet: SubnetProps = {
        "name": name,
        "vpc_name": vpc_name(env.name, vpc_for(env.network.pool, spec.network.cidr)),
        "cidr": spec.network.cidr,
        "tags": tagset,
    }
    ingress: list[IngressRule] = [
        {
            "cidr": spec.network.cidr,
            "protocol": "-1",
            "from_port": -1,
            "to_port": -1,
            "description": f"within {spec.id}",
        }
    ]
    ingress += [
        {
            "cidr": cidr,
            "protocol": "tcp",
            "from_port": 443,
            "to_port": 443,
            "description": f"peer {peer}",
        }
        for peer, cidr in sorted(peer_cidrs.items())
    ]
    # Ordered as the cloud API reports rules, so desired and actual compare equal.
    ingress.sort(key=lambda r: (r["cidr"], r["protocol"], r["from_port"], r["to_port"]))
    group: SecurityGroupProps = {
        "name": name,
        "vpc_name": vpc_name(env.name, vpc_for(env.network.pool, spec.network.cidr)),
        "description": f"govcloud {env.name} tenant {spec.id}",
        "ingress": ingress,
        "tags": tagset,
    }
    return [
        CloudObject("subnet", f"{spec.id}-subnet", dict(subnet)),
        CloudObject("security-group", f"{spec.id}-sg", dict(group)),
    ]


def tenant_cloud_objects(
    spec: TenantSpec, env: EnvironmentSpec, *, peer_cidrs: dict[str, str]
) -> list[CloudObject]:
    """In create order: key before bucket (SSE-KMS), role, then network."""
    role = cloud_name(env.name, spec.id)
    out = []
    if dedicated_key(spec):
        out.append(_key(spec, env, role))
        alias = key_alias(env.name, spec.id)
    else:
        alias = platform_key_alias(env.name)
    out += [
        _bucket(spec, env, role, alias),
        _role(spec, env, role),
        *_network(spec, env, peer_cidrs),
    ]
    return out
