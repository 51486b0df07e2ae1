"""Reports of policy findings: text, JSON, SARIF 2.1.0, JUnit XML and Markdown."""

from __future__ import annotations

from collections.abc import Sequence

from infra.policy import Finding

from .json_report import render_json
from .junit import render_junit
from .markdown import render_markdown
from .sarif import render_sarif
from .summary import Summary
from .text import render_text

__all__ = ["FORMATS", "Summary", "render"]

FORMATS = ("text", "json", "sarif", "junit", "markdown")


def render(
    fmt: str,
    findings: Sequence[Finding],
    summary: Summary,
    *,
    colour: bool = False,
    link_base: str | None = None,
) -> str:
    """One renderer per format; every format gets the same findings and summary."""
    if fmt == "text":
        return render_text(findings, summary, colour=colour)
    if fmt == "json":
        return render_json(findings, summary)
    if fmt == "sarif":
        return render_sarif(findings, summary)
    if fmt == "junit":
        return render_junit(findings, summary)
    if fmt == "markdown":
        return render_markdown(findings, summary, link_base=link_base)
    raise ValueError(f"unknown format {fmt!r}")
