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
    ceiling = ctx.env.ceilings[spec.level.value]
    quotas = spec.quotas
    unstorable = list(_unstorable(quotas))
    if unstorable:
        yield from unstorable
        return  # comparing amounts the server would not keep would only add noise
    for name in ("cpu", "memory", "storage"):
        asked, limit = getattr(quotas, name), getattr(ceiling, name)
        if q(asked) > q(limit):
            yield Issue("GC008", ("quotas", name),
                        _("{asked} is above the {level}-level ceiling of {limit}").format(
                            asked=asked, level=spec.level.value, limit=limit))
    if quotas.pods > ceiling.pods:
        yield Issue("GC008", ("quotas", "pods"),
                    _("{asked} is above the {level}-level ceiling of {limit}").format(
                        asked=quotas.pods, level=spec.level.value, limit=ceiling.pods))
    defaults = quotas.defaults
    for name in ("cpu", "memory"):
        request = getattr(defaults.requests, name)
        limit = getattr(defaults.limits, name)
        if q(request) > q(limit):
            yield Issue("GC009", ("quotas", "defaults", "requests", name),
                        _("default request {request} is above the default limit "
                          "{limit}").format(request=request, limit=limit))
        if q(limit) > q(getattr(quotas, name)):
            yield Issue("GC009", ("quotas", "defaults", "limits", name),
                        _("default limit {limit} is above the tenant quota {quota}").format(
                            limit=limit, quota=getattr(quotas, name)))


def _unstorable(quotas: Quotas) -> Iterator[Issue]:
    """The grammar allows what the API server will not keep: a sign (a quota is at least 0),
    sub-milli precision (rounded up) and decimal amounts beyond exa (printed without suffix)."""
    fields: list[tuple[tuple[str, ...], str]] = [
        ((name,), getattr(quotas, name)) for name in ("cpu", "memory", "storage")]
    for kind in ("requests", "limits"):
        resources = getattr(quotas.defaults, kind)
        fields += [(("defaults", kind, name), getattr(resources, name))
                   for name in ("cpu", "memory")]
    for loc, text in fields:
        if q(text) < 0:
            yield Issue("GC001", ("quotas", *loc),
                        _("{text!r} is negative; a quota is at least 0").format(text=text))
            continue
        stored = parse_resource(text).canonical
        if parse_quantity(stored) != q(text):
            yield Issue("GC001", ("quotas", *loc),
                        _("{text!r} would be stored by the API server as {stored!r}, a "
                          "different amount; use units from 1m up to 999E").format(
                              text=text, stored=stored))
