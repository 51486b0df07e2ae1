"""Objects the plan does not list but that weaken a tenant: found by listing, not by name.

- a NetworkPolicy in a tenant namespace opening a path beyond the tenant: a rule without
  peers (Kubernetes reads that as "everyone"), a namespace selector that is empty, uses
  expressions or names a namespace that is neither the tenant, a declared mutual peer nor
  the shared-services namespace of a declared service; an ipBlock outside the tenant's
  CIDR (IPv6 included);
- a RoleBinding granting anything the plan does not: judged by subject and role together,
  so an allowed subject (the owners, the deployer, an operator group with a valid grant)
  bound to another role (``cluster-admin``, another tenant's data role) is found too;
- an object labelled as ours that the plan no longer lists (an expired grant's binding, the
  policy of a peering that ended): pruned.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from .names import LABEL_MANAGED_BY, MANAGED_BY, SHARED_NAMESPACE
from .objects import KubeObject

__all__ = ["planned_grants", "stale_managed", "weakening_bindings", "weakening_policies"]

_NS_NAME = "kubernetes.io/metadata.name"
Obj = Mapping[str, Any]


def _key(obj: Obj) -> str:
    meta = obj.get("metadata") or {}
    return f"{obj.get('kind')}/{meta.get('namespace')}/{meta.get('name')}"


def _managed(obj: Obj) -> bool:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return bool(labels.get(LABEL_MANAGED_BY) == MANAGED_BY)


def _peer_problem(peer: Any, namespace: str, allowed: frozenset[str], cidr: str) -> str | None:
    if not isinstance(peer, Mapping) or not peer:
        return "an empty peer matches everything"
    if "ipBlock" in peer:
        block = (peer.get("ipBlock") or {}).get("cidr", "")
        try:
            net = ipaddress.ip_network(str(block), strict=False)
        except ValueError:
            return f"ipBlock {block!r} is not a network"
        inside = ipaddress.ip_network(cidr)
        if net.version != inside.version or not net.subnet_of(inside):  # type: ignore[arg-type]
            return f"ipBlock {block} is outside the tenant's {cidr}"
        return None
    selector = peer.get("namespaceSelector")
    if selector is None:
        return None  # a pod selector alone stays in the policy's own namespace
    labels = (selector or {}).get("matchLabels") or {}
    if (selector or {}).get("matchExpressions") or _NS_NAME not in labels:
        return "a namespace selector that does not name one namespace"
    target = str(labels[_NS_NAME])
    if target != namespace and target not in allowed:
        return f"namespace {target} is not the tenant, a declared peer or a shared service"
    return None


def _rule_problems(rules: Any, side: str, namespace: str, allowed: frozenset[str],
                   cidr: str) -> list[str]:
    out: list[str] = []
    for i, rule in enumerate(rules or []):
        peers = (rule or {}).get(side)
        if not peers:
            out.append(f"rule {i} has no `{side}` peers, which allows everyone")
            continue
        out += [p for p in (_peer_problem(peer, namespace, allowed, cidr) for peer in peers)
                if p]
    return out


def weakening_policies(policies: Iterable[Obj], *, namespace: str, cidr: str,
                       peers: Sequence[str], shared: bool,
                       planned: Iterable[KubeObject]) -> list[tuple[str, str]]:
    """``(key, reason)`` for each NetworkPolicy not in the plan that opens a path out."""
    allowed = frozenset([*peers, *([SHARED_NAMESPACE] if shared else [])])
    known = {o.key for o in planned}
    out: list[tuple[str, str]] = []
    for policy in policies:
        if _key(policy) in known:
            continue
        spec = policy.get("spec") or {}
        problems = (_rule_problems(spec.get("ingress"), "from", namespace, allowed, cidr)
                    + _rule_problems(spec.get("egress"), "to", namespace, allowed, cidr))
        if problems:
            out.append((_key(policy), "; ".join(dict.fromkeys(problems))))
    return out


def _subject_id(subject: Mapping[str, Any]) -> str:
    if subject.get("kind") == "ServiceAccount":
        return f"ServiceAccount:{subject.get('namespace', '')}/{subject.get('name')}"
    return f"{subject.get('kind')}:{subject.get('name')}"


def _role_id(binding: Mapping[str, Any]) -> str:
    ref = binding.get("roleRef") or {}
    return f"{ref.get('kind', 'Role')}/{ref.get('name', '?')}"


def weakening_bindings(bindings: Iterable[Obj], *, planned: Iterable[KubeObject],
                       allowed: frozenset[tuple[str, str]] | None = None
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
        extra = sorted({_subject_id(s) for s in binding.get("subjects") or []
                        if (_subject_id(s), role) not in grants})
        if extra:
            out.append((_key(binding), f"grants {role} to {', '.join(extra)}"))
    return out


def stale_managed(objects: Iterable[Obj], planned: Iterable[KubeObject]
                  ) -> list[tuple[str, str]]:
    """``(key, reason)`` for objects labelled as govcloud's that the plan no longer lists."""
    known = {o.key for o in planned}
    return [(_key(o), "labelled as managed by govcloud but no longer planned")
            for o in objects if _managed(o) and _key(o) not in known]


def planned_grants(planned: Iterable[KubeObject]) -> frozenset[tuple[str, str]]:
    """Every (subject, role) pair the plan's RoleBindings grant: the only grants allowed in
    the namespace."""
    return frozenset((_subject_id(s), _role_id(o.manifest)) for o in planned
                     if o.kind == "RoleBinding" for s in o.manifest.get("subjects") or [])
