"""Placement: the region a tenant runs in, decided by rule, and the check of its override.

The rule: a province-level department runs on the provincial node; a city- or county-level
department on the city node serving its division (the longest GB/T 2260 prefix) when the
environment has one certified for the department's data, else on the provincial node.
Sector clouds take tenants only by ``placement.region``. An environment without
``regions:`` is one implicit region and every tenant is in it.

Pure functions of (tenant spec, environment): CI, deploy, the views and the diff all place
a tenant the same way.
"""

from __future__ import annotations

from collections.abc import Iterator

from infra.i18n import _
from infra.spec import EnvironmentSpec, TenantSpec
from infra.spec.environment import RegionKind
from infra.spec.regions import Region, regions_of
from infra.spec.tenant import Classification, Level

from .context import Context, Issue

__all__ = [
    "check_placement",
    "dr_region_of",
    "needs_dr",
    "province_region",
    "region_named",
    "region_of",
    "rule_region",
    "rule_region_for",
    "suggested_dr_region",
]


def region_named(env: EnvironmentSpec, region_id: str | None) -> Region | None:
    return next((r for r in regions_of(env) if r.id == region_id), None)


def province_region(env: EnvironmentSpec) -> Region:
    """The provincial node (the implicit region when none are declared)."""
    regions = regions_of(env)
    return next((r for r in regions if r.kind is RegionKind.province), regions[0])


def rule_region(spec: TenantSpec, env: EnvironmentSpec) -> Region:
    """Where the rule puts ``spec``, whatever its placement says."""
    return rule_region_for(spec.level, spec.division_code, spec.data.classification, env)


def rule_region_for(level: Level, code: str, data: Classification, env: EnvironmentSpec) -> Region:
    """The rule on its inputs alone (``govcloud tenant new`` places a spec not yet written)."""
    if level is not Level.province:
        best = max(
            (
                r
                for r in regions_of(env)
                if r.kind is RegionKind.city and data in r.certified and r.serves(code)
            ),
            key=lambda r: r.serves(code),
            default=None,
        )
        if best is not None:
            return best
    return province_region(env)


def region_of(spec: TenantSpec, env: EnvironmentSpec) -> Region:
    """Where ``spec`` runs: its placement's region when the environment has it, else the
    rule's (an unknown region is the check's error, GC034)."""
    named = spec.placement.region if spec.placement else None
    return region_named(env, named) or rule_region(spec, env)


def dr_region_of(spec: TenantSpec, env: EnvironmentSpec) -> Region | None:
    named = spec.placement.dr_region if spec.placement else None
    return region_named(env, named)


def needs_dr(spec: TenantSpec, env: EnvironmentSpec) -> bool:
    """Important and core data need a disaster-recovery region once the environment
    declares regions (one implicit region has nowhere else to copy to)."""
    return bool(env.regions) and spec.data.classification.rank >= Classification.important.rank


def suggested_dr_region(
    region: Region, data: Classification, env: EnvironmentSpec
) -> Region | None:
    """Where a new tenant's disaster-recovery copy would go: the provincial node for a
    tenant elsewhere, else the first other region certified for its data."""
    others = [r for r in regions_of(env) if r.id != region.id and data in r.certified]
    province = province_region(env)
    return province if province in others else next(iter(others), None)


def check_placement(spec: TenantSpec, ctx: Context) -> Iterator[Issue]:
    env, data = ctx.env, spec.data.classification
    placement = spec.placement
    overridden = placement is not None and placement.region is not None
    # Without an override the tenant's region is the rule's, already computed for the fleet.
    rule = rule_region(spec, env) if overridden else ctx.region_of(spec)
    here = rule
    if placement is not None and placement.region is not None:
        named = region_named(env, placement.region)
        if named is None:
            yield Issue(
                "GC034",
                ("placement", "region"),
                _("no region {region!r} in this environment (regions: {regions})").format(
                    region=placement.region, regions=_known(env)
                ),
            )
        else:
            here = named
            if named.id != rule.id:
                yield Issue(
                    "GC035",
                    ("placement", "region"),
                    _(
                        "the rule places this {level}-level department on {rule!r}, not {region!r}"
                    ).format(level=spec.level.value, rule=rule.id, region=named.id),
                )
    if data not in here.certified:
        yield Issue(
            "GC034",
            ("placement", "region"),
            _(
                "region {region!r} is not certified for {classification} data (certified: "
                "{certified})"
            ).format(region=here.id, classification=data.value, certified=_certified(here)),
        )
    yield from _dr(spec, ctx, here)


def _known(env: EnvironmentSpec) -> str:
    return ", ".join(r.id for r in regions_of(env))


def _dr(spec: TenantSpec, ctx: Context, here: Region) -> Iterator[Issue]:
    env, data = ctx.env, spec.data.classification
    at = ("placement", "dr_region")
    named = spec.placement.dr_region if spec.placement else None
    if named is None:
        if needs_dr(spec, env):
            yield Issue(
                "GC036",
                at,
                _(
                    "{classification} data needs a disaster-recovery region "
                    "(placement.dr_region, another region certified for it)"
                ).format(classification=data.value),
            )
        return
    dr = region_named(env, named)
    if dr is None:
        yield Issue(
            "GC036",
            at,
            _("no region {region!r} in this environment (regions: {regions})").format(
                region=named, regions=_known(env)
            ),
        )
    elif dr.id == here.id:
        yield Issue(
            "GC036",
            at,
            _(
                "{region!r} is the tenant's own region; a disaster-recovery copy lives in "
                "another region"
            ).format(region=dr.id),
        )
    elif data not in dr.certified:
        yield Issue(
            "GC036",
            at,
            _(
                "region {region!r} is not certified for {classification} data (certified: "
                "{certified})"
            ).format(region=dr.id, classification=data.value, certified=_certified(dr)),
        )


def _certified(region: Region) -> str:
    return ", ".join(c.value for c in Classification if c in region.certified)
