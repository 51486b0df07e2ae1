"""Hourly aggregates of metered use, so a month of one-minute readings is read in seconds.

A window of 30 days at one-minute resolution is 43,200 readings per series; a fleet of 5,000
tenants scans 864 million of them per query. Each whole hour of ``govcloud_tenant_quota_used``
is therefore summarised once, in the store itself, by three series with the reading's labels:

- ``govcloud_tenant_quota_used:max_1h``: the hour's highest reading;
- ``govcloud_tenant_quota_used:sum_1h`` and ``:count_1h``: the sum and number of readings;

stamped at the end of the hour they cover, ``(T - 1h, T]`` (the window of
``max_over_time(m[1h])`` evaluated at ``T``). ``govcloud_tenant_quota_used:hours_done``
marks each hour summarised.

A window ``(now - W, now]`` is cut at whole hours into a head ``(now - W, T0]`` and a tail
``(T1, now]`` read from the readings themselves (under an hour each) and a middle
``(T0, T1]`` read from the hourly series. Peak, sum and count over the window are then
exactly those of the readings; the high percentile is taken over the middle's hourly peaks
(:func:`query_hourly_percentile`), which puts it at or above the percentile of the readings.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from .metering import USED_METRIC, promql_duration

__all__ = [
    "COUNT_1H",
    "DONE_1H",
    "HOUR",
    "HOURLY",
    "MAX_1H",
    "SUM_1H",
    "Piece",
    "combine_max",
    "combine_mean",
    "hour_stamps",
    "missing_runs",
    "query_hourly_percentile",
    "query_piece",
    "query_rollups",
    "query_summary",
    "rollup_of",
    "series_key",
    "split_window",
]

HOUR = dt.timedelta(hours=1)
MAX_1H = f"{USED_METRIC}:max_1h"
SUM_1H = f"{USED_METRIC}:sum_1h"
COUNT_1H = f"{USED_METRIC}:count_1h"
DONE_1H = f"{USED_METRIC}:hours_done"
# Each hourly series and the rollup over one hour of readings that makes it.
HOURLY = {MAX_1H: "max_over_time", SUM_1H: "sum_over_time", COUNT_1H: "count_over_time"}
# How each hourly series adds up over many hours.
_OVER_HOURS = {MAX_1H: "max_over_time", SUM_1H: "sum_over_time", COUNT_1H: "sum_over_time"}

Labels = Mapping[str, str]
Key = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Piece:
    """A part of a window: the readings (or hourly series) in ``(at - span, at]``."""

    at: dt.datetime
    span: dt.timedelta
    hourly: bool


def _floor_hour(when: dt.datetime) -> dt.datetime:
    seconds = int(when.timestamp())
    return dt.datetime.fromtimestamp(seconds - seconds % 3600, dt.UTC)


def _ceil_hour(when: dt.datetime) -> dt.datetime:
    floor = _floor_hour(when)
    return floor if floor.timestamp() == when.timestamp() else floor + HOUR


def split_window(now: dt.datetime, window: dt.timedelta) -> list[Piece]:
    """``(now - window, now]`` as a head and a tail of readings around whole hours; empty
    parts left out. A window without a whole hour is one piece of readings."""
    first, last = _ceil_hour(now - window), _floor_hour(now)
    if first >= last:
        return [Piece(now, window, hourly=False)]
    pieces = [
        Piece(first, first - (now - window), hourly=False),
        Piece(last, last - first, hourly=True),
        Piece(now, now - last, hourly=False),
    ]
    return [p for p in pieces if p.span > dt.timedelta(0)]


def hour_stamps(now: dt.datetime, window: dt.timedelta) -> list[dt.datetime]:
    """The hourly stamps a window reads: from the first whole hour's start (where a
    history's start is looked for) to the last whole hour's end."""
    first, last = _ceil_hour(now - window), _floor_hour(now)
    count = int((last - first) / HOUR)
    return [first + i * HOUR for i in range(count + 1)] if count > 0 else []


def missing_runs(
    wanted: Sequence[dt.datetime], done: Iterable[dt.datetime], longest: int = 24
) -> list[tuple[dt.datetime, dt.datetime]]:
    """The stamps of ``wanted`` not ``done``, as ``(first, last)`` runs of consecutive hours,
    at most ``longest`` hours each (one range query per run)."""
    have = {d.timestamp() for d in done}
    runs: list[tuple[dt.datetime, dt.datetime]] = []
    for stamp in wanted:
        if stamp.timestamp() in have:
            continue
        if runs and runs[-1][1] + HOUR == stamp and (stamp - runs[-1][0]) / HOUR < longest:
            runs[-1] = (runs[-1][0], stamp)
        else:
            runs.append((stamp, stamp))
    return runs


def query_summary() -> str:
    """The three rollups of one hour of readings in one pass, one series per rollup named
    by its ``rollup`` label (MetricsQL's ``aggr_over_time``: only a store that also takes
    the hourly series back, VictoriaMetrics, is asked)."""
    rollups = ", ".join(f'"{r}"' for r in HOURLY.values())
    return f"aggr_over_time(({rollups}), {USED_METRIC}[{promql_duration(HOUR)}])"


def _selector(metric: str, resources: Sequence[str]) -> str:
    return f'{metric}{{resource=~"{"|".join(resources)}"}}'


def query_piece(series: str, piece: Piece, resources: Sequence[str]) -> str:
    """The max, sum or count (``series`` names which, by its hourly series) of every
    series' readings in ``piece``; evaluate it at ``piece.at``. No aggregation across
    series: the pieces of one series are combined first."""
    span = promql_duration(piece.span)
    if piece.hourly:
        return f"{_OVER_HOURS[series]}({_selector(series, resources)}[{span}])"
    return f"{HOURLY[series]}({_selector(USED_METRIC, resources)}[{span}])"


def query_rollups(piece: Piece, resources: Sequence[str]) -> list[str]:
    """The max, sum and count of every series' readings in ``piece``, each result named by
    :func:`rollup_of` (MetricsQL: asked only of a store that keeps the hourly series);
    evaluate them at ``piece.at``. One query over readings, two over hourly series."""
    span = promql_duration(piece.span)
    if not piece.hourly:
        rollups = ", ".join(f'"{r}"' for r in HOURLY.values())
        return [f"aggr_over_time(({rollups}), {_selector(USED_METRIC, resources)}[{span}])"]
    added = f'{{__name__=~"{SUM_1H}|{COUNT_1H}",resource=~"{"|".join(resources)}"}}'
    return [
        f"max_over_time({_selector(MAX_1H, resources)}[{span}]) keep_metric_names",
        f"sum_over_time({added}[{span}]) keep_metric_names",
    ]


_ROLLUP_OF = {
    (None, "max_over_time"): "max",
    (None, "sum_over_time"): "sum",
    (None, "count_over_time"): "count",
    (MAX_1H, ""): "max",
    (SUM_1H, ""): "sum",
    (COUNT_1H, ""): "count",
}


def rollup_of(labels: Labels) -> str | None:
    """``max``, ``sum`` or ``count`` for a series :func:`query_rollups` answered (None: one
    it asks for nothing, such as the maximum of the hourly counts)."""
    return _ROLLUP_OF.get((labels.get("__name__"), labels.get("rollup", "")))


def query_hourly_percentile(quantile: float, piece: Piece, resources: Sequence[str]) -> str:
    """The ``quantile`` of the hourly peaks in ``piece`` (the window's whole hours). At least
    that share of the hours peaked at or below it, so at least that share of the readings
    was at or below it: never below the percentile of the readings (up to the
    interpolation between two neighbouring values and the partial hours at the edges)."""
    inner = _selector(MAX_1H, resources)
    return (
        f"max by (tenant, resource) "
        f"(quantile_over_time({quantile:g}, {inner}[{promql_duration(piece.span)}]))"
    )


def series_key(labels: Labels) -> Key:
    """One series, whichever name and rollup it is read under."""
    return tuple(sorted((k, v) for k, v in labels.items() if k not in ("__name__", "rollup")))


def _by_tenant(values: Mapping[Key, float]) -> dict[tuple[str, str], float]:
    """The highest over the series of one tenant and resource (replicas count once)."""
    out: dict[tuple[str, str], float] = {}
    for key, value in values.items():
        labels = dict(key)
        tenant, resource = labels.get("tenant", ""), labels.get("resource", "")
        if tenant and resource and value == value:  # NaN: no data
            out[(tenant, resource)] = max(value, out.get((tenant, resource), value))
    return out


def combine_max(pieces: Iterable[Iterable[tuple[Labels, float]]]) -> dict[tuple[str, str], float]:
    """The window's maximum per tenant and resource from the maxima of its pieces."""
    per_series: dict[Key, float] = {}
    for piece in pieces:
        for labels, value in piece:
            if value == value:
                key = series_key(labels)
                per_series[key] = max(value, per_series.get(key, value))
    return _by_tenant(per_series)


def combine_mean(
    sums: Iterable[Iterable[tuple[Labels, float]]],
    counts: Iterable[Iterable[tuple[Labels, float]]],
) -> dict[tuple[str, str], float]:
    """The window's mean per tenant and resource: each series' sum over its count, the
    highest of a tenant's series (as ``max by (tenant, resource) (avg_over_time(...))``)."""
    total: dict[Key, float] = {}
    number: dict[Key, float] = {}
    for into, pieces in ((total, sums), (number, counts)):
        for piece in pieces:
            for labels, value in piece:
                if value == value:
                    key = series_key(labels)
                    into[key] = into.get(key, 0.0) + value
    means = {k: total.get(k, 0.0) / n for k, n in number.items() if n > 0}
    return _by_tenant(means)
