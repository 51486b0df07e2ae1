"""A tenant's Kubernetes objects: namespace, quota, limits, network policies, RBAC, Tenant."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import AccessGrant, Egress, Scope, TenantSpec

from .cloud import PROXY_PORT, peer_ports
from .crd import tenant_resource_spec
from .lifecycle import grant_active
from .names import (
    CRD_GROUP,
    CRD_VERSION,
    DOMAIN,
    ENVIRONMENT_ANNOTATION,
    LABEL_CLASSIFICATION,
    LABEL_MANAGED_BY,
    LABEL_SERVICE,
    LABEL_TENANT,
    MANAGED_BY,
    digest,
    k8s_name,
)
from .objects import KubeObject
from .quota import limit_range_item, quota_hard

__all__ = [
    "ADMIN_RULES",
    "OPERATOR_ROLES",
    "TENANT_ADMIN_ROLE",
    "grant_binding_name",
    "operator_binding",
    "tenant_kube_objects",
]

TENANT_ADMIN_ROLE = "govcloud-tenant-admin"
OPERATOR_ROLES = {"ops": "govcloud-operator-ops", "data": "govcloud-operator-data"}
_NS_NAME = "kubernetes.io/metadata.name"


def _meta(
    name: str,
    spec: TenantSpec,
    namespace: str | None = None,
    annotations: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "name": name,
        "labels": {
            LABEL_MANAGED_BY: MANAGED_BY,
            LABEL_TENANT: spec.id,
            LABEL_CLASSIFICATION: spec.data.classification.value,
        },
    }
    if namespace:
        meta["namespace"] = namespace
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta


def _obj(api_version: str, kind: str, metadata: dict[str, Any], **body: Any) -> KubeObject:
    return KubeObject({"apiVersion": api_version, "kind": kind, "metadata": metadata, **body})


def _namespace(spec: TenantSpec) -> KubeObject:
    meta = _meta(spec.id, spec, annotations={f"{DOMAIN}/official-name": spec.name})
    meta["labels"].update(
        {
            "pod-security.kubernetes.io/enforce": "restricted",
            "pod-security.kubernetes.io/enforce-version": "latest",
            "pod-security.kubernetes.io/warn": "restricted",
            "pod-security.kubernetes.io/audit": "restricted",
        }
    )
    return _obj("v1", "Namespace", meta)


def _quota(spec: TenantSpec, env: EnvironmentSpec, planned: list[KubeObject]) -> KubeObject:
    return _obj(
        "v1",
        "ResourceQuota",
        _meta("govcloud-quota", spec, spec.id),
        spec={"hard": quota_hard(spec, env, planned)},
    )


def _limits(spec: TenantSpec) -> KubeObject:
    return _obj(
        "v1",
        "LimitRange",
        _meta("govcloud-limits", spec, spec.id),
        spec={"limits": [limit_range_item(spec)]},
    )


def _netpol(spec: TenantSpec, name: str, body: dict[str, Any]) -> KubeObject:
    return _obj("networking.k8s.io/v1", "NetworkPolicy", _meta(name, spec, spec.id), spec=body)


def _ns_peer(namespace: str, pod_labels: Mapping[str, str] | None = None) -> dict[str, Any]:
    peer: dict[str, Any] = {"namespaceSelector": {"matchLabels": {_NS_NAME: namespace}}}
    if pod_labels:
        peer["podSelector"] = {"matchLabels": dict(pod_labels)}
    return peer


def _network_policies(spec: TenantSpec, env: EnvironmentSpec, peers: list[str]) -> list[KubeObject]:
    both = ["Ingress", "Egress"]
    out = [
        _netpol(spec, "govcloud-default-deny", {"podSelector": {}, "policyTypes": both}),
        _netpol(
            spec,
            "govcloud-allow-same-namespace",
            {
                "podSelector": {},
                "policyTypes": both,
                "ingress": [{"from": [{"podSelector": {}}]}],
                "egress": [{"to": [{"podSelector": {}}]}],
            },
        ),
        _netpol(
            spec,
            "govcloud-allow-dns",
            {
                "podSelector": {},
                "policyTypes": ["Egress"],
                "egress": [
                    {
                        "to": [_ns_peer("kube-system", {"k8s-app": "kube-dns"})],
                        "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
                    }
                ],
            },
        ),
    ]
    catalog = {s.id: s for s in env.shared_services}
    declared = [catalog[sid] for sid in sorted(set(spec.network.shared_services)) if sid in catalog]
    rules = [
        {
            "to": [_ns_peer(svc.namespace, {LABEL_SERVICE: svc.id})],
            "ports": [{"protocol": "TCP", "port": svc.port}],
        }
        for svc in declared
    ]
    if rules:
        out.append(
            _netpol(
                spec,
                "govcloud-allow-shared-services",
                {"podSelector": {}, "policyTypes": ["Egress"], "egress": rules},
            )
        )
    ports = peer_ports(spec)
    for peer in peers:
        tcp = [{"protocol": "TCP", "port": port} for port in ports.get(peer, [443])]
        out.append(
            _netpol(
                spec,
                k8s_name("govcloud-peer", peer),
                {
                    "podSelector": {},
                    "policyTypes": both,
                    "ingress": [{"from": [_ns_peer(peer)], "ports": tcp}],
                    "egress": [{"to": [_ns_peer(peer)], "ports": tcp}],
                },
            )
        )
    if spec.network.egress is Egress.proxy and env.proxy_cidr:
        out.append(
            _netpol(
                spec,
                "govcloud-allow-egress-proxy",
                {
                    "podSelector": {},
                    "policyTypes": ["Egress"],
                    "egress": [
                        {
                            "to": [{"ipBlock": {"cidr": env.proxy_cidr}}],
                            "ports": [{"protocol": "TCP", "port": PROXY_PORT}],
                        }
                    ],
                },
            )
        )
    return out


def _shared_service_ingress(spec: TenantSpec, env: EnvironmentSpec) -> list[KubeObject]:
    """In each shared-services namespace (default-deny): ingress from this tenant to the
    services it declared, on their ports. Rendered by the tenant's stack, so it comes and
    goes with the declaration."""
    catalog = {s.id: s for s in env.shared_services}
    out = []
    for sid in sorted(set(spec.network.shared_services)):
        svc = catalog.get(sid)
        if svc is None:
            continue
        meta = _meta(k8s_name("govcloud-from", spec.id, sid), spec, svc.namespace)
        out.append(
            _obj(
                "networking.k8s.io/v1",
                "NetworkPolicy",
                meta,
                spec={
                    "podSelector": {"matchLabels": {LABEL_SERVICE: sid}},
                    "policyTypes": ["Ingress"],
                    "ingress": [
                        {
                            "from": [_ns_peer(spec.id)],
                            "ports": [{"protocol": "TCP", "port": svc.port}],
                        }
                    ],
                },
            )
        )
    return out


_ALL = ["get", "list", "watch", "create", "update", "patch", "delete"]
_READ = ["get", "list", "watch"]
# What the owners and the deployer may do in their own namespace (the README's table).
# Not here, so refused: Endpoints/EndpointSlices writes (hand-written endpoints), service
# account tokens (serviceaccounts/token), quotas, limits, roles and bindings (read only).
# Admission refuses the rest: token Secrets, externalIPs, NodePort/LoadBalancer, Ingress
# outside the platform class, NetworkPolicy rules without peers or reaching outside.
_ADMIN_RULES: list[dict[str, Any]] = [
    {
        "apiGroups": [""],
        "resources": [
            "pods",
            "services",
            "configmaps",
            "secrets",
            "persistentvolumeclaims",
            "serviceaccounts",
        ],
        "verbs": _ALL,
    },
    {"apiGroups": [""], "resources": ["pods/log"], "verbs": ["get"]},
    {
        "apiGroups": [""],
        "resources": ["pods/exec", "pods/attach", "pods/portforward"],
        "verbs": ["get", "create"],
    },
    {
        "apiGroups": [""],
        "resources": ["events", "endpoints", "resourcequotas", "limitranges"],
        "verbs": _READ,
    },
    {"apiGroups": ["apps", "batch", "autoscaling", "policy"], "resources": ["*"], "verbs": _ALL},
    {
        "apiGroups": ["networking.k8s.io"],
        "resources": ["networkpolicies", "ingresses"],
        "verbs": _ALL,
    },
    {
        "apiGroups": ["rbac.authorization.k8s.io"],
        "resources": ["roles", "rolebindings"],
        "verbs": _READ,
    },
]
ADMIN_RULES = _ADMIN_RULES


def _binding(
    spec: TenantSpec,
    name: str,
    role_kind: str,
    role: str,
    subjects: list[dict[str, str]],
    annotations: Mapping[str, str] | None = None,
) -> KubeObject:
    return _obj(
        "rbac.authorization.k8s.io/v1",
        "RoleBinding",
        _meta(name, spec, spec.id, annotations),
        roleRef={"apiGroup": "rbac.authorization.k8s.io", "kind": role_kind, "name": role},
        subjects=subjects,
    )


def _rbac(spec: TenantSpec, now: dt.datetime) -> list[KubeObject]:
    group = {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io"}
    out = [
        _obj(
            "rbac.authorization.k8s.io/v1",
            "Role",
            _meta(TENANT_ADMIN_ROLE, spec, spec.id),
            rules=_ADMIN_RULES,
        ),
        _binding(
            spec,
            "govcloud-owners",
            "Role",
            TENANT_ADMIN_ROLE,
            [{**group, "name": spec.owners.group}],
        ),
        _obj("v1", "ServiceAccount", _meta("govcloud-deployer", spec, spec.id)),
        _binding(
            spec,
            "govcloud-deployer",
            "Role",
            TENANT_ADMIN_ROLE,
            [{"kind": "ServiceAccount", "name": "govcloud-deployer", "namespace": spec.id}],
        ),
    ]
    for grant in sorted(spec.access, key=lambda g: (g.group, g.scope.value, g.expires)):
        if not grant_active(grant, now):
            continue  # outside its window: no access (the reconciler revokes it on expiry)
        out.append(
            operator_binding(
                spec,
                grant_binding_name(grant),
                grant.scope,
                {"kind": "Group", "name": grant.group},
                {
                    f"{DOMAIN}/document": grant.document,
                    f"{DOMAIN}/granted-by": grant.granted_by,
                    f"{DOMAIN}/expires": grant.expires.isoformat(),
                },
            )
        )
    return out


def operator_binding(
    spec: TenantSpec,
    name: str,
    scope: Scope,
    subject: Mapping[str, str],
    annotations: Mapping[str, str],
) -> KubeObject:
    """A binding of the operator role of ``scope`` in the tenant's namespace: a written
    grant's (to an operator group) or an approved emergency access's (to one user)."""
    return _binding(
        spec,
        name,
        "ClusterRole",
        OPERATOR_ROLES[scope.value],
        [
            {
                "kind": subject["kind"],
                "apiGroup": "rbac.authorization.k8s.io",
                "name": subject["name"],
            }
        ],
        annotations=annotations,
    )


def grant_binding_name(grant: AccessGrant) -> str:
    """One binding per written authorization: a renewal (a new document for the same group and
    scope) gets its own name, so the old one can be revoked on expiry while the new one stays."""
    return k8s_name("govcloud-operator", grant.group, grant.scope.value, digest(grant.document))


def _tenant_resource(spec: TenantSpec, env: EnvironmentSpec) -> KubeObject:
    meta = _meta(spec.id, spec)
    # Which environment's rules the spec was judged by (the policy pack judges it again).
    meta["annotations"] = {ENVIRONMENT_ANNOTATION: env.name}
    return _obj(f"{CRD_GROUP}/{CRD_VERSION}", "Tenant", meta, spec=tenant_resource_spec(spec))


def tenant_kube_objects(
    spec: TenantSpec,
    env: EnvironmentSpec,
    *,
    peers: list[str],
    now: dt.datetime,
    access: bool = True,
) -> list[KubeObject]:
    """In apply order. ``access=False`` (decommissioning) drops every binding."""
    policies = [*_network_policies(spec, env, peers), *_shared_service_ingress(spec, env)]
    rbac = _rbac(spec, now)
    if not access:
        rbac = [o for o in rbac if o.kind not in ("RoleBinding",)]
    # The Tenant first: it carries the desired state, so the reconciler (which reads it)
    # learns of a change, and deploy's hold, before any object of the tenant changes.
    return [
        _tenant_resource(spec, env),
        _namespace(spec),
        _quota(spec, env, [*policies, *rbac]),
        _limits(spec),
        *policies,
        *rbac,
    ]
