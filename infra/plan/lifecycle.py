"""Lifecycle decisions every consumer shares: when access starts and ends, when data may go,
and the next moment the desired state of a tenant changes by itself.

Times are in the province's time zone (Beijing time, UTC+8): a grant ``expires: 2026-12-31``
ends at 2027-01-01 00:00 +08:00 unless ``expires_at`` names the exact moment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from infra.spec.tenant import AccessGrant, LifecycleState, ShareAuthorization, TenantSpec

__all__ = [
    "PROVINCE_TZ",
    "destroy_data_allowed",
    "grant_active",
    "grant_ends",
    "grant_starts",
    "moment_of",
    "next_change",
    "next_share_end",
    "retention_ends",
    "share_ends",
]

PROVINCE_TZ = dt.timezone(dt.timedelta(hours=8), "CST")


def moment_of(today: dt.date) -> dt.datetime:
    """The instant a date-only run (``--today``) stands for: noon, Beijing time."""
    return dt.datetime.combine(today, dt.time(12), PROVINCE_TZ)


def grant_starts(grant: AccessGrant) -> dt.datetime:
    return dt.datetime.combine(grant.granted, dt.time(0), PROVINCE_TZ)


def grant_ends(grant: AccessGrant) -> dt.datetime:
    if grant.expires_at is not None:
        return grant.expires_at
    return dt.datetime.combine(grant.expires + dt.timedelta(days=1), dt.time(0), PROVINCE_TZ)


def grant_active(grant: AccessGrant, now: dt.datetime) -> bool:
    return grant_starts(grant) <= now < grant_ends(grant)


def share_ends(authorization: ShareAuthorization) -> dt.datetime:
    """When an approved data share ends: ``expires_at``, else the end of ``expires``."""
    if authorization.expires_at is not None:
        return authorization.expires_at
    return dt.datetime.combine(
        authorization.expires + dt.timedelta(days=1), dt.time(0), PROVINCE_TZ
    )


def _share_moments(spec: TenantSpec, fleet: Iterable[TenantSpec]) -> list[dt.datetime]:
    """When the shares ``spec`` receives (its own requests) or gives (others' requests of
    its datasets) end."""
    return [
        share_ends(r.authorization)
        for requester in [spec, *fleet]
        for r in requester.data_requests
        if r.authorization is not None and (requester.id == spec.id or r.provider == spec.id)
    ]


def next_share_end(
    spec: TenantSpec, fleet: Iterable[TenantSpec], now: dt.datetime
) -> tuple[dt.datetime, frozenset[str]] | None:
    """The next instant after ``now`` at which a data share ``spec`` gives or receives
    ends, and the departments on either side of the shares ending then: the cloud sides
    of both change at that instant (the provider's bucket and key, the requester's
    boundary), so both are looked at again then, whichever pass learns it first."""
    ends: dict[dt.datetime, set[str]] = {}
    for requester in [spec, *fleet]:
        for r in requester.data_requests:
            if r.authorization is None or not (requester.id == spec.id or r.provider == spec.id):
                continue
            moment = share_ends(r.authorization)
            if moment > now:
                ends.setdefault(moment, set()).update((requester.id, r.provider))
    if not ends:
        return None
    first = min(ends)
    return first, frozenset(ends[first])


def retention_ends(spec: TenantSpec) -> dt.date | None:
    """When a decommissioning tenant's data may be destroyed (None while it is active).

    Retention runs from the day decommissioning began; without a retention period the
    data may go as soon as access is gone.
    """
    if spec.lifecycle.state is LifecycleState.active:
        return None
    since = spec.lifecycle.since
    if since is None:
        return None  # unknown start: keep the data until someone records it
    return since + dt.timedelta(days=spec.data.retention_days or 0)


def destroy_data_allowed(spec: TenantSpec, today: dt.date, *, override: bool = False) -> bool:
    """May this tenant's bucket be deleted with its data? Only a decommissioning tenant,
    once retention ended, or with the loudly named override."""
    if spec.lifecycle.state is LifecycleState.active:
        return False
    if override:
        return True
    ends = retention_ends(spec)
    return ends is not None and ends <= today


def next_change(
    spec: TenantSpec, now: dt.datetime, *, fleet: Iterable[TenantSpec] = ()
) -> dt.datetime | None:
    """The next instant after ``now`` at which this tenant's desired state changes on its
    own (a grant starts or expires, a data share it gives or receives ends, retention
    ends): when to look at it again. ``fleet`` holds the departments that may request
    this one's datasets (a share lives on the provider's bucket and key)."""
    moments: list[dt.datetime] = []
    if spec.lifecycle.state is LifecycleState.active:
        for grant in spec.access:
            moments += [grant_starts(grant), grant_ends(grant)]
        moments += _share_moments(spec, fleet)
    ends = retention_ends(spec)
    if ends is not None:
        moments.append(dt.datetime.combine(ends, dt.time(0), PROVINCE_TZ))
    future = [m for m in moments if m > now]
    return min(future) if future else None
