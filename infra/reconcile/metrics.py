"""Prometheus metrics and health endpoints: /metrics, /healthz, /readyz."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.registry import Collector

from infra.plan.metering import HARD_METRIC, USED_METRIC, quota_samples

__all__ = ["Metrics", "QuotaUse", "serve"]

_HELP = {
    USED_METRIC: "ResourceQuota status.used of a tenant's govcloud quota, by resource "
    "(cpu in cores, memory and storage in bytes, pods)",
    HARD_METRIC: "ResourceQuota status.hard of a tenant's govcloud quota, by resource",
}


class QuotaUse(Collector):
    """Each tenant's quota use and allocation, read from the reconciler's ResourceQuota cache
    at scrape time (no API request): the history a metrics store keeps for right-sizing
    and metered cost."""

    def __init__(
        self, quotas: Callable[[], Sequence[dict[str, Any]]], owns: Callable[[str], bool]
    ) -> None:
        self._quotas = quotas
        self._owns = owns  # a shard exposes its own tenants

    def collect(self) -> Iterator[Metric]:
        families = {
            name: GaugeMetricFamily(name, text, labels=["tenant", "resource"])
            for name, text in _HELP.items()
        }
        for metric, tenant, resource, value in quota_samples(self._quotas()):
            if self._owns(tenant):
                families[metric].add_metric([tenant, resource], value)
        yield from families.values()


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.duration = Histogram(
            "govcloud_reconcile_duration_seconds",
            "Time to reconcile one tenant",
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
        )
        self.repairs = Counter(
            "govcloud_repairs_total",
            "Repairs made, by aspect and action",
            ["aspect", "action"],
            registry=self.registry,
        )
        self.errors = Counter(
            "govcloud_reconcile_errors_total",
            "Reconcile passes that failed, by kind of error",
            ["kind"],
            registry=self.registry,
        )
        self.queue_depth = Gauge(
            "govcloud_queue_depth", "Tenants waiting to be reconciled", registry=self.registry
        )
        self.leader = Gauge(
            "govcloud_leader", "1 while this replica is the leader", registry=self.registry
        )
        self.requests = Counter(
            "govcloud_api_requests_total",
            "Requests made to the API server, by verb",
            ["verb"],
            registry=self.registry,
        )
        self.endpoint_up = Gauge(
            "govcloud_endpoint_up",
            "1 while the endpoint accepts connections (api-server, cloud)",
            ["endpoint"],
            registry=self.registry,
        )
        self.cloud_events = Counter(
            "govcloud_cloud_events_total",
            "Cloud change events read, by outcome (placed: it named "
            "a tenant's resource, whose cloud check was queued)",
            ["outcome"],
            registry=self.registry,
        )
        self.drift = Gauge(
            "govcloud_tenants_drifting",
            "Tenants whose observed state did not match the plan at last pass",
            registry=self.registry,
        )

    def meter_quotas(
        self, quotas: Callable[[], Sequence[dict[str, Any]]], owns: Callable[[str], bool]
    ) -> None:
        """Expose per-tenant quota use (``govcloud_tenant_quota_used`` and ``_hard``)."""
        self.registry.register(QuotaUse(quotas, owns))


def serve(
    addr: str, metrics: Metrics, *, healthy: Callable[[], bool], ready: Callable[[], bool]
) -> ThreadingHTTPServer:
    host, _, port = addr.rpartition(":")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path == "/metrics":
                body, ctype, code = generate_latest(metrics.registry), CONTENT_TYPE_LATEST, 200
            elif self.path in ("/healthz", "/readyz"):
                ok = healthy() if self.path == "/healthz" else ready()
                body, ctype = (b"ok\n" if ok else b"not ready\n"), "text/plain"
                code = 200 if ok else 503
            else:
                body, ctype, code = b"not found\n", "text/plain", 404
            self.send_response(code)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            return  # access logs would drown the structured log

    server = ThreadingHTTPServer((host or "127.0.0.1", int(port)), Handler)
    threading.Thread(target=server.serve_forever, name="metrics", daemon=True).start()
    return server
