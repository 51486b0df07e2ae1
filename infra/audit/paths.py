"""Which network paths the specs declare, and the live paths beyond them."""

from __future__ import annotations

from collections.abc import Mapping

from infra.plan import mutual_peers
from infra.plan.cloud import peer_ports
from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import Egress, TenantSpec

from .model import Finding
from .network import INTERNET, PROXY, Paths, covered
from .reasons import DECLARED_PORTS, UNDECLARED_EGRESS, UNDECLARED_PATH

__all__ = ["declared_paths", "unexpected_paths"]

_DNS = frozenset({"UDP/53", "TCP/53"})


def declared_paths(
    fleet: Mapping[str, TenantSpec], env: EnvironmentSpec
) -> dict[tuple[str, str], frozenset[str]]:
    """(from, to) -> the ports the specs allow, for every tenant and shared namespace."""
    out: dict[tuple[str, str], frozenset[str]] = {}
    shared = {s.namespace for s in env.shared_services}
    catalog = {s.id: s for s in env.shared_services}
    for ns in shared:
        out[(ns, "kube-system")] = _DNS
    for spec in fleet.values():
        a = spec.id
        out[(a, "kube-system")] = _DNS
        mine = peer_ports(spec)
        for b in mutual_peers(spec, fleet):
            theirs = peer_ports(fleet[b]).get(a, [443])
            both = set(mine.get(b, [443])) & set(theirs)
            out[(a, b)] = frozenset(f"TCP/{p}" for p in both)
        for sid in spec.network.shared_services:
            svc = catalog.get(sid)
            if svc is not None:
                out[(a, svc.namespace)] = out.get((a, svc.namespace), frozenset()) | {
                    f"TCP/{svc.port}"
                }
        if spec.network.egress is Egress.proxy and env.proxy_cidr:
            out[(a, PROXY)] = frozenset({"TCP/3128"})
    return out


def unexpected_paths(
    paths: Paths, fleet: Mapping[str, TenantSpec], env: EnvironmentSpec, audited: set[str]
) -> tuple[list[Finding], int]:
    """Leaks: live paths that touch an audited tenant (or a shared-services namespace) and
    that the specs do not declare, or that allow more ports than declared. Also returns how
    many (from, to) pairs were judged."""
    declared = declared_paths(fleet, env)
    shared = {s.namespace for s in env.shared_services}
    watched = audited | shared
    findings: list[Finding] = []
    judged = 0
    for (src, dst), ports in sorted(paths.items()):
        if src == dst or not ({src, dst} & watched):
            continue
        judged += 1
        allowed = declared.get((src, dst), frozenset())
        if allowed and covered(ports, allowed):
            continue
        what = (
            UNDECLARED_PATH.format()
            if not allowed
            else DECLARED_PORTS.format(ports=", ".join(sorted(allowed)))
        )
        if dst == INTERNET:
            what = UNDECLARED_EGRESS.format()
        findings.append(
            Finding("network", src, dst, f"{src} -> {dst} on {', '.join(sorted(ports))}", what)
        )
    return findings, judged
