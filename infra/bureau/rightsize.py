"""Right-sizing: lower the CPU and memory quotas of tenants that use little of them.

A candidate uses less than ``threshold`` of its CPU and of its memory quota. Its new quota
is its use plus ``headroom`` (rounded up to whole cores and whole GiB), never below its use,
never below its default container limit (a quota must admit one default container), and
only ever lower than today's. Storage is left alone: it holds data kept for retention, and
a quota snapshot says nothing about how fast that grows.

The edit replaces exactly the two scalar values in the file, so comments, key order and
quoting survive and the pull request shows two changed lines per tenant.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

import yaml

from infra.errors import InputError
from infra.policy.context import q
from infra.spec import TenantSpec
from infra.spec.tenant import LifecycleState
from infra.spec.validate import validate
from infra.spec.yamlsafe import compose, parse_yaml

from .usage import TenantUsage

__all__ = ["Resize", "apply_resizes", "plan_resizes"]

_GIB = Decimal(2) ** 30
RESIZED = ("cpu", "memory")


@dataclass(frozen=True)
class Resize:
    tenant: str
    resource: str
    current: str
    proposed: str
    used: Decimal
    fraction: float


def _proposal(resource: str, used: Decimal, floor: Decimal, headroom: float) -> str:
    wanted = max(used * Decimal(str(1 + headroom)), floor, used)
    if resource == "cpu":
        return str(max(1, math.ceil(wanted)))
    return f"{max(1, math.ceil(wanted / _GIB))}Gi"


def plan_resizes(
    specs: Sequence[TenantSpec],
    usage: Mapping[str, TenantUsage],
    *,
    threshold: float = 0.3,
    headroom: float = 0.5,
) -> list[Resize]:
    out: list[Resize] = []
    for spec in specs:
        use = usage.get(spec.id)
        if use is None or spec.lifecycle.state is not LifecycleState.active:
            continue
        if use.peak(RESIZED) >= threshold:
            continue
        for resource in RESIZED:
            current = getattr(spec.quotas, resource)
            used = use.used.get(resource, Decimal(0))
            floor = q(getattr(spec.quotas.defaults.limits, resource))
            proposed = _proposal(resource, used, floor, headroom)
            if q(proposed) < q(current):
                out.append(
                    Resize(
                        spec.id, resource, current, proposed, used, use.fraction(resource) or 0.0
                    )
                )
    return out


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
