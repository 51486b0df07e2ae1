"""Recorded use read with PromQL through our metrics-query client (faked at that seam): one
fresh reading proposes nothing; a full window proposes from its p95 and peak."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from infra.bureau import plan_resizes, read_average, read_latest, read_metering
from infra.drivers.metrics import Sample, Series
from infra.plan.metering import (
    FIRST_SEEN_STEP,
    HARD_METRIC,
    RECENT_STEP,
    USED_METRIC,
    query_average,
    query_first_seen,
    query_last_seen,
    query_latest,
    query_peak,
    query_percentile,
)
from infra.spec.tenant import TenantSpec

NOW = dt.datetime(2026, 12, 7, 18, tzinfo=dt.UTC)
DAY = dt.timedelta(days=1)
GI = 2**30


class FakeMetrics:
    """Answers the queries it was given answers for; records every query asked."""

    def __init__(self, answers: dict[str, list[Sample]]) -> None:
        self.answers = answers
        self.asked: list[tuple[str, dt.datetime]] = []

    def query(self, expr: str, at: dt.datetime) -> list[Sample]:
        self.asked.append((expr, at))
        return self.answers.get(expr, [])

    def query_range(
        self, expr: str, start: dt.datetime, end: dt.datetime, step: dt.timedelta
    ) -> list[Series]:
        raise AssertionError("right-sizing needs no range query")


def _s(tenant: str, resource: str | None, value: float) -> Sample:
    labels = {"tenant": tenant} | ({"resource": resource} if resource else {})
    return Sample(labels, value)


def _store(
    first_seen: dt.datetime, window: dt.timedelta = 14 * DAY, now: dt.datetime = NOW
) -> FakeMetrics:
    """gd-jyt's history starts at ``first_seen``; as a real store does, the store answers
    the hourly grid only for a history at least an hour old, the minute grid only for one
    at least a minute old, and the latest reading (here: the first) always."""
    sized = ("cpu", "memory")
    start = [_s("gd-jyt", None, first_seen.timestamp())]
    hours = start if first_seen <= now - FIRST_SEEN_STEP else []
    minutes = start if first_seen <= now - RECENT_STEP else []
    return FakeMetrics(
        {
            query_first_seen(window): hours,
            query_first_seen(FIRST_SEEN_STEP, RECENT_STEP): minutes,
            query_last_seen(): start,
            query_percentile(0.95, window, sized): [
                _s("gd-jyt", "cpu", 3.0),
                _s("gd-jyt", "memory", 6 * GI),
                _s("not-a-tenant", "cpu", 1.0),
            ],
            query_peak(window, sized): [_s("gd-jyt", "cpu", 4.0), _s("gd-jyt", "memory", 8 * GI)],
        }
    )


def _jyt(specs: list[TenantSpec]) -> TenantSpec:
    return next(s for s in specs if s.id == "gd-jyt")


def test_one_fresh_reading_proposes_nothing(specs: list[TenantSpec]) -> None:
    store = _store(first_seen=NOW - dt.timedelta(minutes=7))
    metering = read_metering(store, [_jyt(specs)], now=NOW)
    plan = plan_resizes([_jyt(specs)], metering)
    assert plan.resizes == []
    assert [(s.tenant, s.observed) for s in plan.short] == [("gd-jyt", dt.timedelta(minutes=7))]


def test_a_history_younger_than_a_minute_counts_from_its_reading(
    specs: list[TenantSpec],
) -> None:
    store = _store(first_seen=NOW - dt.timedelta(seconds=20))
    plan = plan_resizes([_jyt(specs)], read_metering(store, [_jyt(specs)], now=NOW))
    assert [(s.tenant, s.observed) for s in plan.short] == [("gd-jyt", dt.timedelta(seconds=20))]
    assert store.asked[-3][0] == query_last_seen()  # asked only after both grids were empty


def test_a_full_window_proposes_p95_plus_headroom_at_the_peak_at_least(
    specs: list[TenantSpec],
) -> None:
    store = _store(first_seen=NOW - 15 * DAY)
    metering = read_metering(store, [_jyt(specs)], now=NOW)
    assert metering.tenants["gd-jyt"].percentile == {"cpu": Decimal(3), "memory": Decimal(6 * GI)}
    assert metering.tenants["gd-jyt"].peak["cpu"] == Decimal(4)
    plan = plan_resizes([_jyt(specs)], metering)
    # cpu: max(3 × 1.5, 4) = 4.5 → 5; memory: max(6 × 1.5, 8) = 9Gi
    assert [(r.resource, r.current, r.proposed) for r in plan.resizes] == [
        ("cpu", "24", "5"),
        ("memory", "96Gi", "9Gi"),
    ]
    assert plan.short == []
    # every query at one instant, over the window
    assert {at for _, at in store.asked} == {NOW}
    assert all("[1209600s" in expr or "[1213200s:3600s]" in expr for expr, _ in store.asked)
    assert len(store.asked) == 3  # every history found on the hourly grid: no finer look


def test_the_window_is_configurable(specs: list[TenantSpec]) -> None:
    week = 7 * DAY
    store = _store(first_seen=NOW - 8 * DAY, window=week)
    plan = plan_resizes([_jyt(specs)], read_metering(store, [_jyt(specs)], now=NOW, window=week))
    assert [r.proposed for r in plan.resizes] == ["5", "9Gi"]
    # the same eight days against the default fortnight: not enough
    store = _store(first_seen=NOW - 8 * DAY)
    plan = plan_resizes([_jyt(specs)], read_metering(store, [_jyt(specs)], now=NOW))
    assert plan.resizes == [] and plan.short[0].observed == 8 * DAY


def test_the_queries_are_promql_over_the_exported_series() -> None:
    window = 14 * DAY
    assert query_percentile(0.95, window, ("cpu", "memory")) == (
        "max by (tenant, resource) (quantile_over_time(0.95, "
        'govcloud_tenant_quota_used{resource=~"cpu|memory"}[1209600s]))'
    )
    assert query_peak(window, ("cpu",)) == (
        'max by (tenant, resource) (max_over_time(govcloud_tenant_quota_used{resource=~"cpu"}'
        "[1209600s]))"
    )
    assert query_first_seen(window) == (
        "min by (tenant) (min_over_time("
        'timestamp(govcloud_tenant_quota_used{resource="cpu"})[1213200s:3600s]))'
    )


def test_latest_use_and_mean_use_by_tenant(specs: list[TenantSpec]) -> None:
    resources = ("cpu", "memory", "storage", "pods")
    lookback = dt.timedelta(minutes=5)
    store = FakeMetrics(
        {
            query_latest(USED_METRIC, lookback, resources): [_s("gd-jyt", "cpu", 1.5)],
            query_latest(HARD_METRIC, lookback, resources): [
                _s("gd-jyt", "cpu", 24),
                _s("gd-jyt", "pods", 400),
            ],
            query_average(30 * DAY, ("cpu", "memory", "storage")): [
                _s("gd-jyt", "cpu", 2.5),
                _s("gd-jyt", "memory", float("nan")),  # no samples: left out
            ],
        }
    )
    latest = read_latest(store, specs, now=NOW)
    assert list(latest) == ["gd-jyt"]
    assert latest["gd-jyt"].fraction("cpu") == 1.5 / 24
    assert read_average(store, specs, now=NOW, period=30 * DAY) == {
        "gd-jyt": {"cpu": Decimal("2.5")}
    }
