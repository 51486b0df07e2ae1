"""Budget: large projects need an expert-committee review with a vice-chair taking part."""

from __future__ import annotations

from collections.abc import Iterator

from infra.i18n import _
from infra.spec import TenantSpec

from .context import Context, Issue

__all__ = ["VICE_CHAIR_ROLES", "check_budget"]

VICE_CHAIR_ROLES = frozenset({"vice-chair", "副主任委员", "副组长"})


def check_budget(spec: TenantSpec, ctx: Context) -> Iterator[Issue]:
    budget = spec.budget
    threshold = ctx.env.committee_threshold_cny
    if budget.annual_cny <= threshold:
        return
    review = budget.review
    if review is None:
        yield Issue(
            "GC023",
            ("budget", "review"),
            _(
                "annual budget {budget:,} CNY is above {threshold:,} CNY; an "
                "expert-committee review record is required"
            ).format(budget=budget.annual_cny, threshold=threshold),
        )
        return
    if review.date > ctx.today:
        yield Issue(
            "GC023",
            ("budget", "review", "date"),
            _("review date {date} is in the future").format(date=review.date),
        )
    if not any(p.role.strip().lower() in VICE_CHAIR_ROLES for p in review.participants):
        yield Issue(
            "GC023",
            ("budget", "review", "participants"),
            _("no vice-chair among the participants (role: vice-chair)"),
        )
