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
- **The deployer, too** (``govcloud-deployer-confined``, for ``deploy_users``). Its RBAC
  (:mod:`infra.plan.deployer`) writes the kinds govcloud plans in any namespace and binds and
  escalates the plan's roles by name; this policy holds it to tenant namespaces (and those
  namespaces themselves), Tenant objects, the shared-services namespaces' NetworkPolicies,
  Events, and the platform objects the plan names (by kind, namespace and name). What it
  creates or changes is labelled as govcloud's, what it deletes was; its bindings name only
  the plan's roles, the reconciler's ClusterRoleBinding only the reconciler. This policy
  and its binding come with the identity from the cluster administrator, not from the
  platform stack: the API server never runs admission policies on writes of admission
  policies, so RBAC (naming the planned ones) is what keeps it from loosening its own.
"""

from __future__ import annotations

from typing import Any

from infra.i18n import N_
from infra.spec.environment import EnvironmentSpec

from .kube import OPERATOR_ROLES, TENANT_ADMIN_ROLE
from .names import CRD_GROUP, LABEL_MANAGED_BY, LABEL_TENANT, MANAGED_BY, SHARED_NAMESPACE
from .objects import KubeObject
from .reconciler import RECONCILER_NAMESPACE, RECONCILER_USER

__all__ = [
    "ADMISSION_KINDS",
    "DEPLOYER_CONFINED",
    "RECONCILER_CONFINED",
    "TENANT_WRITERS",
    "admission_pair",
    "deployer_confinement",
    "identity_policies",
]

TENANT_WRITERS = "govcloud-tenant-writers"
RECONCILER_CONFINED = "govcloud-reconciler-confined"
DEPLOYER_CONFINED = "govcloud-deployer-confined"
ADMISSION_KINDS = ("ValidatingAdmissionPolicy", "ValidatingAdmissionPolicyBinding")
_ADMISSION = "admissionregistration.k8s.io/v1"
_MANAGED = {LABEL_MANAGED_BY: MANAGED_BY}


def _every_write() -> dict[str, Any]:
    """Every write of every resource and subresource: a confined identity's policy sees all."""
    return {
        "resourceRules": [
            {
                "apiGroups": ["*"],
                "apiVersions": ["*"],
                "operations": ["CREATE", "UPDATE", "DELETE"],
                "resources": ["*/*"],
            }
        ]
    }


def _cel_list(values: list[str]) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def admission_pair(name: str, spec: dict[str, Any]) -> list[KubeObject]:
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
    return admission_pair(
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
        f"variables.reqNamespace in {_cel_list(shared)}) || "
        "(request.resource.resource == 'clusterrolebindings' && "
        "request.operation == 'DELETE' && !variables.reqName.startsWith('system:'))"
    )
    own = (
        f"variables.reqNamespace == '{RECONCILER_NAMESPACE}' && "
        "request.resource.resource == 'leases'"
    )
    event = "request.resource.resource == 'events'"
    # A tenant namespace may be re-created (it carries the label) or relabelled (it did).
    ns = "(request.operation == 'CREATE' ? object : oldObject)"
    managed = (
        f"request.operation == 'DELETE' || (has(object.metadata.labels) && "
        f"'{LABEL_MANAGED_BY}' in object.metadata.labels && "
        f"object.metadata.labels['{LABEL_MANAGED_BY}'] == '{MANAGED_BY}')"
    )
    return admission_pair(
        RECONCILER_CONFINED,
        {
            "matchConstraints": _every_write(),
            "variables": _REQUEST_VARIABLES[:3],
            "matchConditions": [
                {
                    "name": "reconciler",
                    "expression": f"request.userInfo.username == '{RECONCILER_USER}'",
                }
            ],
            "validations": [
                {
                    "expression": f"({event}) || ({own}) || "
                    "(request.resource.resource in ['tenants', 'accessrequests'] && "
                    "variables.reqSubresource == 'status') || "
                    f"(request.resource.resource == 'namespaces' && "
                    f"request.operation != 'DELETE' && has({ns}.metadata.labels) "
                    f"&& '{LABEL_TENANT}' in {ns}.metadata.labels) || ({in_tenant})",
                    "message": "the govcloud reconciler writes only inside tenant namespaces "
                    "(and its Lease, Events, Tenant and AccessRequest status): this write is "
                    "outside them",
                },
                {
                    "expression": f"({event}) || ({own}) || variables.reqSubresource != '' "
                    f"|| ({managed})",
                    "message": "the govcloud reconciler creates and changes only objects labelled "
                    f"{LABEL_MANAGED_BY}={MANAGED_BY}",
                },
            ],
        },
    )


