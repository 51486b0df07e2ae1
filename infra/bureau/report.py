"""The bureau's report: every section computed once, rendered by the renderers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from infra.spec import EnvironmentSpec, TenantSpec
from infra.spec.git import SharingHistory
from infra.spec.tenant import LifecycleState

from .access import AccessView, access_view
from .capacity import CapacityView, capacity_view
from .checks import AuditSummary, DriftSummary
from .cost import CostView, cost_view
from .crypto import CryptoView, not_read
from .destructions import DestructionView, destruction_view
from .emergency import EmergencyView
from .metering import Metering
from .rightsize import Resize, RightsizePlan, ShortHistory, plan_resizes
from .sharing import SharingView, sharing_view
from .usage import TenantUsage

__all__ = ["BureauReport", "UsageView", "build_report"]


@dataclass(frozen=True)
class UsageView:
    threshold: float
    tenants: list[TenantUsage]  # lowest peak use first
    missing: list[str]  # active tenants without a quota object in the cluster
    candidates: list[Resize]
    # Proposals stand on recorded history: the window they need, and the active tenants
    # without that much yet (none proposed). window None: no metrics store was read (one
    # reading of the quotas), so nothing is proposed at all.
    window: dt.timedelta | None = None
    short: list[ShortHistory] | None = None
    hourly_peaks: bool = False  # the percentile is of hourly peaks (Metering.hourly_peaks)


@dataclass(frozen=True)
class BureauReport:
    env: str
    today: dt.date
    tenants: int
    names: dict[str, str]
    capacity: CapacityView
    cost: CostView
    usage: UsageView | None
    access: AccessView
    sharing: SharingView
    destructions: DestructionView
    drift: DriftSummary | None = None  # the last reconcile's drift report, when given
    audit: AuditSummary | None = None  # the last audit's report, when given
    emergency: EmergencyView | None = None  # emergency accesses in the period, when given
    # The cryptography inventory, read live with `--cryptography` (else read=False).
    cryptography: CryptoView | None = None


def _usage_view(
    specs: Sequence[TenantSpec],
    usage: Mapping[str, TenantUsage],
    metering: Metering | None,
    threshold: float,
) -> UsageView:
    rows = [
        replace(u, highest=metering.tenants[u.tenant].peak)
        if metering is not None and u.tenant in metering.tenants
        else u
        for u in usage.values()
    ]
    rows.sort(key=lambda u: (u.peak(), u.tenant))
    # A decommissioning tenant may be gone from the cluster already (retention ended);
    # only an active tenant without its quota means something is not deployed.
    missing = sorted(
        s.id for s in specs if s.id not in usage and s.lifecycle.state is LifecycleState.active
    )
    if metering is None:
        return UsageView(threshold, rows, missing, [])
    plan: RightsizePlan = plan_resizes(specs, metering, threshold=threshold)
    return UsageView(
        threshold, rows, missing, plan.resizes, plan.window, plan.short, metering.hourly_peaks
    )


def build_report(
    specs: Sequence[TenantSpec],
    env: EnvironmentSpec,
    *,
    today: dt.date,
    history: SharingHistory,
    since: dt.date | None = None,
    usage: Mapping[str, TenantUsage] | None = None,
    metering: Metering | None = None,
    mean_use: Mapping[str, Mapping[str, Decimal]] | None = None,
    threshold: float = 0.3,
    drift: DriftSummary | None = None,
    audit: AuditSummary | None = None,
    emergency: EmergencyView | None = None,
    records: Sequence[Mapping[str, Any]] | None = None,
    verified: Mapping[tuple[str, str, str], dt.date] | None = None,
    cryptography: CryptoView | None = None,
) -> BureauReport:
    """``usage``: the latest quota use (the metrics store's, or one reading of the quotas);
    ``metering``: the recorded history that proposals and peaks stand on; ``mean_use``: the
    mean use over the metering window (metered cost); ``records``: the destruction records
    read from the audit bucket (None: not read); ``cryptography``: the live inventory (None:
    not read)."""
    live = None if usage is None else _usage_view(specs, usage, metering, threshold)
    period = metering.window if metering is not None and mean_use is not None else None
    return BureauReport(
        env=env.name,
        today=today,
        tenants=len(specs),
        names={s.id: s.name for s in specs},
        capacity=capacity_view(specs, env),
        cost=cost_view(specs, env, mean_use=mean_use, period=period),
        usage=live,
        access=access_view(specs, today),
        sharing=sharing_view(
            specs,
            history,
            since=since or today - dt.timedelta(days=365),
            until=today,
            verified=verified,
        ),
        destructions=destruction_view(specs, today, records),
        drift=drift,
        audit=audit,
        emergency=emergency,
        cryptography=cryptography or not_read(env),
    )
