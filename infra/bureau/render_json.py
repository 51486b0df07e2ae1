"""The report as JSON for other tools: every row, no truncation."""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
from decimal import Decimal
from enum import Enum
from typing import Any

from .report import BureauReport

__all__ = ["render_json"]


_DERIVED = (
    "fraction",
    "headroom",
    "share",
    "over",
    "rate",
    "total",
    "metered_total",
    "levels",
    "commercial",
)


@functools.cache
def _names(cls: type) -> tuple[str, ...]:
    """Fields, then the derived values a reader wants without recomputing them."""
    fields = tuple(f.name for f in dataclasses.fields(cls))
    return fields + tuple(n for n in _DERIVED if isinstance(getattr(cls, n, None), property))


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: _plain(getattr(value, name)) for name in _names(type(value))}
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.timedelta):  # a window or a span of history: in seconds
        return int(value.total_seconds())
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def render_json(report: BureauReport) -> str:
    return json.dumps(_plain(report), ensure_ascii=False, indent=2) + "\n"
