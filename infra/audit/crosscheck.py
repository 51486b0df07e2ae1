"""A second opinion on the network: netpol-analyzer's connectivity against govcloud's own.

govcloud's :func:`~infra.audit.network.connectivity` works per namespace and over-approximates
pod selectors. netpol-analyzer works per pod, so each namespace gets representative pods: one
without labels (what no selector picks) and one per label set some selector asks for (the
policy's own pods, and the peers a rule names, in the namespaces it names). The union over a
namespace's pods is then the namespace's connectivity, and the two answers must be equal for
every path between namespaces and to and from the internet. Each disagreement is a deviation;
each path netpol-analyzer finds that the specs do not declare is a leak, whether or not
govcloud's own model found it.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from infra.drivers.netpol_analyzer import Connection, Endpoint, NetpolAnalyzer
from infra.i18n import _
from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import TenantSpec

from .model import Finding
from .network import ANY, INTERNET, PROXY, Paths, _selects_all, _types
from .paths import unexpected_paths
from .reasons import ANALYSES_DISAGREE, ANALYZER_ONLY, SAME_PATH

__all__ = [
    "NOTE_PREFIX",
    "CrossCheck",
    "analyzer_objects",
    "analyzer_paths",
    "cross_check",
    "outward_policies",
    "representative_pods",
]

NOTE_PREFIX = "network cross-check: "  # the report shows this note as a summary line
_PROTOCOLS = ("TCP", "UDP", "SCTP")
_NS_NAME = "kubernetes.io/metadata.name"
_HOST_IP = "192.0.2.1"
_POD_NETWORK = ipaddress.IPv4Network("198.18.0.0/15")  # benchmarking range: never a peer
Labels = frozenset[tuple[str, str]]


@dataclass(frozen=True)
class CrossCheck:
    version: str
    compared: int  # paths either analysis finds, within the audit's scope
    agreed: int  # of those, paths both find with the same ports
    deviations: tuple[Finding, ...]
    leaks: Mapping[tuple[str, str], Finding]  # (from, to) -> leak, by netpol-analyzer's paths
    warnings: tuple[str, ...] = ()

    def note(self) -> str:
        # the prefix stays English: the report finds the note by it and shows its own words
        return NOTE_PREFIX + _(
            "netpol-analyzer {version} agreed on {agreed} of {compared} paths "
            "(namespace to namespace, to and from the internet)"
        ).format(version=self.version, agreed=self.agreed, compared=self.compared)

    def merge(self, ours: list[Finding]) -> list[Finding]:
        """Our path leaks, marked where netpol-analyzer finds the same path; then the leaks
        only it finds; then the deviations."""
        mine = {(f.subject, f.target) for f in ours}
        out = [
            dataclasses.replace(f, reason=SAME_PATH.format(reason=f.reason, version=self.version))
            if (f.subject, f.target) in self.leaks
            else f
            for f in ours
        ]
        out += [
            dataclasses.replace(
                f, reason=ANALYZER_ONLY.format(reason=f.reason, version=self.version)
            )
            for key, f in sorted(self.leaks.items())
            if key not in mine
        ]
        return out + list(self.deviations)


def _labels(selector: Mapping[str, Any] | None) -> Labels:
    """Labels a pod needs to be picked by ``selector`` (as far as labels can make it so)."""
    selector = selector or {}
    out = {str(k): str(v) for k, v in (selector.get("matchLabels") or {}).items()}
    for expr in selector.get("matchExpressions") or []:
        key, values = str(expr.get("key")), expr.get("values") or []
        if expr.get("operator") == "In" and values:
            out.setdefault(key, str(values[0]))
        elif expr.get("operator") == "Exists":
            out.setdefault(key, "govcloud-audit")
    return frozenset(out.items())


def _named(
    selector: Mapping[str, Any], own: str, namespaces: Mapping[str, Mapping[str, str]]
) -> Iterable[str]:
    """Namespaces a peer's namespace selector may pick (all of them unless it is plain
    ``matchLabels``; the policy's own namespace when there is no namespace selector)."""
    if "namespaceSelector" not in selector:
        return [own]
    chosen = selector.get("namespaceSelector") or {}
    if chosen.get("matchExpressions"):
        return list(namespaces)
    want = (chosen.get("matchLabels") or {}).items()
    return [n for n, labels in namespaces.items() if all(labels.get(k) == v for k, v in want)]


def _label_sets(
    namespaces: Mapping[str, Mapping[str, str]], policies: Iterable[Mapping[str, Any]]
) -> dict[str, set[Labels]]:
    wanted: dict[str, set[Labels]] = {n: {frozenset()} for n in namespaces}
    for policy in policies:
        own = str((policy.get("metadata") or {}).get("namespace"))
        spec = policy.get("spec") or {}
        if own in wanted:
            wanted[own].add(_labels(spec.get("podSelector")))
        for rule in [*(spec.get("ingress") or []), *(spec.get("egress") or [])]:
            for peer in [*((rule or {}).get("from") or []), *((rule or {}).get("to") or [])]:
                if not peer or "ipBlock" in peer:
                    continue
                for ns in _named(peer, own, namespaces):
                    if ns in wanted:
                        wanted[ns].add(_labels(peer.get("podSelector")))
    return wanted


