"""The control loop's parts at our own seams: queue, caches, leader election, metrics."""

from __future__ import annotations

import datetime as dt
import threading
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from infra.drivers import ObjectList
from infra.errors import ExpiredError, TransientError
from infra.reconcile.cache import Informer
from infra.reconcile.controller import Shard
from infra.reconcile.leader import LeaderElector
from infra.reconcile.metrics import Metrics, serve
from infra.reconcile.queue import WorkQueue

from .fakes import FakeKube


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_queue_dedupes_and_reruns_a_key_added_while_active() -> None:
    queue = WorkQueue()
    queue.add("a")
    queue.add("a")
    assert queue.get(timeout=0) == "a"
    assert queue.get(timeout=0) is None  # deduplicated
    queue.add("a")  # changed while being worked on
    queue.done("a")
    assert queue.get(timeout=0) == "a"


def test_queue_schedules_and_backs_off_per_key() -> None:
    clock = Clock()
    queue = WorkQueue(clock)
    queue.add_after("grant", 30)
    assert queue.get(timeout=0) is None
    clock.now += 30
    assert queue.get(timeout=0) == "grant"
    queue.done("grant")
    delays = [queue.retry("flaky") for _ in range(8)]
    assert delays[0] < 1 and delays[-1] <= 30.5 and delays[-1] > delays[0]
    queue.forget("flaky")
    assert queue.retry("flaky") < 1


class _WatchScript(FakeKube):
    """Lists the store; the first watch ends with 410, later watches stop the informer."""

    def __init__(self, informer_stop: threading.Event) -> None:
        super().__init__()
        self.watch_calls = 0
        self._stop = informer_stop

    def watch(self, *args: Any, **kwargs: Any) -> Iterator[tuple[str, dict[str, Any]]]:
        self.watch_calls += 1
        if self.watch_calls == 1:
            raise ExpiredError("too old", code="Expired")
        if self.watch_calls == 2:
            raise TransientError("connection refused", code="Unreachable")
        self._stop.set()
        return iter(())


