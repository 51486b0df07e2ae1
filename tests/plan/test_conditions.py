"""Tenant conditions from drift: Ready only when nothing drifted."""

from __future__ import annotations

import datetime as dt

from infra.plan import conditions_for, merge_conditions, same_status
from infra.plan.drift import Difference

NOW = dt.datetime(2026, 11, 28, 9, 0, tzinfo=dt.UTC)


def _by_type(conds: list[dict]) -> dict[str, dict]:
    return {c["type"]: c for c in conds}


def test_no_drift_is_ready_and_every_aspect_true() -> None:
    conds = _by_type(conditions_for([], generation=3))
    assert conds["Ready"]["status"] == "True"
    assert {c["status"] for c in conds.values()} == {"True"}
    assert {c["observedGeneration"] for c in conds.values()} == {3}


def test_cloud_drift_makes_the_tenant_not_ready_and_says_why() -> None:
    missing = Difference("bucket/t1-bucket", "cloud", "missing")
    conds = _by_type(conditions_for([missing], generation=1))
    assert conds["Ready"]["status"] == "False"
    assert conds["CloudGuardrails"]["status"] == "False"
    assert "bucket/t1-bucket: missing" in conds["CloudGuardrails"]["message"]
    assert conds["QuotaEnforced"]["status"] == "True"


def test_errors_are_not_true() -> None:
    conds = _by_type(conditions_for([], generation=1, errors={"cloud": "endpoint down"}))
    assert conds["CloudGuardrails"]["reason"] == "Error"
    assert conds["Ready"]["status"] == "False"


def test_what_could_not_be_observed_is_unknown_not_drift_and_not_true() -> None:
    why = "cannot reach the cloud endpoint at http://h:1: connection refused"
    conds = _by_type(conditions_for([], generation=2,
                                    unknown={"cloud": ("CloudUnreachable", why)}))
    cloud = conds["CloudGuardrails"]
    assert (cloud["status"], cloud["reason"], cloud["message"]) == (
        "Unknown", "CloudUnreachable", why)
    assert (conds["Ready"]["status"], conds["Ready"]["reason"]) == ("Unknown", "CloudUnreachable")
    assert why in conds["Ready"]["message"]
    assert conds["QuotaEnforced"]["status"] == "True"


def test_observed_drift_outweighs_an_unknown_aspect() -> None:
    drift = Difference("ResourceQuota/t1/govcloud-quota", "quota", "missing")
    conds = _by_type(conditions_for([drift], generation=1,
                                    unknown={"cloud": ("CloudUnreachable", "down")}))
    assert conds["Ready"]["status"] == "False"
    assert conds["Ready"]["message"] == "not as planned: QuotaEnforced"
    assert conds["CloudGuardrails"]["status"] == "Unknown"


def test_unknown_aspects_of_different_causes_say_not_observed() -> None:
    conds = _by_type(conditions_for([], generation=1, unknown={
        "cloud": ("CloudUnreachable", "down"), "quota": ("NotCheckedYet", "later")}))
    assert (conds["Ready"]["status"], conds["Ready"]["reason"]) == ("Unknown", "NotObserved")


def test_transition_time_kept_while_status_unchanged() -> None:
    first = merge_conditions([], conditions_for([], generation=1), NOW)
    later = merge_conditions(first, conditions_for([], generation=1),
                             NOW + dt.timedelta(hours=1))
    assert later == first
    assert same_status({"conditions": first}, {"conditions": later})
    broken = merge_conditions(first, conditions_for(
        [Difference("x", "quota", "missing")], generation=1), NOW + dt.timedelta(hours=2))
    assert _by_type(broken)["Ready"]["lastTransitionTime"] == "2026-11-28T11:00:00Z"
    assert not same_status({"conditions": first}, {"conditions": broken})
