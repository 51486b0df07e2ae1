"""Charts for the HTML report, drawn by matplotlib into standalone SVG documents.

Text is stored as glyph outlines (``svg.fonttype: path``), so Chinese labels look the same
in any browser without fonts or network at view time; drawing them needs a CJK font here
(Debian: fonts-noto-cjk). Output is deterministic (fixed hash salt, no date metadata).
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.font_manager import FontManager

__all__ = ["CJK_FONTS", "Bar", "bar_chart", "cjk_font"]

CJK_FONTS = ("Noto Sans CJK SC", "Noto Sans CJK JP", "WenQuanYi Zen Hei", "Source Han Sans SC")
_BLUE, _RED, _GREY = "#2b6cb0", "#c53030", "#718096"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # a fraction: 1.0 is 100 %
    alert: bool = False


def cjk_font() -> str | None:
    """The first installed font family that has Chinese glyphs, if any."""
    from matplotlib import font_manager

    manager = font_manager.fontManager
    found = _first_cjk(manager)
    if found is None and _add_fonts_installed_since_the_cache(manager):
        found = _first_cjk(manager)
    return found


def _first_cjk(manager: FontManager) -> str | None:
    installed = {f.name for f in manager.ttflist}
    return next((name for name in CJK_FONTS if name in installed), None)


def _add_fonts_installed_since_the_cache(manager: FontManager) -> bool:
    """matplotlib lists the system's fonts once and keeps the list in a cache file: a font
    installed after that (fonts-noto-cjk after a first run) is not in it. Add the font files
    it does not know and save the list for the next process; True if there were any."""
    import matplotlib
    from matplotlib import font_manager

    known = {f.fname for f in manager.ttflist}
    new = [path for path in font_manager.findSystemFonts() if path not in known]
    for path in new:
        # Why: a font file FreeType cannot read is skipped, as matplotlib's own scan does.
        with contextlib.suppress(OSError, RuntimeError, ValueError):
            manager.addfont(path)
    if new:  # (a cache that cannot be written is only a warning: the next process scans)
        font_manager.json_dump(
            manager, Path(matplotlib.get_cachedir(), f"fontlist-v{manager.__version__}.json")
        )
    return bool(new)


def bar_chart(
    title: str, bars: Sequence[Bar], *, limit: float | None = 1.0, limit_label: str = "100%"
) -> str:
    """A horizontal bar chart of fractions as an SVG document (first bar on top)."""
    from matplotlib import rc_context
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

    font = cjk_font()
    families = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    with rc_context(
        {
            "svg.fonttype": "path",
            "svg.hashsalt": "govcloud",
            "font.size": 9,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "font.family": families,
        }
    ):
        height = 1.0 + 0.28 * max(len(bars), 1)
        fig = Figure(figsize=(7.5, height), layout="constrained")
        ax = fig.add_subplot()
        labels = [b.label for b in reversed(bars)]
        values = [100 * b.value for b in reversed(bars)]
        colours = [_RED if b.alert else _BLUE for b in reversed(bars)]
        ax.barh(labels, values, color=colours, height=0.6)
        for y, value in enumerate(values):
            ax.annotate(
                f"{value:.0f}%",
                (value, y),
                xytext=(3, 0),
                textcoords="offset points",
                va="center",
                fontsize=8,
                color=_GREY,
            )
        if limit is not None:
            ax.axvline(100 * limit, color=_GREY, linestyle="--", linewidth=1)
            ax.annotate(
                limit_label,
                (100 * limit, 1.0),
                xycoords=("data", "axes fraction"),
                xytext=(2, 2),
                textcoords="offset points",
                fontsize=8,
                color=_GREY,
            )
        top = max([*values, 100 * (limit or 0), 1.0])
        ax.set_xlim(0, top * 1.15)
        ax.xaxis.set_major_formatter(PercentFormatter())
        ax.set_title(title, loc="left", fontsize=11)
        if not bars:
            ax.text(0.5, 0.5, "—", transform=ax.transAxes, ha="center")
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
