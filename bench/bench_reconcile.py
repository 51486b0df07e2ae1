"""Benchmark the reconciler on the local control plane (issues 7 and 20).

    .venv/bin/python bench/bench_reconcile.py [--sizes 100 1000 5000] [--tamperings 200]

1. Steady state: with N tenants reconciled, a full resync pass over every tenant; count
   the reconciler's API requests (its own /metrics, by verb) and writes during the pass,
   at each size. Goal: zero writes; requests do not grow with N.
2. Drift-repair latency: delete one tenant's ResourceQuota, time until the reconciler's
   re-created object arrives on a watch; over many tamperings: p50, p99. Goal p99 <= 100 ms.
3. Mass drift: delete every ResourceQuota at once; repair rate against a plain loop doing
   the same server-side applies in the same run. Goal >= 60 % of the plain loop.
4. Reconciler RSS at the largest size. Goal <= 400 MB (at 5,000 tenants).
The reconciler runs as a real process (`govcloud reconcile --watch --no-cloud`) with its
own service account; the control plane is a fresh local cloud in a temp directory.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_deploy import machine, tenant_cidrs, tenant_id  # noqa: E402
from synthetic import QUOTAS, tenant_yaml  # noqa: E402

from infra.drivers import KubeClient, deploy_client  # noqa: E402
from infra.drivers.identity import write_service_account_kubeconfig  # noqa: E402
from infra.errors import DriverError  # noqa: E402
from infra.localcloud import LocalCloud  # noqa: E402
from infra.plan import render_platform, render_tenant  # noqa: E402
from infra.plan.names import DEPLOY_WRITER  # noqa: E402
from infra.plan.reconciler import RECONCILER_NAMESPACE, RECONCILER_SA  # noqa: E402
from infra.provision.status import report_applied  # noqa: E402
from infra.spec.load import load_environment  # noqa: E402
from infra.spec.tenant import TenantSpec  # noqa: E402

TODAY = time.strftime("%Y-%m-%d")
_WRITES = ("apply", "update", "create", "delete", "patch-status")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def specs(count: int) -> dict[str, TenantSpec]:
    out = {}
    for n, cidr in enumerate(tenant_cidrs(ROOT / "stacks" / "local.yaml", count)):
        data = yaml.safe_load(tenant_yaml(n, count, cidr, tenant_id, QUOTAS))
        out[data["id"]] = TenantSpec.model_validate(data, strict=False)
    return out


def create(kube: KubeClient, fleet: dict[str, TenantSpec], ids: list[str]) -> float:
    import datetime as dt

    env = load_environment("local", ROOT / "stacks")
    today = dt.date.fromisoformat(TODAY)

    deployer = deploy_client(DEPLOY_WRITER)  # only deploy's identity may write Tenants

    def one(tid: str) -> None:
        for obj in render_tenant(fleet[tid], env, fleet=fleet, today=today).kube:
            deployer.apply(obj.manifest)
        # As a deploy ends: its hold released (a Tenant created less than two minutes ago
        # with no deploy report is held, and the reconciler leaves it alone meanwhile).
        report_applied(tid, "bench", client=deployer)

    started = time.monotonic()
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, ids))
    return time.monotonic() - started


def quotas(fleet: dict[str, TenantSpec], ids: list[str]) -> list[dict[str, Any]]:
    """The planned ResourceQuota of each tenant: what the reconciler re-creates."""
    import datetime as dt

    env = load_environment("local", ROOT / "stacks")
    today = dt.date.fromisoformat(TODAY)
    return [
        next(
            o.manifest
            for o in render_tenant(fleet[t], env, fleet=fleet, today=today).kube
            if o.kind == "ResourceQuota"
        )
        for t in ids
    ]


class Reconciler:
    def __init__(
        self, kubeconfig: Path, port: int, log: Path, workers: int, *, cloud: bool = False
    ) -> None:
        """``cloud``: the cloud side too (its change events and the backstop poll), against
        the cloud endpoint of this process's environment."""
        self.port = port
        env = {**os.environ, "KUBECONFIG": str(kubeconfig), "GOVCLOUD_ENV": "local"}
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "infra.cli.main",
                "reconcile",
                "--env",
                "local",
                "--watch",
                *([] if cloud else ["--no-cloud"]),
                "--identity",
                "bench",
                "--resync",
                "3600",
                "--workers",
                str(workers),
                "--metrics-addr",
                f"127.0.0.1:{port}",
            ],
            cwd=ROOT,
            env=env,
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )

    def metrics(self) -> dict[str, float]:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5) as r:
                text = r.read().decode()
        except OSError:
            return {}
        out: dict[str, float] = {}
        for line in text.splitlines():
            match = re.match(r"^([a-z_]+(?:\{[^}]*\})?) ([0-9.e+-]+)$", line)
            if match:
                out[match.group(1)] = float(match.group(2))
        return out

    def passes(self) -> float:
        return self.metrics().get("govcloud_reconcile_duration_seconds_count", 0.0)

    def requests(self) -> dict[str, float]:
        return {
            k.split('"')[1]: v
            for k, v in self.metrics().items()
            if k.startswith("govcloud_api_requests_total{")
        }

    def rss_mb(self) -> float:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        return int(match.group(1)) / 1024 if match else 0.0

    def wait_quiet(self, quiet: float = 2.0, timeout: float = 900) -> None:
        """Until no pass has run for ``quiet`` seconds (the queue is drained)."""
        end = time.monotonic() + timeout
        last, since = self.passes(), time.monotonic()
        while time.monotonic() - since < quiet:
            if time.monotonic() > end:
                raise SystemExit("reconciler never went quiet")
            time.sleep(0.2)
            now = self.passes()
            if now != last:
                last, since = now, time.monotonic()

    def wait_passes(self, at_least: float, timeout: float = 900) -> None:
        end = time.monotonic() + timeout
        while self.passes() < at_least:
            if time.monotonic() > end or self.proc.poll() is not None:
                raise SystemExit(f"reconciler did not reach {at_least} passes")
            time.sleep(0.5)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            self.proc.wait(20)


