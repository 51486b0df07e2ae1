"""Markdown for a pull-request comment or a job summary."""

from __future__ import annotations

from collections.abc import Sequence

from infra.policy import Finding, Severity

from .summary import Summary

__all__ = ["escape", "render_markdown"]

_ICON = {Severity.error: "❌", Severity.warning: "⚠️", Severity.note: "ℹ️"}


def escape(text: str) -> str:
    """Keep table cells intact: pipes and newlines would break the row."""
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(findings: Sequence[Finding], summary: Summary) -> str:
    icon = "❌" if summary.counts["error"] else "✅"
    lines = [f"### {icon} govcloud check", "", summary.headline(), ""]
    if findings:
        lines += ["| | Rule | Location | Problem | How to fix |", "|---|---|---|---|---|"]
        for f in findings:
            where = f"`{f.location()}`"
            lines.append(f"| {_ICON[f.severity]} | {f.rule} {f.name} | {where} | "
                         f"{escape(f.message)} | {escape(f.hint)} |")
        lines.append("")
    if summary.capacity:
        lines += ["**Capacity used**", ""] + [f"- {u}" for u in summary.capacity] + [""]
    return "\n".join(lines)
