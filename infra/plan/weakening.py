"""Objects the plan does not list but that weaken a tenant: found by listing, not by name.

- a NetworkPolicy in a tenant namespace opening a path beyond the tenant, by the one rule
  the admission policy enforces too (``infra.plan.netpol_rule``): a rule without peers,
  a namespace selector other than the tenant's own, any ipBlock (IPv6 included);
- a RoleBinding granting anything the plan does not: judged by subject and role together,
  so an allowed subject (the owners, the deployer, an operator group with a valid grant)
  bound to another role (``cluster-admin``, another tenant's data role) is found too;
- an object labelled as ours that the plan no longer lists (an expired grant's binding, the
  policy of a peering that ended): pruned.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .names import LABEL_MANAGED_BY, MANAGED_BY
from .netpol_rule import policy_problems
from .objects import KubeObject
from .records import GRANTS, STALE

__all__ = ["planned_grants", "stale_managed", "weakening_bindings", "weakening_policies"]

_NS_NAME = "kubernetes.io/metadata.name"
Obj = Mapping[str, Any]


def _key(obj: Obj) -> str:
    meta = obj.get("metadata") or {}
    return f"{obj.get('kind')}/{meta.get('namespace')}/{meta.get('name')}"


def _managed(obj: Obj) -> bool:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return bool(labels.get(LABEL_MANAGED_BY) == MANAGED_BY)


def weakening_policies(
    policies: Iterable[Obj], *, namespace: str, planned: Iterable[KubeObject]
) -> list[tuple[str, str]]:
    """``(key, reason)`` for each NetworkPolicy not in the plan that opens a path out, by
    the rule the admission policy enforces (``infra.plan.netpol_rule``)."""
    known = {o.key for o in planned}
    out: list[tuple[str, str]] = []
    for policy in policies:
        if _key(policy) in known:
            continue
        problems = policy_problems(policy.get("spec") or {}, namespace)
        if problems:
            out.append((_key(policy), "; ".join(problems)))
    return out


def _subject_id(subject: Mapping[str, Any]) -> str:
    if subject.get("kind") == "ServiceAccount":
        return f"ServiceAccount:{subject.get('namespace', '')}/{subject.get('name')}"
    return f"{subject.get('kind')}:{subject.get('name')}"


def _role_id(binding: Mapping[str, Any]) -> str:
    ref = binding.get("roleRef") or {}
    return f"{ref.get('kind', 'Role')}/{ref.get('name', '?')}"


def weakening_bindings(
    bindings: Iterable[Obj],
    *,
    planned: Iterable[KubeObject],
    allowed: frozenset[tuple[str, str]] | None = None,
) -> list[tuple[str, str]]:
    """``(key, reason)`` for each RoleBinding not in the plan that grants a role to a subject
    the plan does not bind to that role (``allowed``: the plan's grants by default)."""
    planned = list(planned)
    grants = planned_grants(planned) if allowed is None else allowed
    known = {o.key for o in planned}
    out: list[tuple[str, str]] = []
    for binding in bindings:
        if _key(binding) in known:
            continue
        role = _role_id(binding)
        extra = sorted(
            {
                _subject_id(s)
                for s in binding.get("subjects") or []
                if (_subject_id(s), role) not in grants
            }
        )
        if extra:
            out.append((_key(binding), GRANTS.format(role=role, subjects=", ".join(extra))))
    return out


def stale_managed(objects: Iterable[Obj], planned: Iterable[KubeObject]) -> list[tuple[str, str]]:
    """``(key, reason)`` for objects labelled as govcloud's that the plan no longer lists."""
    known = {o.key for o in planned}
    return [(_key(o), STALE.format()) for o in objects if _managed(o) and _key(o) not in known]


def planned_grants(planned: Iterable[KubeObject]) -> frozenset[tuple[str, str]]:
    """Every (subject, role) pair the plan's RoleBindings grant: the only grants allowed in
    the namespace."""
    return frozenset(
        (_subject_id(s), _role_id(o.manifest))
        for o in planned
        if o.kind == "RoleBinding"
        for s in o.manifest.get("subjects") or []
    )
