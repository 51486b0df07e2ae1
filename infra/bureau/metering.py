"""Use as the metrics store recorded it: what right-sizing and metered cost stand on.

Everything is read with PromQL through a :class:`~infra.drivers.metrics.MetricsQuery` (the
local cloud's VictoriaMetrics, the province's Prometheus; a fake in unit tests) as of one
instant, over a window; the rest is pure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

from infra.i18n import _
from infra.plan.hourly import (
    COUNT_1H,
    MAX_1H,
    SUM_1H,
    Piece,
    combine_max,
    combine_mean,
    query_hourly_percentile,
    query_piece,
    query_rollups,
    rollup_of,
)
from infra.plan.metering import (
    FIRST_SEEN_STEP,
    HARD_METRIC,
    METERED,
    RECENT_STEP,
    USED_METRIC,
    query_first_seen,
    query_last_seen,
    query_latest,
    query_percentile,
)
from infra.spec import TenantSpec

from .hourly import pieces
from .usage import TenantUsage

if TYPE_CHECKING:  # the client is passed in; importing the drivers would load boto3 too
    from infra.drivers.metrics import MetricsQuery, MetricsStore, Sample

__all__ = [
    "DEFAULT_QUANTILE",
    "DEFAULT_WINDOW",
    "Metering",
    "ObservedUse",
    "percentile_note",
    "read_average",
    "read_latest",
    "read_metering",
    "read_use",
]

DEFAULT_WINDOW = dt.timedelta(days=14)
DEFAULT_QUANTILE = 0.95
SIZED = ("cpu", "memory")
# The latest reading counts as current when it is at most this old: Prometheus' staleness
# period (a replica stopped longer ago no longer counts).
LATEST_LOOKBACK = dt.timedelta(minutes=5)


@dataclass(frozen=True)
class ObservedUse:
    """One tenant's recorded use over the window."""

    tenant: str
    first_seen: dt.datetime | None  # the oldest reading within the window (and one step)
    percentile: dict[str, Decimal]  # the window's high percentile, by resource
    peak: dict[str, Decimal]  # the window's maximum, by resource

    def observed(self, now: dt.datetime) -> dt.timedelta:
        """How much history there is (zero without any reading)."""
        if self.first_seen is None:
            return dt.timedelta(0)
        return max(dt.timedelta(0), now - self.first_seen)


@dataclass(frozen=True)
class Metering:
    now: dt.datetime
    window: dt.timedelta
    quantile: float
    tenants: dict[str, ObservedUse]
    # The percentile is of each whole hour's highest reading (the hourly series), which puts
    # it at or a little above that of the readings; False: of the readings themselves.
    hourly_peaks: bool = False

    def enough(self, use: ObservedUse) -> bool:
        """A full window of history, give or take the step its start is located to (an hour
        in a window of days; less in a shorter window). No reading is never enough."""
        slack = min(FIRST_SEEN_STEP, self.window / 24)
        return use.first_seen is not None and use.observed(self.now) >= self.window - slack


def percentile_note() -> str:
    """What the percentile is of, when it is of hourly peaks (said on the report's page and
    under `rightsize`'s proposals)."""
    return _(
        "Peak and mean use are those of every reading. The percentile is taken over each "
        "whole hour's highest reading, which puts it at or slightly above that of the "
        "individual readings: a proposal is never a deeper cut."
    )


def _by_tenant(samples: Iterable[Sample], wanted: set[str]) -> dict[str, dict[str, Decimal]]:
    out: dict[str, dict[str, Decimal]] = {}
    for sample in samples:
        tenant, resource = sample.labels.get("tenant", ""), sample.labels.get("resource", "")
        if tenant in wanted and resource and sample.value == sample.value:  # NaN: no data
            out.setdefault(tenant, {})[resource] = Decimal(repr(sample.value))
    return out


def _first_seen(client: MetricsQuery, expr: str, now: dt.datetime) -> dict[str, float]:
    return {
        s.labels.get("tenant", ""): s.value for s in client.query(expr, now) if s.value == s.value
    }


def _pairs(samples: Iterable[Sample]) -> list[tuple[dict[str, str], float]]:
    return [(s.labels, s.value) for s in samples]


def _wanted(
    values: dict[tuple[str, str], float], wanted: set[str], resources: Sequence[str]
) -> dict[str, dict[str, Decimal]]:
    out: dict[str, dict[str, Decimal]] = {}
    for (tenant, resource), value in values.items():
        if tenant in wanted and resource in resources:
            out.setdefault(tenant, {})[resource] = Decimal(repr(value))
    return out


Pairs = list[tuple[dict[str, str], float]]
_ROLLED = ("cpu", "memory", "storage")  # the peak is of SIZED, the mean of all three


