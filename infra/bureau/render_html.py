"""The report as one self-contained HTML page: inline CSS, charts as embedded SVG images.

Nothing is fetched when the page is viewed (no scripts, fonts or stylesheets from elsewhere),
so it can be mailed, archived or opened offline.
"""

from __future__ import annotations

import base64
import html
import re

from .charts import bar_chart
from .document import Block, Chart, Heading, Table, Text, blocks
from .report import BureauReport

__all__ = ["render_html"]

_CSS = """
body { font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif;
       margin: 2rem auto; max-width: 1100px; color: #1a202c; line-height: 1.5; padding: 0 1rem; }
h1 { border-bottom: 3px solid #2b6cb0; padding-bottom: .3rem; }
h2 { margin-top: 2.5rem; border-bottom: 1px solid #cbd5e0; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .9rem; }
th, td { border: 1px solid #e2e8f0; padding: .25rem .6rem; text-align: left; }
th { background: #edf2f7; }
tr:nth-child(even) td { background: #f7fafc; }
figure.chart { margin: 1rem 0; }
figure.chart img { max-width: 100%; }
code { background: #edf2f7; padding: 0 .2rem; }
strong { color: #9b2c2c; }
"""


def _inline(text: str) -> str:
    escaped = html.escape(text)
    escaped = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", escaped)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", escaped)


def _table(table: Table) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in table.header)
    rows = "".join(
        "<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in row) + "</tr>" for row in table.rows
    )
    more = f"<p>… and {table.more} more (see <code>--format json</code>)</p>" if table.more else ""
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{more}"


def _chart(chart: Chart) -> str:
    if not chart.bars:
        return ""
    svg = bar_chart(chart.title, chart.bars, limit=chart.limit, limit_label=chart.limit_label)
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    title = html.escape(chart.title)
    return (
        f'<figure class="chart" data-chart="{chart.key}">'
        f'<img alt="{title}" src="data:image/svg+xml;base64,{data}"></figure>'
    )


def _block(block: Block) -> str:
    if isinstance(block, Heading):
        return f"<h{block.level}>{html.escape(block.text)}</h{block.level}>"
    if isinstance(block, Text):
        return f"<p>{_inline(block.text)}</p>"
    if isinstance(block, Table):
        return _table(block)
    return _chart(block)


def render_html(report: BureauReport) -> str:
    body = "\n".join(part for b in blocks(report) if (part := _block(b)))
    title = html.escape(f"govcloud report — {report.env}, {report.today}")
    return (
        f'<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{title}</title>\n<style>{_CSS}</style>\n</head>\n<body>\n{body}\n"
        "</body>\n</html>\n"
    )