# The API's resource for each kind the platform plans (request.resource.resource).
_RESOURCES = {
    "ClusterRole": "clusterroles",
    "ClusterRoleBinding": "clusterrolebindings",
    "CustomResourceDefinition": "customresourcedefinitions",
    "IngressClass": "ingressclasses",
    "Namespace": "namespaces",
    "NetworkPolicy": "networkpolicies",
    "Role": "roles",
    "RoleBinding": "rolebindings",
    "ServiceAccount": "serviceaccounts",
    "ValidatingAdmissionPolicy": "validatingadmissionpolicies",
    "ValidatingAdmissionPolicyBinding": "validatingadmissionpolicybindings",
}
# ``resource/name`` for cluster-scoped objects (namespaces included), else
# ``resource/namespace/name``: the same key the plan's objects get below. The request
# omits empty fields (a cluster-scoped object's namespace, a subresource): read them with has().
_REQUEST_VARIABLES = [
    {"name": "reqNamespace", "expression": "has(request.namespace) ? request.namespace : ''"},
    {"name": "reqName", "expression": "has(request.name) ? request.name : ''"},
    {"name": "reqSubresource", "expression": "has(request.subResource) ? request.subResource : ''"},
    {
        "name": "key",
        "expression": "variables.reqNamespace == '' || request.resource.resource == 'namespaces' "
        "? request.resource.resource + '/' + variables.reqName : "
        "request.resource.resource + '/' + variables.reqNamespace + '/' + variables.reqName",
    },
]


def _planned_key(obj: KubeObject) -> str:
    meta = obj.manifest["metadata"]
    resource = _RESOURCES[obj.kind]
    if meta.get("namespace") and obj.kind != "Namespace":
        return f"{resource}/{meta['namespace']}/{meta['name']}"
    return f"{resource}/{meta['name']}"


def _labelled(var: str, key: str, value: str | None = None) -> str:
    has = f"{var} != null && has({var}.metadata.labels) && '{key}' in {var}.metadata.labels"
    return has if value is None else f"{has} && {var}.metadata.labels['{key}'] == '{value}'"


def _cluster_bindings(planned: list[KubeObject]) -> str:
    """Each planned ClusterRoleBinding by name: its role and nothing but its subjects."""
    forms = []
    for obj in planned:
        if obj.kind != "ClusterRoleBinding":
            continue
        subjects = " || ".join(
            "(" + " && ".join(f"s.{k} == '{v}'" for k, v in sorted(subject.items())) + ")"
            for subject in obj.manifest["subjects"]
        )
        ref = obj.manifest["roleRef"]
        forms.append(
            f"(variables.reqName == '{obj.manifest['metadata']['name']}' && "
            f"object.roleRef.kind == '{ref['kind']}' && object.roleRef.name == '{ref['name']}' "
            f"&& has(object.subjects) && object.subjects.all(s, {subjects}))"
        )
    return " || ".join(forms) or "false"


