"""The last reconcile and audit, as the report's summary states them: read from the JSON that
``govcloud drift --format json`` and ``govcloud audit --format json`` wrote. The report has
no other source for them; without a file the summary says "not available"."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from infra.i18n import _

__all__ = ["AuditSummary", "DriftSummary", "audit_summary", "drift_summary"]


@dataclass(frozen=True)
class DriftSummary:
    source: str  # the file it was read from
    tenants: int
    drifting: list[str]
    complete: bool


@dataclass(frozen=True)
class AuditSummary:
    source: str
    tenants: int
    leaks: int
    deviations: int
    complete: bool


def _field(data: Mapping[str, Any], name: str, kind: type | tuple[type, ...]) -> Any:
    value = data.get(name)
    if not isinstance(value, kind) or isinstance(value, bool) is not (kind is bool):
        raise ValueError(
            _("`{name}` is missing or not a {kind}").format(
                name=name, kind=getattr(kind, "__name__", kind)
            )
        )
    return value


def drift_summary(data: Any, source: str) -> DriftSummary:
    """From `govcloud drift --format json`; ValueError naming the field that is wrong."""
    if not isinstance(data, Mapping):
        raise ValueError(_("expected the JSON object `govcloud drift --format json` writes"))
    drifting = _field(data, "drifting", list)
    return DriftSummary(
        source,
        _field(data, "tenants", int),
        sorted(str(t) for t in drifting),
        _field(data, "complete", bool),
    )


def audit_summary(data: Any, source: str) -> AuditSummary:
    """From `govcloud audit --format json`; ValueError naming the field that is wrong."""
    if not isinstance(data, Mapping):
        raise ValueError(_("expected the JSON object `govcloud audit --format json` writes"))
    counts = _field(data, "summary", dict)
    return AuditSummary(
        source,
        len(_field(data, "tenants", list)),
        _field(counts, "leaks", int),
        _field(counts, "deviations", int),
        _field(data, "complete", bool),
    )