def _stays_inside(peer: Any, own: str) -> bool:
    """A peer that can only pick pods of the policy's own namespace: a pod selector alone,
    or with a namespace selector naming exactly that namespace by its immutable name."""
    if not isinstance(peer, Mapping) or not peer or "ipBlock" in peer:
        return False
    if "namespaceSelector" not in peer:
        return "podSelector" in peer
    chosen = peer.get("namespaceSelector") or {}
    return (
        not chosen.get("matchExpressions")
        and (chosen.get("matchLabels") or {}).get(_NS_NAME) == own
    )


def _inward(policy: Mapping[str, Any]) -> bool:
    """Every rule names its peers, and every peer stays in the policy's own namespace."""
    own = str((policy.get("metadata") or {}).get("namespace"))
    spec = policy.get("spec") or {}
    for key, side in (("ingress", "from"), ("egress", "to")):
        for rule in spec.get(key) or []:
            peers = (rule or {}).get(side)
            if not peers or not all(_stays_inside(p, own) for p in peers):
                return False
    return True


def outward_policies(policies: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """What the analyzer needs for the paths *between* namespaces (the only ones compared).

    In a namespace where a policy selecting every pod isolates each of a policy's directions,
    every pod is isolated there whatever that policy says; if its peers all stay in its own
    namespace, it only allows traffic inside it, and no path between namespaces depends on
    it. Such a policy is left out, or, when it selects every pod, given without its rules
    (its isolation, once per namespace and set of directions). Everything else is given as
    it is. The analyzer's time grows with the square of a namespace's representative pods,
    and these are the policies a tenant writes (admission refuses the others): however many
    a tenant writes, they cost it nothing."""
    policies = list(policies)
    isolated: set[tuple[str, str]] = set()  # (namespace, direction): every pod isolated
    for policy in policies:
        spec = policy.get("spec") or {}
        if _selects_all(spec):
            ns = str((policy.get("metadata") or {}).get("namespace"))
            isolated |= {(ns, direction) for direction in _types(spec)}
    out: list[Mapping[str, Any]] = []
    given: set[tuple[str, frozenset[str]]] = set()
    for policy in policies:
        spec = policy.get("spec") or {}
        ns = str((policy.get("metadata") or {}).get("namespace"))
        types = frozenset(_types(spec))
        if not _inward(policy) or not all((ns, t) in isolated for t in types):
            out.append(policy)
        elif _selects_all(spec) and (ns, types) not in given:
            given.add((ns, types))
            out.append({**policy, "spec": {"podSelector": {}, "policyTypes": sorted(types)}})
    return out


def representative_pods(
    namespaces: Mapping[str, Mapping[str, str]], policies: Iterable[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """Pods standing for every namespace: one without labels, one per label set asked for."""
    pods: list[dict[str, Any]] = []
    addresses = _POD_NETWORK.hosts()
    for ns, sets in sorted(_label_sets(namespaces, policies).items()):
        for i, labels in enumerate(sorted(sets, key=sorted)):
            ip = str(next(addresses))
            pods.append(
                {
                    "apiVersion": "v1",
                    "kind": "Pod",
                    "metadata": {
                        "name": f"govcloud-audit-{i}",
                        "namespace": ns,
                        "labels": dict(sorted(labels)),
                    },
                    "spec": {"containers": [{"name": "main", "image": "audit"}]},
                    "status": {
                        "phase": "Running",
                        "hostIP": _HOST_IP,
                        "podIP": ip,
                        "podIPs": [{"ip": ip}],
                    },
                }
            )
    return pods


def _places(end: Endpoint, proxy: ipaddress.IPv4Network | None) -> set[str]:
    if not end.external:
        return {end.namespace}
    first, last = ipaddress.ip_address(end.first_ip), ipaddress.ip_address(end.last_ip)
    if (
        proxy is None
        or not isinstance(first, ipaddress.IPv4Address)
        or not isinstance(last, ipaddress.IPv4Address)
    ):
        return {INTERNET}
    if first >= proxy.network_address and last <= proxy.broadcast_address:
        return {PROXY}
    if last < proxy.network_address or first > proxy.broadcast_address:
        return {INTERNET}
    return {INTERNET, PROXY}  # a range reaching past the proxy holds both


def analyzer_paths(connections: Iterable[Connection], proxy: str | None = None) -> Paths:
    """Pod-to-pod connections folded into (from, to) namespace paths, in the vocabulary of
    :func:`~infra.audit.network.connectivity`. The egress proxy is a destination only, as
    there."""
    net = ipaddress.IPv4Network(proxy) if proxy else None
    out: dict[tuple[str, str], set[str]] = {}
    for conn in connections:
        for src in _places(conn.src, net) - {PROXY}:
            for dst in _places(conn.dst, net):
                if src != dst:
                    out.setdefault((src, dst), set()).update(conn.ports)
    return {pair: frozenset(ports) for pair, ports in out.items()}


def _canonical(ports: Iterable[str]) -> tuple[str, ...]:
    """Merged port ranges per protocol: ``"*"``, ``"TCP/*"`` and ``"TCP/1-65535"`` alike."""
    ranges: dict[str, list[tuple[int, int]]] = {}
    named: set[str] = set()
    for item in ports:
        if item == ANY:
            for proto in _PROTOCOLS:
                ranges.setdefault(proto, []).append((1, 65535))
            continue
        proto, _, port = item.partition("/")
        first, _, last = port.partition("-")
        if port == ANY:
            ranges.setdefault(proto, []).append((1, 65535))
        elif first.isdigit() and (not last or last.isdigit()):
            ranges.setdefault(proto, []).append((int(first), int(last or first)))
        else:
            named.add(item)
    out: list[str] = []
    for proto, spans in sorted(ranges.items()):
        merged: list[list[int]] = []
        for lo, hi in sorted(spans):
            if merged and lo <= merged[-1][1] + 1:
                merged[-1][1] = max(merged[-1][1], hi)
            else:
                merged.append([lo, hi])
        out += [f"{proto}/{lo}" if lo == hi else f"{proto}/{lo}-{hi}" for lo, hi in merged]
    return tuple(out + sorted(named))


def _spelled(ports: tuple[str, ...]) -> str:
    if not ports:
        return "no path"
    if ports == _canonical([ANY]):
        return "every protocol and port"
    return ", ".join(ports)


def analyzer_objects(
    namespaces: Mapping[str, Mapping[str, str]],
    policies: Iterable[Mapping[str, Any]],
    *,
    reduce: bool = True,
) -> list[Mapping[str, Any]]:
    """What the analyzer reads: the namespaces, the policies (``reduce``: only those paths
    between namespaces depend on, :func:`outward_policies`) and representative pods."""
    given = outward_policies(policies) if reduce else list(policies)
    objects: list[Mapping[str, Any]] = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n, "labels": dict(lab)}}
        for n, lab in sorted(namespaces.items())
    ]
    objects += [{**p, "apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy"} for p in given]
    return objects + representative_pods(namespaces, given)


