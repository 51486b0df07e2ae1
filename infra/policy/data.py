"""Data: classification (GB/T 43697-2024), personal information (PIPL) and lifecycle."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from infra.i18n import _
from infra.spec import TenantSpec
from infra.spec.tenant import (
    Classification,
    Egress,
    LifecycleState,
    PersonalInformation,
    Scope,
)

from .context import Context, Issue, q

__all__ = ["check_classification", "check_lifecycle", "check_personal_information"]


def check_classification(spec: TenantSpec, ctx: Context) -> Iterator[Issue]:
    data = spec.data
    if data.classification is not Classification.general and spec.network.egress is Egress.proxy:
        yield Issue(
            "GC015",
            ("network", "egress"),
            _("{classification} data may not reach the internet; egress must be none").format(
                classification=data.classification.value
            ),
        )
    if data.classification is Classification.core and not data.dedicated_key:
        yield Issue(
            "GC015",
            ("data", "dedicated_key"),
            _("core data must be encrypted with a dedicated key"),
        )


def check_personal_information(spec: TenantSpec, ctx: Context) -> Iterator[Issue]:
    data = spec.data
    if data.personal_information is PersonalInformation.none:
        return
    if data.retention_days is None:
        yield Issue(
            "GC017",
            ("data", "retention_days"),
            _("{kind} information needs a retention period").format(
                kind=data.personal_information.value
            ),
        )
    if data.personal_information is PersonalInformation.sensitive:
        if spec.network.egress is not Egress.none:
            yield Issue(
                "GC018",
                ("network", "egress"),
                _("sensitive personal information may not reach the internet"),
            )
        if not data.dedicated_key:
            yield Issue(
                "GC018",
                ("data", "dedicated_key"),
                _("sensitive personal information needs a dedicated key"),
            )


def check_lifecycle(spec: TenantSpec, ctx: Context) -> Iterator[Issue]:
    lifecycle = spec.lifecycle
    if lifecycle.state is not LifecycleState.decommissioning:
        return
    if lifecycle.since is None:
        yield Issue(
            "GC024",
            ("lifecycle", "since"),
            _("a decommissioning tenant records since when (the retention clock)"),
        )
        return
    if lifecycle.since > ctx.today:
        yield Issue(
            "GC024",
            ("lifecycle", "since"),
            _("{date} is in the future").format(date=lifecycle.since),
        )
    days = spec.data.retention_days or 0
    retained_until = lifecycle.since + dt.timedelta(days=days)
    if ctx.today < retained_until and q(spec.quotas.storage) == 0:
        yield Issue(
            "GC024",
            ("quotas", "storage"),
            _("data must be kept until {date}; storage cannot drop to 0").format(
                date=retained_until
            ),
        )
    for i, grant in enumerate(spec.access):
        if grant.scope is Scope.data:
            yield Issue(
                "GC024",
                ("access", i, "scope"),
                _("offboarding revokes data access first; remove this data-scope grant"),
            )
