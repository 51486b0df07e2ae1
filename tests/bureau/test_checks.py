"""The report reads the last drift report and audit exactly as `govcloud drift` and
`govcloud audit` write them in JSON."""

from __future__ import annotations

import json

import pytest

from infra.audit.model import AuditResult, Finding
from infra.audit.report import render
from infra.bureau.checks import audit_summary, drift_summary
from infra.reconcile.repairs import Outcome
from infra.reconcile.report import render_drift


def test_the_drift_report_as_drift_writes_it() -> None:
    outcomes = [Outcome("gd-jyt", errors={"quota": "boom"}), Outcome("gd-gat")]
    summary = drift_summary(json.loads(render_drift(outcomes, "json")), "drift.json")
    assert (summary.tenants, summary.drifting, summary.complete) == (2, ["gd-jyt"], True)


def test_the_audit_as_audit_writes_it() -> None:
    leak = Finding("rbac", "gz-wjw owners", "gd-jyt", "get secrets", "not granted")
    result = AuditResult("local", ["gd-jyt", "gz-wjw"], findings=[leak], not_checked=["cloud"])
    summary = audit_summary(json.loads(render(result, "json")), "audit.json")
    assert (summary.tenants, summary.leaks, summary.deviations) == (2, 1, 0)
    assert summary.complete is False


@pytest.mark.parametrize(
    "data",
    [[], {"tenants": 3, "drifting": "gd-jyt", "complete": True}, {"tenants": True}],
)
def test_a_file_of_another_shape_is_refused_with_the_field(data: object) -> None:
    with pytest.raises(ValueError, match=r"drift|`drifting`|`tenants`"):
        drift_summary(data, "drift.json")
