"""infra.bureau: the bureau's view of the cloud — capacity, cost against budget, use against
allocation, access and lifecycle, and the data-sharing KPI (数据需求满足率) — and
right-sizing. Pure computations over specs, git history and quota objects read through
``infra.drivers``; rendered as Markdown, self-contained HTML or JSON.
"""

from .metering import Metering, ObservedUse, read_average, read_latest, read_metering, read_use
from .report import BureauReport, UsageView, build_report
from .rightsize import Resize, RightsizePlan, ShortHistory, apply_resizes, plan_resizes
from .usage import TenantUsage, read_usage, usage_from

__all__ = [
    "BureauReport",
    "Metering",
    "ObservedUse",
    "Resize",
    "RightsizePlan",
    "ShortHistory",
    "TenantUsage",
    "UsageView",
    "apply_resizes",
    "build_report",
    "plan_resizes",
    "read_average",
    "read_latest",
    "read_metering",
    "read_usage",
    "read_use",
    "usage_from",
]
