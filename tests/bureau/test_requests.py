"""Data requests: satisfied by a mutual peering with an agreement, pending otherwise; the
request rules; pending requests in `govcloud diff`."""

from __future__ import annotations

import datetime as dt
import json

from infra.policy.changes import compare
from infra.policy.context import Context
from infra.policy.requests import RequestState, check_requests, pending_groups, request_state
from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import DataRequest, Peer, TenantSpec

from .conftest import TODAY


def _fleet(specs: list[TenantSpec]) -> dict[str, TenantSpec]:
    return {s.id: s for s in specs}


def _request(provider: str, **extra: str) -> DataRequest:
    return DataRequest.model_validate(
        {
            "from": provider,
            "data": "学历学位信息",
            "purpose": "免提交",
            "legal_basis": "办法第二十二条",
            "requested": "2026-10-18",
            **extra,
        }
    )


def _with(
    spec: TenantSpec, *, requests: list[DataRequest] | None = None, peers: list[Peer] | None = None
) -> TenantSpec:
    update: dict[str, object] = {}
    if requests is not None:
        update["data_requests"] = requests
    if peers is not None:
        update["network"] = spec.network.model_copy(update={"peers": peers})
    return spec.model_copy(update=update)


def test_examples_have_satisfied_and_pending_requests(specs: list[TenantSpec]) -> None:
    fleet = _fleet(specs)
    states = {
        (s.id, r.provider, r.dataset or ""): request_state(s, r, fleet)
        for s in specs
        for r in s.data_requests
    }
    assert states[("gz-wjw", "gd-wjw", "")] is RequestState.satisfied
    assert states[("gz-gaj", "gd-gat", "")] is RequestState.satisfied
    assert states[("gz-zwsjj", "gd-rst", "")] is RequestState.pending
    # catalogue requests: approved (the report counts them from the live shares)
    assert states[("gz-zwsjj", "gd-rst", "insured-stats")] is RequestState.satisfied
    assert [g.render(TODAY) for g in pending_groups(specs)] == [
        "gd-jyt has 1 pending request from gz-zwsjj, oldest 18 days",
        "gd-rst has 1 pending request from gd-zsj, oldest 88 days",
        "gd-rst has 1 pending request from gz-zwsjj, oldest 41 days",
    ]


def test_a_one_sided_or_mismatched_peering_does_not_satisfy(specs: list[TenantSpec]) -> None:
    fleet = _fleet(specs)
    zwsjj = fleet["gz-zwsjj"]
    request = zwsjj.data_requests[0]  # from gd-rst
    rst = _with(fleet["gd-rst"], peers=[Peer(tenant="gz-zwsjj", agreement="A〔2026〕1号")])
    one_sided = {**fleet, "gd-rst": rst}
    assert request_state(zwsjj, request, one_sided) is RequestState.pending
    mine = _with(zwsjj, peers=[*zwsjj.network.peers, Peer(tenant="gd-rst", agreement="B")])
    assert request_state(mine, request, {**one_sided, mine.id: mine}) is RequestState.pending
    both = _with(
        zwsjj, peers=[*zwsjj.network.peers, Peer(tenant="gd-rst", agreement="A〔2026〕1号")]
    )
    assert request_state(both, request, {**one_sided, both.id: both}) is RequestState.satisfied


def _issues(
    spec: TenantSpec, fleet: dict[str, TenantSpec], env: EnvironmentSpec
) -> list[tuple[str, str]]:
    ctx = Context(env=env, today=TODAY, tenants=fleet)
    return [(i.rule, ".".join(map(str, i.loc))) for i in check_requests(spec, ctx)]


