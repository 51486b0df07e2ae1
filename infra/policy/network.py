"""Network, per tenant: CIDR in the pool with the right prefix; known shared services.

Overlaps and peers need the whole fleet and are in ``fleet``.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from infra.spec import TenantSpec

from .context import Context, Issue

__all__ = ["check_network"]


def check_network(spec: TenantSpec, ctx: Context) -> Iterator[Issue]:
    cidr = ipaddress.IPv4Network(spec.network.cidr)
    prefix = ctx.env.network.tenant_prefix
    if not cidr.subnet_of(ctx.pool):
        yield Issue("GC011", ("network", "cidr"),
                    f"{cidr} is outside the tenant pool {ctx.pool}")
    elif cidr.prefixlen != prefix:
        yield Issue("GC011", ("network", "cidr"),
                    f"{cidr} is a /{cidr.prefixlen}; tenants get a /{prefix}")
    seen: set[str] = set()
    for i, service in enumerate(spec.network.shared_services):
        if service not in ctx.services:
            yield Issue("GC014", ("network", "shared_services", i),
                        f"{service!r} is not in the catalogue "
                        f"({', '.join(sorted(ctx.services))})")
        elif service in seen:
            yield Issue("GC014", ("network", "shared_services", i),
                        f"{service!r} is listed twice", )
        seen.add(service)
