"""Emergency access (break-glass) as the check counts it: how often each tenant needed one.

The accesses are not in the tenant specs: they happen in the cluster (``AccessRequest``
objects) and are read from the record ``govcloud access list --format json`` writes, as the
report reads the last drift and audit from their JSON (``govcloud check --access-file``).
A check run in CI has no cluster to ask, and a pull request's verdict must not change with
what happens to be live while it runs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from infra.i18n import _
from infra.spec import TenantSpec

from .context import Context, Issue

__all__ = ["EmergencyRecord", "check_emergency", "emergency_grants", "emergency_records"]

PROVINCE_TZ = dt.timezone(dt.timedelta(hours=8))  # the days the province counts


@dataclass(frozen=True)
class EmergencyRecord:
    """One emergency access request as ``govcloud access list --format json`` wrote it."""

    id: str
    tenant: str
    scope: str
    minutes: int
    reason: str
    requester: str
    approver: str | None
    granted: dt.datetime | None  # None: never granted (open, or refused)
    state: str  # open, active or past


def _granted(row: Mapping[str, Any], index: int) -> dt.datetime | None:
    value = row.get("granted")
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(
            _("requests[{index}]: `granted` {value!r} is not a time").format(
                index=index, value=value
            )
        ) from None
    return when if when.tzinfo is not None else when.replace(tzinfo=dt.UTC)


def emergency_records(data: Any) -> list[EmergencyRecord]:
    """The requests of ``govcloud access list --format json``; ValueError naming what is
    wrong."""
    requests = data.get("requests") if isinstance(data, Mapping) else None
    if not isinstance(requests, list):
        raise ValueError(_("expected the JSON object `govcloud access list --format json` writes"))
    out = []
    for i, row in enumerate(requests):
        if not isinstance(row, Mapping) or not isinstance(row.get("tenant"), str):
            raise ValueError(_("requests[{index}]: `tenant` is missing").format(index=i))
        minutes = row.get("minutes")
        out.append(
            EmergencyRecord(
                id=str(row.get("id") or ""),
                tenant=row["tenant"],
                scope=str(row.get("scope") or ""),
                minutes=minutes if isinstance(minutes, int) else 0,
                reason=str(row.get("reason") or ""),
                requester=str(row.get("requester") or ""),
                approver=str(row["approver"]) if row.get("approver") else None,
                granted=_granted(row, i),
                state=str(row.get("state") or ""),
            )
        )
    return out


def emergency_grants(records: Iterable[EmergencyRecord]) -> dict[str, list[dt.date]]:
    """The day (Beijing time) each emergency access was granted, by tenant. A request never
    granted (open, refused) is no access."""
    out: dict[str, list[dt.date]] = {}
    for record in records:
        if record.granted is not None:
            out.setdefault(record.tenant, []).append(record.granted.astimezone(PROVINCE_TZ).date())
    return out


def check_emergency(spec: TenantSpec, ctx: Context) -> Iterator[Issue]:
    settings = ctx.env.emergency_access
    since = ctx.today - dt.timedelta(days=settings.period_days)
    days = [d for d in ctx.emergency.get(spec.id, []) if since < d <= ctx.today]
    if len(days) > settings.warn_above:
        yield Issue(
            "GC038",
            ("id",),
            _(
                "{count} emergency accesses in the last {days} days (more than {limit}): "
                "the operator's routine work needs a written grant"
            ).format(count=len(days), days=settings.period_days, limit=settings.warn_above),
        )
