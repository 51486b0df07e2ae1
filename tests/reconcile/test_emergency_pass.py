"""Emergency access in a reconcile pass (fakes of our driver Protocols): nothing is bound
before a valid approval; the approval as the pass first sees it starts the clock; the
binding goes at its end; each step is a status write and an Event on the Tenant."""

from __future__ import annotations

import datetime as dt
from typing import Any

from infra.plan.access_requests import ACCESS_API, ACCESS_KIND
from infra.reconcile import run_once

from .conftest import NOW
from .fakes import FakeKube
from .test_tenant_pass import TENANT, _ctx

OPERATOR = {"username": "li@gdcloud-ops.com.cn", "groups": ["cloud-ops", "system:authenticated"]}
APPROVER = {"username": "chen@gd.gov.cn", "groups": ["gdzsj-approvers", "system:authenticated"]}
NAME = f"{TENANT}-ops-x7k2p"


def _request(
    kube: FakeKube,
    approval: dict[str, Any] | None = None,
    name: str = NAME,
    made: dt.datetime | None = None,
) -> None:
    spec: dict[str, Any] = {
        "tenant": TENANT,
        "scope": "ops",
        "reason": "INC-42 pods crashloop",
        "minutes": 30,
        "requester": OPERATOR,
    }
    if approval is not None:
        spec["approval"] = approval
    existing = kube.objects.get((ACCESS_KIND, None, name))
    meta: dict[str, Any] = {"name": name}
    if made is not None:
        meta["creationTimestamp"] = made.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    obj = {"apiVersion": ACCESS_API, "kind": ACCESS_KIND, "metadata": meta, "spec": spec}
    if existing is not None and "status" in existing:
        obj["status"] = existing["status"]
    kube.apply(obj)


def _status(kube: FakeKube, name: str = NAME) -> dict[str, Any]:
    return dict(kube.objects[(ACCESS_KIND, None, name)].get("status") or {})


def _bindings(kube: FakeKube) -> list[dict[str, Any]]:
    return [
        o
        for (kind, ns, _), o in kube.objects.items()
        if kind == "RoleBinding"
        and ns == TENANT
        and any(s.get("kind") == "User" for s in o.get("subjects") or [])
    ]


def _events(kube: FakeKube, reason: str) -> list[dict[str, Any]]:
    return [o for (k, _, _), o in kube.objects.items() if k == "Event" and o["reason"] == reason]


def _pass(world: Any, now: dt.datetime) -> Any:
    (out,) = [o for o in run_once(_ctx(world, now=now)) if o.tenant == TENANT]
    return out


def test_bound_only_after_approval_for_its_minutes_then_revoked(world: Any) -> None:
    kube: FakeKube = world[0]
    _request(kube)
    _pass(world, NOW)
    assert _status(kube)["phase"] == "Pending"
    assert _bindings(kube) == []
    assert _events(kube, "EmergencyAccessRequested")

    approved = NOW + dt.timedelta(minutes=5)
    _request(kube, APPROVER)
    out = _pass(world, approved)
    status = _status(kube)
    assert status["phase"] == "Active"
    assert status["grantedAt"] == "2026-11-28T02:05:00Z"  # the approval, as first seen
    assert status["expires"] == "2026-11-28T02:35:00Z"  # 30 minutes later
    (binding,) = _bindings(kube)
    assert binding["roleRef"]["name"] == "govcloud-operator-ops"
    assert binding["subjects"][0]["name"] == OPERATOR["username"]
    assert out.requeue_after is not None and out.requeue_after <= 30 * 60
    assert out.repairs == []  # the grant is not a repair: its own Event says it
    (granted,) = _events(kube, "EmergencyAccessGranted")
    assert "approved by chen@gd.gov.cn" in granted["message"]

    still = _pass(world, approved + dt.timedelta(minutes=29, seconds=59))
    assert len(_bindings(kube)) == 1 and not [r for r in still.repairs if r.action == "revoked"]

    ended = _pass(world, approved + dt.timedelta(minutes=30))
    assert _bindings(kube) == []
    assert [r.action for r in ended.repairs] == ["revoked"]
    assert _status(kube)["phase"] == "Expired"
    assert _events(kube, "EmergencyAccessEnded")


def test_an_approval_the_rules_refuse_binds_nothing(world: Any) -> None:
    kube: FakeKube = world[0]
    _request(kube, OPERATOR)  # written past admission: the requester approving their own
    _pass(world, NOW)
    assert _status(kube)["phase"] == "Refused"
    assert "own request" in _status(kube)["message"]
    assert _bindings(kube) == []
    (event,) = _events(kube, "EmergencyAccessRefused")
    assert event["type"] == "Warning"


def test_a_request_approved_after_the_window_lapses_and_binds_nothing(world: Any) -> None:
    kube: FakeKube = world[0]
    _request(kube, made=NOW)
    first = _pass(world, NOW)
    assert _status(kube)["phase"] == "Pending"
    assert first.requeue_after == 60 * 60  # looked at again when it lapses
    _request(kube, APPROVER, made=NOW)  # approved, but only seen after the hour
    _pass(world, NOW + dt.timedelta(minutes=61))
    assert _status(kube)["phase"] == "Lapsed"
    assert _bindings(kube) == []
    (event,) = _events(kube, "EmergencyAccessLapsed")
    assert event["type"] == "Warning" and "within 60 minutes" in event["message"]


def test_a_dry_run_records_no_step(world: Any) -> None:
    kube: FakeKube = world[0]
    _request(kube, APPROVER)
    run_once(_ctx(world, dry_run=True))
    assert _status(kube) == {}
    assert _bindings(kube) == []
