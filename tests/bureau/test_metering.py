"""Recorded use read with PromQL through our metrics-query client (faked at that seam): one
fresh reading proposes nothing; a full window proposes from its p95 and peak."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from decimal import Decimal

from infra.bureau import plan_resizes, read_average, read_latest, read_metering
from infra.bureau.hourly import pieces
from infra.drivers.metrics import Sample, Series
from infra.plan.hourly import (
    COUNT_1H,
    DONE_1H,
    HOUR,
    MAX_1H,
    SUM_1H,
    Piece,
    query_hourly_percentile,
    query_rollups,
)
from infra.plan.metering import (
    FIRST_SEEN_STEP,
    HARD_METRIC,
    RECENT_STEP,
    USED_METRIC,
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
    """Answers the queries it was given answers for; records every query asked and every
    series written. Its hours are all summarised already unless ``summarised`` is False."""

    def __init__(
        self, answers: dict[str, list[Sample]], *, summarised: bool = True, loose: bool = False
    ) -> None:
        # loose: a query's window lengths do not matter (the command's own "now" is a
        # moment later than the answers were made for)
        self.loose = loose
        self.answers = {self._key(k): v for k, v in answers.items()}
        self.summarised = summarised
        self.asked: list[tuple[str, dt.datetime]] = []
        self.ranges: list[tuple[str, dt.datetime, dt.datetime]] = []
        self.written: list[Series] = []

    def query(self, expr: str, at: dt.datetime) -> list[Sample]:
        self.asked.append((expr, at))
        return self.answers.get(self._key(expr), [])

    def _key(self, expr: str) -> str:
        return re.sub(r"\[\d+s", "[", expr) if self.loose else expr

    def query_range(
        self, expr: str, start: dt.datetime, end: dt.datetime, step: dt.timedelta
    ) -> list[Series]:
        self.ranges.append((expr, start, end))
        if expr.startswith("count_over_time(" + DONE_1H) and self.summarised:
            stamps = int((end - start) / HOUR) + 1
            return [Series({}, [((start + i * HOUR).timestamp(), 1.0) for i in range(stamps)])]
        return []

    def write(self, series: Sequence[Series]) -> None:
        self.written += series


def _s(tenant: str, resource: str | None, value: float, **more: str) -> Sample:
    labels = {"tenant": tenant} | ({"resource": resource} if resource else {})
    return Sample(labels | more, value)


def _rolled(tenant: str, resource: str, top: float, total: float, count: int) -> list[Sample]:
    """One series' max, sum and count, as both kinds of rollup query answer them."""
    return [
        _s(tenant, resource, top, rollup="max_over_time", __name__=MAX_1H),
        _s(tenant, resource, total, rollup="sum_over_time", __name__=SUM_1H),
        _s(tenant, resource, count, rollup="count_over_time", __name__=COUNT_1H),
    ]


def _answers(pieces: list[Piece], values: dict[str, list[list[Sample]]]) -> dict[str, list[Sample]]:
    """Each piece's rollup queries answered with its share of ``values`` (per piece)."""
    out: dict[str, list[Sample]] = {}
    for i, piece in enumerate(pieces):
        queries = query_rollups(piece, ("cpu", "memory", "storage"))
        found = [x for v in values.values() for x in v[i]]
        named = [  # an hourly series read back keeps its name, has no rollup label
            Sample({k: v for k, v in x.labels.items() if k != "rollup"}, x.value) for x in found
        ]
        for expr in queries:
            if piece.hourly and "max_1h" in expr:
                out[expr] = [x for x in named if x.labels["__name__"] == MAX_1H]
            elif piece.hourly:
                out[expr] = [x for x in named if x.labels["__name__"] != MAX_1H]
            else:
                out[expr] = [  # a rollup of the readings drops their name
                    Sample({k: v for k, v in x.labels.items() if k != "__name__"}, x.value)
                    for x in found
                ]
    return out


