"""The reconciler's identity: its namespace, ServiceAccount and least-privilege ClusterRole.

It may read every managed kind cluster-wide, write the tenant objects it repairs, delete
the NetworkPolicies and RoleBindings that weaken a tenant, write Tenant status, Events and
its leader-election Lease. It never deletes a namespace and cannot read Secrets or
ConfigMaps (a tenant's data). ``bind`` is limited to the roles the plan's bindings name.
"""

from __future__ import annotations

from typing import Any

from .kube import OPERATOR_ROLES, TENANT_ADMIN_ROLE
from .names import CRD_GROUP, LABEL_MANAGED_BY, MANAGED_BY
from .objects import KubeObject

__all__ = ["RECONCILER_NAMESPACE", "RECONCILER_SA", "RECONCILER_USER", "reconciler_objects"]

RECONCILER_NAMESPACE = "govcloud"
RECONCILER_SA = "govcloud-reconciler"
RECONCILER_USER = f"system:serviceaccount:{RECONCILER_NAMESPACE}:{RECONCILER_SA}"
_READ = ["get", "list", "watch"]
_WRITE = ["get", "list", "watch", "create", "update", "patch"]


def _meta(name: str, namespace: str | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": {LABEL_MANAGED_BY: MANAGED_BY}}
    if namespace:
        meta["namespace"] = namespace
    return meta


def _rules() -> list[dict[str, Any]]:
    return [
        {"apiGroups": [CRD_GROUP], "resources": ["tenants"], "verbs": _READ},
        {
            "apiGroups": [CRD_GROUP],
            "resources": ["tenants/status"],
            "verbs": ["get", "update", "patch"],
        },
        # Emergency access: read the requests, write their status (never the request itself,
        # never an approval).
        {"apiGroups": [CRD_GROUP], "resources": ["accessrequests"], "verbs": _READ},
        {
            "apiGroups": [CRD_GROUP],
            "resources": ["accessrequests/status"],
            "verbs": ["get", "update", "patch"],
        },
        {
            "apiGroups": [""],
            "resources": ["namespaces"],
            "verbs": ["get", "list", "watch", "patch"],
        },
        {
            "apiGroups": [""],
            "resources": ["resourcequotas", "limitranges", "serviceaccounts"],
            "verbs": _WRITE,
        },
        {
            "apiGroups": ["networking.k8s.io"],
            "resources": ["networkpolicies"],
            "verbs": [*_WRITE, "delete"],
        },
        {
            "apiGroups": ["rbac.authorization.k8s.io"],
            "resources": ["rolebindings"],
            "verbs": [*_WRITE, "delete"],
        },
        {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["roles"], "verbs": _WRITE},
        # What reaches tenants from outside their namespaces: read, and a ClusterRoleBinding
        # that gives a department's groups cluster-wide access removed. Never written: a
        # writable ClusterRole or admission policy would let this identity lift its own
        # confinement (deploy repairs those; infra.plan.platform_reach).
        {"apiGroups": ["rbac.authorization.k8s.io"], "resources": ["clusterroles"], "verbs": _READ},
        {
            "apiGroups": ["rbac.authorization.k8s.io"],
            "resources": ["clusterrolebindings"],
            "verbs": [*_READ, "delete"],
        },
        {
            "apiGroups": ["admissionregistration.k8s.io"],
            "resources": ["validatingadmissionpolicies", "validatingadmissionpolicybindings"],
            "verbs": _READ,
        },
        # Re-creating the tenant-admin Role and the bindings to operator roles without
        # holding their permissions itself (no Secrets, no exec).
        {
            "apiGroups": ["rbac.authorization.k8s.io"],
            "resources": ["roles"],
            "verbs": ["bind", "escalate"],
            "resourceNames": [TENANT_ADMIN_ROLE],
        },
        {
            "apiGroups": ["rbac.authorization.k8s.io"],
            "resources": ["clusterroles"],
            "verbs": ["bind"],
            "resourceNames": sorted(OPERATOR_ROLES.values()),
        },
        {"apiGroups": ["", "events.k8s.io"], "resources": ["events"], "verbs": ["create", "patch"]},
        {
            "apiGroups": ["coordination.k8s.io"],
            "resources": ["leases"],
            "verbs": ["get", "create", "update"],
        },
    ]


def reconciler_objects() -> list[KubeObject]:
    return [
        KubeObject(
            {
                "apiVersion": "v1",
                "kind": "Namespace",
                "metadata": {
                    **_meta(RECONCILER_NAMESPACE),
                    "labels": {
                        LABEL_MANAGED_BY: MANAGED_BY,
                        "pod-security.kubernetes.io/enforce": "restricted",
                    },
                },
            }
        ),
        KubeObject(
            {
                "apiVersion": "v1",
                "kind": "ServiceAccount",
                "metadata": _meta(RECONCILER_SA, RECONCILER_NAMESPACE),
            }
        ),
        KubeObject(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRole",
                "metadata": _meta(RECONCILER_SA),
                "rules": _rules(),
            }
        ),
        KubeObject(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "ClusterRoleBinding",
                "metadata": _meta(RECONCILER_SA),
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": RECONCILER_SA,
                },
                "subjects": [
                    {
                        "kind": "ServiceAccount",
                        "name": RECONCILER_SA,
                        "namespace": RECONCILER_NAMESPACE,
                    }
                ],
            }
        ),
    ]
