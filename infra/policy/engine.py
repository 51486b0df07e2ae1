"""Run every rule over a fleet of loaded tenants and locate each finding in its file.

Every finding gets a file: the tenant's spec, or ``stacks/<env>.yaml`` for fleet totals
(capacity). Findings between tenants also name the other files involved (``related``), so
a check of one file in the context of its fleet can keep exactly the findings about it.
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import os
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from infra.i18n import _
from infra.spec import EnvironmentSpec, LoadedTenant, dotted
from infra.spec.validate import line_of

from .access import check_access
from .budget import check_budget
from .context import Check, Context, Issue
from .cost import check_cost
from .crypto import check_cryptography
from .data import check_classification, check_lifecycle, check_personal_information
from .datasets import check_datasets
from .emergency import check_emergency
from .findings import RULES, Finding
from .fleet import check_fleet
from .identity import check_identity
from .network import check_network
from .ownership import check_ownership
from .placement import check_placement
from .quotas import check_quotas
from .requests import check_requests

__all__ = ["TENANT_CHECKS", "EnvironmentFile", "evaluate", "involving", "to_finding"]

TENANT_CHECKS: tuple[Check, ...] = (
    check_identity,
    check_ownership,
    check_quotas,
    check_network,
    check_classification,
    check_personal_information,
    check_datasets,
    check_access,
    check_budget,
    check_lifecycle,
    check_requests,
    check_cost,
    check_placement,
    check_emergency,
    check_cryptography,
)


@dataclass(frozen=True)
class EnvironmentFile:
    """Where fleet-wide findings point: the environment spec and (if known) its text."""

    path: str
    text: str | None = None

    def line_of(self, loc: tuple[str | int, ...]) -> int | None:
        # A fleet total such as quotas.cpu is checked against capacity.cpu.
        field = ("capacity", *loc[1:]) if loc[:1] == ("quotas",) else loc
        return line_of(self.text, field) if self.text else None


def to_finding(
    tenant: LoadedTenant | None,
    issue: Issue,
    *,
    env_file: EnvironmentFile | None = None,
    related: Sequence[str] = (),
) -> Finding:
    rule = RULES[issue.rule]
    field = dotted(issue.loc)
    if tenant is not None:
        path: str | None = str(tenant.path)
        line = tenant.line_of(issue.loc)
    else:
        path = env_file.path if env_file else None
        line = env_file.line_of(issue.loc) if env_file else None
    return Finding(
        rule=rule.id,
        severity=issue.severity or rule.severity,
        message=f"{field}: {issue.message}",
        field=field,
        hint=_(rule.hint),
        tenant=tenant.spec.id if tenant else None,
        path=path,
        line=line,
        related=tuple(related),
    )


class _Fleet:
    """Indexes to name the other files behind a fleet finding, each lookup O(log n).

    Built on first use: a clean fleet never pays for them.
    """

    def __init__(self, tenants: Sequence[LoadedTenant]) -> None:
        self.tenants = tenants

    @functools.cached_property
    def by_value(self) -> dict[tuple[str, str], list[str]]:
        index: dict[tuple[str, str], list[str]] = defaultdict(list)
        for t in self.tenants:
            for name in ("id", "credit_code"):
                index[name, str(getattr(t.spec, name))].append(str(t.path))
        return index

    @functools.cached_property
    def by_net(self) -> dict[ipaddress.IPv4Network, list[str]]:
        index: dict[ipaddress.IPv4Network, list[str]] = defaultdict(list)
        for t in self.tenants:
            index[ipaddress.IPv4Network(t.spec.network.cidr)].append(str(t.path))
        return index

    @functools.cached_property
    def nets(self) -> list[ipaddress.IPv4Network]:
        return sorted(self.by_net, key=lambda n: int(n.network_address))

    @functools.cached_property
    def starts(self) -> list[int]:
        return [int(n.network_address) for n in self.nets]

    def related(self, tenant: LoadedTenant | None, issue: Issue) -> list[str]:
        if tenant is None:
            return []
        loc, me = issue.loc, str(tenant.path)
        if issue.rule == "GC003" and loc and isinstance(loc[0], str):
            others = self.by_value.get((loc[0], str(getattr(tenant.spec, loc[0], ""))), [])
        elif issue.rule == "GC012":
            others = self._overlapping(ipaddress.IPv4Network(tenant.spec.network.cidr))
        elif (other := _named_tenant(tenant.spec, loc)) is not None:
            # A missing tenant still names the file that would declare it (it may just
            # have been deleted), so a check of that file sees the dangling reference.
            others = self.by_value.get(("id", other)) or [str(tenant.path.parent / f"{other}.yaml")]
        else:
            others = []
        return sorted(set(others) - {me})

    def _overlapping(self, net: ipaddress.IPv4Network) -> list[str]:
        # Aligned blocks overlap only by containment: look up the supernets, then the
        # blocks that start inside this one.
        out = [
            p
            for prefix in range(net.prefixlen + 1)
            for p in self.by_net.get(net.supernet(new_prefix=prefix), [])
        ]
        lo = bisect_left(self.starts, int(net.network_address))
        hi = bisect_right(self.starts, int(net.broadcast_address))
        out += [
            p
            for inner in self.nets[lo:hi]
            if inner.prefixlen > net.prefixlen
            for p in self.by_net[inner]
        ]
        return out


def _named_tenant(spec: object, loc: Sequence[str | int]) -> str | None:
    """The other tenant named by the list entry a finding is about: a peer's ``tenant``, a
    data request's provider."""
    node: object = spec
    for part in loc:
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                return None
            node = node[part]
            for name in ("tenant", "provider"):
                if isinstance(other := getattr(node, name, None), str):
                    return other
        elif (node := getattr(node, part, None)) is None:
            return None
    return None