def cross_check(
    analyzer: NetpolAnalyzer,
    *,
    namespaces: Mapping[str, Mapping[str, str]],
    policies: list[Mapping[str, Any]],
    ours: Paths,
    fleet: Mapping[str, TenantSpec],
    env: EnvironmentSpec,
    audited: set[str],
    left_out: frozenset[str] = frozenset(),
) -> CrossCheck:
    """Run the analyzer on the live namespaces and policies and compare with ``ours``, for
    paths touching an audited tenant or a shared-services namespace. Namespaces in
    ``left_out`` (a tenant over its NetworkPolicy quota: the analyzer's time grows with the
    square of its pods) are not given to the analyzer and no path touching them is compared;
    govcloud's own connectivity, linear in the policies, still judges them."""
    namespaces = {n: labels for n, labels in namespaces.items() if n not in left_out}
    policies = [
        p for p in policies if str((p.get("metadata") or {}).get("namespace")) not in left_out
    ]
    ours = {pair: ports for pair, ports in ours.items() if not set(pair) & left_out}
    objects = analyzer_objects(namespaces, policies)
    analysis = analyzer.analyze(objects)
    theirs = analyzer_paths(analysis.connections, env.proxy_cidr)
    watched = audited | {s.namespace for s in env.shared_services}
    compared = agreed = 0
    deviations = []
    for src, dst in sorted(set(ours) | set(theirs)):
        if src in (dst, PROXY) or not {src, dst} & watched:
            continue
        compared += 1
        mine, other = _canonical(ours.get((src, dst), ())), _canonical(theirs.get((src, dst), ()))
        if mine == other:
            agreed += 1
            continue
        deviations.append(
            Finding(
                "network",
                src,
                dst,
                f"{src} -> {dst}: netpol-analyzer {analysis.version} finds {_spelled(other)}; "
                f"govcloud's connectivity finds {_spelled(mine)}",
                ANALYSES_DISAGREE.format(),
                kind="deviation",
            )
        )
    leaks, _paths = unexpected_paths(theirs, fleet, env, audited)
    return CrossCheck(
        analysis.version,
        compared,
        agreed,
        tuple(deviations),
        {(f.subject, f.target): f for f in leaks},
        analysis.warnings,
    )
