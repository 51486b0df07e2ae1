"""Benchmark the metrics store behind `rightsize` and `report --live`: N tenants × 4 metered
resources × D days of use at one-minute resolution, written through VictoriaMetrics' import
API into a store started as the local cloud starts it (same flags, the cached binary); then
the store's footprint on disk and the time of the queries a live report makes (latest use
and allocation, where each history starts, p95, peak, mean), best of N.

Goals on a 2-core machine (issue 17): 5,000 tenants, 30 days: the live report <= 10 s with
the store's query time included (the report without --live: `bench/bench_report.py`);
footprint measured.

    .venv/bin/python bench/bench_metering.py [--tenants 5000] [--days 30] [--repeat 3]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import platform
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from infra.bureau import read_average, read_latest, read_metering  # noqa: E402
from infra.drivers.metrics import MetricsClient  # noqa: E402
from infra.localcloud.components import Layout, components  # noqa: E402
from infra.localcloud.processes import free_port, spawn, stop  # noqa: E402
from infra.plan.metering import HARD_METRIC, USED_METRIC  # noqa: E402

GI = 2**30
MINUTE = 60
HARD = {"cpu": 24.0, "memory": 96.0 * GI, "storage": 10.0 * 2**40, "pods": 400.0}


@dataclass(frozen=True)
class Tenant:  # what the metering reads need of a spec
    id: str


def _series(tenant: int, resource: str, stamps: str, count: int) -> str:
    """One tenant's use of one resource: a daily wave, different per tenant (one day's
    values computed, then repeated; ``stamps`` is the JSON list of timestamps)."""
    base, phase = HARD[resource] * (0.05 + (tenant % 20) / 100), tenant % 1440
    day = [
        f"{base * (1 + 0.5 * math.sin((i + phase) / 1440 * 2 * math.pi)):.6g}" for i in range(1440)
    ]
    values = ",".join((day * (count // 1440 + 1))[:count])
    labels = {"__name__": USED_METRIC, "tenant": f"t{tenant:05d}", "resource": resource}
    return f'{{"metric":{json.dumps(labels)},"values":[{values}],"timestamps":{stamps}}}'


def _post(url: str, body: bytes) -> None:
    request = urllib.request.Request(f"{url}/api/v1/import", data=body, method="POST")
    with urllib.request.urlopen(request, timeout=600) as resp:
        assert resp.status == 204, resp.status


def _hard(tenant: int, end: int) -> str:
    return "\n".join(
        json.dumps(
            {
                "metric": {"__name__": HARD_METRIC, "tenant": f"t{tenant:05d}", "resource": r},
                "values": [value],
                "timestamps": [(end - MINUTE) * 1000],
            }
        )
        for r, value in HARD.items()
    )


def _fill(url: str, tenants: int, days: int) -> tuple[int, float]:
    end = int(time.time()) // MINUTE * MINUTE
    start = end - days * 86400
    samples, spent = 0, 0.0
    times = range(start, end, MINUTE)
    stamps = json.dumps([t * 1000 for t in times])
    for n in range(tenants):
        lines = [_series(n, r, stamps, len(times)) for r in HARD] + [_hard(n, end)]
        body = ("\n".join(lines) + "\n").encode()
        began = time.perf_counter()
        _post(url, body)
        spent += time.perf_counter() - began
        samples += 4 * len(times) + 4
        if n % 500 == 499:
            print(f"  {n + 1} tenants written", flush=True)
    with urllib.request.urlopen(f"{url}/internal/force_flush", timeout=600):
        pass
    return samples, spent


def _du(path: Path) -> int:
    out = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=5000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    machine = platform.processor() or platform.machine()
    print(f"{platform.node()}: {machine}, python {sys.version.split()[0]}")
    with tempfile.TemporaryDirectory(prefix="govcloud-bench-metering-") as scratch:
        lay = Layout(Path(scratch), {"metrics": free_port()})
        store = next(c for c in components() if c.name == "metrics")
        assert store.prepare is not None
        store.prepare(lay)
        (lay.state / "logs").mkdir()
        pid = spawn(
            store.command(lay), log=lay.state / "logs" / "metrics.log", cwd=lay.state, env={}
        )
        try:
            for _ in range(100):
                try:
                    with urllib.request.urlopen(f"{lay.metrics_url}/health", timeout=1):
                        break
                except OSError:
                    time.sleep(0.1)
            began = time.perf_counter()
            samples, posting = _fill(lay.metrics_url, args.tenants, args.days)
            took = time.perf_counter() - began
            print(
                f"written: {args.tenants} tenants × 4 resources × {args.days} days at 1 min = "
                f"{samples:,} samples in {took:.1f} s ({posting:.1f} s in the import API, "
                f"{samples / posting:,.0f} samples/s)"
            )
            time.sleep(2)
            size = _du(lay.metrics_data)
            print(f"footprint: {size / 2**20:.1f} MiB on disk ({size / samples:.2f} bytes/sample)")
            client = MetricsClient(lay.metrics_url)
            specs = [Tenant(f"t{n:05d}") for n in range(args.tenants)]
            window = dt.timedelta(days=min(args.days, 30) - 1)
            best = math.inf
            for _ in range(args.repeat):
                now = dt.datetime.now(dt.UTC)
                began = time.perf_counter()
                latest = read_latest(client, specs, now=now)  # type: ignore[arg-type]
                metering = read_metering(client, specs, now=now, window=window)  # type: ignore[arg-type]
                mean = read_average(client, specs, now=now, period=window)  # type: ignore[arg-type]
                best = min(best, time.perf_counter() - began)
            enough = sum(metering.enough(u) for u in metering.tenants.values())
            print(
                f"live-report queries over {window.days} days: best {best:.2f} s of "
                f"{args.repeat} ({len(latest)} tenants current, {enough} with a full window, "
                f"{len(mean)} metered)"
            )
        finally:
            stop(pid)


if __name__ == "__main__":
    main()