# Stored in the cluster in English (one admission message for every reader of the API); marked
# so the catalogue keeps their Chinese translations with the rest.
_DEPLOYER_OUTSIDE = N_(
    "the govcloud deploy identity writes only inside tenant namespaces, Tenant objects and "
    "the platform objects govcloud plans: this write is outside them"
)
_DEPLOYER_UNLABELLED = N_(
    "the govcloud deploy identity creates and changes only objects labelled {label}"
)
_DEPLOYER_DELETES = N_("the govcloud deploy identity deletes only objects labelled {label}")
_DEPLOYER_BINDS = N_(
    "the govcloud deploy identity binds only the roles govcloud plans, to the subjects it plans"
)


def _deployer_confined(env: EnvironmentSpec, planned: list[KubeObject]) -> list[KubeObject]:
    shared = sorted({SHARED_NAMESPACE, *(s.namespace for s in env.shared_services)})
    # Writes of admission policies and their bindings never reach an admission policy (the
    # API server exempts them): the deploy identity's RBAC names the ones it may change.
    keys = sorted({_planned_key(o) for o in planned if o.kind not in ADMISSION_KINDS})
    ns = "(request.operation == 'CREATE' ? object : oldObject)"
    where = " || ".join(
        [
            "variables.exempt",
            f"(request.resource.group == '{CRD_GROUP}' && request.resource.resource == 'tenants')",
            f"({_labelled('namespaceObject', LABEL_TENANT)})",
            f"(request.resource.resource == 'namespaces' && {_labelled(ns, LABEL_TENANT)})",
            f"(request.resource.resource == 'networkpolicies' && "
            f"variables.reqNamespace in {_cel_list(shared)})",
            f"variables.key in {_cel_list(keys)}",
        ]
    )
    bound = sorted({TENANT_ADMIN_ROLE, *OPERATOR_ROLES.values()})
    label = f"{LABEL_MANAGED_BY}={MANAGED_BY}"
    return admission_pair(
        DEPLOYER_CONFINED,
        {
            "matchConstraints": _every_write(),
            "matchConditions": [
                {
                    "name": "deployer",
                    "expression": f"request.userInfo.username in {_cel_list(env.deploy_users)}",
                }
            ],
            "variables": [
                *_REQUEST_VARIABLES,
                # Events (an override's record) grant nothing.
                {"name": "exempt", "expression": "request.resource.resource == 'events'"},
            ],
            "validations": [
                {
                    "expression": where,
                    "message": _DEPLOYER_OUTSIDE,
                },
                {
                    "expression": "variables.exempt || request.operation == 'DELETE' || "
                    "variables.reqSubresource != '' || "
                    f"({_labelled('object', LABEL_MANAGED_BY, MANAGED_BY)})",
                    "message": _DEPLOYER_UNLABELLED.format(label=label),
                },
                {
                    "expression": "variables.exempt || request.operation != 'DELETE' || "
                    f"({_labelled('oldObject', LABEL_MANAGED_BY, MANAGED_BY)})",
                    "message": _DEPLOYER_DELETES.format(label=label),
                },
                {
                    "expression": "request.operation == 'DELETE' || "
                    "!(request.resource.resource in ['rolebindings', 'clusterrolebindings']) || "
                    "(request.resource.resource == 'rolebindings' && "
                    f"object.roleRef.name in {_cel_list(bound)}) || "
                    f"(request.resource.resource == 'clusterrolebindings' && "
                    f"({_cluster_bindings(planned)}))",
                    "message": _DEPLOYER_BINDS,
                },
            ],
        },
    )


def identity_policies(env: EnvironmentSpec) -> list[KubeObject]:
    """The policies on govcloud's own writers that the platform stack deploys."""
    return [*_tenant_writers(env), *_reconciler_confined(env)]


def deployer_confinement(env: EnvironmentSpec, planned: list[KubeObject]) -> list[KubeObject]:
    """The deploy identity's policy and binding (``planned``: the platform's objects, the only
    ones outside tenant namespaces it may write). Granted by the cluster administrator with
    the identity, never by deploy itself (:mod:`infra.plan.deployer`)."""
    return _deployer_confined(env, planned)
