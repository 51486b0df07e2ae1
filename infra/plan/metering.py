"""Metered quota use: the Prometheus series the reconciler exposes and the PromQL that reads
them back, in one place so the exporter and the readers cannot disagree.

Each tenant's ResourceQuota ``govcloud-quota`` becomes two gauges per metered resource:

- ``govcloud_tenant_quota_used{tenant, resource}``: ``status.used`` (what the tenant's pods
  request; CPU in cores, memory and storage in bytes, pods as a count);
- ``govcloud_tenant_quota_hard{tenant, resource}``: ``status.hard`` (what it is allowed).

A store that scrapes them (the local cloud's VictoriaMetrics, the province's own Prometheus)
keeps the history that right-sizing and metered cost are computed from. Every query takes
the maximum over the series of one tenant and resource, so several reconciler replicas
exposing the same tenant count once.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping, Sequence
from decimal import Decimal
from typing import Any

from infra.spec.quantity import parse_quantity

from .names import LABEL_MANAGED_BY, MANAGED_BY

__all__ = [
    "FIRST_SEEN_STEP",
    "HARD_METRIC",
    "METERED",
    "QUOTA_NAME",
    "RECENT_STEP",
    "USED_METRIC",
    "format_duration",
    "parse_duration",
    "promql_duration",
    "query_average",
    "query_first_seen",
    "query_last_seen",
    "query_latest",
    "query_peak",
    "query_percentile",
    "quota_amounts",
    "quota_samples",
]

QUOTA_NAME = "govcloud-quota"
USED_METRIC = "govcloud_tenant_quota_used"
HARD_METRIC = "govcloud_tenant_quota_hard"
# Metered resource -> its ResourceQuota key.
METERED = {
    "cpu": "requests.cpu",
    "memory": "requests.memory",
    "storage": "requests.storage",
    "pods": "pods",
}
# How finely the start of a tenant's history is located: an hour in a window of days.
FIRST_SEEN_STEP = dt.timedelta(hours=1)
RECENT_STEP = dt.timedelta(minutes=1)  # ... and a history younger than that to the minute


def quota_amounts(values: Mapping[str, Any] | None) -> dict[str, Decimal]:
    """The metered resources of a quota's ``hard`` or ``used`` map, in base units."""
    out: dict[str, Decimal] = {}
    for resource, key in METERED.items():
        raw = (values or {}).get(key)
        if raw is None:
            continue
        try:
            out[resource] = parse_quantity(str(raw))
        except ValueError:
            continue  # a form we cannot read is left out rather than guessed
    return out


def _is_ours(obj: Mapping[str, Any]) -> bool:
    meta = obj.get("metadata") or {}
    labels = meta.get("labels") or {}
    return meta.get("name") == QUOTA_NAME and labels.get(LABEL_MANAGED_BY) == MANAGED_BY


def quota_samples(
    quotas: Sequence[Mapping[str, Any]],
) -> Iterator[tuple[str, str, str, float]]:
    """``(metric, tenant, resource, value)`` for every govcloud quota with a status (the
    quota controller fills it in; before that there is nothing to meter)."""
    for obj in quotas:
        if not _is_ours(obj):
            continue
        tenant = str((obj.get("metadata") or {}).get("namespace") or "")
        status = obj.get("status") or {}
        if not tenant or not status:
            continue
        for metric, key in ((USED_METRIC, "used"), (HARD_METRIC, "hard")):
            for resource, amount in quota_amounts(status.get(key)).items():
                yield metric, tenant, resource, float(amount)


# -- durations ------------------------------------------------------------------------------

_UNITS = {"m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^([1-9][0-9]{0,5})([mhdw])$")


def parse_duration(text: str) -> dt.timedelta:
    """``30m``, ``36h``, ``14d``, ``2w``; ValueError otherwise."""
    match = _DURATION.match(text.strip())
    if match is None:
        raise ValueError(text)
    return dt.timedelta(seconds=int(match.group(1)) * _UNITS[match.group(2)])


def promql_duration(span: dt.timedelta) -> str:
    return f"{max(1, int(span.total_seconds()))}s"


def format_duration(span: dt.timedelta) -> tuple[int, str]:
    """The span in its largest whole unit: ``(7, "minutes")``, ``(3, "days")``."""
    seconds = int(span.total_seconds())
    for unit, size in (("days", 86400), ("hours", 3600), ("minutes", 60)):
        if seconds >= size:
            return seconds // size, unit
    return max(seconds, 0), "seconds"


# -- queries (instant queries, evaluated at the report's instant) ---------------------------


def _selector(metric: str, resources: Sequence[str]) -> str:
    return f'{metric}{{resource=~"{"|".join(resources)}"}}'


def query_percentile(quantile: float, window: dt.timedelta, resources: Sequence[str]) -> str:
    """The ``quantile`` of each tenant's use over ``window``."""
    inner = _selector(USED_METRIC, resources)
    return (
        f"max by (tenant, resource) "
        f"(quantile_over_time({quantile:g}, {inner}[{promql_duration(window)}]))"
    )


def query_peak(window: dt.timedelta, resources: Sequence[str]) -> str:
    """The highest use of each tenant seen over ``window``."""
    inner = _selector(USED_METRIC, resources)
    return f"max by (tenant, resource) (max_over_time({inner}[{promql_duration(window)}]))"


def query_average(window: dt.timedelta, resources: Sequence[str]) -> str:
    """Each tenant's mean use over ``window`` (metered cost)."""
    inner = _selector(USED_METRIC, resources)
    return f"max by (tenant, resource) (avg_over_time({inner}[{promql_duration(window)}]))"


def query_latest(metric: str, lookback: dt.timedelta, resources: Sequence[str]) -> str:
    """The last value of ``metric`` for each tenant within ``lookback``."""
    inner = _selector(metric, resources)
    return f"max by (tenant, resource) (last_over_time({inner}[{promql_duration(lookback)}]))"


def query_first_seen(
    window: dt.timedelta, step: dt.timedelta = FIRST_SEEN_STEP, *, metric: str = USED_METRIC
) -> str:
    """When each tenant's recorded CPU use starts, looking back ``window`` plus one step
    (Unix seconds, to within ``step``); plain PromQL, so any Prometheus-compatible store
    answers it. A history younger than the last whole step is not in it: ask again over
    that last step with a finer one (:data:`RECENT_STEP`). ``metric``: the hourly count
    series instead of the readings (each hour's stamp is the end of the hour)."""
    span = promql_duration(window + step)
    inner = f'timestamp({metric}{{resource="cpu"}})'
    return f"min by (tenant) (min_over_time({inner}[{span}:{promql_duration(step)}]))"


def query_last_seen() -> str:
    """When each tenant's latest CPU reading was taken: the start of a history younger than
    the finest step of :func:`query_first_seen` (its grid has no point after the first
    reading yet), to within that reading's age."""
    return f'min by (tenant) (timestamp({USED_METRIC}{{resource="cpu"}}))'
