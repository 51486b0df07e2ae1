"""JSON: the findings and summary as plain data, for scripts.

``format_version`` changes whenever a field is renamed or removed (adding one does not).
Capacity is given as numbers: CPU in cores, memory and storage in bytes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from decimal import Decimal
from typing import Any

from infra import __version__
from infra.policy import Finding, Usage

from .summary import Summary

__all__ = ["FORMAT_VERSION", "render_json"]

FORMAT_VERSION = 1


def _number(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


def _usage(u: Usage) -> dict[str, Any]:
    return {
        "resource": u.resource,
        "unit": u.unit,
        "used": _number(u.used),
        "total": _number(u.available),
        "fraction": round(u.fraction, 4),
        "over": u.over,
        "text": u.render(),
    }


def render_json(findings: Sequence[Finding], summary: Summary) -> str:
    document = {
        "format_version": FORMAT_VERSION,
        "tool": {"name": "govcloud", "version": __version__},
        "summary": {
            "environment": summary.environment,
            "verdict": "failed" if summary.failed else "passed",
            "strict": summary.strict,
            "tenants": summary.tenants,
            "fleet": summary.fleet if summary.fleet is not None else summary.tenants,
            "files": summary.files,
            "counts": summary.counts,
            "hidden": summary.hidden,
            "headline": summary.headline(),
            "capacity": [_usage(u) for u in summary.capacity],
        },
        "findings": [
            {**asdict(f), "related": list(f.related), "severity": f.severity.value, "name": f.name}
            for f in findings
        ],
    }
    return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
