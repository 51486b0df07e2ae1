"""Who may ask for and who may approve emergency access, enforced by the API server.

- ``govcloud-access-requester`` (a ClusterRole bound to the environment's operator groups):
  create and read ``AccessRequest`` objects; ``govcloud-access-approver`` (bound to the
  bureau's approver groups): read them and write the approval. Nobody is given delete: a
  request, approved or not, stays as the record.
- ``govcloud-access-requests`` (a ValidatingAdmissionPolicy, for every user, cluster
  administrators included): a request records its creator as the API server authenticated
  them (``request.userInfo``, which ``govcloud access request`` reads back with a
  SelfSubjectReview), an operator's; what was asked never changes; an approval records its
  approver as authenticated, a member of an approver group, never the requester and never
  an operator group or domain, and once given is final. The reconciler writes only the
  status subresource, which this policy does not match.
"""

from __future__ import annotations

from infra.i18n import N_
from infra.spec.environment import EnvironmentSpec

from .access_requests import ACCESS_RESOURCE
from .identities import admission_pair
from .names import CRD_GROUP, LABEL_MANAGED_BY, MANAGED_BY
from .objects import KubeObject

__all__ = [
    "ACCESS_POLICY",
    "APPROVER_ROLE",
    "REQUESTER_ROLE",
    "access_objects",
]

ACCESS_POLICY = "govcloud-access-requests"
REQUESTER_ROLE = "govcloud-access-requester"
APPROVER_ROLE = "govcloud-access-approver"
_RBAC = "rbac.authorization.k8s.io"
_READ = ["get", "list", "watch"]

# Stored in the cluster in English (the API's answer to every client); marked so that the
# catalogue keeps their Chinese translations with the rest.
NOT_REQUESTER = N_("the requester recorded must be the user who creates the request")
NOT_OPERATOR = N_("only members of an operator group request emergency access")
CREATED_APPROVED = N_("a request is created without an approval")
CHANGED = N_("what a request asks for never changes once it is made")
FINAL = N_("an approval, once given, is final")
NOT_APPROVER_RECORDED = N_("the approver recorded must be the user who approves")
SELF_APPROVAL = N_("the requester can never approve their own emergency access")
COMPANY_APPROVAL = N_("the operating company's groups can never approve emergency access")
NOT_BUREAU = N_("only members of the bureau's approver groups approve emergency access")


def _cel(values: list[str]) -> str:
    return "[" + ", ".join(f"'{v}'" for v in values) + "]"


def _same_person(field: str) -> str:
    """``object.spec.<field>`` is the user making this request, with exactly their groups."""
    return (
        f"object.spec.{field}.username == variables.user && "
        f"object.spec.{field}.groups.all(g, g in variables.groups) && "
        f"variables.groups.all(g, g in object.spec.{field}.groups)"
    )


def _policy(env: EnvironmentSpec) -> list[KubeObject]:
    operators = _cel(list(env.operator_groups))
    domains = _cel(list(env.operator_domains))
    approvers = _cel(list(env.emergency_access.approver_groups))
    create = "request.operation != 'CREATE' || "
    approving = "!variables.approving || "
    return admission_pair(
        ACCESS_POLICY,
        {
            "matchConstraints": {
                "resourceRules": [
                    {
                        "apiGroups": [CRD_GROUP],
                        "apiVersions": ["*"],
                        "operations": ["CREATE", "UPDATE"],
                        "resources": [ACCESS_RESOURCE],  # not the status subresource
                    }
                ]
            },
            "variables": [
                {"name": "user", "expression": "request.userInfo.username"},
                {
                    "name": "groups",
                    "expression": "has(request.userInfo.groups) ? request.userInfo.groups : []",
                },
                {
                    "name": "company",
                    "expression": f"variables.groups.exists(g, g in {operators}) || "
                    f"{domains}.exists(d, variables.user.endsWith('@' + d))",
                },
                {
                    "name": "approving",
                    "expression": "request.operation == 'UPDATE' && "
                    "has(object.spec.approval) && !has(oldObject.spec.approval)",
                },
            ],
            "validations": [
                {"expression": create + f"({_same_person('requester')})", "message": NOT_REQUESTER},
                {
                    "expression": create + f"variables.groups.exists(g, g in {operators})",
                    "message": NOT_OPERATOR,
                },
                {"expression": create + "!has(object.spec.approval)", "message": CREATED_APPROVED},
                {
                    "expression": "request.operation != 'UPDATE' || ("
                    + " && ".join(
                        f"object.spec.{f} == oldObject.spec.{f}"
                        for f in ("tenant", "scope", "reason", "minutes", "requester")
                    )
                    + ")",
                    "message": CHANGED,
                },
                {
                    "expression": "request.operation != 'UPDATE' || !has(oldObject.spec.approval) "
                    "|| (has(object.spec.approval) && "
                    "object.spec.approval == oldObject.spec.approval)",
                    "message": FINAL,
                },
                {
                    "expression": approving + f"({_same_person('approval')})",
                    "message": NOT_APPROVER_RECORDED,
                },
                {
                    "expression": approving + "variables.user != object.spec.requester.username",
                    "message": SELF_APPROVAL,
                },
                {"expression": approving + "!variables.company", "message": COMPANY_APPROVAL},
                {
                    "expression": approving + f"variables.groups.exists(g, g in {approvers})",
                    "message": NOT_BUREAU,
                },
            ],
        },
    )


def _role(name: str, verbs: list[str], *, tenants: bool) -> KubeObject:
    """Operators (``tenants=False``) never read Tenant objects cluster-wide: a department's
    spec is not theirs to browse. The bureau's approvers read them."""
    rules = [{"apiGroups": [CRD_GROUP], "resources": [ACCESS_RESOURCE], "verbs": verbs}]
    if tenants:
        rules.append({"apiGroups": [CRD_GROUP], "resources": ["tenants"], "verbs": _READ})
    return KubeObject(
        {
            "apiVersion": f"{_RBAC}/v1",
            "kind": "ClusterRole",
            "metadata": {"name": name, "labels": {LABEL_MANAGED_BY: MANAGED_BY}},
            "rules": rules,
        }
    )


def _binding(name: str, groups: list[str]) -> list[KubeObject]:
    if not groups:
        return []  # nobody to bind (an environment without approvers: nobody approves)
    return [
        KubeObject(
            {
                "apiVersion": f"{_RBAC}/v1",
                "kind": "ClusterRoleBinding",
                "metadata": {"name": name, "labels": {LABEL_MANAGED_BY: MANAGED_BY}},
                "roleRef": {"apiGroup": _RBAC, "kind": "ClusterRole", "name": name},
                "subjects": [{"kind": "Group", "apiGroup": _RBAC, "name": g} for g in groups],
            }
        )
    ]


def access_objects(env: EnvironmentSpec) -> list[KubeObject]:
    """The platform's part of break-glass: the two roles, their bindings and the policy."""
    return [
        _role(REQUESTER_ROLE, [*_READ, "create"], tenants=False),
        *_binding(REQUESTER_ROLE, list(env.operator_groups)),
        _role(APPROVER_ROLE, [*_READ, "update", "patch"], tenants=True),
        *_binding(APPROVER_ROLE, list(env.emergency_access.approver_groups)),
        *_policy(env),
    ]
