"""The platform stack: what every tenant relies on, created once per environment."""

from __future__ import annotations

from typing import Any

from infra.spec.environment import EnvironmentSpec

from .access_policy import access_objects
from .access_requests import access_request_crd
from .cloud import (
    BUCKET_OWNERSHIP,
    KEY_ADMIN_ACTIONS,
    arn,
    deny_insecure_transport,
    key_policy,
    policy_json,
)
from .crd import tenant_crd
from .defaults import with_server_defaults
from .identities import identity_policies
from .names import (
    DOMAIN,
    LABEL_MANAGED_BY,
    LABEL_TENANT,
    MANAGED_BY,
    PLATFORM_TENANT,
    SHARED_NAMESPACE,
    bucket_name,
    platform_key_alias,
    tags,
    vpc_blocks,
    vpc_name,
)
from .netpol_rule import CEL_INSIDE, CEL_NAMED
from .objects import BucketProps, CloudObject, KeyProps, KubeObject, RoleProps, VpcProps
from .reach import bucket_reach, key_reach, role_reach
from .reconciler import RECONCILER_USER, reconciler_objects
from .signing import signing_key_props
from .workloads import credential_validations, service_account_validations

__all__ = [
    "AUDIT_RETENTION_DAYS",
    "DATA_RULES",
    "INGRESS_CLASS",
    "OPS_RULES",
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
    f"request.userInfo.username != '{RECONCILER_USER}' && "
    "request.userInfo.username != 'system:kube-controller-manager'"
)


def _managed(var: str) -> str:
    return (
        f"{var} != null && has({var}.metadata.labels) && "
        f"'{LABEL_MANAGED_BY}' in {var}.metadata.labels && "
        f"{var}.metadata.labels['{LABEL_MANAGED_BY}'] == '{MANAGED_BY}'"
    )


_NS_NAME = "kubernetes.io/metadata.name"
INGRESS_CLASS = "govcloud"


def _resources(group: str, resources: list[str], operations: list[str]) -> dict[str, Any]:
    return {
        "apiGroups": [group],
        "apiVersions": ["*"],
        "operations": operations,
        "resources": resources,
    }


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


def _netpol_policy() -> list[KubeObject]:
    return _policy(
        "govcloud-tenant-netpol-stays-inside",
        [_resources("networking.k8s.io", ["networkpolicies"], ["CREATE", "UPDATE"])],
        [
            {
                "expression": CEL_NAMED["ingress"],
                "message": "every ingress rule of a tenant's NetworkPolicy must list `from` peers: "
                "a rule without peers (missing or empty `from`) admits every source",
            },
            {
                "expression": CEL_NAMED["egress"],
                "message": "every egress rule of a tenant's NetworkPolicy must list `to` peers: "
                "a rule without peers (missing or empty `to`) reaches every destination",
            },
            {
                "expression": CEL_INSIDE,
                "message": "a tenant's own NetworkPolicy may only select pods in its own "
                "namespace (no other or empty namespace selector, no ipBlock, IPv4 or "
                "IPv6); cross-tenant paths come from peerings in the tenant spec",
            },
        ],
        conditions=[
            {"name": "not-platform", "expression": _NOT_PLATFORM},
            {"name": "not-managed", "expression": f"!({_managed('object')})"},
        ],
    )


def _service_policies() -> list[KubeObject]:
    services = _policy(
        "govcloud-deny-nodeport",
        [_resources("", ["services"], ["CREATE", "UPDATE"])],
        [
            {
                "expression": "!has(object.spec.type) || "
                "!(object.spec.type in ['NodePort', 'LoadBalancer'])",
                "message": "NodePort and LoadBalancer services are not allowed in tenant "
                "namespaces; use the platform ingress",
            },
            {
                "expression": "!has(object.spec.externalIPs) || size(object.spec.externalIPs) == 0",
                "message": "services with externalIPs are not allowed in tenant namespaces: they "
                "can intercept other traffic (CVE-2020-8554)",
            },
        ],
    )
    ingress = _policy(
        "govcloud-ingress-platform-class",
        [_resources("networking.k8s.io", ["ingresses"], ["CREATE", "UPDATE"])],
        [
            {
                "expression": f"has(object.spec.ingressClassName) && "
                f"object.spec.ingressClassName == '{INGRESS_CLASS}' && "
                "!(has(object.metadata.annotations) && "
                "'kubernetes.io/ingress.class' in object.metadata.annotations && "
                "object.metadata.annotations['kubernetes.io/ingress.class'] != "
                f"'{INGRESS_CLASS}')",
                "message": f"an Ingress in a tenant namespace must use the platform's class "
                f"(spec.ingressClassName: {INGRESS_CLASS})",
            }
        ],
        conditions=[{"name": "not-platform", "expression": _NOT_PLATFORM}],
    )
    return [*services, *ingress]


