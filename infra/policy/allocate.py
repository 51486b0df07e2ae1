"""Allocate the next free tenant CIDR from the pool (sorted sweep, no pairwise checks)."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from infra.errors import InputError
from infra.spec import EnvironmentSpec
from infra.spec.environment import NetworkPool
from infra.spec.regions import Region

__all__ = ["next_free_cidr"]


def next_free_cidr(
    env: EnvironmentSpec, taken: Iterable[str], *, region: Region | None = None
) -> str:
    """The lowest tenant-sized block of the pool (``region``'s, with regions) that overlaps
    nothing taken or reserved."""
    network: NetworkPool = region.network if region is not None else env.network
    pool = ipaddress.IPv4Network(network.pool)
    prefix = network.tenant_prefix
    size = 1 << (32 - prefix)
    busy = sorted(
        (int(n.network_address), int(n.broadcast_address))
        for n in map(ipaddress.IPv4Network, [*taken, *network.reserved])
    )
    candidate = int(pool.network_address)
    end = int(pool.broadcast_address)
    for start, stop in busy:
        if candidate + size - 1 < start:
            break
        if stop >= candidate:
            candidate = (stop // size + 1) * size  # the next aligned block after this range
    if candidate + size - 1 > end:
        raise InputError(f"no free /{prefix} left in {pool}")
    return f"{ipaddress.IPv4Address(candidate)}/{prefix}"
