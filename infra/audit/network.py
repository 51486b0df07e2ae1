"""Connectivity computed from every live NetworkPolicy (tenant-made ones included).

A pure function: namespaces with their labels and the policies in, the paths between
namespaces (and to and from the internet) out, each with the ports it allows. Pod selectors
are over-approximated (a policy selecting some pods counts as selecting every pod for what
it allows; only ``podSelector: {}`` counts as isolating every pod), so a path reported
absent is absent for every pod.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["ANY", "INTERNET", "PROXY", "Paths", "connectivity", "covered", "port_set"]

ANY = "*"
INTERNET = "(internet)"
PROXY = "(egress proxy)"
Ports = frozenset[str]
Paths = dict[tuple[str, str], Ports]  # (from, to) -> ports allowed ("TCP/443", "*")
_ALL: Ports = frozenset({ANY})


def port_set(ports: Any) -> Ports:
    """``"TCP/443"`` per port (``"TCP/8000-8080"`` for a range, ``"TCP/*"`` for any port)."""
    if not ports:
        return _ALL
    out = set()
    for p in ports:
        proto = str((p or {}).get("protocol") or "TCP")
        port, end = (p or {}).get("port"), (p or {}).get("endPort")
        out.add(f"{proto}/{port}-{end}" if end else f"{proto}/{port if port else ANY}")
    return frozenset(out)


def _matches(port: str, allowed: Ports) -> bool:
    return ANY in allowed or port in allowed or f"{port.split('/')[0]}/{ANY}" in allowed


def covered(ports: Ports, allowed: Ports) -> bool:
    """Whether every port in ``ports`` is within ``allowed``."""
    return all(_matches(p, allowed) for p in ports)


def _intersect(a: Ports, b: Ports) -> Ports:
    if ANY in a:
        return b
    if ANY in b:
        return a
    return frozenset({x for x in a if _matches(x, b)} | {y for y in b if _matches(y, a)})


def _selects(selector: Mapping[str, Any] | None, labels: Mapping[str, str]) -> bool:
    if selector is None:
        return False
    for key, value in (selector.get("matchLabels") or {}).items():
        if labels.get(key) != value:
            return False
    for expr in selector.get("matchExpressions") or []:
        key, op, values = expr.get("key"), expr.get("operator"), expr.get("values") or []
        present = key in labels
        if (
            (op == "In" and labels.get(key) not in values)
            or (op == "NotIn" and present and labels.get(key) in values)
            or (op == "Exists" and not present)
            or (op == "DoesNotExist" and present)
        ):
            return False
    return True


def _outside(cidr: str, proxy: str | None) -> set[str]:
    """What an ipBlock reaches: the egress proxy when it lies inside the proxy's range, the
    internet when it does not, both when it overlaps the proxy's range (``0.0.0.0/0``)."""
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return {INTERNET}
    if not proxy or not isinstance(net, ipaddress.IPv4Network):
        return {INTERNET}
    own = ipaddress.IPv4Network(proxy)
    if net.subnet_of(own):
        return {PROXY}
    return {INTERNET, PROXY} if net.overlaps(own) else {INTERNET}


def _peers(
    rule: Mapping[str, Any],
    side: str,
    own: str,
    namespaces: Mapping[str, Mapping[str, str]],
    proxy: str | None,
) -> set[str]:
    peers = rule.get(side)
    if not peers:
        return {*namespaces, INTERNET, *([PROXY] if proxy else [])}
    out: set[str] = set()
    for peer in peers:
        if "ipBlock" in (peer or {}):
            out |= _outside(str(peer["ipBlock"].get("cidr", "")), proxy)
        elif "namespaceSelector" in peer:
            out |= {
                n
                for n, labels in namespaces.items()
                if _selects(peer["namespaceSelector"] or {}, labels)
            }
        else:
            out.add(own)
    return out


def _types(spec: Mapping[str, Any]) -> set[str]:
    declared = spec.get("policyTypes")
    if declared:
        return set(declared)
    return {"Ingress", *(["Egress"] if "egress" in spec else [])}


def _selects_all(spec: Mapping[str, Any]) -> bool:
    selector = spec.get("podSelector") or {}
    return not selector.get("matchLabels") and not selector.get("matchExpressions")


def _side(
    ns: str,
    policies: list[Mapping[str, Any]],
    direction: str,
    side: str,
    namespaces: Mapping[str, Mapping[str, str]],
    proxy: str | None,
) -> dict[str, Ports]:
    """What pods in ``ns`` may reach (egress) or be reached from (ingress), with ports."""
    key = direction.lower()
    relevant = [p.get("spec") or {} for p in policies]
    relevant = [s for s in relevant if direction in _types(s)]
    everyone = {*namespaces, INTERNET, *([PROXY] if proxy else [])}
    if not any(_selects_all(s) for s in relevant):  # some pod is not isolated: open
        return dict.fromkeys(everyone, _ALL)
    out: dict[str, set[str]] = {}
    for spec in relevant:
        for rule in spec.get(key) or []:
            ports = port_set((rule or {}).get("ports"))
            for peer in _peers(rule or {}, side, ns, namespaces, proxy):
                out.setdefault(peer, set()).update(ports)
    return {peer: (_ALL if ANY in ports else frozenset(ports)) for peer, ports in out.items()}


def connectivity(
    namespaces: Mapping[str, Mapping[str, str]],
    policies: Iterable[Mapping[str, Any]],
    *,
    proxy: str | None = None,
) -> Paths:
    """Every path (source, destination) -> ports, between the namespaces given and to and
    from the internet (and the egress proxy, when there is one)."""
    by_ns: dict[str, list[Mapping[str, Any]]] = {n: [] for n in namespaces}
    for policy in policies:
        ns = str((policy.get("metadata") or {}).get("namespace"))
        if ns in by_ns:
            by_ns[ns].append(policy)
    egress = {n: _side(n, by_ns[n], "Egress", "to", namespaces, proxy) for n in namespaces}
    ingress = {n: _side(n, by_ns[n], "Ingress", "from", namespaces, proxy) for n in namespaces}
    paths: Paths = {}
    for src in namespaces:
        for dst, out_ports in egress[src].items():
            ports = (
                out_ports
                if dst in (INTERNET, PROXY)
                else _intersect(out_ports, ingress[dst].get(src, frozenset()))
            )
            if ports:
                paths[(src, dst)] = ports
    for dst in namespaces:
        if INTERNET in ingress[dst]:
            paths[(INTERNET, dst)] = ingress[dst][INTERNET]
    return paths
