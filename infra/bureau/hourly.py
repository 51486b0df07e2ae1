"""Keeping the hourly series of metered use up to date (see :mod:`infra.plan.hourly`).

Before a window is read, each of its whole hours not summarised yet is summarised by the
store (a range query at a one-hour step over the readings, a day at a time) and written
back through its import API, with a mark per hour; later reads find them done. A store
without an import API (a plain Prometheus) is read from its readings alone: slower, the
same answers but for the percentile, which is then that of the readings.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from infra.errors import PermanentError
from infra.plan.hourly import (
    DONE_1H,
    HOUR,
    HOURLY,
    Piece,
    hour_stamps,
    missing_runs,
    query_summary,
    split_window,
)

if TYPE_CHECKING:
    from infra.drivers.metrics import MetricsStore, Series

__all__ = ["LAG", "pieces", "summarise"]

# An hour is summarised once its readings are all in: the latest few minutes may still be
# arriving (a scrape in flight, the store's own latency before new data is visible).
LAG = dt.timedelta(minutes=5)
_NAMES = {rollup: name for name, rollup in HOURLY.items()}


def _series(labels: dict[str, str], points: list[tuple[float, float]]) -> Series:
    from infra.drivers.metrics import Series

    return Series(labels, points)


def summarise(store: MetricsStore, *, now: dt.datetime, window: dt.timedelta) -> bool:
    """Summarise the hours of ``window`` (as of ``now``) not done yet. False: the store
    takes no writes (nothing summarised; read the readings)."""
    wanted = hour_stamps(now - LAG, window - LAG) if window > LAG else []
    if not wanted:
        return True
    done_expr = f"count_over_time({DONE_1H}[{int(HOUR.total_seconds())}s])"
    done = [
        dt.datetime.fromtimestamp(t, dt.UTC)
        for s in store.query_range(done_expr, wanted[0], wanted[-1], HOUR)
        for t, v in s.points
        if v > 0
    ]
    for first, last in missing_runs(wanted, done):
        out: list[Series] = []
        for s in store.query_range(query_summary(), first, last, HOUR):
            labels = dict(s.labels)
            name = _NAMES.get(labels.pop("rollup", ""))
            if name is not None:
                out.append(_series({**labels, "__name__": name}, s.points))
        stamps = [(first + i * HOUR).timestamp() for i in range(int((last - first) / HOUR) + 1)]
        out.append(_series({"__name__": DONE_1H}, [(t, 1.0) for t in stamps]))
        try:
            store.write(out)
        except PermanentError:
            return False  # no import API here (a 4xx): the readings alone are read
    return True


def pieces(store: MetricsStore, *, now: dt.datetime, window: dt.timedelta) -> list[Piece]:
    """The parts ``(now - window, now]`` is read in: hourly series for its whole hours (now
    summarised) when the store keeps them, the readings for the rest."""
    if not summarise(store, now=now, window=window):
        return [Piece(now, window, hourly=False)]
    if window <= LAG:
        return [Piece(now, window, hourly=False)]
    lagged = split_window(now - LAG, window - LAG)
    if lagged[-1].hourly:
        return [*lagged, Piece(now, LAG, hourly=False)]
    *rest, tail = lagged
    return [*rest, Piece(now, tail.span + LAG, hourly=False)]
