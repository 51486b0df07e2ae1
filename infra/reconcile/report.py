"""The drift report for auditors: text, JSON or Markdown."""

from __future__ import annotations

import json
from collections.abc import Sequence

from .repairs import Outcome

__all__ = ["render_drift"]


def _rows(outcomes: Sequence[Outcome]) -> list[dict[str, str]]:
    rows = []
    for out in outcomes:
        for diff in out.found:
            rows.append({"tenant": out.tenant, "aspect": diff.aspect, "change": diff.change,
                         "what": diff.describe()})
        for aspect, error in out.errors.items():
            rows.append({"tenant": out.tenant, "aspect": aspect, "change": "error",
                         "what": error})
    return rows


def render_drift(outcomes: Sequence[Outcome], fmt: str = "text") -> str:
    rows = _rows(outcomes)
    drifting = sorted({r["tenant"] for r in rows})
    if fmt == "json":
        return json.dumps({"format_version": 1, "tenants": len(outcomes),
                           "drifting": drifting, "differences": rows},
                          ensure_ascii=False, indent=2) + "\n"
    if fmt == "markdown":
        head = (f"## govcloud drift: {len(drifting)} of {len(outcomes)} tenants drift\n\n")
        if not rows:
            return head + "Every tenant's observed state matches its plan.\n"
        lines = ["| tenant | aspect | change | what |", "|---|---|---|---|"]
        pipe = "\\|"
        lines += [f"| {r['tenant']} | {r['aspect']} | {r['change']} | "
                  f"{r['what'].replace('|', pipe)} |" for r in rows]
        return head + "\n".join(lines) + "\n"
    if not rows:
        return f"no drift: {len(outcomes)} tenants match their plans\n"
    body = "\n".join(f"{r['tenant']:<14} {r['aspect']:<8} {r['change']:<10} {r['what']}"
                     for r in rows)
    return body + f"\n\n{len(drifting)} of {len(outcomes)} tenants drift\n"
