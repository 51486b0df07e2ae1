"""Access and lifecycle: operator grants about to expire or already expired, and
departments being decommissioned with the day their data may be destroyed."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from infra.plan import retention_ends
from infra.spec import TenantSpec
from infra.spec.tenant import LifecycleState

__all__ = ["AccessView", "GrantLine", "Offboarding", "access_view"]


@dataclass(frozen=True)
class GrantLine:
    tenant: str
    group: str
    scope: str
    document: str
    granted_by: str  # "name <email>" when the official is among the owners
    expires: dt.date
    days_left: int


@dataclass(frozen=True)
class Offboarding:
    tenant: str
    name: str
    since: dt.date | None
    retention_ends: dt.date | None


@dataclass(frozen=True)
class AccessView:
    expiring_30: list[GrantLine]
    expiring_90: list[GrantLine]  # 31 to 90 days
    expired: list[GrantLine]
    offboarding: list[Offboarding]


def _official(spec: TenantSpec, email: str) -> str:
    for contact in spec.owners.contacts:
        if contact.email == email:
            title = f"（{contact.title}）" if contact.title else ""
            return f"{contact.name}{title} <{email}>"
    return email


def access_view(specs: Sequence[TenantSpec], today: dt.date) -> AccessView:
    soon: list[GrantLine] = []
    later: list[GrantLine] = []
    expired: list[GrantLine] = []
    offboarding = []
    for spec in specs:
        for grant in spec.access:
            days = (grant.expires - today).days
            line = GrantLine(
                spec.id,
                grant.group,
                grant.scope.value,
                grant.document,
                _official(spec, grant.granted_by),
                grant.expires,
                days,
            )
            if days < 0:
                expired.append(line)
            elif days <= 30:
                soon.append(line)
            elif days <= 90:
                later.append(line)
        if spec.lifecycle.state is LifecycleState.decommissioning:
            offboarding.append(
                Offboarding(spec.id, spec.name, spec.lifecycle.since, retention_ends(spec))
            )

    def by_date(lines: list[GrantLine]) -> list[GrantLine]:
        return sorted(lines, key=lambda g: (g.expires, g.tenant, g.document))

    offboarding.sort(key=lambda o: (o.retention_ends or dt.date.max, o.tenant))
    return AccessView(by_date(soon), by_date(later), by_date(expired), offboarding)
