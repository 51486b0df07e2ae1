"""The report as one self-contained HTML page: inline CSS, charts as embedded SVG images.

Nothing is fetched when the page is viewed (no scripts, fonts or stylesheets from elsewhere),
so it can be mailed, archived or opened offline. The summary comes first and fits one
screen; each of its lines links to the section below that has the detail.
"""

from __future__ import annotations

import base64
import html
import re

from infra.i18n import _, current_language

from .blocks import Block, Chart, Heading, Summary, Table, Text
from .charts import bar_chart
from .document import blocks, title
from .report import BureauReport

__all__ = ["render_html"]

_CSS = """
body { font-family: "Noto Sans CJK SC", "PingFang SC", "Microsoft YaHei", sans-serif;
       margin: 1rem auto; max-width: 1100px; color: #1a202c; line-height: 1.5; padding: 0 1rem; }
h1 { border-bottom: 3px solid #2b6cb0; padding-bottom: .3rem; margin: .5rem 0; font-size: 1.6rem; }
h2 { margin-top: 2.5rem; border-bottom: 1px solid #cbd5e0; }
h2#summary { margin-top: 1rem; }
table { border-collapse: collapse; margin: .8rem 0; font-size: .9rem; }
th, td { border: 1px solid #e2e8f0; padding: .25rem .6rem; text-align: left; }
th { background: #edf2f7; }
tr:nth-child(even) td { background: #f7fafc; }
table.summary { width: 100%; font-size: 1rem; }
table.summary th { width: 16rem; white-space: nowrap; }
table.summary tr.alert th { border-left: 4px solid #c53030; }
p.definition { font-size: .85rem; color: #4a5568; margin: .3rem 0; }
figure.chart { margin: 1rem 0; }
figure.chart figcaption { font-weight: bold; margin-bottom: .3rem; }
figure.chart img { max-width: 100%; display: block; }
code { background: #edf2f7; padding: 0 .2rem; }
strong { color: #9b2c2c; }
a { color: inherit; }
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
    more = (
        "<p>" + _inline(_("… and {n} more (see `--format json`)").format(n=table.more)) + "</p>"
        if table.more
        else ""
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>{more}"


def _summary(summary: Summary) -> str:
    rows = []
    for label, value, anchor, alert in summary.rows:
        name = html.escape(label)
        if anchor:
            name = f'<a href="#{anchor}">{name}</a>'
        css = ' class="alert"' if alert else ""
        rows.append(f"<tr{css}><th>{name}</th><td>{_inline(value)}</td></tr>")
    return f'<table class="summary"><tbody>{"".join(rows)}</tbody></table>'


def _chart(chart: Chart) -> str:
    if not chart.bars:
        return ""
    svg = bar_chart(chart.bars, limit=chart.limit, limit_label=chart.limit_label)
    data = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    caption = html.escape(chart.title)
    return (
        f'<figure class="chart" data-chart="{chart.key}"><figcaption>{caption}</figcaption>'
        f'<img alt="{caption}" src="data:image/svg+xml;base64,{data}"></figure>'
    )


def _block(block: Block) -> str:
    if isinstance(block, Heading):
        anchor = f' id="{block.anchor}"' if block.anchor else ""
        return f"<h{block.level}{anchor}>{html.escape(block.text)}</h{block.level}>"
    if isinstance(block, Text):
        css = ' class="definition"' if block.note else ""
        return f"<p{css}>{_inline(block.text)}</p>"
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Summary):
        return _summary(block)
    return _chart(block)


def render_html(report: BureauReport) -> str:
    body = "\n".join(part for b in blocks(report) if (part := _block(b)))
    lang = "zh-CN" if current_language() == "zh" else "en"
    return (
        f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
        f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{html.escape(title(report))}</title>\n<style>{_CSS}</style>\n</head>\n"
        f"<body>\n{body}\n</body>\n</html>\n"
    )