def _secret_policies() -> list[KubeObject]:
    tokens = _policy(
        "govcloud-deny-token-secrets",
        [_resources("", ["secrets"], ["CREATE", "UPDATE"])],
        [
            {
                "expression": "!has(object.type) || "
                "object.type != 'kubernetes.io/service-account-token'",
                "message": "service-account token Secrets are not allowed in tenant namespaces: "
                "they never expire; use short-lived tokens (TokenRequest)",
            }
        ],
        conditions=[{"name": "not-platform", "expression": _NOT_PLATFORM}],
    )
    pod_spec = (
        "object.kind == 'Pod' ? object.spec : (object.kind == 'CronJob' ? "
        "object.spec.jobTemplate.spec.template.spec : object.spec.template.spec)"
    )
    workloads = [
        _resources("", ["pods"], ["CREATE", "UPDATE"]),
        _resources(
            "apps",
            ["deployments", "statefulsets", "daemonsets", "replicasets"],
            ["CREATE", "UPDATE"],
        ),
        _resources("batch", ["jobs", "cronjobs"], ["CREATE", "UPDATE"]),
    ]
    variables = [
        {"name": "podSpec", "expression": pod_spec},
        {
            "name": "containers",
            "expression": "variables.podSpec.containers + (has(variables.podSpec.initContainers) ? "
            "variables.podSpec.initContainers : [])",
        },
    ]
    not_platform = [{"name": "not-platform", "expression": _NOT_PLATFORM}]
    env = _policy(
        "govcloud-credentials-in-secrets",
        workloads,
        credential_validations(),
        conditions=not_platform,
        variables=variables,
    )
    # The rules (CEL and the audit's check) are in infra.plan.workloads.
    identity = _policy(
        "govcloud-workload-service-account",
        workloads,
        service_account_validations(),
        conditions=not_platform,
        variables=variables,
    )
    return [*tokens, *env, *identity]


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
    return [*protect, *_service_policies(), *_netpol_policy(), *_secret_policies()]


_READ = ["get", "list", "watch"]
_ALL = ["get", "list", "watch", "create", "update", "patch", "delete"]
_WORKLOADS = ["deployments", "statefulsets", "daemonsets", "replicasets"]

# What an operator grant allows in a tenant namespace (the README table is made from these).
# ops: run the workloads without seeing their data: status of pods and services, events,
#   restart (delete) pods, scale, read quotas and network policies. No logs, exec, attach or
#   port-forward; no workload specs (Deployments, Jobs, ... carry env), no Secrets/ConfigMaps.
#   Pods themselves are readable (status), so credentials must not sit in env literals: the
#   govcloud-credentials-in-secrets policy refuses them.
OPS_RULES: list[dict[str, Any]] = [
    {"apiGroups": [""], "resources": ["pods"], "verbs": [*_READ, "delete"]},
    {
        "apiGroups": [""],
        "resources": [
            "events",
            "services",
            "endpoints",
            "persistentvolumeclaims",
            "resourcequotas",
            "limitranges",
        ],
        "verbs": _READ,
    },
    {
        "apiGroups": ["apps"],
        "resources": ["deployments/scale", "statefulsets/scale", "replicasets/scale"],
        "verbs": ["get", "update", "patch"],
    },
    {"apiGroups": ["networking.k8s.io"], "resources": ["networkpolicies"], "verbs": _READ},
]
# data: ops plus reading the tenant's data: Secrets, ConfigMaps, workload specs, pod logs.
#   Still nothing writable beyond ops, and no exec/attach/port-forward.
DATA_RULES: list[dict[str, Any]] = [
    *OPS_RULES,
    {"apiGroups": [""], "resources": ["secrets", "configmaps"], "verbs": _READ},
    {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
    {"apiGroups": ["apps"], "resources": _WORKLOADS, "verbs": _READ},
    {"apiGroups": ["batch"], "resources": ["jobs", "cronjobs"], "verbs": _READ},
]


def _cluster_roles() -> list[KubeObject]:
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
            ("govcloud-operator-ops", OPS_RULES),
            ("govcloud-operator-data", DATA_RULES),
        )
    ]


def _shared_services(env: EnvironmentSpec) -> list[KubeObject]:
    """Each shared-services namespace: default-deny both ways, DNS and its own pods allowed.
    Ingress from a tenant comes from that tenant's stack, for the services it declared."""
    namespaces = sorted({SHARED_NAMESPACE, *(s.namespace for s in env.shared_services)})
    out: list[KubeObject] = []
    for ns in namespaces:
        meta = _meta(ns)
        meta["labels"]["pod-security.kubernetes.io/enforce"] = "restricted"
        out.append(KubeObject({"apiVersion": "v1", "kind": "Namespace", "metadata": meta}))
        both = ["Ingress", "Egress"]
        for name, spec in (
            ("govcloud-default-deny", {"podSelector": {}, "policyTypes": both}),
            (
                "govcloud-allow-same-namespace",
                {
                    "podSelector": {},
                    "policyTypes": both,
                    "ingress": [{"from": [{"podSelector": {}}]}],
                    "egress": [{"to": [{"podSelector": {}}]}],
                },
            ),
            (
                "govcloud-allow-dns",
                {
                    "podSelector": {},
                    "policyTypes": ["Egress"],
                    "egress": [
                        {
                            "to": [
                                {
                                    "namespaceSelector": {"matchLabels": {_NS_NAME: "kube-system"}},
                                    "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}},
                                }
                            ],
                            "ports": [
                                {"protocol": "UDP", "port": 53},
                                {"protocol": "TCP", "port": 53},
                            ],
                        }
                    ],
                },
            ),
        ):
            out.append(
                KubeObject(
                    {
                        "apiVersion": "networking.k8s.io/v1",
                        "kind": "NetworkPolicy",
                        "metadata": _meta(name, ns),
                        "spec": spec,
                    }
                )
            )
    return out


