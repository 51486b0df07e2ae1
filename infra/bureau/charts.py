"""Charts for the HTML report, drawn by matplotlib into standalone SVG documents.

Text is stored as glyph outlines (``svg.fonttype: path``), so Chinese labels look the same
in any browser without fonts or network at view time. The outlines come from Noto Sans CJK
SC, shipped with govcloud's own dependencies (the ``noto-cjk-sans-otc`` package) and handed
to matplotlib by file: nothing depends on the machine's fonts or on matplotlib's font cache.
The chart's title is the page's caption, not part of the drawing, so no label can sit on it.
Output is deterministic (fixed hash salt, no date metadata).
"""

from __future__ import annotations

import functools
import io
from collections.abc import Sequence
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure
    from matplotlib.typing import RcKeyType

__all__ = ["CJK_FONT", "Bar", "bar_chart", "bar_figure", "chart_style", "cjk_font"]

CJK_FONT = "Noto Sans CJK SC"
_FONT_PACKAGE, _FONT_FILE = "noto_cjk_sans_otc", "NotoSansCJK-Regular.ttc"
_BLUE, _RED, _GREY = "#2b6cb0", "#c53030", "#718096"


@dataclass(frozen=True)
class Bar:
    label: str
    value: float  # a fraction: 1.0 is 100 %
    alert: bool = False


@functools.cache
def cjk_font() -> str:
    """The family the charts draw Chinese with, registered from the packaged font file
    (every face of the collection: SC, TC, JP, KR) in this process only."""
    from matplotlib import font_manager

    manager = font_manager.fontManager
    known = len(manager.ttflist)
    with resources.as_file(resources.files(_FONT_PACKAGE) / _FONT_FILE) as path:
        manager.addfont(path)  # (clears matplotlib's lookup cache)
    # First in the list: matplotlib takes the first of equally good matches, so a copy of the
    # same family installed on the machine (fonts-noto-cjk) is never used instead.
    manager.ttflist[:] = manager.ttflist[known:] + manager.ttflist[:known]
    return CJK_FONT


def bar_figure(
    bars: Sequence[Bar], *, limit: float | None = 1.0, limit_label: str = "100%"
) -> Figure:
    """A horizontal bar chart of fractions (first bar on top). Build and draw it inside
    ``rc_context(chart_style())``."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import PercentFormatter

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
    if not bars:
        ax.text(0.5, 0.5, "—", transform=ax.transAxes, ha="center")
    return fig


def chart_style() -> dict[RcKeyType, Any]:
    """The rc settings every chart is drawn with (the packaged CJK font first)."""
    return {
        "svg.fonttype": "path",
        "svg.hashsalt": "govcloud",
        "font.size": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "font.family": [cjk_font(), "DejaVu Sans"],
    }


def bar_chart(bars: Sequence[Bar], *, limit: float | None = 1.0, limit_label: str = "100%") -> str:
    """:func:`bar_figure` as an SVG document."""
    from matplotlib import rc_context

    with rc_context(chart_style()):
        fig = bar_figure(bars, limit=limit, limit_label=limit_label)
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
