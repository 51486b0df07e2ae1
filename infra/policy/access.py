"""Operator access: written, time-bound authorizations granted by the government side."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from infra.i18n import _
from infra.spec import TenantSpec
from infra.spec.tenant import Classification, Scope

from .context import Context, Issue
from .findings import Severity

__all__ = ["EXAMPLE_DOCUMENT", "check_access", "document_problem"]

MAX_GRANT = dt.timedelta(days=365)
EXPIRING = dt.timedelta(days=30)


def check_access(spec: TenantSpec, ctx: Context) -> Iterator[Issue]:
    owners = {c.email for c in spec.owners.contacts}
    sensitive = spec.data.classification is not Classification.general
    recorded: dict[tuple[str, str, str], int] = {}
    for i, grant in enumerate(spec.access):
        at = ("access", i)
        key = (grant.group, grant.scope.value, grant.document)
        if key in recorded:
            yield Issue(
                "GC029",
                (*at, "document"),
                _("{document} for {group} ({scope}) is already recorded as access[{index}]").format(
                    document=grant.document,
                    group=grant.group,
                    scope=grant.scope.value,
                    index=recorded[key],
                ),
            )
            continue
        recorded[key] = i
        if not ctx.authorization.fullmatch(grant.document):
            yield Issue("GC019", (*at, "document"), document_problem(grant.document, ctx))
        if grant.group not in ctx.env.operator_groups:
            yield Issue(
                "GC020",
                (*at, "group"),
                _("{group!r} is not an operator group ({groups})").format(
                    group=grant.group, groups=", ".join(ctx.env.operator_groups)
                ),
            )
        if grant.granted_by not in owners:
            yield Issue(
                "GC020",
                (*at, "granted_by"),
                _("{email} is not one of this tenant's owners").format(email=grant.granted_by),
            )
        yield from _validity(grant.granted, grant.expires, at, ctx.today)
        if grant.scope is Scope.data and sensitive:
            second = grant.countersigned_by
            if second is None or second not in owners or second == grant.granted_by:
                yield Issue(
                    "GC022",
                    (*at, "countersigned_by"),
                    _(
                        "data access to {classification} data needs a second owner's "
                        "countersignature"
                    ).format(classification=spec.data.classification.value),
                )


def _validity(
    granted: dt.date, expires: dt.date, at: tuple[str | int, ...], today: dt.date
) -> Iterator[Issue]:
    if granted > today:
        yield Issue(
            "GC021", (*at, "granted"), _("grant date {date} is in the future").format(date=granted)
        )
    if expires <= granted:
        yield Issue(
            "GC021",
            (*at, "expires"),
            _("expires {expires}, not after granted {granted}").format(
                expires=expires, granted=granted
            ),
        )
    elif expires - granted > MAX_GRANT:
        yield Issue(
            "GC021",
            (*at, "expires"),
            _("{days} days after the grant date; at most 365").format(
                days=(expires - granted).days
            ),
        )
    if expires < today:
        yield Issue(
            "GC021",
            (*at, "expires"),
            _("expired on {date}; the reconciler revokes it").format(date=expires),
            Severity.warning,
        )
    elif expires - today <= EXPIRING:
        yield Issue(
            "GC025",
            (*at, "expires"),
            _("expires on {date}, in {days} days").format(
                date=expires, days=(expires - today).days
            ),
        )


EXAMPLE_DOCUMENT = "粤政数授〔2026〕15号"
_BRACKETS = str.maketrans(
    {
        "[": "〔",
        "]": "〕",
        "(": "〔",
        ")": "〕",
        "（": "〔",
        "）": "〕",
        "【": "〔",
        "】": "〕",
        "［": "〔",
        "］": "〕",
        "〈": "〔",
        "〉": "〕",
    }
)


def document_problem(document: str, ctx: Context) -> str:
    """Why a document number is not one: shown against an example, never as a pattern."""
    example = EXAMPLE_DOCUMENT if ctx.authorization.fullmatch(EXAMPLE_DOCUMENT) else None
    if example is None:  # an environment with its own numbering: the pattern is all we have
        return _("{document!r} does not match {pattern}").format(
            document=document, pattern=ctx.env.authorization_pattern
        )
    if ctx.authorization.fullmatch(document.translate(_BRACKETS)):
        return _(
            "{document!r}: the year goes in the brackets 〔〕 (GB/T 9704), as in {example}"
        ).format(document=document, example=example)
    return _("{document!r} is not a document number like {example}").format(
        document=document, example=example
    )
