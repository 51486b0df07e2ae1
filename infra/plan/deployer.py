"""The deploy identity: what `govcloud deploy` (Pulumi's providers and deploy's own status
writes) needs, and nothing a cluster administrator has beyond it.

The cluster's administrator grants it once, with the identity itself (the local cloud does
so when it starts), and again when govcloud's plan of the platform changes; it is not part
of the platform stack, so deploy cannot widen its own rights. Its ClusterRole reads and
writes the kinds govcloud plans; it cannot read Secrets or ConfigMaps, run pods or mint
tokens. RBAC cannot scope by namespace label, so it may write those kinds in any namespace:
the ``govcloud-deployer-confined`` admission policy (:mod:`infra.plan.identities`) holds it to
tenant namespaces and the platform's planned objects. Admission policies never see writes of
admission policies, so for those RBAC names what it may change or delete: the platform's
own, never its confinement. ``bind``/``escalate`` are limited to the roles the plan writes
and binds.
"""

from __future__ import annotations

from typing import Any

from infra.spec.environment import EnvironmentSpec

from .access_policy import APPROVER_ROLE, REQUESTER_ROLE
from .identities import ADMISSION_KINDS, deployer_confinement
from .kube import OPERATOR_ROLES, TENANT_ADMIN_ROLE
from .names import CRD_GROUP
from .objects import KubeObject
from .platform import platform_kube_objects
from .reconciler import RECONCILER_SA

__all__ = ["DEPLOYER_ROLE", "DEPLOY_KUBECONFIG", "deployer_identity"]

# The kubeconfig of the deploy identity, where it is not the shell's own (the local cloud
# sets it: deploy runs as its confined deploy user, not as the cluster administrator).
DEPLOY_KUBECONFIG = "GOVCLOUD_DEPLOY_KUBECONFIG"
DEPLOYER_ROLE = "govcloud-deploy-identity"
_RBAC = "rbac.authorization.k8s.io"
_READ = ["get", "list", "watch"]
_WRITE = [*_READ, "create", "update", "patch", "delete"]
# The ClusterRoles the platform writes, whose rules deploy does not hold itself (operators
# may delete pods; the reconciler deletes bindings): escalate and bind by name only.
_PLATFORM_ROLES = sorted([*OPERATOR_ROLES.values(), RECONCILER_SA, REQUESTER_ROLE, APPROVER_ROLE])


def _rules(admission: list[str]) -> list[dict[str, Any]]:
    policies = ["validatingadmissionpolicies", "validatingadmissionpolicybindings"]
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
        # A new policy or binding can only refuse more; changing or deleting one, only the
        # platform's (a create names no object RBAC could check).
        {
            "apiGroups": ["admissionregistration.k8s.io"],
            "resources": policies,
            "verbs": [*_READ, "create"],
        },
        {
            "apiGroups": ["admissionregistration.k8s.io"],
            "resources": policies,
            "verbs": ["update", "patch", "delete"],
            "resourceNames": admission,
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


def deployer_identity(env: EnvironmentSpec) -> list[KubeObject]:
    """The deploy identity's ClusterRole, its binding to ``env.deploy_users``, and the
    admission policy (with its binding) that confines them."""
    planned = platform_kube_objects(env)
    admission = sorted({o.name for o in planned if o.kind in ADMISSION_KINDS})
    meta = {"name": DEPLOYER_ROLE}
    return [
        KubeObject(
            {
                "apiVersion": f"{_RBAC}/v1",
                "kind": "ClusterRole",
                "metadata": dict(meta),
                "rules": _rules(admission),
            }
        ),
        KubeObject(
            {
                "apiVersion": f"{_RBAC}/v1",
                "kind": "ClusterRoleBinding",
                "metadata": dict(meta),
                "roleRef": {"apiGroup": _RBAC, "kind": "ClusterRole", "name": DEPLOYER_ROLE},
                "subjects": [
                    {"kind": "User", "apiGroup": _RBAC, "name": u} for u in env.deploy_users
                ],
            }
        ),
        *deployer_confinement(env, planned),
    ]