def _store(
    first_seen: dt.datetime, window: dt.timedelta = 14 * DAY, now: dt.datetime = NOW
) -> FakeMetrics:
    """gd-jyt's history starts at ``first_seen``; as a real store does, the store answers
    the hourly series for the hours after the history starts, the minute grid only for a
    history at least a minute old, and the latest reading (here: the first) always. Over
    the window: p95 3 cores and 6 GiB, peak 4 cores (in the last, partial hour) and 8 GiB."""
    parts = pieces(FakeMetrics({}), now=now, window=window)
    hourly = next(p for p in parts if p.hourly)
    start = [_s("gd-jyt", None, first_seen.timestamp())]
    first_hour = hourly.at - HOUR * ((hourly.at - first_seen) // HOUR)
    older = first_seen <= hourly.at - 2 * HOUR
    minutes = start if first_seen <= now - RECENT_STEP else []
    recent = now - hourly.at + 2 * FIRST_SEEN_STEP
    per_piece = {
        "cpu": [_rolled("gd-jyt", "cpu", 3.5, 3.0 * 60, 60) for _ in parts],
        "memory": [_rolled("gd-jyt", "memory", 8 * GI, 5.0 * GI * 60, 60) for _ in parts],
    }
    per_piece["cpu"][-1] = _rolled("gd-jyt", "cpu", 4.0, 3.0 * 60, 60)
    return FakeMetrics(
        {
            query_first_seen(hourly.span, metric=COUNT_1H): (
                [_s("gd-jyt", None, first_hour.timestamp())] if older else []
            ),
            query_first_seen(recent, RECENT_STEP): minutes,
            query_last_seen(): start,
            query_hourly_percentile(0.95, hourly, ("cpu", "memory")): [
                _s("gd-jyt", "cpu", 3.0),
                _s("gd-jyt", "memory", 6 * GI),
                _s("not-a-tenant", "cpu", 1.0),
            ],
            **_answers(parts, per_piece),
        },
        loose=True,
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
    asked = [expr for expr, _ in store.asked]
    assert asked.index(query_last_seen()) == 2  # asked only after both grids were empty


def test_a_full_window_proposes_p95_plus_headroom_at_the_peak_at_least(
    specs: list[TenantSpec],
) -> None:
    store = _store(first_seen=NOW - 15 * DAY)
    metering = read_metering(store, [_jyt(specs)], now=NOW)
    assert metering.tenants["gd-jyt"].percentile == {"cpu": Decimal(3), "memory": Decimal(6 * GI)}
    assert metering.tenants["gd-jyt"].peak["cpu"] == Decimal(4)
    assert metering.hourly_peaks  # the report and rightsize say so
    plan = plan_resizes([_jyt(specs)], metering)
    # cpu: max(3 × 1.5, 4) = 4.5 → 5; memory: max(6 × 1.5, 8) = 9Gi
    assert [(r.resource, r.current, r.proposed) for r in plan.resizes] == [
        ("cpu", "24", "5"),
        ("memory", "96Gi", "9Gi"),
    ]
    assert plan.short == []
    # whole hours from the hourly series, the rest from the readings; nothing summarised
    assert any(":count_1h" in expr for expr, _ in store.asked)
    assert all("RANGE" not in expr for expr, _ in store.asked)
    assert store.written == []
    # every history found on the hourly series: no finer look; one query per rollup piece
    assert not any(":60s]" in expr for expr, _ in store.asked)


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


def test_latest_use_by_tenant(specs: list[TenantSpec]) -> None:
    resources = ("cpu", "memory", "storage", "pods")
    lookback = dt.timedelta(minutes=5)
    store = FakeMetrics(
        {
            query_latest(USED_METRIC, lookback, resources): [_s("gd-jyt", "cpu", 1.5)],
            query_latest(HARD_METRIC, lookback, resources): [
                _s("gd-jyt", "cpu", 24),
                _s("gd-jyt", "pods", 400),
            ],
        }
    )
    latest = read_latest(store, specs, now=NOW)
    assert list(latest) == ["gd-jyt"]
    assert latest["gd-jyt"].fraction("cpu") == 1.5 / 24


def test_mean_use_is_the_sum_over_the_count_of_every_piece_of_the_window(
    specs: list[TenantSpec],
) -> None:
    now = NOW + dt.timedelta(minutes=20)  # a head and a tail of readings around whole hours
    parts = pieces(FakeMetrics({}), now=now, window=30 * DAY)
    assert [p.hourly for p in parts] == [False, True, False]
    # one replica: 40 readings of 1 at the head, 2 every minute of the whole hours, 25 of 5
    hours = int(parts[1].span / HOUR) * 60
    one = [
        _rolled("gd-jyt", "cpu", 1.0, 40.0, 40),
        _rolled("gd-jyt", "cpu", 2.0, 2.0 * hours, hours),
        _rolled("gd-jyt", "cpu", 5.0, 125.0, 25),
    ]
    # a second replica exposing the same tenant lower: the highest series counts
    half = {MAX_1H: 0.5, SUM_1H: 0.5, COUNT_1H: 1.0}
    two = [
        [Sample({**x.labels, "instance": "b"}, x.value * half[x.labels["__name__"]]) for x in p]
        for p in one
    ]
    nan = [[Sample(x.labels | {"resource": "memory"}, float("nan")) for x in p] for p in one]
    store = FakeMetrics(_answers(parts, {"cpu": one, "cpu-b": two, "memory": nan}))
    mean = read_average(store, specs, now=now, period=30 * DAY)
    assert mean == {"gd-jyt": {"cpu": Decimal(repr((40 + 2 * hours + 125) / (40 + hours + 25)))}}
    metering = read_metering(store, specs, now=now, window=30 * DAY)
    assert metering.tenants["gd-jyt"].peak == {"cpu": Decimal(5)}


def test_hours_not_summarised_yet_are_summarised_by_the_store_and_written_back(
    specs: list[TenantSpec],
) -> None:
    store = FakeMetrics({}, summarised=False)
    read_metering(store, specs, now=NOW + dt.timedelta(minutes=20), window=2 * DAY)
    summaries = [(e, a, b) for e, a, b in store.ranges if e.startswith("aggr_over_time")]
    # (18:20 - 2 days, 18:20]: 48 hourly stamps, from the first whole hour's start (19:00)
    # to the last whole hour's end (18:00), a day a query
    assert [(b - a) / HOUR + 1 for _, a, b in summaries] == [24, 24]
    assert summaries[0][1] == NOW - 2 * DAY + HOUR
    marks = [s for s in store.written if s.labels == {"__name__": DONE_1H}]
    assert sum(len(s.points) for s in marks) == 48
