"""Cluster-scoped and platform objects that reach tenants: what must be as planned, and what
must not exist at all.

- **Planned platform objects** (``platform_guarded``): the operator ClusterRoles, every
  admission policy and its binding, the shared-services namespaces' NetworkPolicies. Drift
  in any of them is found by the reconciler and by ``govcloud drift``; deploy never skips
  the platform stack while one differs. The reconciler itself restores only the
  shared-services policies: writing ClusterRoles or admission policies would let its own
  identity lift its confinement or widen an operator role, so those are repaired by deploy
  (``REPAIRED_BY_DEPLOY``).
- **Unplanned objects that weaken tenants**: a ClusterRoleBinding naming a tenant's owner
  group, an operator group or a tenant's service account (cluster-wide access for a
  department: every ClusterRoleBinding govcloud plans is its own reconciler's); a
  NetworkPolicy in a shared-services namespace that neither the platform nor a tenant
  stack planned (labelled as govcloud's).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from infra.spec.environment import EnvironmentSpec

from .names import LABEL_MANAGED_BY, MANAGED_BY, SHARED_NAMESPACE
from .objects import KubeObject
from .platform import platform_kube_objects

__all__ = [
    "PLATFORM_KINDS",
    "REPAIRED_BY_DEPLOY",
    "object_key",
    "platform_guarded",
    "shared_namespaces",
    "weakening_cluster_bindings",
    "weakening_shared_policies",
]

PLATFORM_KINDS = (
    "ClusterRole",
    "ClusterRoleBinding",
    "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding",
    "NetworkPolicy",
)
REPAIRED_BY_DEPLOY = frozenset(
    {
        "ClusterRole",
        "ClusterRoleBinding",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
    }
)
Obj = Mapping[str, Any]


def object_key(obj: Obj) -> str:
    """``Kind/name`` or ``Kind/namespace/name``: the key ``KubeObject.key`` gives."""
    meta = obj.get("metadata") or {}
    scope = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{obj.get('kind')}/{scope}{meta.get('name')}"


def shared_namespaces(env: EnvironmentSpec) -> frozenset[str]:
    return frozenset({SHARED_NAMESPACE, *(s.namespace for s in env.shared_services)})


def platform_guarded(env: EnvironmentSpec) -> list[KubeObject]:
    """The platform objects whose live state must match the plan."""
    return [o for o in platform_kube_objects(env) if o.kind in PLATFORM_KINDS]


def _subject(subject: Obj) -> str:
    if subject.get("kind") == "ServiceAccount":
        return f"ServiceAccount:{subject.get('namespace', '')}/{subject.get('name')}"
    return f"{subject.get('kind')}:{subject.get('name')}"


def weakening_cluster_bindings(
    bindings: Iterable[Obj],
    *,
    planned: Iterable[KubeObject],
    groups: Iterable[str],
    tenant_namespaces: Iterable[str],
) -> list[tuple[str, str]]:
    """``(key, reason)`` for each unplanned ClusterRoleBinding that gives a tenant's owners,
    an operator group or a tenant's service account a cluster-wide role."""
    known = {o.key for o in planned}
    guarded, namespaces = set(groups), set(tenant_namespaces)
    out: list[tuple[str, str]] = []
    for binding in bindings:
        key = object_key({**binding, "kind": "ClusterRoleBinding"})
        if key in known:
            continue
        reached = sorted(
            {
                _subject(s)
                for s in binding.get("subjects") or []
                if (s.get("kind") == "Group" and s.get("name") in guarded)
                or (s.get("kind") == "ServiceAccount" and s.get("namespace") in namespaces)
            }
        )
        if reached:
            role = (binding.get("roleRef") or {}).get("name", "?")
            out.append((key, f"grants ClusterRole/{role} cluster-wide to {', '.join(reached)}"))
    return out


def weakening_shared_policies(
    policies: Iterable[Obj], *, planned: Iterable[KubeObject], namespaces: Iterable[str]
) -> list[tuple[str, str]]:
    """``(key, reason)`` for each NetworkPolicy in a shared-services namespace that no stack
    planned: nobody but govcloud opens paths to the platform's services."""
    known, shared = {o.key for o in planned}, set(namespaces)
    out: list[tuple[str, str]] = []
    for policy in policies:
        meta = policy.get("metadata") or {}
        key = object_key({**policy, "kind": "NetworkPolicy"})
        labels = meta.get("labels") or {}
        if meta.get("namespace") not in shared or key in known:
            continue
        if labels.get(LABEL_MANAGED_BY) != MANAGED_BY:
            out.append((key, "not planned by govcloud in a shared-services namespace"))
    return out
