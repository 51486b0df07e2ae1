"""A tenant's cloud resources: key, encrypted bucket, role with boundary, subnet, group."""

from __future__ import annotations

import json
from typing import Any

from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import Classification, Egress, PersonalInformation, TenantSpec

from .names import (
    TAG_TENANT,
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
    KeyProps,
    RoleProps,
    SecurityGroupProps,
    SecurityRule,
    SubnetProps,
    sort_rules,
)
from .reach import bucket_reach, key_reach, role_reach
from .shares import (
    Share,
    bucket_share_statements,
    key_share_statements,
    requester_share_statements,
    share_principals,
)

__all__ = [
    "BUCKET_OWNERSHIP",
    "KEY_ADMIN_ACTIONS",
    "KEY_USE_ACTIONS",
    "arn",
    "dedicated_key",
    "deny_insecure_transport",
    "key_policy",
    "peer_ports",
    "policy_json",
    "tenant_cloud_objects",
    "uses_tls",
    "workload_trust",
]


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
    """Important and core data, sensitive personal information, published datasets (a
    share decrypts with the provider's key), or a request: own key."""
    return (
        spec.data.dedicated_key
        or bool(spec.data.datasets)
        or spec.data.classification is not Classification.general
        or spec.data.personal_information is PersonalInformation.sensitive
    )


def _role_arn(env: EnvironmentSpec, name: str) -> str:
    return arn(env, "iam", f"role/{name}")


PROXY_PORT = 3128
BUCKET_OWNERSHIP = "BucketOwnerEnforced"  # ACLs disabled: the policy alone decides access
# Key administration, spelled out: no `kms:*` and no wildcards anywhere on a key.
KEY_ADMIN_ACTIONS = [
    "kms:CancelKeyDeletion",
    "kms:CreateAlias",
    "kms:DeleteAlias",
    "kms:DescribeKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListAliases",
    "kms:ListGrants",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:RevokeGrant",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateAlias",
    "kms:UpdateKeyDescription",
]
KEY_USE_ACTIONS = [
    "kms:Decrypt",
    "kms:DescribeKey",
    "kms:Encrypt",
    "kms:GenerateDataKey",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
]


def uses_tls(env: EnvironmentSpec) -> bool:
    """Whether the environment's endpoint speaks TLS: an explicit ``cloud.tls`` wins; else an
    endpoint spelled ``http://`` does not. A plain-HTTP endpoint cannot satisfy
    ``aws:SecureTransport``, so its buckets get no deny-non-TLS statement."""
    declared = getattr(env.cloud, "tls", None)
    if declared is not None:
        return bool(declared)
    return not (env.cloud.endpoint or "").startswith("http://")


def deny_insecure_transport(env: EnvironmentSpec, resources: list[str]) -> list[dict[str, Any]]:
    if not uses_tls(env):
        return []
    return [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ]


def key_policy(
    env: EnvironmentSpec,
    users: list[str],
    *,
    delegate_use: bool = True,
    shares: list[dict[str, Any]] | None = None,
) -> str:
    """The account administers the key (listed actions only); ``users`` may use it. With
    ``delegate_use`` the account may also grant use through IAM policies, only through S3
    (the platform key: each general tenant's role is granted it for its own bucket).
    ``shares``: the decrypt statements of the data shares the key's tenant gives."""
    suffix = ".cn" if env.cloud.partition == "aws-cn" else ""
    statements: list[dict[str, Any]] = [
        {
            "Sid": "AccountAdministersKey",
            "Effect": "Allow",
            "Principal": {"AWS": arn(env, "iam", "root")},
            "Action": KEY_ADMIN_ACTIONS,
            "Resource": "*",
        },
        {
            "Sid": "NamedRolesUseKey",
            "Effect": "Allow",
            "Principal": {"AWS": sorted(users)},
            "Action": KEY_USE_ACTIONS,
            "Resource": "*",
        },
    ]
    if delegate_use:
        statements.append(
            {
                "Sid": "AccountGrantsUseThroughS3",
                "Effect": "Allow",
                "Principal": {"AWS": arn(env, "iam", "root")},
                "Action": KEY_USE_ACTIONS,
                "Resource": "*",
                "Condition": {
                    "StringEquals": {
                        "kms:ViaService": f"s3.{env.cloud.region}.amazonaws.com{suffix}"
                    }
                },
            }
        )
    return policy_json([*statements, *(shares or [])])