def _naming(tenants: Sequence[LoadedTenant], focus: set[str]) -> list[LoadedTenant]:
    """The tenants whose own findings can involve ``focus``: those tenants, and those that
    name one of them (a peer, a data request's provider). A tenant check's finding names
    another file only through such a reference (``_Fleet.related``)."""
    return [
        t
        for t in tenants
        if t.spec.id in focus
        or focus & {p.tenant for p in t.spec.network.peers}
        or focus & {r.provider for r in t.spec.data_requests}
    ]


def evaluate(
    tenants: Sequence[LoadedTenant],
    env: EnvironmentSpec,
    today: dt.date,
    *,
    env_file: EnvironmentFile | None = None,
    focus: Iterable[str] | None = None,
    emergency: Mapping[str, Sequence[dt.date]] | None = None,
    cryptography: Mapping[str, Sequence[str]] | None = None,
) -> list[Finding]:
    """Every finding for the fleet, ordered by file, line and rule.

    With ``focus`` (tenant ids), the per-tenant checks run only on the tenants whose findings
    can involve those tenants; the fleet checks still see everyone. ``involving`` then gives
    the same findings as after a full evaluation, in a fraction of the time."""
    env_file = env_file or EnvironmentFile(f"stacks/{env.name}.yaml")
    specs = {t.spec.id: t.spec for t in tenants}
    ctx = Context(
        env=env,
        today=today,
        tenants=specs,
        emergency=emergency or {},
        cryptography=cryptography or {},
    )
    findings: list[Finding] = []
    fleet = _Fleet(tenants)
    for tenant in tenants if focus is None else _naming(tenants, set(focus)):
        if tenant.spec.id != tenant.path.stem:
            findings.append(
                to_finding(
                    tenant,
                    Issue(
                        "GC002",
                        ("id",),
                        _("{id!r} differs from the file name {file!r}").format(
                            id=tenant.spec.id, file=tenant.path.name
                        ),
                    ),
                )
            )
        for check in TENANT_CHECKS:
            findings.extend(
                to_finding(tenant, issue, related=fleet.related(tenant, issue))
                for issue in check(tenant.spec, ctx)
            )
    findings.extend(
        to_finding(t, issue, env_file=env_file, related=fleet.related(t, issue))
        for t, issue in check_fleet(tenants, ctx)
    )
    findings.sort(key=lambda f: (f.path or "", f.line or 0, f.rule, f.message))
    return findings


def involving(findings: Iterable[Finding], files: Iterable[str]) -> list[Finding]:
    """The findings about ``files``: in them, naming them as related, or fleet-wide."""
    wanted = {os.path.abspath(f) for f in files}
    return [
        f
        for f in findings
        if f.tenant is None
        or f.path is None
        or any(os.path.abspath(p) in wanted for p in (f.path, *f.related))
    ]
