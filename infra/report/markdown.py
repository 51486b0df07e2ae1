"""Markdown for a pull-request comment or a job summary: findings grouped per tenant.

Groups with errors come first; inside a group, errors before warnings before notes. Each
location links to its file and line: relative links by default, or under ``link_base``
(e.g. ``https://github.com/OWNER/REPO/blob/SHA``) where relative links do not resolve, as in
a pull-request comment.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import PurePath
from urllib.parse import quote

from infra.i18n import N_, _
from infra.policy import Finding, Severity
from infra.spec.quantity import format_quantity

from .summary import Summary
from .text import headline, severity_label

__all__ = ["escape", "group_by_tenant", "render_markdown"]

_ICON = {Severity.error: "❌", Severity.warning: "⚠️", Severity.note: "ℹ️"}
_RANK = {Severity.error: 0, Severity.warning: 1, Severity.note: 2}
FLEET = N_("fleet totals")


def escape(text: str) -> str:
    """Keep table cells intact: pipes and newlines would break the row."""
    return text.replace("|", "\\|").replace("\n", " ")


def group_by_tenant(findings: Sequence[Finding]) -> list[tuple[str, list[Finding]]]:
    """(tenant id, its findings) with the worst groups first, each group worst first."""
    groups: dict[str, list[Finding]] = defaultdict(list)
    for f in findings:
        groups[f.tenant or FLEET].append(f)
    for items in groups.values():
        items.sort(key=lambda f: (_RANK[f.severity], f.line or 0, f.rule))
    return sorted(groups.items(), key=lambda g: (_RANK[g[1][0].severity], g[0] != FLEET, g[0]))


def _link(path: str, line: int | None, base: str | None, text: str | None = None) -> str:
    target = quote(PurePath(path).as_posix())
    if base:
        target = f"{base.rstrip('/')}/{target.lstrip('/')}"
    if line is not None:
        target += f"#L{line}"
    label = text or (f"{path}:{line}" if line is not None else path)
    return f"[{escape(label)}]({target})"


def _row(f: Finding, base: str | None) -> str:
    label = _("line {line}").format(line=f.line) if f.line else _("file")
    where = _link(f.path, f.line, base, label) if f.path else ""
    field = f" `{f.field}`" if f.field else ""
    problem = escape(f.message)
    if f.related:
        problem += _(" (involves {tenants})").format(
            tenants=", ".join(_link(p, None, base, PurePath(p).stem) for p in f.related)
        )
    return (
        f"| {_ICON[f.severity]} {severity_label(f.severity)} | {f.rule} {f.name} | "
        f"{where}{field} | {problem} | {escape(f.hint)} |"
    )


def render_markdown(
    findings: Sequence[Finding], summary: Summary, *, link_base: str | None = None
) -> str:
    icon = "❌" if summary.failed else "✅"
    lines = [f"### {icon} govcloud check", "", headline(summary), ""]
    for tenant, items in group_by_tenant(findings):
        path = items[0].path
        shown = _(FLEET) if tenant == FLEET else tenant
        title = f"{_ICON[items[0].severity]} **{escape(shown)}**"
        if path:
            title += f" — {_link(path, None, link_base)}"
        lines += [
            f"#### {title}",
            "",
            _("| | Rule | Where | Problem | How to fix |"),
            "|---|---|---|---|---|",
        ]
        lines += [_row(f, link_base) for f in items]
        lines.append("")
    clean = [PurePath(p).stem for p in summary.clean_files(findings)]
    if clean:
        lines += [_("✅ No findings: {tenants}").format(tenants=", ".join(clean)), ""]
    if summary.capacity:
        lines += [
            _("**Capacity used** (all tenants of the fleet)"),
            "",
            _("| Resource | Used | Total | |"),
            "|---|---|---|---|",
        ]
        for u in summary.capacity:
            binary = u.unit == "bytes"
            lines.append(
                f"| {u.resource} | {format_quantity(u.used, binary=binary)} | "
                f"{format_quantity(u.available, binary=binary)} | "
                f"{u.fraction:.0%}{' ❌' if u.over else ''} |"
            )
        lines.append("")
    return "\n".join(lines)
