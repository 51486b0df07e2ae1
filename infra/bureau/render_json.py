"""The report as JSON for other tools: every row, no truncation."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from decimal import Decimal
from enum import Enum
from typing import Any

from .report import BureauReport

__all__ = ["render_json"]


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        for name in ("fraction", "headroom", "share", "over", "rate", "total"):
            attr = getattr(type(value), name, None)
            if isinstance(attr, property):
                out[name] = _plain(getattr(value, name))
        return out
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Enum):
        return value.value
    return value


def render_json(report: BureauReport) -> str:
    return json.dumps(_plain(report), ensure_ascii=False, indent=2) + "\n"
