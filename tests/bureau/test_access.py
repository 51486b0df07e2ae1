"""Access and lifecycle: grants by how soon they expire, with the granting official."""

from __future__ import annotations

import datetime as dt

from infra.bureau.access import access_view
from infra.spec.tenant import TenantSpec

from .conftest import TODAY


def test_grants_are_sorted_into_30_and_90_days_and_expired(specs: list[TenantSpec]) -> None:
    view = access_view(specs, TODAY)
    assert [(g.tenant, g.days_left) for g in view.expiring_30] == [("sz-zwfwsjj", 22)]
    assert [(g.tenant, g.days_left) for g in view.expiring_90] == [("gz-wjw", 65)]
    assert view.expired == []
    assert view.expiring_90[0].granted_by == "邓慧敏（处长） <denghuimin@gz.gov.cn>"
    later = access_view(specs, dt.date(2027, 1, 10))
    assert [(g.tenant, g.days_left) for g in later.expired] == [("sz-zwfwsjj", -21)]
    assert [g.tenant for g in later.expiring_30] == ["gz-wjw"]


def test_decommissioning_tenants_with_the_day_their_data_may_go(specs: list[TenantSpec]) -> None:
    [offboarding] = access_view(specs, TODAY).offboarding
    assert (offboarding.tenant, offboarding.since, offboarding.retention_ends) == (
        "st-wglj",
        dt.date(2026, 9, 1),
        dt.date(2029, 8, 31),
    )
