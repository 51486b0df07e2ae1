"""The deploy identity's RBAC: what `govcloud deploy` (Pulumi's providers and deploy's own
status writes) needs, and nothing a cluster administrator has beyond it.

The cluster's administrator grants it once, with the identity itself (the local cloud does
so when it starts); it is not part of the platform stack, so deploy cannot widen its own
rights. It reads and writes the kinds govcloud plans; it cannot read Secrets or ConfigMaps,
run pods or mint tokens. RBAC cannot scope by namespace label, so it may write those kinds
in any namespace: the ``govcloud-deployer-confined`` admission policy
(:mod:`infra.plan.identities`) holds it to tenant namespaces and the platform's planned
objects. ``bind``/``escalate`` are limited to the roles the plan writes and binds.
"""

from __future__ import annotations

from typing import Any

from .kube import OPERATOR_ROLES, TENANT_ADMIN_ROLE
from .names import CRD_GROUP
from .objects import KubeObject
from .reconciler import RECONCILER_SA

__all__ = ["DEPLOYER_ROLE", "DEPLOY_KUBECONFIG", "deployer_rbac"]

# The kubeconfig of the deploy identity, where it is not the shell's own (the local cloud
# sets it: deploy runs as its confined deploy user, not as the cluster administrator).
DEPLOY_KUBECONFIG = "GOVCLOUD_DEPLOY_KUBECONFIG"
DEPLOYER_ROLE = "govcloud-deploy-identity"
_RBAC = "rbac.authorization.k8s.io"
_READ = ["get", "list", "watch"]
_WRITE = [*_READ, "create", "update", "patch", "delete"]
# The ClusterRoles the platform writes, whose rules deploy does not hold itself (operators
# may delete pods; the reconciler deletes bindings): escalate and bind by name only.
_PLATFORM_ROLES = sorted([*OPERATOR_ROLES.values(), RECONCILER_SA])


def _rules() -> list[dict[str, Any]]:
    return [
        {"apiGroups": [CRD_GROUP], "resources": ["tenants"], "verbs": _WRITE},
        {"apiGroups": [CRD_GROUP], "resources": ["tenants/status"], "verbs": ["get", "patch"]},
        {
            "apiGroups": [""],
            "resources": ["namespaces", "resourcequotas", "limitranges", "serviceaccounts"],
            "verbs": _WRITE,
        },
        {
            "apiGroups": ["networking.k8s.io"],
            "resources": ["networkpolicies", "ingressclasses"],
            "verbs": _WRITE,
        },
        {
            "apiGroups": [_RBAC],
            "resources": ["roles", "rolebindings", "clusterroles", "clusterrolebindings"],
            "verbs": _WRITE,
        },
        {
            "apiGroups": ["admissionregistration.k8s.io"],
            "resources": ["validatingadmissionpolicies", "validatingadmissionpolicybindings"],
            "verbs": _WRITE,
        },
        {
            "apiGroups": ["apiextensions.k8s.io"],
            "resources": ["customresourcedefinitions"],
            "verbs": _WRITE,
        },
        # An emergency deploy records its override as an Event on the Tenant.
        {"apiGroups": [""], "resources": ["events"], "verbs": ["create", "patch"]},
        {
            "apiGroups": [_RBAC],
            "resources": ["roles"],
            "verbs": ["bind", "escalate"],
            "resourceNames": [TENANT_ADMIN_ROLE],
        },
        {
            "apiGroups": [_RBAC],
            "resources": ["clusterroles"],
            "verbs": ["bind", "escalate"],
            "resourceNames": _PLATFORM_ROLES,
        },
    ]


def deployer_rbac(users: list[str]) -> list[KubeObject]:
    """The deploy identity's ClusterRole and its binding to ``users``."""
    meta = {"name": DEPLOYER_ROLE}
    return [
        KubeObject(
            {
                "apiVersion": f"{_RBAC}/v1",
                "kind": "ClusterRole",
                "metadata": dict(meta),
                "rules": _rules(),
            }
        ),
        KubeObject(
            {
                "apiVersion": f"{_RBAC}/v1",
                "kind": "ClusterRoleBinding",
                "metadata": dict(meta),
                "roleRef": {"apiGroup": _RBAC, "kind": "ClusterRole", "name": DEPLOYER_ROLE},
                "subjects": [{"kind": "User", "apiGroup": _RBAC, "name": u} for u in users],
            }
        ),
    ]
