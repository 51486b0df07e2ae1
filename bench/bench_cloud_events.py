"""Benchmark cloud drift repair from change events, and the poll kept as its backstop (issue 15).

    .venv/bin/python bench/bench_cloud_events.py [--tenants 1000] [--tamperings 40]
                                                 [--intervals 30 300] [--state-dir DIR]

A fresh cloud endpoint (the local cloud's own: moto's server with the change-event feed,
`python -m infra.localcloud.cloudserver`) holds the cloud resources of N synthetic tenants
(bucket, role, subnet, security group; every fourth with its own KMS key). No Kubernetes:
the reconciler's cloud side runs in this process as the controller runs it — its cloud check
(`infra.reconcile.sync_cloud.check_cloud`) on two cloud workers fed by a WorkQueue, and its
event follower (`infra.reconcile.cloud_events`) reading the endpoint's feed.

1. The backstop: one full poll pass over every tenant; API calls per tenant check (counted on
   the boto3 clients), the pass's duration, and so the calls per minute a poll every
   `--intervals` seconds asks of the endpoint (and what it can get: a pass longer than the
   interval runs back to back).
2. Event-driven repair latency: tamperings (bucket versioning suspended, public-access block
   deleted, a rule opened on the security group by id, a key disabled by id, the role's
   permissions boundary removed), each timed from the tampering call's return to the end of
   the check that repaired it; p50 / p99 with the endpoint otherwise idle, then while a
   backstop pass is queued (the event's tenant goes first).
3. The follower's own requests per minute (feed reads, id-table reads), idle and busy.
"""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_deploy import machine  # noqa: E402
from bench_reconcile import specs  # noqa: E402

from infra.drivers import CloudTable  # noqa: E402
from infra.drivers import cloud as cloud_driver  # noqa: E402
from infra.drivers.cloud.events import EndpointEvents, EventPage  # noqa: E402
from infra.errors import DriverError  # noqa: E402
from infra.plan import render_platform, render_tenant  # noqa: E402
from infra.plan.objects import CloudObject  # noqa: E402
from infra.reconcile.cloud_events import CloudEventFollower  # noqa: E402
from infra.reconcile.context import Context  # noqa: E402
from infra.reconcile.queue import WorkQueue  # noqa: E402
from infra.reconcile.sync_cloud import check_cloud  # noqa: E402
from infra.spec.environment import EnvironmentSpec  # noqa: E402
from infra.spec.load import load_environment  # noqa: E402
from infra.spec.tenant import Classification, TenantSpec  # noqa: E402

