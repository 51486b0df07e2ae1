"""`govcloud diff` as text or as Markdown for a pull-request comment."""

from __future__ import annotations

from infra.i18n import N_, _
from infra.policy.changes import FleetChange

from .markdown import escape

__all__ = ["render_diff"]

_MARK = {"added": "+", "changed": "~", "removed": "-"}
_KIND = {"added": N_("added"), "changed": N_("changed"), "removed": N_("removed")}


def render_diff(change: FleetChange, *, base: str, markdown: bool) -> str:
    bullet = "- " if markdown else "  "
    lines = [
        _("### govcloud diff against `{base}`").format(base=base)
        if markdown
        else _("Changes against {base}:").format(base=base),
        "",
    ]
    if not change.tenants:
        lines.append(bullet + _("no tenant changes"))
    for t in change.tenants:
        what = f" ({', '.join(t.fields)})" if t.fields else ""
        name = f"**{t.id}**" if markdown else t.id
        lines.append(f"{bullet}{_MARK[t.kind]} {name} {_(_KIND[t.kind])}{what}")
        lines.extend(f"{'  ' if markdown else '    '}- {escape(d)}" for d in t.details)
        lines.extend(f"{'  ' if markdown else '    '}- {escape(d)}" for d in t.quota_deltas)
    lines += [
        "",
        _("**Capacity used** (before → after)") if markdown else _("Capacity used:"),
        "",
    ]
    for before, after in change.capacity:
        lines.append(f"{bullet}{before.render()} → {after.render()}")
    if change.region_capacity:
        lines += [
            "",
            _("**Capacity used per region** (before → after)")
            if markdown
            else _("Capacity used per region:"),
            "",
        ]
        for region, before, after in change.region_capacity:
            lines.append(f"{bullet}{region}: {before.render()} → {after.render()}")
    for title, heading, items in (
        (_("New peerings"), _("New peerings:"), change.new_peerings),
        (_("New operator grants"), _("New operator grants:"), change.new_grants),
        (_("Data requests satisfied"), _("Data requests satisfied:"), change.satisfied_requests),
        (_("Pending data requests"), _("Pending data requests:"), change.pending_requests),
    ):
        if items:
            lines += ["", f"**{title}**" if markdown else heading, ""]
            lines.extend(f"{bullet}{escape(item)}" for item in items)
    return "\n".join(lines) + "\n"
