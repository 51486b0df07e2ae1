"""The drift report for auditors: text, JSON or Markdown, and its exit code.

Drift is what was observed to differ from the plan. What could not be observed (a cloud
endpoint that cannot be reached) is not drift: it is listed as not checked, and makes the
report incomplete. Approved tenants without a Tenant object are listed as not deployed.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from infra.i18n import N_, _, ngettext
from infra.i18n.tables import columns

from .platform import PLATFORM
from .repairs import Outcome

__all__ = ["DRIFT", "INCOMPLETE", "NO_DRIFT", "drift_exit_code", "render_drift"]

NO_DRIFT, DRIFT, INCOMPLETE = 0, 1, 3  # 2: the check could not run (the command says so)


def drift_exit_code(outcomes: Sequence[Outcome]) -> int:
    """1 when anything drifts (whatever else could not be checked), else 3 when something
    could not be checked, else 0."""
    if any(o.found or o.errors for o in outcomes):
        return DRIFT
    return INCOMPLETE if any(o.unknown for o in outcomes) else NO_DRIFT


# Words of the text and Markdown report (JSON keeps the English keys and values).
_WORDS = {
    "quota": N_("quota"),
    "network": N_("network"),
    "access": N_("access"),
    "cloud": N_("cloud"),
    "record": N_("record"),
    "missing": N_("missing"),
    "changed": N_("changed"),
    "unexpected": N_("unexpected"),
    "error": N_("error"),
}


def _word(value: str) -> str:
    return _(_WORDS[value]) if value in _WORDS else value


def _rows(outcomes: Sequence[Outcome]) -> list[dict[str, str]]:
    rows = []
    for out in outcomes:
        for diff in out.found:
            rows.append(
                {
                    "tenant": out.tenant,
                    "aspect": diff.aspect,
                    "change": diff.change,
                    "what": diff.describe(_),
                }
            )
        for aspect, error in out.errors.items():
            rows.append({"tenant": out.tenant, "aspect": aspect, "change": "error", "what": error})
    return rows


def _unchecked(outcomes: Sequence[Outcome]) -> list[dict[str, str]]:
    return [
        {"tenant": out.tenant, "aspect": aspect, "reason": reason, "why": why}
        for out in outcomes
        for aspect, (reason, why) in out.unknown.items()
    ]


def _unchecked_lines(unchecked: list[dict[str, str]]) -> list[str]:
    """One line per cause, naming the tenants it kept from being checked."""
    by_why: dict[tuple[str, str], list[str]] = {}
    for row in unchecked:
        by_why.setdefault((row["aspect"], row["why"]), []).append(row["tenant"])
    return [
        _("not checked: {aspect} of {count} tenant(s) ({tenants}): {why}").format(
            aspect=_word(aspect), count=len(tenants), tenants=", ".join(tenants), why=why
        )
        for (aspect, why), tenants in by_why.items()
    ]


def render_drift(
    outcomes: Sequence[Outcome], fmt: str = "text", *, not_deployed: Sequence[str] = ()
) -> str:
    rows = _rows(outcomes)
    unchecked = _unchecked(outcomes)
    drifting = sorted({r["tenant"] for r in rows})
    tenants = sum(o.tenant != PLATFORM for o in outcomes)  # the platform is no tenant
    if fmt == "json":
        return (
            json.dumps(
                {
                    "format_version": 1,
                    "tenants": tenants,
                    "drifting": drifting,
                    "differences": rows,
                    "complete": not unchecked,
                    "not_checked": unchecked,
                    "not_deployed": list(not_deployed),
                },
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        )
    notes = _unchecked_lines(unchecked)
    if not_deployed:
        notes.append(
            _("not deployed (no Tenant object yet): {tenants}").format(
                tenants=", ".join(not_deployed)
            )
        )
    if fmt == "markdown":
        return _markdown(rows, notes, drifting=len(drifting), tenants=tenants)
    tail = "".join(f"{n}\n" for n in notes)
    if not rows and unchecked:
        return (
            _(
                "no drift in what could be checked ({count} tenants); the check is incomplete"
            ).format(count=tenants)
            + "\n"
            + tail
        )
    if not rows:
        return _clean(tenants) + "\n" + tail
    body = columns(
        [_("tenant"), _("aspect"), _("change"), _("what")],
        [[r["tenant"], _word(r["aspect"]), _word(r["change"]), r["what"]] for r in rows],
    )
    return body + "\n" + _drifting(len(drifting), tenants) + "\n" + tail


def _clean(tenants: int) -> str:
    return ngettext(
        "no drift: {count} tenant matches its plan",
        "no drift: {count} tenants match their plans",
        tenants,
    ).format(count=tenants)


def _drifting(drifting: int, tenants: int) -> str:
    return ngettext(
        "{drifting} of {count} tenant drifts", "{drifting} of {count} tenants drift", tenants
    ).format(drifting=drifting, count=tenants)


def _markdown(rows: list[dict[str, str]], notes: list[str], *, drifting: int, tenants: int) -> str:
    head = (
        "## " + _("govcloud drift: {summary}").format(summary=_drifting(drifting, tenants)) + "\n\n"
    )
    title = _("Not checked, not deployed")
    tail = "".join(f"- {n}\n" for n in notes)
    tail = f"\n### {title}\n\n{tail}" if tail else ""
    if not rows:
        return head + _("Every tenant's observed state matches its plan.") + "\n" + tail
    header = [_("tenant"), _("aspect"), _("change"), _("what")]
    lines = ["| " + " | ".join(header) + " |", "|---|---|---|---|"]
    pipe = "\\|"
    lines += [
        f"| {r['tenant']} | {_word(r['aspect'])} | {_word(r['change'])} | "
        f"{r['what'].replace('|', pipe)} |"
        for r in rows
    ]
    return head + "\n".join(lines) + "\n" + tail