TODAY = dt.date.fromisoformat(time.strftime("%Y-%m-%d"))
SERVICES = ("s3", "kms", "iam", "ec2")
CLOUD_WORKERS = 2  # the controller's: max(1, workers // 2) with the default 4 workers


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Calls:
    """API calls made through the drivers' boto3 clients, by operation."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.count: Counter[str] = Counter()
        for service in SERVICES:
            events = cloud_driver._session.client(service).meta.events
            events.register("before-call", self._one)

    def _one(self, model: Any, **_: Any) -> None:
        with self.lock:
            self.count[model.name] += 1

    def total(self) -> int:
        with self.lock:
            return sum(self.count.values())


def _endpoint(state: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "infra.localcloud.cloudserver",
            "--port",
            str(port),
            "--state",
            str(state / "cloud-state.pickle"),
        ],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=(state / "cloud.log").open("w"),
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    os.environ.update(
        {
            "AWS_ENDPOINT_URL": url,
            "AWS_REGION": "cn-northwest-1",
            "AWS_DEFAULT_REGION": "cn-northwest-1",
            "AWS_ACCESS_KEY_ID": "govcloud-local",
            "AWS_SECRET_ACCESS_KEY": "govcloud-local",
            "AWS_RESPONSE_CHECKSUM_VALIDATION": "when_required",
        }
    )
    end = time.monotonic() + 60
    while time.monotonic() < end:
        try:
            EndpointEvents(url).read(None)
            return proc, url
        except DriverError:  # not listening yet
            time.sleep(0.2)
    raise SystemExit(f"the cloud endpoint did not start: {(state / 'cloud.log').read_text()}")


def fleet_of(count: int) -> dict[str, TenantSpec]:
    """Synthetic tenants; every fourth holds important data (its own KMS key)."""
    fleet = specs(count)
    for n, tid in enumerate(sorted(fleet)):
        if n % 4 == 0:
            spec = fleet[tid]
            fleet[tid] = spec.model_copy(
                update={
                    "data": spec.data.model_copy(
                        update={"classification": Classification.important}
                    )
                }
            )
    return fleet


def plans(env: EnvironmentSpec, fleet: dict[str, TenantSpec]) -> dict[str, list[CloudObject]]:
    return {
        t: list(render_tenant(s, env, fleet=fleet, today=TODAY).cloud) for t, s in fleet.items()
    }


def create(env: EnvironmentSpec, clouds: dict[str, list[CloudObject]]) -> float:
    table = CloudTable()
    started = time.monotonic()
    for obj in render_platform(env).cloud:
        table.ensure(obj.kind, obj.props)

    def one(tenant: str) -> None:
        for obj in clouds[tenant]:
            table.ensure(obj.kind, obj.props)

    with ThreadPoolExecutor(4) as pool:
        for n, _ in enumerate(pool.map(one, sorted(clouds)), 1):
            if n % 100 == 0:
                print(
                    f"  {n} tenants' cloud resources created ({time.monotonic() - started:.0f} s)",
                    flush=True,
                )
    return time.monotonic() - started


class TenantCache:
    """What the follower reads of the Tenant cache: names and a version."""

    def __init__(self, names: list[str]) -> None:
        self.version = self.content_version = 1
        self._objs = [{"metadata": {"name": n}} for n in names]

    def all(self) -> list[dict[str, Any]]:
        return self._objs


class CountingFeed:
    """The endpoint's feed, counting its reads and id-table reads."""

    def __init__(self, inner: EndpointEvents) -> None:
        self.inner, self.reads, self.id_reads = inner, 0, 0

    def read(self, after: str | None, *, wait: float = 0.0) -> EventPage:
        self.reads += 1
        return self.inner.read(after, wait=wait)

    def identifiers(self) -> dict[str, str]:
        self.id_reads += 1
        return self.inner.identifiers()


class CloudSide:
    """The controller's cloud side: workers on a WorkQueue running the cloud check."""

    def __init__(
        self, env: EnvironmentSpec, clouds: dict[str, list[CloudObject]], feed: CountingFeed
    ) -> None:
        self.ctx = Context(
            kube=None,
            cloud=CloudTable(),
            env=env,  # type: ignore[arg-type]
            caches={"Tenant": TenantCache(sorted(clouds))},
        )  # type: ignore[dict-item]
        self.clouds = clouds
        self.queue = WorkQueue()
        self.stop = threading.Event()
        self.repaired: dict[str, float] = {}  # tenant -> when its last repairing check ended
        self.repaired_cond = threading.Condition()
        self.checks = 0
        self.follower = CloudEventFollower(
            self.ctx, feed, queue=self._first, queue_all=lambda: self.enqueue_all()
        )
        for i in range(CLOUD_WORKERS):
            threading.Thread(target=self._work, name=f"cloud-worker-{i}", daemon=True).start()
        threading.Thread(target=self.follower.run, args=(self.stop,), daemon=True).start()

    def _first(self, tenant: str) -> bool:
        self.queue.add_first(tenant)
        return True

    def enqueue_all(self) -> None:
        for tenant in sorted(self.clouds):
            self.queue.add(tenant)

    def _work(self) -> None:
        while not self.stop.is_set():
            tenant = self.queue.get(timeout=0.5)
            if tenant is None:
                continue
            try:
                _, repairs = check_cloud(self.ctx, tenant, self.clouds[tenant])
                self.checks += 1
                if repairs:
                    with self.repaired_cond:
                        self.repaired[tenant] = time.monotonic()
                        self.repaired_cond.notify_all()
            finally:
                self.queue.done(tenant)

    def wait_repaired(self, tenant: str, since: float, timeout: float = 120.0) -> float:
        end = time.monotonic() + timeout
        with self.repaired_cond:
            while self.repaired.get(tenant, 0.0) < since:
                left = end - time.monotonic()
                if left <= 0:
                    return float("inf")
                self.repaired_cond.wait(left)
            return self.repaired[tenant] - since

    def drain(self) -> None:
        while self.queue.depth() or self.checks == 0:
            time.sleep(0.1)


