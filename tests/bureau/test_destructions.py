"""The report's destructions: done (from the signed records) and due (retention ended, no
record)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from infra.bureau.destructions import destruction_view
from infra.spec import TenantSpec

AFTER_RETENTION = dt.date(2029, 9, 1)  # st-wglj's retention ended on 2029-08-31


def _record(tenant: str) -> dict[str, Any]:
    return {
        "tenant": {"id": tenant},
        "authorization": {"document": "粤政数授〔2029〕12号"},
        "media": {"versions": 4, "delete_markers": 1, "bytes": 2048},
        "sanitization": {"method": "deletion"},
        "verification": {"result": "passed"},
        "performed": {"finished": "2029-09-08T02:00:00+00:00"},
    }


def test_a_tenant_whose_retention_ended_is_due_until_a_record_says_it_is_destroyed(
    specs: list[TenantSpec],
) -> None:
    unread = destruction_view(specs, AFTER_RETENTION, None)
    assert not unread.read and unread.due == ["st-wglj"] and unread.done == []
    assert destruction_view(specs, AFTER_RETENTION - dt.timedelta(days=2), None).due == []
    done = destruction_view(specs, AFTER_RETENTION, [_record("st-wglj")])
    assert done.read and done.due == []
    [line] = done.done
    assert (line.tenant, line.versions, line.bytes, line.verification) == (
        "st-wglj",
        5,
        2048,
        "passed",
    )