def test_informer_relists_after_expiry_and_reports_deletions() -> None:
    stop = threading.Event()
    kube = _WatchScript(stop)
    kube.apply(
        {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q", "namespace": "t1"}}
    )
    seen: list[tuple[str, str]] = []
    informer = Informer(
        kube,
        "v1",
        "ResourceQuota",
        on_change=lambda ev, obj: seen.append((ev, obj["metadata"]["name"])),
    )
    informer._stop = stop  # the script ends the loop on its third watch
    del kube.objects[("ResourceQuota", "t1", "q")]  # deleted while "the server was down"
    informer.list_once()
    kube.apply(
        {"apiVersion": "v1", "kind": "ResourceQuota", "metadata": {"name": "q2", "namespace": "t1"}}
    )
    informer._run()
    assert kube.watch_calls == 3
    assert informer.lists >= 3  # first list, relist after 410, relist after the error
    assert ("ADDED", "q2") in seen
    assert informer.get("t1", "q2") is not None and informer.get("t1", "q") is None


def test_cached_objects_drop_managed_fields_and_reads_are_the_callers_own() -> None:
    """The cache keeps no managed fields; what a read returns can be changed by the caller
    without changing what the next reader sees."""
    kube = FakeKube()
    for ns in ("t1", "t2"):
        kube.apply(
            {
                "apiVersion": "v1",
                "kind": "ResourceQuota",
                "metadata": {
                    "name": "govcloud-quota",
                    "namespace": ns,
                    "labels": {"app.kubernetes.io/managed-by": "govcloud"},
                    "managedFields": [{"manager": "govcloud-deploy"}],
                },
                "spec": {"hard": {"requests.cpu": "24"}},
            }
        )
    informer = Informer(kube, "v1", "ResourceQuota", on_change=lambda ev, obj: None)
    informer.list_once()
    one, two = informer.get("t1", "govcloud-quota"), informer.get("t2", "govcloud-quota")
    assert one is not None and two is not None
    assert "managedFields" not in one["metadata"]
    assert one["spec"] == two["spec"] and one["metadata"]["namespace"] == "t1"
    one["spec"]["hard"]["requests.cpu"] = "9999"
    again = informer.get("t1", "govcloud-quota")
    assert again is not None and again["spec"]["hard"]["requests.cpu"] == "24"
    assert [o["metadata"]["namespace"] for o in informer.in_namespace("t2")] == ["t2"]
    assert len(informer) == 2 and len(informer.all()) == 2


def test_list_result_carries_its_resource_version() -> None:
    kube = FakeKube()
    result = kube.list("v1", "Namespace")
    assert isinstance(result, ObjectList) and result.resource_version


def test_exactly_one_of_two_candidates_leads_and_the_other_takes_over() -> None:
    kube = FakeKube()
    now = [dt.datetime(2026, 11, 28, tzinfo=dt.UTC)]
    a = LeaderElector(
        kube, name="l", namespace="govcloud", identity="a", duration=10, clock=lambda: now[0]
    )
    b = LeaderElector(
        kube, name="l", namespace="govcloud", identity="b", duration=10, clock=lambda: now[0]
    )
    assert a.try_once() is True
    assert b.try_once() is False
    now[0] += dt.timedelta(seconds=5)
    assert a.try_once() is True  # renews
    now[0] += dt.timedelta(seconds=11)  # a stopped renewing
    assert not a.leading
    assert b.try_once() is True and b.leading
    lease = kube.objects[("Lease", "govcloud", "l")]["spec"]
    assert lease["holderIdentity"] == "b" and lease["leaseTransitions"] == 1


def test_stale_lease_write_loses_on_conflict() -> None:
    kube = FakeKube()
    a = LeaderElector(kube, name="l", namespace="ns", identity="a")
    a.try_once()
    stale = kube.get("coordination.k8s.io/v1", "Lease", "l", "ns")
    a.try_once()  # bumps the resourceVersion
    assert stale is not None
    with pytest.raises(TransientError):
        kube.replace(stale)


def test_shards_split_tenants_stably_and_completely() -> None:
    tenants = [f"t{i}" for i in range(200)]
    shards = [Shard(i, 3) for i in range(3)]
    owners = [[s.index for s in shards if s.owns(t)] for t in tenants]
    assert all(len(o) == 1 for o in owners)
    assert len({o[0] for o in owners}) == 3
    assert Shard(1, 3).lease == "govcloud-reconciler-shard-1-of-3"


def test_metrics_and_health_endpoints_answer() -> None:
    metrics = Metrics()
    metrics.repairs.labels("quota", "recreated").inc()
    server = serve("127.0.0.1:0", metrics, healthy=lambda: True, ready=lambda: False)
    port = server.server_address[1]
    try:
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
        assert 'govcloud_repairs_total{action="recreated",aspect="quota"} 1.0' in body
        assert urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz").status == 200
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz")
        assert err.value.code == 503
    finally:
        server.shutdown()


def test_a_status_write_leaves_the_content_version_so_spec_readers_keep_their_work() -> None:
    kube = FakeKube()
    tenant: dict[str, Any] = {
        "apiVersion": "govcloud.gd.gov.cn/v1alpha1",
        "kind": "Tenant",
        "metadata": {"name": "t1"},
        "spec": {"id": "t1"},
    }
    kube.apply(tenant)
    informer = Informer(kube, tenant["apiVersion"], "Tenant", on_change=lambda ev, obj: None)
    informer.list_once()
    listed = informer.content_version
    stored = informer.get(None, "t1")
    assert stored is not None
    informer._apply("MODIFIED", {**stored, "status": {"conditions": []}})
    assert informer.content_version == listed
    assert (informer.get(None, "t1") or {}).get("status") == {"conditions": []}
    informer._apply("MODIFIED", {**stored, "spec": {"id": "t1", "level": "city"}})
    assert informer.content_version == listed + 1