def steady_pass(rec: Reconciler, count: int) -> tuple[float, float, float, str]:
    """One full pass over every tenant (SIGUSR1 asks the reconciler for a resync now);
    the requests and writes it made, and its duration."""
    rec.wait_quiet()
    before, passes = rec.requests(), rec.passes()
    os.kill(rec.proc.pid, signal.SIGUSR1)
    started = time.monotonic()
    rec.wait_passes(passes + count)
    seconds = time.monotonic() - started
    rec.wait_quiet()
    after = rec.requests()
    delta = {k: after.get(k, 0) - before.get(k, 0) for k in set(after) | set(before)}
    writes = sum(v for k, v in delta.items() if k in _WRITES)
    lease = sum(v for k, v in delta.items() if k.startswith("lease-"))
    total = sum(v for k, v in delta.items() if not k.startswith("lease-"))
    verbs = ", ".join(
        f"{k} {v:.0f}" for k, v in sorted(delta.items()) if v and not k.startswith("lease-")
    )
    return total, writes, seconds, f"{verbs or 'none'}; plus {lease:.0f} for the leader lease"


class QuotaWatch:
    """Times at which a tenant's quota was (re)created, seen on a watch."""

    def __init__(self, kube: KubeClient) -> None:
        self.added: dict[str, list[float]] = {}
        self.count = 0
        self._kube = kube
        self._stop = False
        rv = kube.list("v1", "ResourceQuota").resource_version
        self._thread = threading.Thread(target=self._run, args=(rv,), daemon=True)
        self._thread.start()

    def _run(self, rv: str) -> None:
        try:
            while not self._stop:
                for event, obj in self._kube.watch(
                    "v1", "ResourceQuota", resource_version=rv, timeout_seconds=30
                ):
                    rv = obj["metadata"]["resourceVersion"]
                    if event == "ADDED":
                        self.added.setdefault(obj["metadata"]["namespace"], []).append(
                            time.monotonic()
                        )
                        self.count += 1
        except DriverError:
            return  # the cloud is going down at the end of the run


