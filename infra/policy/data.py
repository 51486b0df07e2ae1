"""Data: classification (GB/T 43697-2024), personal information (PIPL) and lifecycle."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

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
        yield Issue("GC015", ("network", "egress"),
                    f"{data.classification.value} data may not reach the internet; "
                    "egress must be none")
    if data.classification is Classification.core and not data.dedicated_key:
        yield Issue("GC015", ("data", "dedicated_key"),
                    "core data must be encrypted with a dedicated key")


def check_personal_information(spec: TenantSpec, ctx: Context) -> Iterator[Issue]:
    data = spec.data
    if data.personal_information is PersonalInformation.none:
        return
    if data.retention_days is None:
        yield Issue("GC017", ("data", "retention_days"),
                    f"{data.personal_information.value} information needs a retention period")
    if data.personal_information is PersonalInformation.sensitive:
        if spec.network.egress is not Egress.none:
            yield Issue("GC018", ("network", "egress"),
                        "sensitive personal information may not reach the internet")
        if not data.dedicated_key:
            yield Issue("GC018", ("data", "dedicated_key"),
                        "sensitive personal information needs a dedicated key")


def check_lifecycle(spec: TenantSpec, ctx: Context) -> Iterator[Issue]:
    lifecycle = spec.lifecycle
    if lifecycle.state is not LifecycleState.decommissioning:
        return
    if lifecycle.since is None:
        yield Issue("GC024", ("lifecycle", "since"),
                    "a decommissioning tenant records since when (the retention clock)")
        return
    if lifecycle.since > ctx.today:
        yield Issue("GC024", ("lifecycle", "since"), f"{lifecycle.since} is in the future")
    days = spec.data.retention_days or 0
    retained_until = lifecycle.since + dt.timedelta(days=days)
    if ctx.today < retained_until and q(spec.quotas.storage) == 0:
        yield Issue("GC024", ("quotas", "storage"),
                    f"data must be kept until {retained_until}; storage cannot drop to 0")
    for i, grant in enumerate(spec.access):
        if grant.scope is Scope.data:
            yield Issue("GC024", ("access", i, "scope"),
                        "offboarding revokes data access first; remove this data-scope grant")
