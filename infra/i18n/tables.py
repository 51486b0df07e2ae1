"""Plain text columns that stay aligned with Chinese text (two cells per wide character).

Here, below every layer that prints a table (the CLI, the drift and audit reports)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

__all__ = ["columns", "width"]


def width(text: str) -> int:
    """Terminal cells ``text`` takes: wide and full-width characters count twice."""
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1 for ch in text)


def columns(header: Sequence[str], rows: Sequence[Sequence[str]], gap: int = 2) -> str:
    """Left-aligned columns; the last column is not padded."""
    table = [list(header), *(list(r) for r in rows)]
    widths = [max(width(r[i]) for r in table) for i in range(len(header))]
    lines = []
    for row in table:
        cells = [
            cell + " " * (widths[i] - width(cell) + gap) if i < len(row) - 1 else cell
            for i, cell in enumerate(row)
        ]
        lines.append("".join(cells).rstrip())
    return "\n".join(lines) + "\n"