def _ingress_class() -> KubeObject:
    return KubeObject(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "IngressClass",
            "metadata": _meta(INGRESS_CLASS),
            "spec": {"controller": f"{DOMAIN}/ingress-gateway"},
        }
    )


def platform_kube_objects(env: EnvironmentSpec) -> list[KubeObject]:
    objects = [
        tenant_crd(),
        access_request_crd(),
        *_shared_services(env),
        _ingress_class(),
        *_cluster_roles(),
        *_admission_policies(),
        *identity_policies(env),
        *access_objects(env),
        *reconciler_objects(),
    ]
    return [KubeObject(with_server_defaults(o.manifest)) for o in objects]


def platform_cloud_objects(env: EnvironmentSpec) -> list[CloudObject]:
    tagset = tags(env.name, PLATFORM_TENANT, "important")
    admin = arn(env, "iam", f"role/{env.platform_admin_role}")
    key: KeyProps = {
        "alias": platform_key_alias(env.name),
        "description": f"govcloud {env.name} platform key (shared general data, audit)",
        "policy": key_policy(env, [admin]),
        "rotation": True,
        "enabled": True,
        "tags": tagset,
    }
    audit = bucket_name(env.name, "audit")
    logging_service = {
        "Sid": "AccessLogDelivery",
        "Effect": "Allow",
        "Principal": {"Service": "logging.s3.amazonaws.com"},
        "Action": "s3:PutObject",
        "Resource": arn(env, "s3", f"{audit}/*"),
        "Condition": {"StringEquals": {"aws:SourceAccount": env.cloud.account_id}},
    }
    audit_props: BucketProps = {
        "name": audit,
        "kms_key_alias": platform_key_alias(env.name),
        "versioning": True,
        "public_access_block": True,
        "ownership": BUCKET_OWNERSHIP,
        "access_log_bucket": "",  # the audit bucket receives the logs; it does not send any
        "object_lock_days": AUDIT_RETENTION_DAYS,  # evidence nobody can delete early
        "policy": policy_json(
            # Why first: the local endpoint stops at the first statement naming its log service
            # and fails on a "*" principal before it.
            [
                logging_service,
                *deny_insecure_transport(
                    env, [arn(env, "s3", audit), arn(env, "s3", f"{audit}/*")]
                ),
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
        # Administers keys and buckets; never reads tenant data (no Decrypt, no GetObject).
        "boundary_policy": policy_json(
            [
                {
                    "Effect": "Allow",
                    "Action": sorted(
                        [
                            *KEY_ADMIN_ACTIONS,
                            *_BUCKET_ADMIN_ACTIONS,
                            "ec2:DescribeSecurityGroups",
                            "ec2:DescribeSubnets",
                            "ec2:DescribeVpcs",
                            "iam:GetRole",
                            "iam:GetRolePolicy",
                            "iam:ListRoles",
                        ]
                    ),
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
        {
            "name": vpc_name(env.name, block),
            "cidr": block,
            "tags": tagset,
            "default_group_closed": True,
        }
        for block in vpc_blocks(env.network.pool)
    ]
    return [
        *(CloudObject("vpc", f"vpc-{v['name']}", dict(v)) for v in vpcs),
        # The audit bucket records which key the platform alias must name.
        CloudObject("kms-key", "platform-key", {**key, **key_reach(audit)}),
        CloudObject(
            "bucket", "audit-bucket", {**audit_props, **bucket_reach(AUDIT_RETENTION_DAYS)}
        ),
        CloudObject("role", "platform-admin-role", {**role, **role_reach()}),
        # Signs destruction records (stored in the audit bucket under Object Lock).
        CloudObject("kms-key", "signing-key", dict(signing_key_props(env, tagset))),
    ]


_BUCKET_ADMIN_ACTIONS = [
    "s3:GetBucketAcl",
    "s3:GetBucketLogging",
    "s3:GetBucketNotification",
    "s3:GetBucketOwnershipControls",
    "s3:GetBucketPolicy",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketTagging",
    "s3:GetBucketVersioning",
    "s3:GetEncryptionConfiguration",
    "s3:GetLifecycleConfiguration",
    "s3:GetReplicationConfiguration",
    "s3:ListAllMyBuckets",
    "s3:PutBucketAcl",
    "s3:PutBucketLogging",
    "s3:PutBucketNotification",
    "s3:PutBucketOwnershipControls",
    "s3:PutBucketPolicy",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutBucketTagging",
    "s3:PutBucketVersioning",
    "s3:PutEncryptionConfiguration",
    "s3:PutLifecycleConfiguration",
    "s3:PutReplicationConfiguration",
]
