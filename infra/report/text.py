"""Plain text for a terminal, with colour when the stream is a TTY."""

from __future__ import annotations

from collections.abc import Sequence

from infra.policy import Finding, Severity

from .summary import Summary

__all__ = ["render_text"]

_COLOURS = {Severity.error: "31", Severity.warning: "33", Severity.note: "36"}


def _paint(text: str, code: str, colour: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if colour else text


def render_text(findings: Sequence[Finding], summary: Summary, *, colour: bool = False) -> str:
    lines = []
    for f in findings:
        label = _paint(f"{f.severity.value} {f.rule}", _COLOURS[f.severity], colour)
        lines.append(f"{f.location()}: {label} {f.message}")
        if f.related:
            lines.append(f"    involves: {', '.join(f.related)}")
        lines.append(f"    hint: {f.hint}")
    if lines:
        lines.append("")
    lines.append(_paint(summary.headline(), "1", colour))
    lines.extend(f"  capacity: {usage.render()}" for usage in summary.capacity)
    return "\n".join(lines) + "\n"
