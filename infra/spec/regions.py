"""Regions of an environment: the provincial node, city nodes and sector clouds.

A region is a failure domain with its own capacity, address pool and certification. The
environment spec declares them under ``regions:``; without that list an environment is one
implicit region built from its top-level ``capacity``, ``ceilings``, ``network`` and
``cloud`` (exactly as before regions existed).

``RegionSpec`` is what the YAML says; ``Region`` is the resolved value every consumer uses
(``regions_of(env)``): defaults filled in from the top level, divisions as plain prefixes.
Checks between regions (``region_problems``) need the whole list and report a location
(``regions[1].network.pool``) that ``load_environment`` turns into file and line.
"""

from __future__ import annotations

import functools
import ipaddress
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from infra.errors import InputError
from infra.i18n import _

from .environment import (
    Capacity,
    CloudEndpoint,
    EnvironmentSpec,
    KubernetesTarget,
    LevelCeilings,
    NetworkPool,
    RegionKind,
)
from .tenant import Classification

__all__ = ["Region", "one_cluster", "region_problems", "regions_of", "resolve"]


@dataclass(frozen=True)
class Region:
    """A region with every default filled in: what placement, the check and the views use,
    and what the per-region driver factory (``infra.drivers.regional``) is built from
    (``cloud``, ``kubernetes``)."""

    id: str
    kind: RegionKind
    name: str
    divisions: tuple[str, ...]
    capacity: Capacity
    ceilings: Mapping[str, LevelCeilings]
    network: NetworkPool
    certified: frozenset[Classification]
    peers_with: frozenset[str]
    cloud: CloudEndpoint
    kubernetes: KubernetesTarget | None = None
    implicit: bool = False

    def serves(self, division_code: str) -> int:
        """How specifically this region serves a division: the longest matching prefix's
        length, 0 when it does not serve it."""
        return max((len(p) for p in self.divisions if division_code.startswith(p)), default=0)

    def may_peer(self, other: Region) -> bool:
        """Tenants of the two regions may peer: the same region, or both permit it."""
        return other.id == self.id or (other.id in self.peers_with and self.id in other.peers_with)

    @functools.cached_property
    def pool(self) -> ipaddress.IPv4Network:
        return ipaddress.IPv4Network(self.network.pool)


# Resolved regions by environment object. The models are frozen, so an object's regions
# never change; the entry holds the environment itself, so its id is not reused while cached.
# (A cached_property on the model would be copied, stale, by ``model_copy(update=...)``.)
_RESOLVED: dict[int, tuple[EnvironmentSpec, tuple[Region, ...]]] = {}
_KEPT = 16
_LOCK = threading.Lock()  # the reconciler places tenants from several threads


def regions_of(env: EnvironmentSpec) -> tuple[Region, ...]:
    """The environment's regions, resolved once per environment object."""
    hit = _RESOLVED.get(id(env))
    if hit is not None and hit[0] is env:
        return hit[1]
    regions = resolve(env)
    with _LOCK:
        if len(_RESOLVED) >= _KEPT:
            del _RESOLVED[next(iter(_RESOLVED))]
        _RESOLVED[id(env)] = (env, regions)
    return regions


def resolve(env: EnvironmentSpec) -> tuple[Region, ...]:
    """The implicit region, or every declared one with the top level's defaults."""
    if not env.regions:
        return (
            Region(
                id=env.name,
                kind=RegionKind.province,
                name=env.name,
                divisions=(),
                capacity=env.capacity,
                ceilings=env.ceilings,
                network=env.network,
                certified=frozenset(Classification),
                peers_with=frozenset(),
                cloud=env.cloud,
                implicit=True,
            ),
        )
    out = []
    for spec in env.regions:
        pool = ipaddress.IPv4Network(spec.network.pool)
        inherited = [c for c in env.network.reserved if ipaddress.IPv4Network(c).overlaps(pool)]
        out.append(
            Region(
                id=spec.id,
                kind=spec.kind,
                name=spec.name,
                divisions=tuple(spec.divisions),
                capacity=Capacity.model_construct(
                    cpu=spec.capacity.cpu,
                    memory=spec.capacity.memory,
                    storage=spec.capacity.storage,
                    overcommit=spec.capacity.overcommit or env.capacity.overcommit,
                ),
                ceilings=spec.ceilings or env.ceilings,
                network=NetworkPool.model_construct(
                    pool=spec.network.pool,
                    tenant_prefix=spec.network.tenant_prefix or env.network.tenant_prefix,
                    reserved=[*spec.network.reserved, *inherited],
                ),
                certified=frozenset(spec.certified),
                peers_with=frozenset(spec.peers_with),
                cloud=spec.cloud or env.cloud,
                kubernetes=spec.kubernetes,
            )
        )
    return tuple(out)


