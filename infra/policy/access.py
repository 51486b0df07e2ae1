"""Operator access: written, time-bound authorizations granted by the government side."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from infra.spec import TenantSpec
from infra.spec.tenant import Classification, Scope

from .context import Context, Issue
from .findings import Severity

__all__ = ["check_access"]

MAX_GRANT = dt.timedelta(days=365)
EXPIRING = dt.timedelta(days=30)


def check_access(spec: TenantSpec, ctx: Context) -> Iterator[Issue]:
    owners = {c.email for c in spec.owners.contacts}
    sensitive = spec.data.classification is not Classification.general
    recorded: dict[tuple[str, str, str], int] = {}
    for i, grant in enumerate(spec.access):
        at = ("access", i)
        key = (grant.group, grant.scope.value, grant.document)
        if key in recorded:
            yield Issue("GC029", (*at, "document"),
                        f"{grant.document} for {grant.group} ({grant.scope.value}) is already "
                        f"recorded as access[{recorded[key]}]")
            continue
        recorded[key] = i
        if not ctx.authorization.fullmatch(grant.document):
            yield Issue("GC019", (*at, "document"),
                        f"{grant.document!r} does not match {ctx.env.authorization_pattern}")
        if grant.group not in ctx.env.operator_groups:
            yield Issue("GC020", (*at, "group"),
                        f"{grant.group!r} is not an operator group "
                        f"({', '.join(ctx.env.operator_groups)})")
        if grant.granted_by not in owners:
            yield Issue("GC020", (*at, "granted_by"),
                        f"{grant.granted_by} is not one of this tenant's owners")
        yield from _validity(grant.granted, grant.expires, at, ctx.today)
        if grant.scope is Scope.data and sensitive:
            second = grant.countersigned_by
            if second is None or second not in owners or second == grant.granted_by:
                yield Issue("GC022", (*at, "countersigned_by"),
                            f"data access to {spec.data.classification.value} data needs a "
                            "second owner's countersignature")


def _validity(granted: dt.date, expires: dt.date, at: tuple[str | int, ...],
              today: dt.date) -> Iterator[Issue]:
    if granted > today:
        yield Issue("GC021", (*at, "granted"), f"grant date {granted} is in the future")
    if expires <= granted:
        yield Issue("GC021", (*at, "expires"), f"expires {expires}, not after granted {granted}")
    elif expires - granted > MAX_GRANT:
        yield Issue("GC021", (*at, "expires"),
                    f"{(expires - granted).days} days after the grant date; at most 365")
    if expires < today:
        yield Issue("GC021", (*at, "expires"),
                    f"expired on {expires}; the reconciler revokes it", Severity.warning)
    elif expires - today <= EXPIRING:
        yield Issue("GC025", (*at, "expires"),
                    f"expires on {expires}, in {(expires - today).days} days")
