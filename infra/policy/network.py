"""Network, per tenant: CIDR in its region's pool with the right prefix; known shared
services.

Overlaps and peers need the whole fleet and are in ``fleet``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from infra.i18n import _
from infra.spec import TenantSpec

from .context import Context, Issue

__all__ = ["check_network"]


def check_network(spec: TenantSpec, ctx: Context) -> Iterator[Issue]:
    cidr = ipaddress.IPv4Network(spec.network.cidr)
    region = ctx.region_of(spec)
    prefix = region.network.tenant_prefix
    if region.implicit and not cidr.subnet_of(ctx.pool):
        yield Issue(
            "GC011",
            ("network", "cidr"),
            _("{cidr} is outside the tenant pool {pool}").format(cidr=cidr, pool=ctx.pool),
        )
    elif not region.implicit and not cidr.subnet_of(region.pool):
        yield Issue(
            "GC011",
            ("network", "cidr"),
            _("{cidr} is outside the pool {pool} of region {region!r}").format(
                cidr=cidr, pool=region.pool, region=region.id
            ),
        )
    elif cidr.prefixlen != prefix:
        yield Issue(
            "GC011",
            ("network", "cidr"),
            _("{cidr} is a /{length}; tenants get a /{prefix}").format(
                cidr=cidr, length=cidr.prefixlen, prefix=prefix
            ),
        )
    seen: set[str] = set()
    for i, service in enumerate(spec.network.shared_services):
        if service not in ctx.services:
            yield Issue(
                "GC014",
                ("network", "shared_services", i),
                _("{service!r} is not in the catalogue ({services})").format(
                    service=service, services=", ".join(sorted(ctx.services))
                ),
            )
        elif service in seen:
            yield Issue(
                "GC014",
                ("network", "shared_services", i),
                _("{service!r} is listed twice").format(service=service),
            )
        seen.add(service)
