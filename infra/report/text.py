"""Plain text for a terminal, with colour when the stream is a TTY."""

from __future__ import annotations

from collections.abc import Sequence

from infra.i18n import N_, _
from infra.policy import Finding, Severity

from .summary import Summary

__all__ = ["headline", "render_text", "severity_label"]

_COLOURS = {Severity.error: "31", Severity.warning: "33", Severity.note: "36"}
_SEVERITY = {
    Severity.error: N_("error"),
    Severity.warning: N_("warning"),
    Severity.note: N_("note"),
}


def severity_label(severity: Severity) -> str:
    """error, warning or note in the user's language."""
    return _(_SEVERITY[severity])


def _paint(text: str, code: str, colour: bool) -> str:
    return f"\x1b[{code}m{text}\x1b[0m" if colour else text


def headline(summary: Summary) -> str:
    """``Summary.headline()`` in the user's language (the same words in English)."""
    c = summary.counts
    verdict = _("FAILED") if summary.failed else _("passed")
    context = (
        _(" in a fleet of {fleet}").format(fleet=summary.fleet)
        if summary.fleet and summary.fleet != summary.tenants
        else ""
    )
    hidden = (
        _("; {hidden} finding(s) about other tenants not shown").format(hidden=summary.hidden)
        if summary.hidden
        else ""
    )
    return _(
        "{tenants} tenant(s) checked{context} against {environment}: {verdict} — "
        "{errors} error(s), {warnings} warning(s), {notes} note(s){hidden}"
    ).format(
        tenants=summary.tenants,
        context=context,
        environment=summary.environment,
        verdict=verdict,
        errors=c["error"],
        warnings=c["warning"],
        notes=c["note"],
        hidden=hidden,
    )


def render_text(findings: Sequence[Finding], summary: Summary, *, colour: bool = False) -> str:
    lines = []
    for f in findings:
        label = _paint(f"{severity_label(f.severity)} {f.rule}", _COLOURS[f.severity], colour)
        lines.append(f"{f.location()}: {label} {f.message}")
        if f.related:
            lines.append(_("    involves: {files}").format(files=", ".join(f.related)))
        lines.append(_("    hint: {hint}").format(hint=f.hint))
    if lines:
        lines.append("")
    lines.append(_paint(headline(summary), "1", colour))
    lines.extend(
        _("  capacity: {usage}").format(usage=usage.render()) for usage in summary.capacity
    )
    return "\n".join(lines) + "\n"