def latency(kube: KubeClient, watch: QuotaWatch, ids: list[str], n: int) -> list[float]:
    out = []
    rng = random.Random(7)
    for _ in range(n):
        tid = rng.choice(ids)
        seen = len(watch.added.get(tid, []))
        kube.delete("v1", "ResourceQuota", "govcloud-quota", tid)
        t0 = time.monotonic()
        end = t0 + 10
        while len(watch.added.get(tid, [])) <= seen and time.monotonic() < end:
            time.sleep(0.002)
        out.append(watch.added[tid][-1] - t0 if len(watch.added.get(tid, [])) > seen else 10)
    return out


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 1000])
    parser.add_argument("--tamperings", type=int, default=200)
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    # a kill runs the cleanup below: the reconciler and the cloud must not outlive the run
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    print(machine())
    work = Path(tempfile.mkdtemp(prefix="govcloud-bench-reconcile-"))
    cloud = LocalCloud(work / "state")
    cloud.up(say=lambda _: None)
    os.environ.update(cloud.environment())
    kube = KubeClient()
    env = load_environment("local", ROOT / "stacks")
    for obj in render_platform(env).kube:
        kube.apply(obj.manifest)
        if obj.kind == "CustomResourceDefinition":
            time.sleep(2)
    kubeconfig = write_service_account_kubeconfig(
        kube,
        service_account=RECONCILER_SA,
        namespace=RECONCILER_NAMESPACE,
        target=work / "sa-kubeconfig",
    )
    fleet = specs(max(args.sizes))
    ids = sorted(fleet)
    made = 0
    rec: Reconciler | None = None
    try:
        for size in sorted(args.sizes):
            seconds = create(kube, fleet, ids[made:size])
            print(f"created tenants {made}..{size - 1}: {seconds:.1f}s")
            made = size
            if size == max(args.sizes):
                # The floor: a plain loop of server-side applies re-creating every quota.
                with ThreadPoolExecutor(8) as pool:
                    list(
                        pool.map(
                            lambda t: kube.delete("v1", "ResourceQuota", "govcloud-quota", t),
                            ids[:size],
                        )
                    )
                manifests = quotas(fleet, ids[:size])
                started = time.monotonic()
                for manifest in manifests:
                    kube.apply(manifest)
                raw_rate = size / (time.monotonic() - started)
                print(f"plain loop: {raw_rate:.0f} server-side applies/s")
            rec = Reconciler(
                kubeconfig, _free_port(), work / f"reconciler-{size}.log", args.workers
            )
            rec.wait_passes(size)
            total, writes, secs, verbs = steady_pass(rec, size)
            print(
                f"{size} tenants: steady-state pass {secs:.1f}s, {total:.0f} API requests "
                f"({verbs}), {writes:.0f} writes; "
                f"reconciler RSS {rec.rss_mb():.0f} MB"
            )
            if size != max(args.sizes):
                rec.stop()
                rec = None
        assert rec is not None
        watch = QuotaWatch(kube)
        lat = sorted(latency(kube, watch, ids, args.tamperings))
        p50 = statistics.median(lat)
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))]
        print(
            f"drift-repair latency over {len(lat)} tamperings: p50 {p50 * 1000:.0f} ms, "
            f"p99 {p99 * 1000:.0f} ms (goal p99 <= 100 ms)"
        )
        before = watch.count
        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda t: kube.delete("v1", "ResourceQuota", "govcloud-quota", t), ids))
        deleted = time.monotonic()
        end = time.monotonic() + 600
        while watch.count - before < len(ids) and time.monotonic() < end:
            time.sleep(0.05)
        finished = time.monotonic()
        repaired = watch.count - before
        rate = repaired / (finished - started)
        print(
            f"mass drift: {repaired}/{len(ids)} quotas re-created at {rate:.0f}/s = "
            f"{rate / raw_rate:.0%} of the plain loop (goal >= 60%), counted from the "
            f"first deletion; the deletions themselves took {deleted - started:.1f}s of "
            f"the {finished - started:.1f}s"
        )
        print(f"reconciler RSS at {len(ids)} tenants: {rec.rss_mb():.0f} MB (goal <= 400 MB)")
    finally:
        if rec is not None:
            rec.stop()
        cloud.down(quiet=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
