"""A client of a Prometheus-compatible query API (``/api/v1/query``, ``/api/v1/query_range``)
and of VictoriaMetrics' import API (``/api/v1/import``, JSON lines) for the hourly series.

The local cloud's VictoriaMetrics and the province's own Prometheus answer the same HTTP API.
Callers get plain values (:class:`Sample`, :class:`Series`); HTTP and JSON errors become
``infra.errors`` here. :class:`MetricsQuery` is the seam unit tests fake.
"""

from __future__ import annotations

import datetime as dt
import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from infra.drivers.errors import connection_error
from infra.errors import PermanentError, TransientError, short

__all__ = ["MetricsClient", "MetricsQuery", "MetricsStore", "Sample", "Series"]

_TIMEOUT = 60.0


@dataclass(frozen=True)
class Sample:
    """One series of an instant vector: its labels and its value at the query's instant."""

    labels: dict[str, str]
    value: float


@dataclass(frozen=True)
class Series:
    """One series of a range query: (Unix seconds, value) points."""

    labels: dict[str, str]
    points: list[tuple[float, float]]


class MetricsQuery(Protocol):
    def query(self, expr: str, at: dt.datetime) -> list[Sample]: ...

    def query_range(
        self, expr: str, start: dt.datetime, end: dt.datetime, step: dt.timedelta
    ) -> list[Series]: ...


class MetricsStore(MetricsQuery, Protocol):
    def write(self, series: Sequence[Series]) -> None: ...


def _seconds(when: dt.datetime) -> str:
    return f"{when.timestamp():.3f}"


def _number(text: Any) -> float:
    return float(text)  # "NaN", "+Inf" included: Prometheus sends values as strings


class MetricsClient:
    """Queries one store at ``url`` (``http://host:port``, or a path prefix before /api)."""

    def __init__(self, url: str, *, timeout: float = _TIMEOUT) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def query(self, expr: str, at: dt.datetime) -> list[Sample]:
        data = self._get("/api/v1/query", {"query": expr, "time": _seconds(at)}, "vector")
        return [Sample(dict(r.get("metric") or {}), _number(r["value"][1])) for r in data]

    def query_range(
        self, expr: str, start: dt.datetime, end: dt.datetime, step: dt.timedelta
    ) -> list[Series]:
        params = {
            "query": expr,
            "start": _seconds(start),
            "end": _seconds(end),
            "step": f"{max(1, int(step.total_seconds()))}s",
        }
        data = self._get("/api/v1/query_range", params, "matrix")
        return [
            Series(
                dict(r.get("metric") or {}),
                [(float(t), _number(v)) for t, v in r.get("values") or []],
            )
            for r in data
        ]

    def write(self, series: Sequence[Series]) -> None:
        """``series`` (``__name__`` among the labels, Unix seconds) through the import API;
        written at once, so the next query sees them."""
        if not series:
            return
        lines = "".join(
            json.dumps(
                {
                    "metric": s.labels,
                    "values": [v for _, v in s.points],
                    "timestamps": [round(t * 1000) for t, _ in s.points],
                }
            )
            + "\n"
            for s in series
        )
        self._send("/api/v1/import", lines.encode(), "import")
        self._send("/internal/force_flush", None, "flush")

    def _send(self, path: str, body: bytes | None, what: str) -> None:
        operation = f"{what} {self.url}{path}"
        method = "GET" if body is None else "POST"
        request = urllib.request.Request(f"{self.url}{path}", data=body, method=method)
        self._open(request, operation, answer=False)

    def _get(self, path: str, params: dict[str, str], kind: str) -> list[dict[str, Any]]:
        operation = f"query {self.url}{path}"
        url = f"{self.url}{path}?{urllib.parse.urlencode(params)}"
        return self._check(self._open(urllib.request.Request(url), operation), operation, kind)

    def _open(self, request: urllib.request.Request, operation: str, *, answer: bool = True) -> Any:
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as resp:
                return json.load(resp) if answer else resp.read()
        except urllib.error.HTTPError as exc:
            # Why: a 4xx carries the store's own reason (a bad query); a 5xx may pass.
            detail = short(exc.read().decode("utf-8", "replace"))
            error = TransientError if exc.code >= 500 else PermanentError
            raise error(f"HTTP {exc.code}: {detail}", operation=operation, status=exc.code) from exc
        except urllib.error.URLError as exc:
            # Why: nothing there (refused, unknown host) or no answer: one line naming the
            # store and what to do, as for the API server and the cloud endpoint.
            raise connection_error(
                exc, operation, "metrics store", where=self.url, unanswered_too=True
            ) from exc
        except (OSError, ValueError) as exc:
            # Why: a connection cut mid-answer or a body that is not JSON (a proxy's page).
            raise TransientError(short(str(exc)), operation=operation) from exc

    def _check(self, body: Any, operation: str, kind: str) -> list[dict[str, Any]]:
        if not isinstance(body, dict) or body.get("status") != "success":
            said = body.get("error") if isinstance(body, dict) else None
            raise PermanentError(short(str(said or body)), operation=operation)
        result = body.get("data")
        if not isinstance(result, dict):
            raise PermanentError("the answer has no data", operation=operation)
        if result.get("resultType") != kind:
            raise PermanentError(
                f"expected a {kind}, the store answered a {result.get('resultType')}",
                operation=operation,
            )
        rows = result.get("result") or []
        return [r for r in rows if isinstance(r, dict)]
