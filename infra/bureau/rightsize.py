"""Right-sizing: lower the CPU and memory quotas of tenants that use little of them, judged
on the use the metrics store recorded over a window (default 14 days), never on one reading.

A tenant is judged only once its recorded history covers the whole window; with less, it
gets no proposal, and the plan says how much history it has. A candidate's observed peak
(the maximum over the window) stays below ``threshold`` of its CPU and of its memory quota.
Its new quota is the window's high percentile (p95) of use plus ``headroom``, rounded up to
whole cores and whole GiB, never below the observed peak (a cut never refuses what was used),
never below its default container limit (a quota must admit one default container), and only
ever lower than today's. Storage is left alone: it holds data kept for retention.

The edit replaces exactly the two scalar values in the file, so comments, key order and
quoting survive and the pull request shows two changed lines per tenant.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

import yaml

from infra.errors import InputError
from infra.policy.context import q
from infra.spec import TenantSpec
from infra.spec.tenant import LifecycleState
from infra.spec.validate import validate
from infra.spec.yamlsafe import compose, parse_yaml

from .metering import Metering, ObservedUse

__all__ = ["Resize", "RightsizePlan", "ShortHistory", "apply_resizes", "plan_resizes"]

_GIB = Decimal(2) ** 30
RESIZED = ("cpu", "memory")


@dataclass(frozen=True)
class Resize:
    tenant: str
    resource: str
    current: str
    proposed: str
    percentile: Decimal  # the window's high percentile of use
    peak: Decimal  # the window's maximum use
    fraction: float  # peak over today's quota


@dataclass(frozen=True)
class ShortHistory:
    """An active tenant whose recorded use does not cover the window yet: no proposal."""

    tenant: str
    observed: dt.timedelta  # zero: nothing recorded at all


@dataclass(frozen=True)
class RightsizePlan:
    window: dt.timedelta
    quantile: float
    resizes: list[Resize]
    short: list[ShortHistory]  # least history first


def _proposal(resource: str, wanted: Decimal) -> str:
    if resource == "cpu":
        return str(max(1, math.ceil(wanted)))
    return f"{max(1, math.ceil(wanted / _GIB))}Gi"


def _peak_fraction(spec: TenantSpec, use: ObservedUse) -> float:
    fractions = [
        float(use.peak.get(r, Decimal(0)) / q(getattr(spec.quotas, r)))
        for r in RESIZED
        if q(getattr(spec.quotas, r)) > 0
    ]
    return max(fractions, default=0.0)


def _resizes(spec: TenantSpec, use: ObservedUse, headroom: float) -> list[Resize]:
    out = []
    for resource in RESIZED:
        current = getattr(spec.quotas, resource)
        high = use.percentile.get(resource, Decimal(0))
        peak = use.peak.get(resource, Decimal(0))
        floor = q(getattr(spec.quotas.defaults.limits, resource))
        proposed = _proposal(resource, max(high * Decimal(str(1 + headroom)), peak, floor))
        if q(proposed) < q(current):
            fraction = float(peak / q(current)) if q(current) else 0.0
            out.append(Resize(spec.id, resource, current, proposed, high, peak, fraction))
    return out


def plan_resizes(
    specs: Sequence[TenantSpec],
    metering: Metering,
    *,
    threshold: float = 0.3,
    headroom: float = 0.5,
) -> RightsizePlan:
    resizes: list[Resize] = []
    short: list[ShortHistory] = []
    for spec in specs:
        if spec.lifecycle.state is not LifecycleState.active:
            continue
        use = metering.tenants.get(spec.id) or ObservedUse(spec.id, None, {}, {})
        if not metering.enough(use):
            short.append(ShortHistory(spec.id, use.observed(metering.now)))
            continue
        if _peak_fraction(spec, use) < threshold:
            resizes += _resizes(spec, use, headroom)
    short.sort(key=lambda s: (s.observed, s.tenant))
    return RightsizePlan(metering.window, metering.quantile, resizes, short)


def _scalar(root: yaml.Node | None, path: Sequence[str]) -> yaml.ScalarNode | None:
    node = root
    for key in path:
        if not isinstance(node, yaml.MappingNode):
            return None
        node = next((v for k, v in node.value if k.value == key), None)
    return node if isinstance(node, yaml.ScalarNode) else None


def apply_resizes(text: str, resizes: Sequence[Resize], *, where: str) -> str:
    """``text`` with the quota values replaced in place; the result is validated."""
    lines = text.splitlines(keepends=True)
    edits = []
    root = compose(text)
    for resize in resizes:
        node = _scalar(root, ("quotas", resize.resource))
        if node is None or node.start_mark.line != node.end_mark.line:
            raise InputError(
                f"quotas.{resize.resource} is not a plain value on one line; edit it by hand",
                path=where,
                field=f"quotas.{resize.resource}",
            )
        quote = node.style if node.style in ('"', "'") else ""
        edits.append(
            (
                node.start_mark.line,
                node.start_mark.column,
                node.end_mark.column,
                f"{quote}{resize.proposed}{quote}",
            )
        )
    for line, start, end, value in sorted(edits, reverse=True):
        lines[line] = lines[line][:start] + value + lines[line][end:]
    out = "".join(lines)
    validate(TenantSpec, parse_yaml(out, where), text=out, where=where)
    return out