def _rollups(client: MetricsQuery, parts: Sequence[Piece]) -> dict[str, list[Pairs]]:
    """The max, sum and count of every series' readings in each piece: one query a piece
    from a store that keeps the hourly series, else one per piece and rollup."""
    out: dict[str, list[Pairs]] = {"max": [], "sum": [], "count": []}
    if any(p.hourly for p in parts):
        for part in parts:
            found = [
                pair
                for expr in query_rollups(part, _ROLLED)
                for pair in _pairs(client.query(expr, part.at))
            ]
            for kind, into in out.items():
                into.append([(labels, v) for labels, v in found if rollup_of(labels) == kind])
        return out
    for kind, series in (("max", MAX_1H), ("sum", SUM_1H), ("count", COUNT_1H)):
        out[kind] = [_pairs(client.query(query_piece(series, p, _ROLLED), p.at)) for p in parts]
    return out


def _history_starts(
    client: MetricsQuery,
    parts: Sequence[Piece],
    wanted: set[str],
    now: dt.datetime,
    window: dt.timedelta,
) -> dict[str, float]:
    """Where each history starts (Unix seconds): the end of its first summarised hour for
    a history older than two hours (the hourly grid over the readings without hourly
    series), else to the minute over the last hours, else (younger than a minute) its
    latest reading."""
    hourly = next((p for p in parts if p.hourly), None)
    if hourly is not None:
        expr = query_first_seen(hourly.span, metric=COUNT_1H)
        young = (hourly.at - FIRST_SEEN_STEP).timestamp()
        first = {t: v for t, v in _first_seen(client, expr, hourly.at).items() if v < young}
        recent = now - hourly.at + 2 * FIRST_SEEN_STEP
    else:
        first = _first_seen(client, query_first_seen(window), now)
        recent = FIRST_SEEN_STEP
    if wanted - set(first):  # histories younger than that, to the minute
        first = {**_first_seen(client, query_first_seen(recent, RECENT_STEP), now), **first}
    if wanted - set(first):  # younger than a minute: the latest reading is the first
        first = {**_first_seen(client, query_last_seen(), now), **first}
    return first


def read_use(
    client: MetricsStore,
    specs: Sequence[TenantSpec],
    *,
    now: dt.datetime,
    window: dt.timedelta = DEFAULT_WINDOW,
    quantile: float = DEFAULT_QUANTILE,
) -> tuple[Metering, dict[str, dict[str, Decimal]]]:
    """Instant queries for the whole fleet: where each history starts (to the hour, to the
    minute when it is younger than two hours, by its latest reading when younger than a
    minute), the percentile and the maximum of CPU and memory use over ``window``, and the
    mean use of CPU, memory and storage (metered cost: the sum of the readings over their
    number). Whole hours are read from the hourly series (:mod:`infra.plan.hourly`),
    summarised first where missing."""
    wanted = {s.id for s in specs}
    parts = pieces(client, now=now, window=window)
    first = _history_starts(client, parts, wanted, now, window)
    hourly = next((p for p in parts if p.hourly), None)
    if hourly is not None:
        expr = query_hourly_percentile(quantile, hourly, SIZED)
        high = _by_tenant(client.query(expr, hourly.at), wanted)
    else:
        high = _by_tenant(client.query(query_percentile(quantile, window, SIZED), now), wanted)
    rolled = _rollups(client, parts)
    peak = _wanted(combine_max(rolled["max"]), wanted, SIZED)
    mean = _wanted(combine_mean(rolled["sum"], rolled["count"]), wanted, _ROLLED)
    tenants = {
        tenant: ObservedUse(
            tenant,
            dt.datetime.fromtimestamp(first[tenant], dt.UTC) if tenant in first else None,
            high.get(tenant, {}),
            peak.get(tenant, {}),
        )
        for tenant in sorted(wanted)
    }
    return Metering(now, window, quantile, tenants, hourly is not None), mean


def read_metering(
    client: MetricsStore,
    specs: Sequence[TenantSpec],
    *,
    now: dt.datetime,
    window: dt.timedelta = DEFAULT_WINDOW,
    quantile: float = DEFAULT_QUANTILE,
) -> Metering:
    """What right-sizing stands on (:func:`read_use`)."""
    return read_use(client, specs, now=now, window=window, quantile=quantile)[0]


def read_latest(
    client: MetricsStore, specs: Sequence[TenantSpec], *, now: dt.datetime
) -> dict[str, TenantUsage]:
    """The last recorded use and allocation of every tenant the store has heard of lately."""
    wanted = {s.id for s in specs}
    resources = tuple(METERED)
    used, hard = (
        _by_tenant(client.query(query_latest(metric, LATEST_LOOKBACK, resources), now), wanted)
        for metric in (USED_METRIC, HARD_METRIC)
    )
    return {t: TenantUsage(t, used.get(t, {}), hard[t]) for t in sorted(hard)}


def read_average(
    client: MetricsStore, specs: Sequence[TenantSpec], *, now: dt.datetime, period: dt.timedelta
) -> dict[str, dict[str, Decimal]]:
    """Each tenant's mean use of CPU, memory and storage over ``period`` (:func:`read_use`)."""
    return read_use(client, specs, now=now, window=period)[1]
