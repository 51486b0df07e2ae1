"""The first screen of the report: the figures a bureau director asks for, each one line,
with what "satisfied" and a request's age mean stated under them. Every figure whose input
the report was not given says "not available" and how to provide it."""

from __future__ import annotations

from decimal import Decimal

from infra.i18n import N_, _, current_language

from .blocks import Block, Heading, Summary, Text
from .report import BureauReport
from .text import cny, pct

__all__ = ["AGE_DEFINITION", "KPI_DEFINITION", "summary"]

KPI_DEFINITION = N_(
    "**数据需求满足率**: of the data requests received in the period and not withdrawn, the "
    "share satisfied. A request is received on the day it first landed on the main line (its "
    "`requested` date when there is no git history) and satisfied once both departments "
    "declare the mutual peering in `network.peers` citing the same data-sharing agreement; a "
    "request withdrawn before that counts in neither number."
)
AGE_DEFINITION = N_(
    "**Age of a request**: whole days from the `requested` date in the requesting "
    "department's spec to the report's date ({today}, Beijing time); the pull-request "
    "check counts the same way."
)
_FEW = 3  # names listed in a summary line before "…"


def _then(first: str, then: str) -> str:
    """Two clauses of one summary line, with the language's semicolon."""
    return first + ("；" if current_language() == "zh" else "; ") + then


def _names(items: list[str]) -> str:
    return ", ".join(items[:_FEW]) + (", …" if len(items) > _FEW else "")


def _not_available(how: str) -> str:
    return _("not available: {how}").format(how=how)


def _capacity(r: BureauReport) -> list[tuple[str, str, str, bool]]:
    shares = {a.resource: a.fraction for a in r.capacity.total if a.fraction is not None}
    allocated = _("CPU {cpu}, memory {memory}, storage {storage} of capacity × overcommit").format(
        cpu=pct(shares.get("cpu")),
        memory=pct(shares.get("memory")),
        storage=pct(shares.get("storage")),
    )
    rows = [(_("Capacity allocated"), allocated, "capacity", any(v > 1 for v in shares.values()))]
    usage = r.usage
    if usage is None:
        used = _not_available(_("run with `--live` to read ResourceQuota use"))
    else:
        available = {a.resource: a.available for a in r.capacity.total}

        def share(resource: str) -> str:
            cap = available.get(resource)
            total = sum((u.used.get(resource, Decimal(0)) for u in usage.tenants), Decimal(0))
            return pct(float(total / cap) if cap else None)

        used = _("CPU {cpu}, memory {memory} of capacity × overcommit (live)").format(
            cpu=share("cpu"), memory=share("memory")
        )
    rows.append((_("Capacity in use"), used, "usage", False))
    return rows


def _cost(r: BureauReport) -> tuple[str, str, str, bool]:
    label = _("Cost against budget")
    cost = r.cost
    if not cost.priced:
        how = _("no price catalogue (`prices:`) in stacks/{env}.yaml").format(env=r.env)
        return (label, _not_available(how), "cost", False)
    share = pct(float(cost.total / cost.budget) if cost.budget else None)
    over = [c.tenant for c in cost.over]
    text = _("{cost} CNY a year against budgets of {budget} CNY ({share})").format(
        cost=cny(cost.total), budget=cny(cost.budget), share=share
    )
    if over:
        over_text = _("{n} department(s) over budget: {names}")
        text = _then(text, over_text.format(n=len(over), names=_names(over)))
    return (label, text, "cost", bool(over))


def _sharing(r: BureauReport) -> tuple[str, str, str, bool]:
    s = r.sharing
    pending = [x for x in s.requests if x.status.value == "pending"]
    text = _("{rate} ({satisfied} of {received} received {since} – {until})").format(
        rate=pct(s.province.rate),
        satisfied=s.province.satisfied,
        received=s.province.received,
        since=s.since,
        until=s.until,
    )
    if pending:
        oldest = max(x.age(r.today) for x in pending)
        pending_text = _("{n} pending, the oldest {days} days").format(n=len(pending), days=oldest)
        text = _then(text, pending_text)
    return (_("数据需求满足率 (data requests satisfied)"), text, "sharing", False)


def _grants(r: BureauReport) -> tuple[str, str, str, bool]:
    soon = r.access.expiring_30
    if soon:
        names = _names([f"{g.tenant} {g.group} ({g.expires})" for g in soon])
        text = _("**{n}**: {names}").format(n=len(soon), names=names)
    else:
        text = _("none")
    if r.access.expired:
        text = _then(text, _("{n} expired and still in specs").format(n=len(r.access.expired)))
    return (_("Authorizations expiring within 30 days"), text, "access", bool(soon))


def _reclaim(r: BureauReport) -> tuple[str, str, str, bool]:
    leaving = r.access.offboarding
    due = r.destructions.due  # retention ended, and no record of destruction (if read)
    parts = [_("{n} decommissioning").format(n=len(leaving))]
    if due:
        parts.append(_("data may be destroyed now: {names}").format(names=_names(due)))
    if r.destructions.read:
        parts.append(_("{n} destroyed with a signed record").format(n=len(r.destructions.done)))
    if r.usage is None:
        how = _not_available(_("run with `--live`"))
        parts.append(_("right-sizing: {what}").format(what=how))
    else:
        cut = sorted({c.tenant for c in r.usage.candidates})
        parts.append(
            _("quota to reclaim from {n} tenant(s): {names}").format(n=len(cut), names=_names(cut))
            if cut
            else _("no quota to reclaim")
        )
    text = parts[0]
    for part in parts[1:]:
        text = _then(text, part)
    return (_("Tenants to reclaim or destroy"), text, "access", bool(due))


def _drift(r: BureauReport) -> tuple[str, str, str, bool]:
    label = _("Drift (last reconcile)")
    d = r.drift
    if d is None:
        how = _("pass `--drift-file` (the output of `govcloud drift --format json`)")
        return (label, _not_available(how), "", False)
    if d.drifting:
        text = _("{n} of {total} tenants drift: {names}").format(
            n=len(d.drifting), total=d.tenants, names=_names(d.drifting)
        )
    else:
        text = _("none of {total} tenants drifts").format(total=d.tenants)
    if not d.complete:
        text = _then(text, _("incomplete: some tenants could not be checked"))
    return (label, text + " — " + _("from {source}").format(source=d.source), "", bool(d.drifting))


def _leaks(r: BureauReport) -> tuple[str, str, str, bool]:
    label = _("Leaks (last audit)")
    a = r.audit
    if a is None:
        how = _("pass `--audit-file` (the output of `govcloud audit --format json`)")
        return (label, _not_available(how), "", False)
    text = _("{leaks} leak(s), {deviations} deviation(s) in {total} tenants").format(
        leaks=a.leaks, deviations=a.deviations, total=a.tenants
    )
    if not a.complete:
        text = _then(text, _("incomplete: some tenants could not be checked"))
    return (label, text + " — " + _("from {source}").format(source=a.source), "", a.leaks > 0)


def summary(r: BureauReport) -> list[Block]:
    return [
        Heading(2, _("Summary"), "summary"),
        Summary(
            [
                *_capacity(r),
                _cost(r),
                _sharing(r),
                _grants(r),
                _reclaim(r),
                _drift(r),
                _leaks(r),
            ]
        ),
        Text(_(KPI_DEFINITION), note=True),
        Text(_(AGE_DEFINITION).format(today=r.today), note=True),
    ]
