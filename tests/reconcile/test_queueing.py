"""Which tenants an event queues: the object's own, and for a Tenant also its peers."""

from __future__ import annotations

from typing import Any

import pytest

from infra.reconcile.controller import _tenant_of


def _tenant(spec: Any) -> dict[str, Any]:
    return {"metadata": {"name": "gz-wjw"}, "spec": spec}


def test_a_tenant_event_queues_the_tenant_and_its_peers() -> None:
    spec = {
        "network": {
            "peers": [
                {"tenant": "gd-wjw", "agreement": "x"},
                {"tenant": "gz-gaj", "agreement": "y"},
            ]
        }
    }
    assert _tenant_of("Tenant", _tenant(spec)) == ["gz-wjw", "gd-wjw", "gz-gaj"]


def test_a_tenant_event_queues_the_providers_its_requests_name() -> None:
    """A share lives on the provider's bucket and key: a changed approval (a new expiry)
    must reach the provider's pass, which times the revocation."""
    spec = {
        "network": {"peers": [{"tenant": "gd-wjw", "agreement": "x"}]},
        "dataRequests": [
            {"from": "gd-rst", "dataset": "employers"},
            {"from": "gd-wjw", "data": "old"},
            {"from": 7},
        ],
    }
    assert _tenant_of("Tenant", _tenant(spec)) == ["gz-wjw", "gd-wjw", "gd-rst"]


@pytest.mark.parametrize(
    "spec",
    [
        None,
        {},
        {"network": None},
        {"network": {"peers": "x"}},
        {"network": {"peers": [{"tenant": 7}, "gd-wjw", None]}},
        {"dataRequests": "x"},
    ],
)
def test_an_invalid_tenant_still_queues_itself(spec: Any) -> None:
    assert _tenant_of("Tenant", _tenant(spec)) == ["gz-wjw"]


def test_namespaced_objects_queue_their_namespace() -> None:
    assert _tenant_of("ResourceQuota", {"metadata": {"name": "q", "namespace": "gd-jyt"}}) == [
        "gd-jyt"
    ]
    assert _tenant_of("Namespace", {"metadata": {"name": "gd-jyt"}}) == ["gd-jyt"]
    # What reaches tenants from outside their namespaces queues the platform pass.
    assert _tenant_of("ClusterRole", {"metadata": {"name": "c"}}) == ["@platform"]
    assert _tenant_of(
        "NetworkPolicy",
        {"metadata": {"name": "p", "namespace": "shared-services"}},
        frozenset({"shared-services"}),
    ) == ["@platform"]
    assert _tenant_of(
        "NetworkPolicy",
        {"metadata": {"name": "p", "namespace": "gd-jyt"}},
        frozenset({"shared-services"}),
    ) == ["gd-jyt"]


def test_a_timer_due_first_goes_ahead_of_a_waiting_backlog() -> None:
    """A share's end is kept to the second even behind a batch of scheduled cloud checks."""
    from infra.reconcile.queue import WorkQueue

    now = [0.0]
    queue = WorkQueue(clock=lambda: now[0])
    for tenant in ("a", "b", "c"):
        queue.add(tenant)
    queue.add_after("giver", 5.0, first=True)
    queue.add_after("late", 5.0)
    now[0] = 5.0
    assert [queue.get(timeout=0) for _ in range(5)] == ["giver", "a", "b", "c", "late"]


def test_a_change_event_goes_ahead_of_a_full_pass_waiting(world: Any) -> None:
    """At start (or a resync) every tenant is queued; a quota edited meanwhile is repaired
    next, not after the thousands of tenants ahead of it (measured: 16-30 s behind the
    first pass at 1,000 tenants in bench_tamper)."""
    from infra.reconcile import make_context
    from infra.reconcile.cache import Informer
    from infra.reconcile.controller import Controller

    kube, _, env, fleet = world
    ctx = make_context(kube, None, env)
    for kind in ("Tenant", "ResourceQuota"):
        api = "govcloud.gd.gov.cn/v1alpha1" if kind == "Tenant" else "v1"
        ctx.caches[kind] = Informer(kube, api, kind, on_change=lambda ev, obj: None)
        ctx.caches[kind].list_once()
    controller = Controller(ctx, workers=1)
    controller.resync_now()
    waiting = [controller.queue.get(timeout=0) for _ in range(3)]
    last = sorted(fleet)[-1]
    assert last not in waiting
    quota = kube.get("v1", "ResourceQuota", "govcloud-quota", last)
    assert quota is not None
    controller.on_change("ResourceQuota", "MODIFIED", quota)
    assert controller.queue.get(timeout=0) == last
