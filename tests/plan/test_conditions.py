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
    conds = _by_type(conditions_for([], generation=2, unknown={"cloud": ("CloudUnreachable", why)}))
    cloud = conds["CloudGuardrails"]
    assert (cloud["status"], cloud["reason"], cloud["message"]) == (
        "Unknown",
        "CloudUnreachable",
        why,
    )
    assert (conds["Ready"]["status"], conds["Ready"]["reason"]) == ("Unknown", "CloudUnreachable")
    assert why in conds["Ready"]["message"]
    assert conds["QuotaEnforced"]["status"] == "True"


def test_observed_drift_outweighs_an_unknown_aspect() -> None:
    drift = Difference("ResourceQuota/t1/govcloud-quota", "quota", "missing")
    conds = _by_type(
        conditions_for([drift], generation=1, unknown={"cloud": ("CloudUnreachable", "down")})
    )
    assert conds["Ready"]["status"] == "False"
    assert conds["Ready"]["message"] == "not as planned: QuotaEnforced"
    assert conds["CloudGuardrails"]["status"] == "Unknown"


def test_unknown_aspects_of_different_causes_say_not_observed() -> None:
    conds = _by_type(
        conditions_for(
            [],
            generation=1,
            unknown={"cloud": ("CloudUnreachable", "down"), "quota": ("NotCheckedYet", "later")},
        )
    )
    assert (conds["Ready"]["status"], conds["Ready"]["reason"]) == ("Unknown", "NotObserved")


def test_transition_time_kept_while_status_unchanged() -> None:
    first = merge_conditions([], conditions_for([], generation=1), NOW)
    later = merge_conditions(first, conditions_for([], generation=1), NOW + dt.timedelta(hours=1))
    assert later == first
    assert same_status({"conditions": first}, {"conditions": later})
    broken = merge_conditions(
        first,
        conditions_for([Difference("x", "quota", "missing")], generation=1),
        NOW + dt.timedelta(hours=2),
    )
    assert _by_type(broken)["Ready"]["lastTransitionTime"] == "2026-11-28T11:00:00Z"
    assert not same_status({"conditions": first}, {"conditions": broken})


# -- one writer per condition; deploy's hold -------------------------------------------------

from infra.plan.conditions import (  # noqa: E402
    DEPLOY_HOLD,
    deploy_hold,
    deployed,
    deploying,
    owned_status,
    with_deploy,
)


def test_a_steady_status_with_no_repairs_is_the_same_as_stored() -> None:
    """The API server drops an empty map: comparing with it must not cause a write."""
    conds = merge_conditions([], conditions_for([], generation=1), NOW)
    stored = {"observedGeneration": 1, "conditions": conds}
    assert same_status(stored, {**stored, "repairs": {}})
    assert not same_status(stored, {**stored, "repairs": {"total": 1}})


def test_deploying_holds_the_tenant_for_the_bounded_time_only() -> None:
    tenant = {
        "metadata": {"creationTimestamp": "2026-01-01T00:00:00Z"},
        "status": {"conditions": [deploying(2, NOW, "govcloud deploy")]},
    }
    assert deploy_hold(tenant, NOW) == NOW + DEPLOY_HOLD
    assert deploy_hold(tenant, NOW + DEPLOY_HOLD - dt.timedelta(seconds=1)) is not None
    assert deploy_hold(tenant, NOW + DEPLOY_HOLD) is None  # a killed deploy lapses


def test_a_reported_deploy_releases_the_hold() -> None:
    for ok in (True, False):
        done = {
            **deployed(ok, "Deployed" if ok else "DeployFailed", "x", 2),
            "lastTransitionTime": "2026-11-28T09:00:00Z",
        }
        assert deploy_hold({"status": {"conditions": [done]}}, NOW) is None


def test_a_new_tenant_no_deploy_reported_on_yet_is_held_from_its_creation() -> None:
    fresh = {"metadata": {"creationTimestamp": "2026-11-28T08:59:30Z"}, "status": {}}
    assert deploy_hold(fresh, NOW) is not None
    old = {"metadata": {"creationTimestamp": "2026-11-01T00:00:00Z"}, "status": {}}
    assert deploy_hold(old, NOW) is None


def test_the_reconciler_owns_its_conditions_and_never_deploys() -> None:
    status = {
        "conditions": [
            *conditions_for([], generation=1),
            deployed(False, "DeployFailed", "stack failed", 1),
        ],
        "lastDeploy": "2026-11-28T08:00:00Z",
        "repairs": {"total": 2},
    }
    mine = owned_status(status)
    assert "Deployed" not in {c["type"] for c in mine["conditions"]}
    assert "lastDeploy" not in mine and mine["repairs"] == {"total": 2}


def test_a_failed_deploy_keeps_ready_false_until_a_deploy_succeeds() -> None:
    failed = {"conditions": [deployed(False, "DeployFailed", "quota apply refused", 1)]}
    ready = with_deploy(conditions_for([], generation=1), failed, 1)[0]
    assert (ready["status"], ready["reason"]) == ("False", "DeployFailed")
    assert "quota apply refused" in ready["message"]
    fixed = {"conditions": [deployed(True, "Deployed", "as planned", 1)]}
    assert with_deploy(conditions_for([], generation=1), fixed, 1)[0]["status"] == "True"
