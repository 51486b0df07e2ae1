"""`govcloud diff` as text or as Markdown for a pull-request comment."""

from __future__ import annotations

from infra.policy.changes import FleetChange

from .markdown import escape

__all__ = ["render_diff"]

_MARK = {"added": "+", "changed": "~", "removed": "-"}


def render_diff(change: FleetChange, *, base: str, markdown: bool) -> str:
    bullet = "- " if markdown else "  "
    lines = [f"### govcloud diff against `{base}`" if markdown else f"Changes against {base}:", ""]
    if not change.tenants:
        lines.append(f"{bullet}no tenant changes")
    for t in change.tenants:
        what = f" ({', '.join(t.fields)})" if t.fields else ""
        name = f"**{t.id}**" if markdown else t.id
        lines.append(f"{bullet}{_MARK[t.kind]} {name} {t.kind}{what}")
        lines.extend(f"{'  ' if markdown else '    '}- {escape(d)}" for d in t.details)
        lines.extend(f"{'  ' if markdown else '    '}- {escape(d)}" for d in t.quota_deltas)
    lines += ["", "**Capacity used** (before → after)" if markdown else "Capacity used:", ""]
    for before, after in change.capacity:
        lines.append(f"{bullet}{before.render()} → {after.render()}")
    for title, items in (
        ("New peerings", change.new_peerings),
        ("New operator grants", change.new_grants),
        ("Data requests satisfied", change.satisfied_requests),
        ("Pending data requests", change.pending_requests),
    ):
        if items:
            lines += ["", f"**{title}**" if markdown else f"{title}:", ""]
            lines.extend(f"{bullet}{escape(item)}" for item in items)
    return "\n".join(lines) + "\n"
