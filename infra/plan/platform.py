"""The platform stack: what every tenant relies on, created once per environment."""

from __future__ import annotations

from typing import Any

from infra.spec.environment import EnvironmentSpec

from .cloud import arn, policy_json
from .crd import tenant_crd
from .names import (
    LABEL_MANAGED_BY,
    LABEL_TENANT,
    MANAGED_BY,
    SHARED_NAMESPACE,
    bucket_name,
    platform_key_alias,
    vpc_blocks,
    vpc_name,
)
from .objects import BucketProps, CloudObject, KeyProps, KubeObject, RoleProps, VpcProps
from .reconciler import RECONCILER_USER, reconciler_objects

__all__ = [
    "AUDIT_RETENTION_DAYS",
    "PLATFORM_GROUP",
    "platform_cloud_objects",
    "platform_kube_objects",
]

AUDIT_RETENTION_DAYS = 180  # network logs are kept at least six months
PLATFORM_GROUP = "govcloud:platform"
_MANAGED = {LABEL_MANAGED_BY: MANAGED_BY}


def _meta(name: str, namespace: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": dict(_MANAGED)}
    if namespace:
        meta["namespace"] = namespace
    return meta


_NOT_PLATFORM = (
    "!('system:masters' in request.userInfo.groups) && "
    f"!('{PLATFORM_GROUP}' in request.userInfo.groups) && "
    "!request.userInfo.username.startsWith('system:serviceaccount:kube-system:') && "
    f"request.userInfo.username != '{RECONCILER_USER}'"
)


def _managed(var: str) -> str:
    return (
        f"{var} != null && has({var}.metadata.labels) && "
        f"'{LABEL_MANAGED_BY}' in {var}.metadata.labels && "
        f"{var}.metadata.labels['{LABEL_MANAGED_BY}'] == '{MANAGED_BY}'"
    )


def _peer_ok(p: str) -> str:
    own = "kubernetes.io/metadata.name"
    return (
        f"!has({p}.ipBlock) && (!has({p}.namespaceSelector) || "
        f"(has({p}.namespaceSelector.matchLabels) && "
        f"!has({p}.namespaceSelector.matchExpressions) && "
        f"'{own}' in {p}.namespaceSelector.matchLabels && "
        f"{p}.namespaceSelector.matchLabels['{own}'] == request.namespace))"
    )


def _policy(
    name: str,
    rules: list[dict[str, Any]],
    validations: list[dict[str, str]],
    conditions: list[dict[str, str]] | None = None,
    variables: list[dict[str, str]] | None = None,
) -> list[KubeObject]:
    spec: dict[str, Any] = {
        "failurePolicy": "Fail",
        "matchConstraints": {"resourceRules": rules},
        "validations": validations,
    }
    if conditions:
        spec["matchConditions"] = conditions
    if variables:
        spec["variables"] = variables
    policy = KubeObject(
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingAdmissionPolicy",
            "metadata": _meta(name),
            "spec": spec,
        }
    )
    binding = KubeObject(
        {
            "apiVersion": "admissionregistration.k8s.io/v1",
            "kind": "ValidatingAdmissionPolicyBinding",
            "metadata": _meta(name),
            "spec": {
                "policyName": name,
                "validationActions": ["Deny"],
                "matchResources": {
                    "namespaceSelector": {
                        "matchExpressions": [{"key": LABEL_TENANT, "operator": "Exists"}]
                    }
                },
            },
        }
    )
    return [policy, binding]


def _admission_policies() -> list[KubeObject]:
    protect = _policy(
        "govcloud-protect-managed",
        [
            {
                "apiGroups": ["", "networking.k8s.io", "rbac.authorization.k8s.io"],
                "apiVersions": ["*"],
                "operations": ["CREATE", "UPDATE", "DELETE"],
                "resources": [
                    "resourcequotas",
                    "limitranges",
                    "networkpolicies",
                    "roles",
                    "rolebindings",
                    "serviceaccounts",
                ],
            }
        ],
        [
            {
                "expression": "!variables.wasManaged && !variables.isManaged",
                "message": "objects managed by govcloud (quotas, limits, network policies, "
                "roles) can only be changed by the platform",
            }
        ],
        conditions=[{"name": "not-platform", "expression": _NOT_PLATFORM}],
        variables=[
            {"name": "wasManaged", "expression": _managed("oldObject")},
            {"name": "isManaged", "expression": _managed("object")},
        ],
    )
    nodeport = _policy(
        "govcloud-deny-nodeport",
        [
            {
                "apiGroups": [""],
                "apiVersions": ["v1"],
                "operations": ["CREATE", "UPDATE"],
                "resources": ["services"],
            }
        ],
        [
            {
                "expression": "!has(object.spec.type) || "
                "!(object.spec.type in ['NodePort', 'LoadBalancer'])",
                "message": "NodePort and LoadBalancer services are not allowed in tenant "
                "namespaces; use the platform ingress",
            }
        ],
    )
    ingress_ok = (
        f"!has(object.spec.ingress) || object.spec.ingress.all(r, "
        f"!has(r.from) || r.from.all(p, {_peer_ok('p')}))"
    )
    egress_ok = (
        f"!has(object.spec.egress) || object.spec.egress.all(r, "
        f"!has(r.to) || r.to.all(p, {_peer_ok('p')}))"
    )
    netpol = _policy(
        "govcloud-tenant-netpol-stays-inside",
        [
            {
                "apiGroups": ["networking.k8s.io"],
                "apiVersions": ["v1"],
                "operations": ["CREATE", "UPDATE"],
                "resources": ["networkpolicies"],
            }
        ],
        [
            {
                "expression": f"({ingress_ok}) && ({egress_ok})",
                "message": "a tenant's own NetworkPolicy may only select pods in its own "
                "namespace (no other namespaces, no ipBlock); cross-tenant paths "
                "come from peerings in the tenant spec",
            }
        ],
        conditions=[
            {"name": "not-platform", "expression": _NOT_PLATFORM},
            {"name": "not-managed", "expression": f"!({_managed('object')})"},
        ],
    )
    return [*protect, *nodeport, *netpol]


