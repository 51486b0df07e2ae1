"""The report as Markdown: tables and Mermaid charts (GitHub renders both)."""

from __future__ import annotations

from infra.i18n import _

from .blocks import Block, Chart, Heading, Summary, Table, Text
from .document import blocks
from .report import BureauReport

__all__ = ["render_markdown"]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _label(text: str) -> str:
    return text.replace('"', "'")


def _table(table: Table) -> list[str]:
    out = ["| " + " | ".join(table.header) + " |", "|" + "---|" * len(table.header)]
    out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    if table.more:
        out += ["", _("… and {n} more (see `--format json`)").format(n=table.more)]
    return out


def _summary(summary: Summary) -> list[str]:
    item, status = _("item"), _("status")
    out = [f"| {item} | {status} |", "|---|---|"]
    for label, value, _anchor, alert in summary.rows:
        name = f"**{_cell(label)}**" if alert else _cell(label)
        out.append(f"| {name} | {_cell(value)} |")
    return out


def _chart(chart: Chart) -> list[str]:
    if chart.pie:
        body = [f'    "{_label(k)}" : {v:.2f}' for k, v in chart.pie if v > 0]
        return ["```mermaid", f"pie showData title {_label(chart.title)}", *body, "```"]
    if not chart.bars:
        return []
    labels = ", ".join(f'"{_label(b.label)}"' for b in chart.bars)
    values = ", ".join(f"{100 * b.value:.0f}" for b in chart.bars)
    top = max(100, *(int(100 * b.value) + 1 for b in chart.bars))
    return [
        "```mermaid",
        "xychart-beta horizontal",
        f'    title "{_label(chart.title)}"',
        f"    x-axis [{labels}]",
        f'    y-axis "%" 0 --> {top}',
        f"    bar [{values}]",
        "```",
    ]


def _block(block: Block) -> list[str]:
    if isinstance(block, Heading):
        return ["#" * block.level + " " + block.text]
    if isinstance(block, Text):
        return [block.text]
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Summary):
        return _summary(block)
    return _chart(block)


def render_markdown(report: BureauReport) -> str:
    lines: list[str] = []
    for block in blocks(report):
        rendered = _block(block)
        if rendered:
            lines += [*rendered, ""]
    return "\n".join(lines).rstrip() + "\n"