def backstop_pass(side: CloudSide, calls: Calls, tenants: int) -> tuple[float, float]:
    """(seconds, API calls per tenant check) of one full poll pass."""
    before, checks = calls.total(), side.checks
    started = time.monotonic()
    side.enqueue_all()
    while side.checks - checks < tenants:
        time.sleep(0.05)
    seconds = time.monotonic() - started
    return seconds, (calls.total() - before) / (side.checks - checks)


def _tamperings(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> list[tuple[str, str, Callable[[], None]]]:
    from infra.plan.names import bucket_name, cloud_name, key_alias

    s3, kms = cloud_driver._session.client("s3"), cloud_driver._session.client("kms")
    ec2, iam = cloud_driver._session.client("ec2"), cloud_driver._session.client("iam")

    def versioning(t: str) -> None:
        s3.put_bucket_versioning(
            Bucket=bucket_name(env.name, t), VersioningConfiguration={"Status": "Suspended"}
        )

    def public(t: str) -> None:
        s3.delete_public_access_block(Bucket=bucket_name(env.name, t))

    def open_group(t: str) -> None:
        group = ec2.describe_security_groups(
            Filters=[{"Name": "group-name", "Values": [cloud_name(env.name, t)]}]
        )["SecurityGroups"][0]["GroupId"]
        ec2.authorize_security_group_ingress(
            GroupId=group,
            IpPermissions=[
                {
                    "IpProtocol": "tcp",
                    "FromPort": 22,
                    "ToPort": 22,
                    "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
                }
            ],
        )

    def disable_key(t: str) -> None:
        key = kms.describe_key(KeyId=key_alias(env.name, t))["KeyMetadata"]["KeyId"]
        kms.disable_key(KeyId=key)

    def boundary(t: str) -> None:
        iam.delete_role_permissions_boundary(RoleName=cloud_name(env.name, t))

    keyed = sorted(
        t for t, s in fleet.items() if s.data.classification is not Classification.general
    )
    plain = sorted(fleet)
    kinds: list[tuple[str, list[str], Callable[[str], None]]] = [
        ("bucket versioning suspended", plain, versioning),
        ("public-access block deleted", plain, public),
        ("SSH opened on the group (by id)", plain, open_group),
        ("key disabled (by id)", keyed, disable_key),
        ("role boundary removed", plain, boundary),
    ]
    rng = random.Random(15)
    out = []
    for n in range(10_000):
        label, pool, act = kinds[n % len(kinds)]
        tenant = rng.choice(pool)
        out.append((label, tenant, lambda act=act, tenant=tenant: act(tenant)))
    return out


def latencies(
    side: CloudSide,
    tamperings: list[tuple[str, str, Callable[[], None]]],
    count: int,
    *,
    during_pass: bool,
) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {}
    for label, tenant, act in tamperings[:count]:
        if during_pass and side.queue.depth() < len(side.clouds) // 2:
            side.enqueue_all()  # a backstop batch waits in the queue
        time.sleep(0.2)
        act()
        took = side.wait_repaired(tenant, time.monotonic())
        out.setdefault(label, []).append(took)
    return out


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def report_latency(title: str, found: dict[str, list[float]]) -> None:
    every = [v for vs in found.values() for v in vs]
    print(
        f"  {title}: n={len(every)} p50 {_pct(every, 0.5):.2f} s, p99 {_pct(every, 0.99):.2f}"
        f" s, max {max(every):.2f} s"
    )
    for label, values in found.items():
        print(f"    {label}: median {statistics.median(values):.2f} s (n={len(values)})")


def main() -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # the endpoint is stopped too
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tenants", type=int, default=1000)
    parser.add_argument("--tamperings", type=int, default=40)
    parser.add_argument("--intervals", type=float, nargs="+", default=[30.0, 300.0])
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help="keep the endpoint's state here and reuse it on the next run "
        "with as many tenants (default: a temporary directory)",
    )
    args = parser.parse_args()
    print(machine(), flush=True)
    env = load_environment("local", ROOT / "stacks")
    fleet = fleet_of(args.tenants)
    clouds = plans(env, fleet)
    with tempfile.TemporaryDirectory(prefix="bench-cloud-events-") as tmp:
        state = args.state_dir or Path(tmp)
        state.mkdir(parents=True, exist_ok=True)
        marker = state / "tenants"
        reuse = marker.exists() and marker.read_text() == str(args.tenants)
        proc, url = _endpoint(state)
        try:
            print(
                f"endpoint {url}; the cloud resources of {args.tenants} tenants "
                f"({sum(len(c) for c in clouds.values())} resources)",
                flush=True,
            )
            if reuse:
                print(f"  restored from {state}", flush=True)
            else:
                print(f"  created in {create(env, clouds):.0f} s", flush=True)
                marker.write_text(str(args.tenants))
            calls = Calls()
            feed = CountingFeed(EndpointEvents(url))
            side = CloudSide(env, clouds, feed)

            # 1. the backstop ----------------------------------------------------------
            side.enqueue_all()
            side.drain()  # a first pass: caches warm, the id table read if needed
            seconds, per_check = backstop_pass(side, calls, args.tenants)
            print(
                f"\n1. backstop: a full poll pass over {args.tenants} tenants takes "
                f"{seconds:.1f} s, {per_check:.1f} API calls per tenant check "
                f"({per_check * args.tenants:.0f} calls per pass)"
            )
            for interval in args.intervals:
                asked = args.tenants * per_check * 60 / interval
                served = args.tenants * per_check * 60 / max(interval, seconds)
                note = (
                    ""
                    if seconds <= interval
                    else (
                        f"; a pass takes {seconds:.0f} s > {interval:g} s: the poll runs back to "
                        f"back and the endpoint serves {served:,.0f} calls/min"
                    )
                )
                print(
                    f"   poll every {interval:g} s: {asked:,.0f} API calls per minute asked "
                    f"of the endpoint{note}"
                )

            # 2. event-driven repair latency ---------------------------------------------
            time.sleep(1.0)
            tamperings = _tamperings(env, fleet)
            reads0, ids0, t0 = feed.reads, feed.id_reads, time.monotonic()
            idle = latencies(side, tamperings, args.tamperings, during_pass=False)
            minutes = (time.monotonic() - t0) / 60
            busy_reads = (feed.reads - reads0) / minutes
            busy_ids = (feed.id_reads - ids0) / minutes
            print("\n2. repair from change events (tampering returned -> repairing check done)")
            report_latency("endpoint otherwise idle", idle)
            during = latencies(
                side, tamperings[args.tamperings :], args.tamperings, during_pass=True
            )
            report_latency("while a backstop pass is under way (its batch queued)", during)
            while side.queue.depth():
                time.sleep(0.5)

            # 3. the follower's own requests ---------------------------------------------
            reads0, ids0 = feed.reads, feed.id_reads
            time.sleep(60)
            print(
                f"\n3. the follower's requests: idle {feed.reads - reads0} feed reads and "
                f"{feed.id_reads - ids0} id-table reads per minute; during the tamperings "
                f"{busy_reads:.0f} feed reads and {busy_ids:.1f} id-table reads per minute "
                f"(an id-table read: ListAliases pages + DescribeSecurityGroups + "
                f"DescribeSubnets)"
            )
            side.stop.set()
        finally:
            logging.disable(logging.WARNING)  # the follower sees the endpoint go
            if args.state_dir:
                proc.terminate()  # it saves its state for the next run
                proc.wait(600)
            else:
                proc.kill()  # its state is thrown away: no need to save it first
                proc.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