def one_cluster(env: EnvironmentSpec) -> EnvironmentSpec:
    """``env`` if deploy and the reconciler can act on it: they target one cluster and one
    cloud endpoint, so an environment with regions is refused rather than deployed into the
    wrong place (per-region deploy is a later step; the reconciler takes ``--region``)."""
    if env.regions:
        raise InputError(
            _(
                "environment {env} declares regions; deploy does not act per region yet, the "
                "reconciler only with --region R (one cluster each): check, diff, status and "
                "report read it"
            ).format(env=env.name),
            field="regions",
        )
    return env


Loc = tuple[str | int, ...]


def region_problems(env: EnvironmentSpec) -> Iterator[tuple[Loc, str]]:
    """What no single region can see wrong: duplicate ids, pools outside the environment's
    or overlapping each other, not exactly one provincial node, a division served by two
    city nodes, a peering permission naming no region."""
    if not env.regions:
        return
    top = ipaddress.IPv4Network(env.network.pool)
    ids: dict[str, int] = {}
    for i, spec in enumerate(env.regions):
        if spec.id in ids:
            yield (
                ("regions", i, "id"),
                _("{id!r} is already the id of regions[{index}]").format(
                    id=spec.id, index=ids[spec.id]
                ),
            )
        else:
            ids[spec.id] = i
        pool = ipaddress.IPv4Network(spec.network.pool)
        if not pool.subnet_of(top):
            yield (
                ("regions", i, "network", "pool"),
                _("{pool} is outside the environment's network.pool {top}").format(
                    pool=pool, top=top
                ),
            )
        prefix = spec.network.tenant_prefix or env.network.tenant_prefix
        if prefix < pool.prefixlen:
            yield (
                ("regions", i, "network", "pool"),
                _("{pool} is smaller than one tenant's /{prefix}").format(pool=pool, prefix=prefix),
            )
        if spec.kind is RegionKind.city and not spec.divisions:
            yield (
                ("regions", i, "divisions"),
                _("a city node serves at least one division (e.g. 4401 for Guangzhou)"),
            )
    yield from _overlapping_pools(env)
    provinces = [i for i, r in enumerate(env.regions) if r.kind is RegionKind.province]
    if not provinces:
        yield (
            ("regions",),
            _("no region of kind province: placement falls back to the provincial node"),
        )
    for i in provinces[1:]:
        yield (
            ("regions", i, "kind"),
            _("a second provincial node; regions[{index}] is the provincial node").format(
                index=provinces[0]
            ),
        )
    yield from _shared_divisions(env)
    for i, spec in enumerate(env.regions):
        for k, other in enumerate(spec.peers_with):
            if other not in ids:
                yield (
                    ("regions", i, "peers_with", k),
                    _("no region {region!r} (regions: {regions})").format(
                        region=other, regions=", ".join(ids)
                    ),
                )


def _overlapping_pools(env: EnvironmentSpec) -> Iterator[tuple[Loc, str]]:
    # Sorted by start, compared with the widest range seen so far: overlaps show up between
    # neighbours, never pairwise.
    nets = [ipaddress.IPv4Network(r.network.pool) for r in env.regions]
    ranges = sorted(
        (int(net.network_address), int(net.broadcast_address), i) for i, net in enumerate(nets)
    )
    widest: tuple[int, int, int] | None = None
    for start, end, i in ranges:
        if widest is not None and start <= widest[1]:
            j = widest[2]
            first, second = sorted((i, j))
            yield (
                ("regions", second, "network", "pool"),
                _("{pool} overlaps the pool {other} of region {region!r}").format(
                    pool=env.regions[second].network.pool,
                    other=env.regions[first].network.pool,
                    region=env.regions[first].id,
                ),
            )
        if widest is None or end > widest[1]:
            widest = (start, end, i)


def _shared_divisions(env: EnvironmentSpec) -> Iterator[tuple[Loc, str]]:
    served: dict[str, tuple[int, str]] = {}
    for i, spec in enumerate(env.regions):
        if spec.kind is not RegionKind.city:
            continue
        for k, prefix in enumerate(spec.divisions):
            clash = next(
                (
                    (other, owner)
                    for other, owner in served.items()
                    if other.startswith(prefix) or prefix.startswith(other)
                ),
                None,
            )
            if clash is not None and clash[1][0] != i:
                yield (
                    ("regions", i, "divisions", k),
                    _(
                        "division {prefix} is already served by city node {region!r} ({other})"
                    ).format(prefix=prefix, region=clash[1][1], other=clash[0]),
                )
            else:
                served[prefix] = (i, spec.id)