def _key(spec: TenantSpec, env: EnvironmentSpec, role: str, given: list[Share]) -> CloudObject:
    props: KeyProps = {
        "alias": key_alias(env.name, spec.id),
        "description": f"govcloud {env.name} data key of {spec.id} ({spec.name})",
        "policy": key_policy(
            env,
            [_role_arn(env, role)],
            delegate_use=False,
            shares=key_share_statements(env, given),
        ),
        "rotation": True,
        "enabled": True,
        "tags": tags(env.name, spec.id, spec.data.classification.value),
    }
    return CloudObject(
        "kms-key", f"{spec.id}-key", {**props, **key_reach(bucket_name(env.name, spec.id))}
    )


def _bucket(
    spec: TenantSpec, env: EnvironmentSpec, role: str, alias: str, given: list[Share]
) -> CloudObject:
    name = bucket_name(env.name, spec.id)
    resources = [arn(env, "s3", name), arn(env, "s3", f"{name}/*")]
    allowed = sorted(
        [
            _role_arn(env, role),
            _role_arn(env, env.platform_admin_role),
            *share_principals(env, given),
        ]
    )
    policy = policy_json(
        [
            *deny_insecure_transport(env, resources),
            {
                "Sid": "DenyOtherPrincipals",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": resources,
                "Condition": {"ArnNotLike": {"aws:PrincipalArn": allowed}},
            },
            *bucket_share_statements(env, given),
        ]
    )
    props: BucketProps = {
        "name": name,
        "kms_key_alias": alias,
        "versioning": True,
        "public_access_block": True,
        "ownership": BUCKET_OWNERSHIP,
        "access_log_bucket": bucket_name(env.name, "audit"),
        "policy": policy,
        "expiration_days": spec.data.retention_days,
        "tags": tags(env.name, spec.id, spec.data.classification.value),
    }
    return CloudObject(
        "bucket", f"{spec.id}-bucket", {**props, **bucket_reach(spec.data.retention_days)}
    )


def workload_trust(env: EnvironmentSpec, tenant: str) -> str:
    """Who may assume a tenant's role: exactly the service accounts of the tenant's own
    namespace, by the tokens the cluster issues (web identity through the issuer the cloud
    trusts). Never a tag: any principal that can tag itself could claim one."""
    issuer = env.cloud.workload_issuer
    return policy_json(
        [
            {
                "Sid": "TenantWorkloads",
                "Effect": "Allow",
                "Principal": {"Federated": arn(env, "iam", f"oidc-provider/{issuer}")},
                "Action": "sts:AssumeRoleWithWebIdentity",
                "Condition": {
                    "StringEquals": {f"{issuer}:aud": "sts.amazonaws.com"},
                    # a service account's name has no ':': the namespace is exact
                    "StringLike": {f"{issuer}:sub": f"system:serviceaccount:{tenant}:*"},
                },
            }
        ]
    )


_BUCKET_USE = [
    "s3:DeleteObject",
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:ListBucket",
    "s3:PutObject",
]


