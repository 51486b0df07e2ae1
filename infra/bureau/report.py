"""The bureau's report: every section computed once, rendered by the renderers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from infra.spec import EnvironmentSpec, TenantSpec
from infra.spec.git import SharingHistory
from infra.spec.tenant import LifecycleState

from .access import AccessView, access_view
from .capacity import CapacityView, capacity_view
from .checks import AuditSummary, DriftSummary
from .cost import CostView, cost_view
from .rightsize import Resize, plan_resizes
from .sharing import SharingView, sharing_view
from .usage import TenantUsage

__all__ = ["BureauReport", "UsageView", "build_report"]


@dataclass(frozen=True)
class UsageView:
    threshold: float
    tenants: list[TenantUsage]  # lowest peak use first
    missing: list[str]  # active tenants without a quota object in the cluster
    candidates: list[Resize]


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
    drift: DriftSummary | None = None  # the last reconcile's drift report, when given
    audit: AuditSummary | None = None  # the last audit's report, when given


def build_report(
    specs: Sequence[TenantSpec],
    env: EnvironmentSpec,
    *,
    today: dt.date,
    history: SharingHistory,
    since: dt.date | None = None,
    usage: Mapping[str, TenantUsage] | None = None,
    threshold: float = 0.3,
    drift: DriftSummary | None = None,
    audit: AuditSummary | None = None,
) -> BureauReport:
    live = None
    if usage is not None:
        rows = sorted(usage.values(), key=lambda u: (u.peak(), u.tenant))
        # A decommissioning tenant may be gone from the cluster already (retention ended);
        # only an active tenant without its quota means something is not deployed.
        missing = sorted(
            s.id for s in specs if s.id not in usage and s.lifecycle.state is LifecycleState.active
        )
        live = UsageView(threshold, rows, missing, plan_resizes(specs, usage, threshold=threshold))
    return BureauReport(
        env=env.name,
        today=today,
        tenants=len(specs),
        names={s.id: s.name for s in specs},
        capacity=capacity_view(specs, env),
        cost=cost_view(specs, env),
        usage=live,
        access=access_view(specs, today),
        sharing=sharing_view(
            specs, history, since=since or today - dt.timedelta(days=365), until=today
        ),
        drift=drift,
        audit=audit,
    )
