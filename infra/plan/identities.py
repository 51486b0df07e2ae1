"""Admission policies that hold govcloud's own writers to their part.

- **One gate for every way in.** A Tenant object carries a department's desired state, and
  the reconciler acts on it: only deploy (``EnvironmentSpec.deploy_users``, after the
  compliance gate) may create, change or delete one. Anyone else — the reconciler, an
  operator, a department, a cluster administrator at the keyboard — is refused and named.
  The status subresource is not the object: the reconciler writes its conditions there.
- **Least privilege.** The reconciler may write only inside tenant namespaces (labelled
  with ``LABEL_TENANT``), the shared-services namespaces' NetworkPolicies, deletions of
  ClusterRoleBindings that reach tenants (never ``system:`` ones), plus its Lease in its
  own namespace and Events; whatever it
  creates or changes there must be labelled as govcloud's. Its RBAC alone would let it bind
  and escalate a role named ``govcloud-tenant-admin`` anywhere (RBAC cannot scope by
  namespace label); this is what keeps it out of kube-system and the platform.
"""

from __future__ import annotations

from typing import Any

from infra.spec.environment import EnvironmentSpec

from .names import CRD_GROUP, LABEL_MANAGED_BY, LABEL_TENANT, MANAGED_BY, SHARED_NAMESPACE
from .objects import KubeObject
from .reconciler import RECONCILER_NAMESPACE, RECONCILER_USER

__all__ = ["RECONCILER_CONFINED", "TENANT_WRITERS", "identity_policies"]

TENANT_WRITERS = "govcloud-tenant-writers"
RECONCILER_CONFINED = "govcloud-reconciler-confined"
_ADMISSION = "admissionregistration.k8s.io/v1"
_MANAGED = {LABEL_MANAGED_BY: MANAGED_BY}


def _cel_list(values: list[str]) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def _pair(name: str, spec: dict[str, Any]) -> list[KubeObject]:
    """A policy and its binding, for every namespace and cluster-scoped object alike."""
    meta = {"name": name, "labels": dict(_MANAGED)}
    return [
        KubeObject(
            {
                "apiVersion": _ADMISSION,
                "kind": "ValidatingAdmissionPolicy",
                "metadata": meta,
                "spec": {"failurePolicy": "Fail", **spec},
            }
        ),
        KubeObject(
            {
                "apiVersion": _ADMISSION,
                "kind": "ValidatingAdmissionPolicyBinding",
                "metadata": dict(meta),
                "spec": {"policyName": name, "validationActions": ["Deny"]},
            }
        ),
    ]


_TENANT_WRITERS_MESSAGE = (
    "Tenant objects carry the approved tenant spec and are written only by govcloud deploy, "
    "after the compliance checks: change tenants/<id>.yaml by pull request"
)


def _tenant_writers(env: EnvironmentSpec) -> list[KubeObject]:
    return _pair(
        TENANT_WRITERS,
        {
            "matchConstraints": {
                "resourceRules": [
                    {
                        "apiGroups": [CRD_GROUP],
                        "apiVersions": ["*"],
                        "operations": ["CREATE", "UPDATE", "DELETE"],
                        "resources": ["tenants"],
                    }
                ]
            },
            "validations": [
                {
                    "expression": f"request.userInfo.username in {_cel_list(env.deploy_users)}",
                    "message": _TENANT_WRITERS_MESSAGE,
                    "messageExpression": (
                        f"'{_TENANT_WRITERS_MESSAGE} (refused: ' + "
                        "request.userInfo.username + ' ' + request.operation + ')'"
                    ),
                }
            ],
        },
    )


def _reconciler_confined(env: EnvironmentSpec) -> list[KubeObject]:
    shared = sorted({SHARED_NAMESPACE, *(s.namespace for s in env.shared_services)})
    in_tenant = (
        f"(namespaceObject != null && has(namespaceObject.metadata.labels) && "
        f"'{LABEL_TENANT}' in namespaceObject.metadata.labels) || "
        f"(request.resource.resource == 'networkpolicies' && "
        f"request.namespace in {_cel_list(shared)}) || "
        "(request.resource.resource == 'clusterrolebindings' && "
        "request.operation == 'DELETE' && !request.name.startsWith('system:'))"
    )
    own = f"request.namespace == '{RECONCILER_NAMESPACE}' && request.resource.resource == 'leases'"
    event = "request.resource.resource == 'events'"
    # A tenant namespace may be re-created (it carries the label) or relabelled (it did).
    ns = "(request.operation == 'CREATE' ? object : oldObject)"
    managed = (
        f"request.operation == 'DELETE' || (has(object.metadata.labels) && "
        f"'{LABEL_MANAGED_BY}' in object.metadata.labels && "
        f"object.metadata.labels['{LABEL_MANAGED_BY}'] == '{MANAGED_BY}')"
    )
    return _pair(
        RECONCILER_CONFINED,
        {
            "matchConstraints": {
                "resourceRules": [
                    {
                        "apiGroups": ["*"],
                        "apiVersions": ["*"],
                        "operations": ["CREATE", "UPDATE", "DELETE"],
                        "resources": ["*/*"],
                    }
                ]
            },
            "matchConditions": [
                {
                    "name": "reconciler",
                    "expression": f"request.userInfo.username == '{RECONCILER_USER}'",
                }
            ],
            "validations": [
                {
                    "expression": f"({event}) || ({own}) || "
                    "(request.resource.resource == 'tenants' && "
                    "request.subResource == 'status') || "
                    f"(request.resource.resource == 'namespaces' && "
                    f"request.operation != 'DELETE' && has({ns}.metadata.labels) "
                    f"&& '{LABEL_TENANT}' in {ns}.metadata.labels) || ({in_tenant})",
                    "message": "the govcloud reconciler writes only inside tenant namespaces "
                    "(and its Lease, Events and Tenant status): this write is outside them",
                },
                {
                    "expression": f"({event}) || ({own}) || request.subResource != '' "
                    f"|| ({managed})",
                    "message": "the govcloud reconciler creates and changes only objects labelled "
                    f"{LABEL_MANAGED_BY}={MANAGED_BY}",
                },
            ],
        },
    )


def identity_policies(env: EnvironmentSpec) -> list[KubeObject]:
    return [*_tenant_writers(env), *_reconciler_confined(env)]
