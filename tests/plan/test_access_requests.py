"""Break-glass decisions: whose approval counts, what a request is now, what it binds."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from infra.plan.access_policy import (
    ACCESS_POLICY,
    APPROVER_ROLE,
    COMPANY_APPROVAL,
    NOT_BUREAU,
    REQUESTER_ROLE,
    SELF_APPROVAL,
    access_objects,
)
from infra.plan.access_requests import (
    Phase,
    access_request_crd,
    approval_problem,
    emergency_bindings,
    next_emergency_change,
    parse_request,
    phase_of,
)
from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import TenantSpec

GRANTED = dt.datetime(2026, 11, 28, 2, 0, tzinfo=dt.UTC)
OPERATOR = {"username": "li@gdcloud-ops.com.cn", "groups": ["cloud-ops"]}
APPROVER = {"username": "chen@gd.gov.cn", "groups": ["gdzsj-approvers"]}


def _obj(
    approval: dict[str, Any] | None = None,
    status: dict[str, Any] | None = None,
    **spec: Any,
) -> dict[str, Any]:
    body = {
        "tenant": "gd-jyt",
        "scope": "data",
        "reason": "INC-42",
        "minutes": 30,
        "requester": OPERATOR,
        **spec,
    }
    if approval is not None:
        body["approval"] = approval
    return {"metadata": {"name": "gd-jyt-data-abcde"}, "spec": body, "status": status or {}}


@pytest.mark.parametrize(
    ("approver", "why"),
    [
        (APPROVER, None),
        (OPERATOR, "own request"),
        ({"username": "boss@gdcloud-ops.com.cn", "groups": ["gdzsj-approvers"]}, "company"),
        ({"username": "wang@gd.gov.cn", "groups": ["gdzsj-approvers", "cloud-dba"]}, "company"),
        ({"username": "wang@gd.gov.cn", "groups": ["gd-jyt-owners"]}, "approver groups"),
    ],
)
def test_only_a_second_person_of_the_bureau_approves(
    env: EnvironmentSpec, approver: dict[str, Any], why: str | None
) -> None:
    request = parse_request(_obj(approver))
    assert request is not None
    problem = approval_problem(request, env)
    assert (problem is None) if why is None else (why in str(problem)), problem


def test_a_request_is_pending_then_active_for_its_minutes_then_expired(
    env: EnvironmentSpec,
) -> None:
    pending = parse_request(_obj())
    assert pending is not None and phase_of(pending, env, GRANTED) is Phase.pending
    granted = parse_request(
        _obj(APPROVER, {"phase": "Active", "grantedAt": "2026-11-28T02:00:00Z"})
    )
    assert granted is not None
    assert phase_of(granted, env, GRANTED + dt.timedelta(minutes=29, seconds=59)) is Phase.active
    assert phase_of(granted, env, GRANTED + dt.timedelta(minutes=30)) is Phase.expired
    assert next_emergency_change([pending, granted], env, GRANTED) == GRANTED + dt.timedelta(
        minutes=30
    )
    refused = parse_request(_obj(OPERATOR))
    assert refused is not None and phase_of(refused, env, GRANTED) is Phase.refused


def _made_at(obj: dict[str, Any], when: dt.datetime) -> dict[str, Any]:
    obj["metadata"]["creationTimestamp"] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    return obj


def test_a_request_nobody_approves_within_the_window_lapses(env: EnvironmentSpec) -> None:
    window = dt.timedelta(minutes=env.emergency_access.approval_window_minutes)
    waiting = parse_request(_made_at(_obj(), GRANTED))
    assert waiting is not None
    assert phase_of(waiting, env, GRANTED + window - dt.timedelta(seconds=1)) is Phase.pending
    assert phase_of(waiting, env, GRANTED + window) is Phase.lapsed
    assert next_emergency_change([waiting], env, GRANTED) == GRANTED + window
    # An approval first seen after the window grants nothing, even a valid one.
    late = parse_request(_made_at(_obj(APPROVER), GRANTED))
    assert late is not None and phase_of(late, env, GRANTED + window) is Phase.lapsed
    # Lapsed stays lapsed; a request granted in time is not cut short by the window.
    stored = parse_request(_made_at(_obj(APPROVER, {"phase": "Lapsed"}), GRANTED))
    assert stored is not None and phase_of(stored, env, GRANTED) is Phase.lapsed
    made = GRANTED - dt.timedelta(minutes=50)  # granted 50 minutes after it was made
    granted = parse_request(
        _made_at(_obj(APPROVER, {"phase": "Active", "grantedAt": "2026-11-28T02:00:00Z"}), made)
    )
    later = GRANTED + dt.timedelta(minutes=20)  # past the window, within its 30 minutes
    assert granted is not None and phase_of(granted, env, later) is Phase.active
    assert next_emergency_change([stored], env, GRANTED) is None


@pytest.mark.parametrize("broken", [{"minutes": 0}, {"minutes": 241}, {"scope": "root"}])
def test_what_is_not_a_request_is_ignored(broken: dict[str, Any]) -> None:
    assert parse_request(_obj(**broken)) is None


def test_the_binding_names_the_requester_alone_in_the_scope_role(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    granted = parse_request(
        _obj(APPROVER, {"phase": "Active", "grantedAt": "2026-11-28T02:00:00Z"})
    )
    assert granted is not None
    spec = fleet["gd-jyt"]
    (binding,) = emergency_bindings(spec, [granted], GRANTED + dt.timedelta(minutes=1))
    manifest = binding.manifest
    assert manifest["metadata"]["namespace"] == "gd-jyt"
    assert manifest["roleRef"]["name"] == "govcloud-operator-data"
    assert manifest["subjects"] == [
        {"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": OPERATOR["username"]}
    ]
    assert manifest["metadata"]["annotations"]["govcloud.gd.gov.cn/expires"] == (
        "2026-11-28T02:30:00+00:00"
    )
    assert emergency_bindings(spec, [granted], GRANTED + dt.timedelta(minutes=30)) == []
    other = fleet["gd-rst"]
    assert emergency_bindings(other, [granted], GRANTED) == []  # another tenant's request


def test_kubectl_get_accessrequests_shows_who_what_and_until_when() -> None:
    crd = access_request_crd().manifest
    (version,) = crd["spec"]["versions"]
    columns = {c["name"]: c["jsonPath"] for c in version["additionalPrinterColumns"]}
    assert columns["Requester"] == ".spec.requester.username"
    assert columns["Approver"] == ".spec.approval.username"
    assert columns["Expires"] == ".status.expires" and columns["Phase"] == ".status.phase"
    assert crd["spec"]["scope"] == "Cluster" and version["subresources"] == {"status": {}}
    minutes = version["schema"]["openAPIV3Schema"]["properties"]["spec"]["properties"]["minutes"]
    assert minutes["maximum"] == 240


def test_the_policy_names_the_environments_groups_and_binds_the_roles(
    env: EnvironmentSpec,
) -> None:
    objects = {o.key: o.manifest for o in access_objects(env)}
    policy = objects[f"ValidatingAdmissionPolicy/{ACCESS_POLICY}"]
    messages = {v["message"] for v in policy["spec"]["validations"]}
    assert {SELF_APPROVAL, COMPANY_APPROVAL, NOT_BUREAU} <= messages
    text = str(policy["spec"])
    assert all(g in text for g in [*env.operator_groups, *env.emergency_access.approver_groups])
    assert "gdcloud-ops.com.cn" in text  # the operating company's domain, too
    rules = policy["spec"]["matchConstraints"]["resourceRules"]
    assert rules[0]["resources"] == ["accessrequests"]  # never the reconciler's status writes
    subjects = {
        o["roleRef"]["name"]: {s["name"] for s in o["subjects"]}
        for o in objects.values()
        if o["kind"] == "ClusterRoleBinding"
    }
    assert subjects == {
        REQUESTER_ROLE: set(env.operator_groups),
        APPROVER_ROLE: set(env.emergency_access.approver_groups),
    }
    verbs = {
        o["metadata"]["name"]: set(o["rules"][0]["verbs"])
        for o in objects.values()
        if o["kind"] == "ClusterRole"
    }
    assert "update" not in verbs[REQUESTER_ROLE] and "delete" not in verbs[APPROVER_ROLE]


def test_approvers_may_not_be_operators(env: EnvironmentSpec) -> None:
    data = env.model_dump()
    data["emergency_access"]["approver_groups"] = ["cloud-ops"]
    with pytest.raises(ValueError, match="operating company never approves"):
        EnvironmentSpec.model_validate(data)