_READ = ["get", "list", "watch"]


def _cluster_roles() -> list[KubeObject]:
    ops_rules: list[dict[str, Any]] = [
        {
            "apiGroups": [""],
            "resources": [
                "pods",
                "pods/log",
                "events",
                "services",
                "endpoints",
                "resourcequotas",
                "limitranges",
            ],
            "verbs": _READ,
        },
        {"apiGroups": ["apps", "batch"], "resources": ["*"], "verbs": _READ},
        {
            "apiGroups": ["apps"],
            "resources": ["deployments/scale", "statefulsets/scale"],
            "verbs": ["update", "patch"],
        },
        {"apiGroups": ["networking.k8s.io"], "resources": ["networkpolicies"], "verbs": _READ},
    ]
    data_rules = [
        *ops_rules,
        {
            "apiGroups": [""],
            "resources": ["secrets", "configmaps", "persistentvolumeclaims"],
            "verbs": _READ,
        },
        {"apiGroups": [""], "resources": ["pods/exec"], "verbs": ["create"]},
    ]
    return [
        KubeObject(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": _meta(name),
                "rules": rules,
            }
        )
        for name, rules in (
            ("govcloud-operator-ops", ops_rules),
            ("govcloud-operator-data", data_rules),
        )
    ]


def platform_kube_objects(env: EnvironmentSpec) -> list[KubeObject]:
    shared = _meta(SHARED_NAMESPACE)
    shared["labels"]["pod-security.kubernetes.io/enforce"] = "restricted"
    return [
        tenant_crd(),
        KubeObject({"apiVersion": "v1", "kind": "Namespace", "metadata": shared}),
        *_cluster_roles(),
        *_admission_policies(),
        *reconciler_objects(),
    ]


def platform_cloud_objects(env: EnvironmentSpec) -> list[CloudObject]:
    tagset = {
        "managed-by": MANAGED_BY,
        "govcloud-env": env.name,
        "tenant": "platform",
        "classification": "important",
    }
    admin = arn(env, "iam", f"role/{env.platform_admin_role}")
    key: KeyProps = {
        "alias": platform_key_alias(env.name),
        "description": f"govcloud {env.name} platform key (shared general data, audit)",
        "policy": policy_json(
            [
                {
                    "Sid": "AccountAndPlatform",
                    "Effect": "Allow",
                    "Principal": {"AWS": sorted([arn(env, "iam", "root"), admin])},
                    "Action": "kms:*",
                    "Resource": "*",
                }
            ]
        ),
        "rotation": True,
        "tags": tagset,
    }
    audit = bucket_name(env.name, "audit")
    audit_props: BucketProps = {
        "name": audit,
        "kms_key_alias": platform_key_alias(env.name),
        "versioning": True,
        "public_access_block": True,
        "policy": policy_json(
            [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [arn(env, "s3", audit), arn(env, "s3", f"{audit}/*")],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ]
        ),
        "expiration_days": AUDIT_RETENTION_DAYS,
        "tags": tagset,
    }
    role: RoleProps = {
        "name": env.platform_admin_role,
        "trust_policy": policy_json(
            [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": arn(env, "iam", "root")},
                    "Action": "sts:AssumeRole",
                }
            ]
        ),
        "boundary_name": f"{env.platform_admin_role}-boundary",
        "boundary_policy": policy_json(
            [
                {
                    "Effect": "Allow",
                    "Action": ["kms:*", "s3:*", "ec2:Describe*", "iam:Get*", "iam:List*"],
                    "Resource": "*",
                }
            ]
        ),
        "inline_policy": policy_json(
            [
                {
                    "Effect": "Allow",
                    "Action": ["kms:DescribeKey", "s3:ListAllMyBuckets"],
                    "Resource": "*",
                }
            ]
        ),
        "tags": tagset,
    }
    vpcs: list[VpcProps] = [
        {"name": vpc_name(env.name, block), "cidr": block, "tags": tagset}
        for block in vpc_blocks(env.network.pool)
    ]
    return [
        *(CloudObject("vpc", f"vpc-{v['name']}", dict(v)) for v in vpcs),
        CloudObject("kms-key", "platform-key", dict(key)),
        CloudObject("bucket", "audit-bucket", dict(audit_props)),
        CloudObject("role", "platform-admin-role", dict(role)),
    ]
