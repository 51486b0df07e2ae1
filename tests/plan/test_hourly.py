"""The hourly series' arithmetic: a window cut at whole hours, the hours still to summarise,
and the pieces added back up exactly as one query over the readings would."""

from __future__ import annotations

import datetime as dt
import itertools

from infra.plan.hourly import (
    COUNT_1H,
    MAX_1H,
    SUM_1H,
    Piece,
    combine_max,
    combine_mean,
    hour_stamps,
    missing_runs,
    query_rollups,
    rollup_of,
    split_window,
)

H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)
NOON = dt.datetime(2026, 12, 8, 12, tzinfo=dt.UTC)


def test_a_window_is_a_head_and_a_tail_of_readings_around_its_whole_hours() -> None:
    now = NOON + 20 * M
    pieces = split_window(now, dt.timedelta(days=1))
    assert pieces == [
        Piece(NOON - 23 * H, 40 * M, hourly=False),  # (12:20, 13:00] yesterday
        Piece(NOON, 23 * H, hourly=True),  # (13:00 yesterday, 12:00 today]: 23 whole hours
        Piece(now, 20 * M, hourly=False),  # (12:00, 12:20]
    ]
    # together exactly the window, without overlap
    assert sum((p.span for p in pieces), dt.timedelta(0)) == dt.timedelta(days=1)
    assert all(a.at == b.at - b.span for a, b in itertools.pairwise(pieces))


def test_an_aligned_window_has_no_empty_piece_and_a_short_one_is_all_readings() -> None:
    assert split_window(NOON, 3 * H) == [Piece(NOON, 3 * H, hourly=True)]
    assert split_window(NOON + 10 * M, 30 * M) == [Piece(NOON + 10 * M, 30 * M, hourly=False)]
    # 11:50 to 12:40: the only whole-hour boundary, no whole hour
    assert split_window(NOON + 40 * M, 50 * M) == [Piece(NOON + 40 * M, 50 * M, hourly=False)]


def test_the_hours_to_summarise_run_a_day_at_most_and_skip_those_done() -> None:
    stamps = hour_stamps(NOON + 20 * M, dt.timedelta(days=2))
    assert stamps[0] == NOON - 47 * H and stamps[-1] == NOON and len(stamps) == 48
    done = stamps[10:12]
    runs = missing_runs(stamps, done)
    assert runs == [
        (stamps[0], stamps[9]),
        (stamps[12], stamps[35]),  # 24 hours
        (stamps[36], stamps[47]),
    ]
    assert missing_runs(stamps, stamps) == []


def _labels(tenant: str, resource: str, **more: str) -> dict[str, str]:
    return {"tenant": tenant, "resource": resource, **more}


def test_the_peak_is_the_highest_piece_and_replicas_count_once() -> None:
    head = [(_labels("a", "cpu"), 2.0), (_labels("a", "cpu", instance="b"), 9.0)]
    hours = [(_labels("a", "cpu", __name__=MAX_1H), 4.0), (_labels("b", "cpu"), float("nan"))]
    tail = [(_labels("a", "cpu", rollup="max_over_time"), 3.0)]
    assert combine_max([head, hours, tail]) == {("a", "cpu"): 9.0}


def test_the_mean_is_each_series_sum_over_its_count_then_the_highest_series() -> None:
    sums = [
        [(_labels("a", "cpu"), 10.0), (_labels("a", "cpu", instance="b"), 1.0)],
        [(_labels("a", "cpu", __name__=SUM_1H), 110.0)],
    ]
    counts = [
        [(_labels("a", "cpu"), 10.0), (_labels("a", "cpu", instance="b"), 1.0)],
        [(_labels("a", "cpu", __name__=COUNT_1H), 10.0)],
    ]
    # series one: 120 over 20 readings = 6; series b: 1 over 1 = 1
    assert combine_mean(sums, counts) == {("a", "cpu"): 6.0}
    assert combine_mean([[]], [[(_labels("a", "cpu"), 0.0)]]) == {}  # no reading, no mean


def test_each_rollup_answer_is_told_apart_by_its_name_or_rollup_label() -> None:
    raw, hourly = Piece(NOON, 20 * M, hourly=False), Piece(NOON, 23 * H, hourly=True)
    assert query_rollups(raw, ("cpu",)) == [
        'aggr_over_time(("max_over_time", "sum_over_time", "count_over_time"), '
        'govcloud_tenant_quota_used{resource=~"cpu"}[1200s])'
    ]
    assert query_rollups(hourly, ("cpu",)) == [
        'max_over_time(govcloud_tenant_quota_used:max_1h{resource=~"cpu"}[82800s]) '
        "keep_metric_names",
        'sum_over_time({__name__=~"govcloud_tenant_quota_used:sum_1h|'
        'govcloud_tenant_quota_used:count_1h",resource=~"cpu"}[82800s]) keep_metric_names',
    ]
    assert rollup_of({"rollup": "count_over_time"}) == "count"
    assert rollup_of({"__name__": COUNT_1H}) == "count"
    assert rollup_of({"__name__": MAX_1H, "rollup": "sum_over_time"}) is None
