"""Destructions: each decommissioned tenant destroyed with a signed record (read from the
audit bucket), and every tenant whose retention ended but which is not destroyed yet."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from infra.plan import retention_ends
from infra.plan.names import bucket_name
from infra.spec import EnvironmentSpec, TenantSpec
from infra.spec.tenant import LifecycleState

__all__ = ["DestructionLine", "DestructionView", "destruction_view", "read_records"]


@dataclass(frozen=True)
class DestructionLine:
    tenant: str
    finished: str  # ISO 8601
    document: str  # the order's authorization document
    method: str  # "cryptographic erase + deletion" or "deletion"
    versions: int  # object versions and delete markers destroyed
    bytes: int
    verification: str  # "passed" or "failed", as recorded


@dataclass(frozen=True)
class DestructionView:
    read: bool  # the audit bucket's records were read (`report --records`)
    done: list[DestructionLine]
    due: list[str]  # retention ended, no record of destruction (not read: every such tenant)


def read_records(env: EnvironmentSpec) -> list[dict[str, Any]]:
    """The records stored in the environment's audit bucket (their unsigned part; `govcloud
    records verify` checks the signatures)."""
    from infra.drivers.cloud.destruction import stored_records

    out = []
    for _name, body in stored_records(bucket_name(env.name, "audit")):
        try:
            record = json.loads(body).get("record")
        # Why: a record that cannot be read is verify's to report; the report skips it.
        except (ValueError, AttributeError):
            continue
        if isinstance(record, dict):
            out.append(record)
    return out


def _line(record: Mapping[str, Any]) -> DestructionLine:
    media = record.get("media") or {}
    return DestructionLine(
        tenant=str((record.get("tenant") or {}).get("id", "")),
        finished=str((record.get("performed") or {}).get("finished", "")),
        document=str((record.get("authorization") or {}).get("document", "")),
        method=str((record.get("sanitization") or {}).get("method", "")),
        versions=int(media.get("versions") or 0) + int(media.get("delete_markers") or 0),
        bytes=int(media.get("bytes") or 0),
        verification=str((record.get("verification") or {}).get("result", "")),
    )


def destruction_view(
    specs: Sequence[TenantSpec],
    today: dt.date,
    records: Sequence[Mapping[str, Any]] | None,
) -> DestructionView:
    done = sorted((_line(r) for r in records or []), key=lambda d: (d.finished, d.tenant))
    destroyed = {d.tenant for d in done}
    due = sorted(
        s.id
        for s in specs
        if s.lifecycle.state is LifecycleState.decommissioning
        and (ends := retention_ends(s)) is not None
        and ends <= today
        and s.id not in destroyed
    )
    return DestructionView(records is not None, done, due)
