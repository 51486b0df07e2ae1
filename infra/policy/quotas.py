"""Quotas: amounts the API server keeps as written, within the level's ceiling, defaults
within quotas.

Capacity is in ``fleet``.
"""

from __future__ import annotations

from collections.abc import Iterator

from infra.i18n import _
from infra.spec import TenantSpec
from infra.spec.quantity import parse_quantity, parse_resource
from infra.spec.tenant import Quotas

from .context import Context, Issue, q

__all__ = ["check_quotas"]


def check_quotas(spec: TenantSpec, ctx: Context) -> Iterator[Issue]:
    ceiling = ctx.region_of(spec).ceilings[spec.level.value]
    quotas = spec.quotas
    unstorable = list(_unstorable(quotas))
    if unstorable:
        yield from unstorable
        return  # comparing amounts the server would not keep would only add noise
    for name in ("cpu", "memory", "storage", "ephemeral_storage"):
        asked, limit = getattr(quotas, name), getattr(ceiling, name)
        if asked is not None and q(asked) > q(limit):
            yield Issue(
                "GC008",
                ("quotas", name),
                _("{asked} is above the {level}-level ceiling of {limit}").format(
                    asked=asked, level=spec.level.value, limit=limit
                ),
            )
    for name in ("pods", "gpus"):
        if getattr(quotas, name) > getattr(ceiling, name):
            yield Issue(
                "GC008",
                ("quotas", name),
                _("{asked} is above the {level}-level ceiling of {limit}").format(
                    asked=getattr(quotas, name),
                    level=spec.level.value,
                    limit=getattr(ceiling, name),
                ),
            )
    yield from _defaults(spec, ctx)


def _defaults(spec: TenantSpec, ctx: Context) -> Iterator[Issue]:
    """Default request <= default limit <= quota, for each resource containers get by default
    (ephemeral storage has defaults of its own when the spec states none)."""
    quotas, defaults = spec.quotas, spec.quotas.defaults
    ephemeral = (
        ctx.region_of(spec).ceilings[spec.level.value].ephemeral_quota(quotas.ephemeral_storage)
    )
    for name, request, limit, quota in (
        ("cpu", defaults.requests.cpu, defaults.limits.cpu, quotas.cpu),
        ("memory", defaults.requests.memory, defaults.limits.memory, quotas.memory),
        ("ephemeral_storage", defaults.ephemeral_request, defaults.ephemeral_limit, ephemeral),
    ):
        if q(request) > q(limit):
            yield Issue(
                "GC009",
                ("quotas", "defaults", "requests", name),
                _("default request {request} is above the default limit {limit}").format(
                    request=request, limit=limit
                ),
            )
        if q(limit) > q(quota):
            yield Issue(
                "GC009",
                ("quotas", "defaults", "limits", name),
                _("default limit {limit} is above the tenant quota {quota}").format(
                    limit=limit, quota=quota
                ),
            )


def _unstorable(quotas: Quotas) -> Iterator[Issue]:
    """The grammar allows what the API server will not keep: a sign (a quota is at least 0),
    sub-milli precision (rounded up) and decimal amounts beyond exa (printed without suffix)."""
    fields: list[tuple[tuple[str, ...], str | None]] = [
        ((name,), getattr(quotas, name))
        for name in ("cpu", "memory", "storage", "ephemeral_storage")
    ]
    for kind in ("requests", "limits"):
        resources = getattr(quotas.defaults, kind)
        fields += [
            (("defaults", kind, name), getattr(resources, name))
            for name in ("cpu", "memory", "ephemeral_storage")
        ]
    for loc, text in fields:
        if text is None:
            continue
        if q(text) < 0:
            yield Issue(
                "GC001",
                ("quotas", *loc),
                _("{text!r} is negative; a quota is at least 0").format(text=text),
            )
            continue
        stored = parse_resource(text).canonical
        if parse_quantity(stored) != q(text):
            yield Issue(
                "GC001",
                ("quotas", *loc),
                _(
                    "{text!r} would be stored by the API server as {stored!r}, a "
                    "different amount; use units from 1m up to 999E"
                ).format(text=text, stored=stored),
            )
