"""One rule, one source: what a tenant's own NetworkPolicy may say.

A NetworkPolicy the plan does not list (written by a department, or by anyone) may only
select pods in its own namespace: every rule names its peers (a rule without peers, or with
an empty list, admits everyone), and every peer is a pod selector or a namespace selector
naming exactly the policy's own namespace — no other or empty namespace selector, no
expressions, no ipBlock (IPv4 or IPv6). Cross-tenant paths come only from peerings in the
tenant spec, which the plan renders itself.

The rule is written once, here, in two forms kept side by side: ``peer_problem`` /
``policy_problems`` (the reconciler, the audit) and ``CEL`` (the admission policy
``govcloud-tenant-netpol-stays-inside``). ``CASES`` is the table both are held to: the
unit tests run the Python form over it, and the end-to-end tests submit every case to the
real API server and require the admission policy to decide the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .records import IP_BLOCK, NO_PEERS, NO_SELECTOR, OTHER_NAMESPACE

__all__ = ["CASES", "CEL_INSIDE", "CEL_NAMED", "peer_problem", "policy_problems"]

NS_NAME = "kubernetes.io/metadata.name"
_SIDES = (("ingress", "from"), ("egress", "to"))


def peer_problem(peer: Any, namespace: str) -> str | None:
    """Why a peer reaches beyond ``namespace`` (None: it stays inside)."""
    if not isinstance(peer, Mapping) or not ("podSelector" in peer or "namespaceSelector" in peer):
        return NO_SELECTOR.format()
    if "ipBlock" in peer:
        block = (peer.get("ipBlock") or {}).get("cidr", "?")
        return IP_BLOCK.format(block=block)
    if "namespaceSelector" in peer:
        selector = peer.get("namespaceSelector") or {}
        labels = selector.get("matchLabels") or {}
        if selector.get("matchExpressions") or labels.get(NS_NAME) != namespace:
            return OTHER_NAMESPACE.format()
    return None


def policy_problems(spec: Mapping[str, Any], namespace: str) -> list[str]:
    """Every way a NetworkPolicy spec opens a path beyond its namespace."""
    out: list[str] = []
    for direction, side in _SIDES:
        for i, rule in enumerate(spec.get(direction) or []):
            peers = (rule or {}).get(side)
            if not peers:
                out.append(NO_PEERS.format(direction=direction, index=i, side=side))
                continue
            out += [p for p in (peer_problem(peer, namespace) for peer in peers) if p]
    return list(dict.fromkeys(out))


def _cel_peer_ok(p: str) -> str:
    sel = f"{p}.namespaceSelector"
    return (
        f"(has({p}.podSelector) || has({sel})) && !has({p}.ipBlock) && (!has({sel}) || "
        f"(has({sel}.matchLabels) && !has({sel}.matchExpressions) && "
        f"'{NS_NAME}' in {sel}.matchLabels && "
        f"{sel}.matchLabels['{NS_NAME}'] == request.namespace))"
    )


def _cel_named(direction: str, side: str) -> str:
    return (
        f"!has(object.spec.{direction}) || object.spec.{direction}.all(r, "
        f"has(r.{side}) && size(r.{side}) > 0)"
    )


def _cel_inside(direction: str, side: str) -> str:
    return (
        f"!has(object.spec.{direction}) || object.spec.{direction}.all(r, "
        f"!has(r.{side}) || r.{side}.all(p, {_cel_peer_ok('p')}))"
    )


# The admission policy's expressions: every rule names peers; every peer stays inside.
CEL_NAMED = {direction: _cel_named(direction, side) for direction, side in _SIDES}
CEL_INSIDE = " && ".join(f"({_cel_inside(direction, side)})" for direction, side in _SIDES)


def _ns(name: str) -> dict[str, Any]:
    return {"namespaceSelector": {"matchLabels": {NS_NAME: name}}}


# (spec, allowed) for a policy in namespace "{own}" (the tests put their namespace there).
CASES: list[tuple[dict[str, Any], bool]] = [
    ({"ingress": [{}]}, False),  # no peers: everyone
    ({"ingress": [{"from": []}]}, False),  # empty list: everyone
    ({"ingress": [{"ports": [{"port": 80}]}]}, False),  # ports only: everyone
    ({"egress": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}]}]}, False),
    ({"egress": [{"to": [{"ipBlock": {"cidr": "::/0"}}]}]}, False),  # IPv6
    ({"egress": [{"to": [{"ipBlock": {"cidr": "10.64.1.128/25"}}]}]}, False),  # even inside
    ({"ingress": [{"from": [{"namespaceSelector": {}}]}]}, False),
    ({"ingress": [{"from": [_ns("kube-system")]}]}, False),  # another namespace
    (
        {
            "ingress": [
                {
                    "from": [
                        {
                            "namespaceSelector": {
                                "matchExpressions": [{"key": "x", "operator": "Exists"}]
                            }
                        }
                    ]
                }
            ]
        },
        False,
    ),
    ({"ingress": [{"from": [{"podSelector": {}}]}]}, True),
    ({"ingress": [{"from": [_ns("{own}")]}]}, True),
    ({"egress": [{"to": [{**_ns("{own}"), "podSelector": {"matchLabels": {"a": "b"}}}]}]}, True),
    ({"podSelector": {}, "policyTypes": ["Ingress"]}, True),  # deny-all
]
