"""What every rule sees: the environment, today's date and the fleet; what it returns."""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from infra.spec import EnvironmentSpec, TenantSpec
from infra.spec.quantity import parse_quantity
from infra.spec.regions import Region

from .findings import Severity

__all__ = ["Check", "Context", "Issue", "domain_of", "in_domains", "q"]


@dataclass(frozen=True)
class Issue:
    """A rule's complaint about one field of one tenant; the engine adds file and line."""

    rule: str
    loc: tuple[str | int, ...]
    message: str
    severity: Severity | None = None


@dataclass(frozen=True)
class Context:
    env: EnvironmentSpec
    today: dt.date
    tenants: dict[str, TenantSpec]
    # The days emergency accesses were granted, by tenant (``govcloud check --access-file``).
    emergency: Mapping[str, Sequence[dt.date]] = field(default_factory=dict)
    # What the live cryptography inventory flagged, by tenant (``govcloud check --crypto-file``).
    cryptography: Mapping[str, Sequence[str]] = field(default_factory=dict)

    @functools.cached_property
    def pool(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.env.network.pool)

    @functools.cached_property
    def authorization(self) -> re.Pattern[str]:
        return re.compile(self.env.authorization_pattern)

    @functools.cached_property
    def services(self) -> frozenset[str]:
        return frozenset(s.id for s in self.env.shared_services)

    @functools.cached_property
    def _placed(self) -> dict[str, Region]:
        from .placement import region_of

        return {tid: region_of(spec, self.env) for tid, spec in self.tenants.items()}

    def region_of(self, spec: TenantSpec) -> Region:
        """Where ``spec`` runs (``placement.region_of``), computed once per tenant."""
        if self.tenants.get(spec.id) is spec:
            return self._placed[spec.id]
        from .placement import region_of

        return region_of(spec, self.env)


Check = Callable[[TenantSpec, Context], Iterator[Issue]]


@functools.lru_cache(maxsize=4096)
def q(text: str) -> Decimal:
    """A quantity already validated by the schema."""
    return parse_quantity(text)


def domain_of(email: str) -> str:
    return email.rsplit("@", 1)[-1].lower()


def in_domains(email: str, domains: list[str]) -> bool:
    """Suffix match: gd.gov.cn allows a@gd.gov.cn and a@drc.gd.gov.cn, not a@xgd.gov.cn."""
    host = domain_of(email)
    return any(host == d or host.endswith("." + d) for d in domains)
