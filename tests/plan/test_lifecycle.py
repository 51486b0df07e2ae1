"""infra.plan.lifecycle: grant windows, retention, the next change; pure."""

from __future__ import annotations

import datetime as dt

from infra.plan import PROVINCE_TZ, destroy_data_allowed, grant_active, next_change
from infra.spec.tenant import AccessGrant, TenantSpec


def _grant(granted: str, expires: str, at: str | None = None) -> AccessGrant:
    data = {
        "group": "ops-team",
        "scope": "ops",
        "document": "粤政数授〔2026〕1号",
        "granted_by": "a@gd.gov.cn",
        "granted": granted,
        "expires": expires,
    }
    if at:
        data["expires_at"] = at
    return AccessGrant.model_validate(data, strict=False)


def _at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=PROVINCE_TZ)


def test_date_grant_is_valid_through_its_last_day_beijing_time() -> None:
    grant = _grant("2026-11-01", "2026-11-30")
    assert grant_active(grant, _at("2026-11-30T23:59:59"))
    assert not grant_active(grant, _at("2026-12-01T00:00:00"))
    assert not grant_active(grant, _at("2026-10-31T23:59:59"))


def test_timed_grant_ends_at_its_moment() -> None:
    grant = _grant("2026-11-01", "2026-11-28", "2026-11-28T17:00:00+08:00")
    assert grant_active(grant, _at("2026-11-28T16:59:59"))
    assert not grant_active(grant, _at("2026-11-28T17:00:00"))


def test_next_change_is_the_nearest_future_grant_boundary(fleet: dict[str, TenantSpec]) -> None:
    spec = next(s for s in fleet.values() if s.access and s.lifecycle.state == "active")
    early = dt.datetime(2000, 1, 1, tzinfo=PROVINCE_TZ)
    first = next_change(spec, early)
    assert first is not None and first > early
    assert next_change(spec, dt.datetime(2999, 1, 1, tzinfo=PROVINCE_TZ)) is None


def test_data_may_go_only_after_retention_or_by_override(fleet: dict[str, TenantSpec]) -> None:
    spec = next(iter(fleet.values()))
    assert not destroy_data_allowed(spec, dt.date(2999, 1, 1), override=True)  # active
    leaving = spec.model_copy(
        update={
            "lifecycle": spec.lifecycle.model_copy(
                update={"state": "decommissioning", "since": dt.date(2026, 1, 1)}
            )
        }
    )
    days = spec.data.retention_days or 0
    end = dt.date(2026, 1, 1) + dt.timedelta(days=days)
    assert not destroy_data_allowed(leaving, end - dt.timedelta(days=1))
    assert destroy_data_allowed(leaving, end)
    assert destroy_data_allowed(leaving, end - dt.timedelta(days=1), override=True)
