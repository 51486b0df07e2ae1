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

from infra.plan.metering import (
    FIRST_SEEN_STEP,
    HARD_METRIC,
    METERED,
    RECENT_STEP,
    USED_METRIC,
    query_average,
    query_first_seen,
    query_last_seen,
    query_latest,
    query_peak,
    query_percentile,
)
from infra.spec import TenantSpec

from .usage import TenantUsage

if TYPE_CHECKING:  # the client is passed in; importing the drivers would load boto3 too
    from infra.drivers.metrics import MetricsQuery, Sample

__all__ = [
    "DEFAULT_QUANTILE",
    "DEFAULT_WINDOW",
    "Metering",
    "ObservedUse",
    "read_average",
    "read_latest",
    "read_metering",
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

    def enough(self, use: ObservedUse) -> bool:
        """A full window of history, give or take the step its start is located to (an hour
        in a window of days; less in a shorter window). No reading is never enough."""
        slack = min(FIRST_SEEN_STEP, self.window / 24)
        return use.first_seen is not None and use.observed(self.now) >= self.window - slack


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


def read_metering(
    client: MetricsQuery,
    specs: Sequence[TenantSpec],
    *,
    now: dt.datetime,
    window: dt.timedelta = DEFAULT_WINDOW,
    quantile: float = DEFAULT_QUANTILE,
) -> Metering:
    """Instant queries for the whole fleet: where each history starts (to the hour, to the
    minute when it is younger than an hour, by its latest reading when younger still), the
    percentile and the maximum of CPU and memory use over ``window``."""
    wanted = {s.id for s in specs}
    first = _first_seen(client, query_first_seen(window), now)
    if wanted - set(first):  # histories younger than the last whole hour, to the minute
        recent = _first_seen(client, query_first_seen(FIRST_SEEN_STEP, RECENT_STEP), now)
        first = {**recent, **first}
    if wanted - set(first):  # younger than a minute: the latest reading is the first
        first = {**_first_seen(client, query_last_seen(), now), **first}
    high = _by_tenant(client.query(query_percentile(quantile, window, SIZED), now), wanted)
    peak = _by_tenant(client.query(query_peak(window, SIZED), now), wanted)
    tenants = {
        tenant: ObservedUse(
            tenant,
            dt.datetime.fromtimestamp(first[tenant], dt.UTC) if tenant in first else None,
            high.get(tenant, {}),
            peak.get(tenant, {}),
        )
        for tenant in sorted(wanted)
    }
    return Metering(now, window, quantile, tenants)


def read_latest(
    client: MetricsQuery, specs: Sequence[TenantSpec], *, now: dt.datetime
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
    client: MetricsQuery, specs: Sequence[TenantSpec], *, now: dt.datetime, period: dt.timedelta
) -> dict[str, dict[str, Decimal]]:
    """Each tenant's mean use of CPU, memory and storage over ``period`` (metered cost)."""
    expr = query_average(period, ("cpu", "memory", "storage"))
    return _by_tenant(client.query(expr, now), {s.id for s in specs})