def test_request_rules(specs: list[TenantSpec], env: EnvironmentSpec) -> None:
    fleet = _fleet(specs)
    nh = fleet["nh-wsjkj"]  # general data
    assert _issues(_with(nh, requests=[_request("gd-nope")]), fleet, env) == [
        ("GC030", "data_requests.0.from")
    ]
    assert _issues(_with(nh, requests=[_request("nh-wsjkj")]), fleet, env) == [
        ("GC030", "data_requests.0.from")
    ]
    # important data to a general tenant: refused like a peering down a level
    assert _issues(_with(nh, requests=[_request("gd-rst")]), fleet, env) == [
        ("GC032", "data_requests.0.from")
    ]
    gaj = fleet["gz-gaj"]  # core asks core: allowed, with a justification
    assert _issues(gaj, fleet, env) == []
    assert _issues(_with(gaj, requests=[_request("gd-gat")]), fleet, env) == [
        ("GC031", "data_requests.0.justification")
    ]
    twice = _with(nh, requests=[_request("th-zwsjj"), _request("th-zwsjj")])
    assert _issues(twice, fleet, env) == [("GC030", "data_requests.1.data")]
    future = _with(nh, requests=[_request("th-zwsjj", requested="2027-01-01")])
    assert _issues(future, fleet, env) == [("GC030", "data_requests.0.requested")]


def test_diff_shows_satisfied_and_pending_requests_of_touched_departments(
    specs: list[TenantSpec], env: EnvironmentSpec
) -> None:
    fleet = _fleet(specs)
    agreement = "粤数共享协议〔2026〕40号"
    rst = _with(fleet["gd-rst"], peers=[Peer(tenant="gz-zwsjj", agreement=agreement)])
    zwsjj = fleet["gz-zwsjj"]
    zwsjj = _with(zwsjj, peers=[*zwsjj.network.peers, Peer(tenant="gd-rst", agreement=agreement)])
    head = [s for s in specs if s.id not in {"gd-rst", "gz-zwsjj"}] + [rst, zwsjj]
    change = compare(specs, head, env, today=TODAY)
    assert change.satisfied_requests == ["gd-rst → gz-zwsjj: 社会保险参保缴费信息"]
    assert change.pending_requests == [
        "gd-jyt has 1 pending request from gz-zwsjj, oldest 18 days",
        "gd-rst has 1 pending request from gd-zsj, oldest 88 days",
    ]
    untouched = compare(specs, specs, env, today=TODAY + dt.timedelta(days=1))
    assert untouched.pending_requests == [] and untouched.satisfied_requests == []


def _paths(spec: TenantSpec, fleet: dict[str, TenantSpec], env: EnvironmentSpec) -> str:
    """Everything the plan opens on the network: policies, the subnet, the security group
    (the Tenant object itself carries the spec, requests included, and is left out)."""
    from infra.plan import render_tenant

    plan = render_tenant(spec, env, fleet=fleet, today=TODAY)
    objects = [o.manifest for o in plan.kube if o.manifest["kind"] == "NetworkPolicy"]
    objects += [o.props for o in plan.cloud if o.kind in ("subnet", "security-group")]
    assert objects
    return json.dumps(objects, ensure_ascii=False)


def test_a_pending_request_never_becomes_a_network_path(
    specs: list[TenantSpec], env: EnvironmentSpec
) -> None:
    fleet = _fleet(specs)
    for requester, provider in (
        ("gz-zwsjj", "gd-rst"),
        ("gd-zsj", "gd-rst"),
        ("gz-zwsjj", "gd-jyt"),
    ):
        mine, theirs = _paths(fleet[requester], fleet, env), _paths(fleet[provider], fleet, env)
        assert provider not in mine and fleet[provider].network.cidr not in mine
        assert requester not in theirs and fleet[requester].network.cidr not in theirs
    # while the satisfied one (gz-wjw ← gd-wjw, agreement 17号) is a path both ways
    assert fleet["gd-wjw"].network.cidr in _paths(fleet["gz-wjw"], fleet, env)
    assert fleet["gz-wjw"].network.cidr in _paths(fleet["gd-wjw"], fleet, env)
