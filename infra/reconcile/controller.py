"""The control loop: caches, a work queue, workers, leader election, resync and metrics.

``run_once`` lists every kind once and reconciles each tenant (``--once``, ``drift``);
``Controller.run`` watches until stopped (``--watch``). Only the leader of its shard acts;
standby replicas keep warm caches and take over when the lease runs out. The endpoints are
probed on their own (:mod:`.endpoints`): a lost cloud endpoint is learnt once for every
tenant, within seconds.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from infra.drivers.cloud.events import EventSource
from infra.drivers.reach import api_server, cloud_endpoint
from infra.drivers.table import KubeDriver
from infra.errors import DriverError, PermanentError
from infra.plan.platform_reach import shared_namespaces

from .cache import Informer, wait_synced
from .cloud_events import CloudEventFollower
from .context import WATCHED, Context
from .counting import CountingKube
from .endpoints import Endpoint, EndpointWatch
from .leader import LeaderElector
from .metrics import Metrics, serve
from .platform import PLATFORM, reconcile_platform
from .queue import WorkQueue
from .repairs import Outcome
from .tenant import reconcile_tenant

__all__ = ["Controller", "Shard", "build_caches", "run_once"]

_log = logging.getLogger("govcloud.reconcile")


@dataclass(frozen=True)
class Shard:
    index: int = 0
    count: int = 1

    def owns(self, tenant: str) -> bool:
        digest = int(hashlib.sha256(tenant.encode()).hexdigest()[:8], 16)
        return digest % self.count == self.index

    @property
    def lease(self) -> str:
        base = "govcloud-reconciler"
        return base if self.count == 1 else f"{base}-shard-{self.index}-of-{self.count}"


_CLUSTER_KINDS = frozenset(
    {
        "ClusterRole",
        "ClusterRoleBinding",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
    }
)


def _tenant_of(kind: str, obj: dict[str, Any], shared: frozenset[str] = frozenset()) -> list[str]:
    meta = obj.get("metadata") or {}
    if kind in _CLUSTER_KINDS or (kind == "NetworkPolicy" and meta.get("namespace") in shared):
        return [PLATFORM]
    if kind == "Tenant":
        # Only to know whom to queue: the peers' names and the providers its data requests
        # name (a share lives on the provider's bucket and key, and ends when the request's
        # approval does), read without validating the spec (a pass validates it; an
        # invalid one still queues the tenant itself).
        spec = obj.get("spec") or {}
        network = spec.get("network")
        listed = network.get("peers") if isinstance(network, dict) else None
        requests = spec.get("dataRequests")
        peers = [
            str(p[field])
            for field, entries in (("tenant", listed), ("from", requests))
            for p in (entries if isinstance(entries, list) else [])
            if isinstance(p, dict) and isinstance(p.get(field), str)
        ]
        return [str(meta.get("name")), *dict.fromkeys(peers)]
    if kind == "Namespace":
        return [str(meta.get("name"))]
    if kind == "AccessRequest":  # cluster-scoped: the tenant it names
        tenant = (obj.get("spec") or {}).get("tenant")
        return [tenant] if isinstance(tenant, str) else []
    return [str(meta.get("namespace"))] if meta.get("namespace") else []


def build_caches(
    kube: KubeDriver,
    on_change: Callable[[str, str, dict[str, Any]], None],
    *,
    watch_timeout: int = 60,
) -> dict[str, Informer]:
    def feed(kind: str) -> Callable[[str, dict[str, Any]], None]:
        return lambda event, obj: on_change(kind, event, obj)

    return {
        kind: Informer(kube, api, kind, watch_timeout=watch_timeout, on_change=feed(kind))
        for api, kind in WATCHED
    }


def run_once(ctx: Context, shard: Shard = Shard()) -> list[Outcome]:
    """List once, reconcile (or, with ``dry_run``, only inspect) every tenant of the shard."""
    for informer in ctx.caches.values():
        informer.list_once()
    names = sorted(str((o.get("metadata") or {}).get("name")) for o in ctx.caches["Tenant"].all())
    platform = [reconcile_platform(ctx)] if shard.index == 0 else []
    return platform + [reconcile_tenant(ctx, name) for name in names if shard.owns(name)]


class Controller:
    def __init__(
        self,
        ctx: Context,
        *,
        shard: Shard = Shard(),
        workers: int = 4,
        resync: float = 300.0,
        metrics_addr: str | None = None,
        lease_namespace: str = "govcloud",
        lease_duration: float = 10.0,
        events: EventSource | None = None,
        poll_alone: float | None = None,
    ) -> None:
        self.ctx, self.shard, self.workers, self.resync = ctx, shard, workers, resync
        self.events = events  # the cloud's change events: cloud checks queued at once
        self.poll_alone = poll_alone  # the cloud interval to fall back to without events
        self.queue = WorkQueue()  # Kubernetes: event-driven, repairs within a second
        self.cloud_queue = WorkQueue()  # the cloud: on its change events, the poll a backstop
        self.metrics = Metrics()
        raw = ctx.kube
        ctx.coalesce_counters = True  # deferred writes are flushed by the requeue
        ctx.kube = CountingKube(raw, lambda verb: self.metrics.requests.labels(verb).inc())
        self.metrics_addr = metrics_addr
        self.metrics.meter_quotas(self._quotas, shard.owns)
        self._stop = threading.Event()
        # Lease traffic is counted apart: a steady-state pass itself should make no writes.
        lease_kube = CountingKube(
            raw, lambda verb: self.metrics.requests.labels(f"lease-{verb}").inc()
        )
        self.elector = LeaderElector(
            lease_kube,
            name=shard.lease,
            namespace=lease_namespace,
            identity=ctx.identity,
            duration=lease_duration,
            retry=min(2.0, lease_duration / 4),
            on_change=self._leadership,
        )
        self.passes = 0
        self._shared = shared_namespaces(ctx.env)
        self._drifting: set[str] = set()
        self._drifting_lock = threading.Lock()
        self.endpoints = EndpointWatch(
            ctx,
            self._endpoints(),
            on_cloud_lost=self._enqueue_all,
            on_cloud_back=lambda: self._enqueue_all(self.cloud_queue),
            on_state=lambda name, up: self.metrics.endpoint_up.labels(name).set(int(up)),
        )

    def _endpoints(self) -> list[Endpoint]:
        found = [Endpoint("api-server", "API server", api_server())]
        if self.ctx.cloud is not None:
            found.append(
                Endpoint("cloud", "cloud endpoint", cloud_endpoint(self.ctx.env.cloud.endpoint))
            )
        return found

    def _quotas(self) -> list[dict[str, Any]]:
        informer = self.ctx.caches.get("ResourceQuota")
        return informer.all() if informer is not None else []

    # -- events from the caches --------------------------------------------------------
    def on_change(self, kind: str, event: str, obj: dict[str, Any]) -> None:
        """A watched object changed: its tenant goes ahead of every key waiting (a full
        pass of thousands of tenants, at start or resync, must not hold up a repair)."""
        for tenant in _tenant_of(kind, obj, self._shared):
            if tenant == PLATFORM:
                if self.shard.index == 0:  # the first shard keeps the platform
                    self.queue.add_first(PLATFORM)
                continue
            if self.shard.owns(tenant) and (
                kind == "Tenant" or self.ctx.cached("Tenant", None, tenant) is not None
            ):
                self.queue.add_first(tenant)

    def _leadership(self, leading: bool) -> None:
        self.metrics.leader.set(1 if leading else 0)
        if leading:
            self._enqueue_all()
            self._enqueue_all(self.cloud_queue)

    def resync_now(self) -> None:
        """Queue every tenant of the shard (SIGUSR1): a full level-triggered pass."""
        self._enqueue_all()

    def _enqueue_all(self, queue: WorkQueue | None = None) -> None:
        if queue is None and self.shard.index == 0:
            self.queue.add(PLATFORM)
        for obj in self.ctx.caches["Tenant"].all():
            name = str((obj.get("metadata") or {}).get("name"))
            if self.shard.owns(name):
                (queue or self.queue).add(name)

    # -- the loop ------------------------------------------------------------------------
    def _work(self, queue: WorkQueue, cloud: bool) -> None:
        while not self._stop.is_set():
            key = queue.get(timeout=0.5)
            self.metrics.queue_depth.set(self.queue.depth() + self.cloud_queue.depth())
            if key is None:
                continue
            try:
                if not self.elector.leading:
                    continue  # a standby keeps its caches warm and waits
                self._reconcile(key, queue, cloud)
            finally:
                queue.done(key)

    def _reconcile(self, key: str, queue: WorkQueue, cloud: bool) -> None:
        started = time.monotonic()
        try:
            out = (
                reconcile_platform(self.ctx)
                if key == PLATFORM
                else reconcile_tenant(self.ctx, key, cloud_check=cloud)
            )
        except PermanentError as exc:
            self.metrics.errors.labels("permanent").inc()
            _log.error(json.dumps({"tenant": key, "error": str(exc), "retry": False}))
            return
        # Why: transient errors (conflicts, an API server restarting) are retried with
        # capped exponential backoff for this key alone; the other tenants go on.
        except DriverError as exc:
            self._transient(key, queue, exc)
            return
        # Why: a bug while reconciling one tenant must not kill the worker thread serving all
        # the others; it is logged with its traceback and retried with backoff.
        except Exception as exc:
            self.metrics.errors.labels("bug").inc()
            _log.exception("tenant %s: unexpected error", key)
            self._transient(key, queue, exc)
            return
        queue.forget(key)
        self._done(key, out, started)

    def _transient(self, key: str, queue: WorkQueue, exc: Exception) -> None:
        delay = queue.retry(key)
        if isinstance(exc, DriverError) and exc.code == "Conflict":
            # Someone wrote the object between our read and our write (a deploy, most
            # often): the pass is simply run again on what is there now. Not a warning.
            self.metrics.errors.labels("conflict").inc()
            _log.debug(
                json.dumps({"tenant": key, "conflict": str(exc), "retry_in": round(delay, 2)})
            )
            return
        self.metrics.errors.labels("transient").inc()
        _log.warning(json.dumps({"tenant": key, "error": str(exc), "retry_in": round(delay, 2)}))

    def _done(self, key: str, out: Outcome, started: float) -> None:
        self.passes += 1
        with self._drifting_lock:
            if out.remaining or out.errors:  # Unknown is not drift
                self._drifting.add(key)
            else:
                self._drifting.discard(key)
            self.metrics.drift.set(len(self._drifting))
        self.metrics.duration.observe(time.monotonic() - started)
        for repair in out.repairs:
            self.metrics.repairs.labels(repair.aspect, repair.action).inc()
            _log.info(
                json.dumps(
                    {"tenant": key, "repair": repair.as_data()}, ensure_ascii=False, default=str
                )
            )
        if out.requeue_after is not None:
            self.queue.add_after(key, out.requeue_after)
        if self.ctx.cloud is not None:
            for tenant, delay in out.cloud_requeue.items():
                if self.shard.owns(tenant):
                    # ahead of a waiting backlog of cloud checks: kept to the second
                    self.cloud_queue.add_after(tenant, delay, first=True)

    def _resync(self) -> None:
        last_cloud = time.monotonic()
        last_all = time.monotonic()
        while not self._stop.wait(1.0):
            now = time.monotonic()
            if self.ctx.cloud is not None and now - last_cloud >= self.ctx.cloud_interval:
                last_cloud = now
                if self.elector.leading:
                    self._enqueue_all(self.cloud_queue)  # no watch on the cloud: a schedule
            if now - last_all >= self.resync:
                last_all = now
                if self.elector.leading:
                    self._enqueue_all()

    def ready(self) -> bool:
        return all(i.synced.is_set() for i in self.ctx.caches.values())

    def start(self) -> None:
        if self.metrics_addr:
            serve(
                self.metrics_addr,
                self.metrics,
                healthy=lambda: not self._stop.is_set(),
                ready=self.ready,
            )
        for informer in self.ctx.caches.values():
            informer.start()
        wait_synced(self.ctx.caches.values(), timeout=60)
        threading.Thread(target=self.elector.run, name="leader", daemon=True).start()
        for i in range(self.workers):
            threading.Thread(
                target=self._work, args=(self.queue, False), name=f"worker-{i}", daemon=True
            ).start()
        if self.ctx.cloud is not None:
            for i in range(max(1, self.workers // 2)):
                threading.Thread(
                    target=self._work,
                    args=(self.cloud_queue, True),
                    name=f"cloud-worker-{i}",
                    daemon=True,
                ).start()
        threading.Thread(target=self._resync, name="resync", daemon=True).start()
        threading.Thread(
            target=self.endpoints.run, args=(self._stop,), name="endpoints", daemon=True
        ).start()
        if self.ctx.cloud is not None and self.events is not None:
            follower = CloudEventFollower(
                self.ctx,
                self.events,
                queue=self._queue_cloud,
                queue_all=self._queue_cloud_all,
                count=lambda outcome: self.metrics.cloud_events.labels(outcome).inc(),
            )
            threading.Thread(
                target=self._follow, args=(follower,), name="cloud-events", daemon=True
            ).start()

    def _follow(self, follower: CloudEventFollower) -> None:
        follower.run(self._stop)  # returns early when the endpoint has no event feed
        if not self._stop.is_set() and self.poll_alone is not None:
            self.ctx.cloud_interval = self.poll_alone

    def _queue_cloud(self, tenant: str) -> bool:
        """Queue one tenant's cloud check now (a change event named it)."""
        if not (self.elector.leading and self.shard.owns(tenant)):
            return False
        self.cloud_queue.add_first(tenant)  # ahead of a waiting backstop batch
        return True

    def _queue_cloud_all(self) -> None:
        if self.elector.leading:
            self._enqueue_all(self.cloud_queue)

    def stop(self) -> None:
        self._stop.set()
        self.elector.stop()
        for informer in self.ctx.caches.values():
            informer.stop()
        self.queue.close()
        self.cloud_queue.close()

    def wait(self) -> None:
        self._stop.wait()
