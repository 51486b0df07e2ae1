"""What deploy and the reconciler keep true, judged by the audit as well: each audited
tenant's planned Kubernetes objects, the platform objects that reach every tenant, and the
unplanned cluster-wide objects that weaken tenants, read live and compared with the plan by
the same pure functions `govcloud drift` uses (``infra.plan.drift``,
``infra.plan.platform_reach``).

One list per kind, whatever the fleet's size. Left to the audit's other checks (and not
reported twice): the namespace's labels, unplanned RoleBindings and NetworkPolicies inside a
tenant namespace, and the Tenant object (its status is the reconciler's).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from infra.drivers import KubeClient
from infra.plan import Plan
from infra.plan.drift import Difference, kube_drift, unexpected
from infra.plan.objects import KubeObject
from infra.plan.platform_reach import (
    object_key,
    platform_guarded,
    shared_namespaces,
    weakening_cluster_bindings,
    weakening_shared_policies,
)
from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import TenantSpec

from .model import Category, Finding, Tally
from .reasons import NOT_AS_PLANNED, PLATFORM_NOT_AS_PLANNED, PLATFORM_UNPLANNED

__all__ = ["PLATFORM", "managed_findings"]

PLATFORM = "platform"  # a finding's target when it reaches every tenant
_API = {
    "ResourceQuota": "v1",
    "LimitRange": "v1",
    "ServiceAccount": "v1",
    "NetworkPolicy": "networking.k8s.io/v1",
    "Role": "rbac.authorization.k8s.io/v1",
    "RoleBinding": "rbac.authorization.k8s.io/v1",
    "ClusterRole": "rbac.authorization.k8s.io/v1",
    "ClusterRoleBinding": "rbac.authorization.k8s.io/v1",
    "ValidatingAdmissionPolicy": "admissionregistration.k8s.io/v1",
    "ValidatingAdmissionPolicyBinding": "admissionregistration.k8s.io/v1",
}
_CATEGORY: dict[str, Category] = {
    "ResourceQuota": "quota",
    "LimitRange": "quota",
    "NetworkPolicy": "network",
}


def _judged(objects: Iterable[KubeObject]) -> list[KubeObject]:
    return [o for o in objects if o.kind in _API]


def managed_findings(
    admin: KubeClient,
    env: EnvironmentSpec,
    fleet: Mapping[str, TenantSpec],
    plans: Mapping[str, Plan],
    audited: Iterable[str],
) -> tuple[list[Finding], Tally]:
    tally = Tally()
    live: dict[str, dict[str, Any]] = {}
    for kind, api in _API.items():
        for obj in admin.list(api, kind):
            live[object_key({**obj, "kind": kind})] = obj
        tally.requests += 1
    found: list[Finding] = []
    for t in sorted(set(audited) & set(plans)):
        desired = _judged(plans[t].kube)
        tally.checks += len(desired)
        for diff in kube_drift(desired, {o.key: live.get(o.key) for o in desired}):
            kind = diff.key.split("/", 1)[0]
            category = _CATEGORY.get(kind, "rbac")
            found.append(Finding(category, diff.key, t, diff.describe(), NOT_AS_PLANNED.format()))
    found += _platform(env, fleet, live, tally)
    return found, tally


def _platform(
    env: EnvironmentSpec,
    fleet: Mapping[str, TenantSpec],
    live: Mapping[str, Mapping[str, Any]],
    tally: Tally,
) -> list[Finding]:
    desired = platform_guarded(env)
    tally.checks += len(desired)
    drift = kube_drift(desired, {o.key: live.get(o.key) for o in desired})
    groups = {s.owners.group for s in fleet.values()} | set(env.operator_groups)
    groups |= {g.group for s in fleet.values() for g in s.access}
    bindings = [o for k, o in live.items() if k.startswith("ClusterRoleBinding/")]
    shared = shared_namespaces(env)
    policies = [
        o
        for k, o in live.items()
        if k.startswith("NetworkPolicy/") and (o.get("metadata") or {}).get("namespace") in shared
    ]
    outsiders = weakening_cluster_bindings(
        bindings, planned=desired, groups=groups, tenant_namespaces=fleet
    ) + weakening_shared_policies(policies, planned=desired, namespaces=shared)
    tally.checks += len(bindings) + len(policies)
    return [_platform_finding(d, PLATFORM_NOT_AS_PLANNED.format()) for d in drift] + [
        _platform_finding(d, PLATFORM_UNPLANNED.format()) for d in unexpected(outsiders)
    ]


def _platform_finding(diff: Difference, reason: str) -> Finding:
    return Finding("platform", diff.key, PLATFORM, diff.describe(), reason)
