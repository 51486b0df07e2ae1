"""Emergency accesses (break-glass) in the report's period, per tenant: who broke glass,
who approved, for how long and why. Read from ``govcloud access list --format json``
(``govcloud report --access-file``); without it the section says it was not given."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from infra.policy.emergency import PROVINCE_TZ, EmergencyRecord

__all__ = ["EmergencyLine", "EmergencyView", "emergency_view"]


@dataclass(frozen=True)
class EmergencyLine:
    tenant: str
    id: str
    scope: str
    granted: dt.datetime
    minutes: int
    requester: str
    approver: str
    reason: str


@dataclass(frozen=True)
class EmergencyView:
    source: str  # the file it was read from
    since: dt.date
    until: dt.date
    lines: list[EmergencyLine]  # by tenant, then time
    per_tenant: dict[str, int]
    warn_above: int  # the environment's threshold (the check warns above it)


def emergency_view(
    records: Sequence[EmergencyRecord],
    *,
    source: str,
    since: dt.date,
    until: dt.date,
    warn_above: int,
) -> EmergencyView:
    """The granted accesses whose grant falls in ``since``..``until`` (province days)."""
    lines = [
        EmergencyLine(
            r.tenant, r.id, r.scope, r.granted, r.minutes, r.requester, r.approver or "", r.reason
        )
        for r in records
        if r.granted is not None and since <= r.granted.astimezone(PROVINCE_TZ).date() <= until
    ]
    lines.sort(key=lambda line: (line.tenant, line.granted))
    counts: dict[str, int] = {}
    for line in lines:
        counts[line.tenant] = counts.get(line.tenant, 0) + 1
    return EmergencyView(source, since, until, lines, counts, warn_above)