def _role(
    spec: TenantSpec, env: EnvironmentSpec, role: str, alias: str, received: list[Share]
) -> CloudObject:
    bucket = bucket_name(env.name, spec.id)
    own = [arn(env, "s3", bucket), arn(env, "s3", f"{bucket}/*")]
    tenant_tag = {f"aws:ResourceTag/{TAG_TENANT}": spec.id}
    # The key that encrypts the bucket (its own or the platform key), named by alias, and only
    # for this bucket's objects (S3's encryption context is the bucket's ARN).
    bucket_key = {
        "ForAnyValue:StringEquals": {"kms:ResourceAliases": [alias]},
        "StringLike": {"kms:EncryptionContext:aws:s3:arn": own},
    }
    trust = workload_trust(env, spec.id)

    def use(sids: tuple[str, str]) -> list[dict[str, Any]]:
        return [
            {"Sid": sids[0], "Effect": "Allow", "Action": _BUCKET_USE, "Resource": own},
            {
                "Sid": sids[1],
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey"],
                "Resource": arn(env, "kms", "key/*", regional=True),
                "Condition": bucket_key,
            },
        ]

    boundary = policy_json(
        [
            *use(("OwnBucket", "BucketKey")),
            {
                "Sid": "OwnTaggedNetwork",
                "Effect": "Allow",
                "Action": ["ec2:DescribeSecurityGroups", "ec2:DescribeSubnets"],
                "Resource": "*",
                "Condition": {"StringEquals": tenant_tag},
            },
            *requester_share_statements(env, received),
        ]
    )
    inline = policy_json(use(("UseOwnBucket", "UseBucketKey")))
    props: RoleProps = {
        "name": role,
        "trust_policy": trust,
        "boundary_name": cloud_name(env.name, spec.id, "boundary"),
        "boundary_policy": boundary,
        "inline_policy": inline,
        "tags": tags(env.name, spec.id, spec.data.classification.value),
    }
    return CloudObject("role", f"{spec.id}-role", {**props, **role_reach()})


def peer_ports(spec: TenantSpec) -> dict[str, list[int]]:
    """The TCP ports of each declared peering (default 443), sorted."""
    return {p.tenant: sorted(set(p.ports)) for p in spec.network.peers}


def _rule(cidr: str, protocol: str, ports: tuple[int, int], description: str) -> SecurityRule:
    return {
        "cidr": cidr,
        "protocol": protocol,
        "from_port": ports[0],
        "to_port": ports[1],
        "description": description,
    }


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
    within = _rule(spec.network.cidr, "-1", (-1, -1), f"within {spec.id}")
    ports = peer_ports(spec)
    peering = [
        _rule(cidr, "tcp", (port, port), f"peer {peer}")
        for peer, cidr in sorted(peer_cidrs.items())
        for port in ports.get(peer, [443])
    ]
    ingress = [within, *peering]
    # Egress exactly as the spec says: the tenant itself, its peers and, with `egress: proxy`,
    # the platform proxy; never the default allow-all (IPv4 or IPv6).
    egress = [within, *peering]
    if spec.network.egress is Egress.proxy and env.proxy_cidr:
        egress.append(_rule(env.proxy_cidr, "tcp", (PROXY_PORT, PROXY_PORT), "egress proxy"))
    group: SecurityGroupProps = {
        "name": name,
        "vpc_name": vpc_name(env.name, vpc_for(env.network.pool, spec.network.cidr)),
        "description": f"govcloud {env.name} tenant {spec.id}",
        "ingress": sort_rules(ingress),
        "egress": sort_rules(egress),
        "tags": tagset,
    }
    return [
        CloudObject("subnet", f"{spec.id}-subnet", dict(subnet)),
        CloudObject("security-group", f"{spec.id}-sg", dict(group)),
    ]


def tenant_cloud_objects(
    spec: TenantSpec,
    env: EnvironmentSpec,
    *,
    peer_cidrs: dict[str, str],
    given: list[Share] | None = None,
    received: list[Share] | None = None,
) -> list[CloudObject]:
    """In create order: key before bucket (SSE-KMS), role, then network. ``given``: the
    live shares of this tenant's datasets; ``received``: those it reads from others."""
    role = cloud_name(env.name, spec.id)
    given = given or []
    out = []
    if dedicated_key(spec):
        out.append(_key(spec, env, role, given))
        alias = key_alias(env.name, spec.id)
    else:
        alias = platform_key_alias(env.name)
    out += [
        _bucket(spec, env, role, alias, given),
        _role(spec, env, role, alias, received or []),
        *_network(spec, env, peer_cidrs),
    ]
    return out
