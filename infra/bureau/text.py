"""Formatting shared by the renderers: percentages, money, truncated lists, table rows."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TypeVar

from .capacity import Allocation
from .sharing import Rate

__all__ = ["LIMIT", "alloc_row", "cny", "days", "pct", "rate_row", "shown"]

LIMIT = 50  # rows per table; JSON has everything
T = TypeVar("T")


def pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


def cny(value: Decimal | int) -> str:
    return f"{value:,.0f}"


def days(value: float | None) -> str:
    return "—" if value is None else f"{value:g}"


def shown(items: list[T], limit: int = LIMIT) -> tuple[list[T], int]:
    """The first ``limit`` items and how many were left out."""
    return items[:limit], max(0, len(items) - limit)


def alloc_row(label: str, allocations: list[Allocation]) -> list[str]:
    cells = [label]
    for a in allocations:
        cap = f" / {a.amount(a.available)} ({pct(a.fraction)})" if a.available else ""
        cells.append(a.amount(a.allocated) + cap)
    return cells


def rate_row(rate: Rate, label: str) -> list[str]:
    return [
        label,
        str(rate.received),
        str(rate.satisfied),
        pct(rate.rate),
        days(rate.median_days),
        str(rate.pending),
    ]


def date(value: dt.date | None) -> str:
    return "—" if value is None else value.isoformat()
