"""The report's building blocks (headings, text, tables, charts, the summary) that the
Markdown and HTML renderers both walk, so the two formats always say the same thing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .charts import Bar

__all__ = ["Block", "Chart", "Heading", "Summary", "Table", "Text"]


@dataclass(frozen=True)
class Heading:
    level: int
    text: str
    anchor: str = ""  # an id the summary links to


@dataclass(frozen=True)
class Text:
    text: str  # **bold** and `code` are the only markup
    note: bool = False  # a definition or footnote, set smaller


@dataclass(frozen=True)
class Table:
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    more: int = 0


@dataclass(frozen=True)
class Summary:
    """The first screen: one line per figure, (label, value, section anchor, alert)."""

    rows: Sequence[tuple[str, str, str, bool]]


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    bars: Sequence[Bar]
    limit: float | None = 1.0
    limit_label: str = "100%"
    pie: Sequence[tuple[str, float]] = field(default_factory=tuple)  # Markdown: a pie chart


Block = Heading | Text | Table | Summary | Chart
