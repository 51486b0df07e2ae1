"""Benchmark the metrics store behind `rightsize` and `report --live`: N tenants × 4 metered
resources × D days of use at one-minute resolution, written through VictoriaMetrics' import
API into a store started as the local cloud starts it (same flags, the cached binary), at a
printed rate; the store's footprint on disk; the first summary of the hours (the hourly
series, all but the last day); the live report's queries a day later (that day summarised
first), then best of N with nothing left to summarise, against the floor (the same queries
issued directly, answers read and not parsed), with the CPU of govcloud and of the store;
last, the hourly answers checked against the readings' own queries for a sample of tenants.
The load average is printed with each timing: the machine is shared.

Goals on a 2-core machine (issue 17): 5,000 tenants, 30 days: the live report <= 10 s with
the store's query time included (the report without --live: `bench/bench_report.py`);
footprint measured. Importing is slow on a loaded machine: `--store DIR` keeps the data and
reuses it (`--summarised`: its hourly series too).

    .venv/bin/python bench/bench_metering.py [--tenants 5000] [--days 30] [--repeat 3]
        [--store DIR [--summarised]] [--check 100]
"""

from __future__ import annotations

import argparse
import datetime as dt
import functools
import json
import math
import os
import platform
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from infra.bureau import read_latest, read_use  # noqa: E402
from infra.bureau.hourly import summarise  # noqa: E402
from infra.drivers.metrics import MetricsClient  # noqa: E402
from infra.localcloud.components import Layout, components  # noqa: E402
from infra.localcloud.processes import free_port, spawn, stop  # noqa: E402
from infra.plan.metering import HARD_METRIC, USED_METRIC  # noqa: E402

print = functools.partial(print, flush=True)

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


def _fill(url: str, tenants: int, days: int) -> tuple[int, int, float]:
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
    return end, samples, spent


def _du(path: Path) -> int:
    out = subprocess.run(["du", "-sb", str(path)], capture_output=True, text=True, check=True)
    return int(out.stdout.split()[0])


def _forget_summaries(url: str) -> None:
    form = urllib.parse.urlencode({"match[]": f'{{__name__=~"{USED_METRIC}:.+"}}'}).encode()
    request = urllib.request.Request(f"{url}/api/v1/admin/tsdb/delete_series", data=form)
    with urllib.request.urlopen(request, timeout=600) as resp:
        assert resp.status == 204, resp.status


def _cpu(pid: int) -> float:
    """CPU seconds (user and system) a process has used: the store's share of a query,
    which the machine's load does not inflate the way it inflates wall time."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _load() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 1)[0]


class Recording(MetricsClient):
    """The client govcloud uses, remembering every query it asks (for the floor)."""

    def __init__(self, url: str) -> None:
        super().__init__(url)
        self.asked: list[tuple[str, dict[str, str]]] = []

    def _get(self, path: str, params: dict[str, str], kind: str) -> list[dict[str, Any]]:
        self.asked.append((path, params))
        return super()._get(path, params, kind)


def _floor(url: str, asked: list[tuple[str, dict[str, str]]]) -> float:
    """The same queries issued directly: each answer read whole, nothing parsed."""
    began = time.perf_counter()
    for path, params in asked:
        with urllib.request.urlopen(f"{url}{path}?{urllib.parse.urlencode(params)}") as resp:
            resp.read()
    return time.perf_counter() - began


def _live_report(
    client: MetricsClient, specs: list[Tenant], now: dt.datetime, window: dt.timedelta
) -> tuple[Any, Any, Any]:
    latest = read_latest(client, specs, now=now)  # type: ignore[arg-type]
    metering, mean = read_use(client, specs, now=now, window=window)  # type: ignore[arg-type]
    return latest, metering, mean


def _raw(client: MetricsClient, expr: str, now: dt.datetime) -> dict[tuple[str, str], float]:
    return {(s.labels["tenant"], s.labels["resource"]): s.value for s in client.query(expr, now)}


def _check(
    client: MetricsClient,
    metering: Any,
    mean: Any,
    now: dt.datetime,
    window: dt.timedelta,
    sample: int,
) -> None:
    """The hourly answers against the readings' own, for the first ``sample`` tenants."""
    chosen = "|".join(f"t{n:05d}" for n in range(sample))
    span = f"{int(window.total_seconds())}s"
    sel = f'{USED_METRIC}{{tenant=~"{chosen}",resource=~"cpu|memory"}}'
    began = time.perf_counter()
    peak = _raw(client, f"max by (tenant, resource) (max_over_time({sel}[{span}]))", now)
    p95 = _raw(client, f"max by (tenant, resource) (quantile_over_time(0.95, {sel}[{span}]))", now)
    sel3 = sel.replace("cpu|memory", "cpu|memory|storage")
    avg = _raw(client, f"max by (tenant, resource) (avg_over_time({sel3}[{span}]))", now)
    took = time.perf_counter() - began
    worst_peak = max(abs(float(metering.tenants[t].peak[r]) - v) / v for (t, r), v in peak.items())
    worst_mean = max(abs(float(mean[t][r]) - v) / v for (t, r), v in avg.items())
    over = [float(metering.tenants[t].percentile[r]) / v - 1 for (t, r), v in p95.items()]
    print(
        f"exactness, {sample} tenants against the readings' own queries ({took:.1f} s): "
        f"peak max relative difference {worst_peak:.1e}, mean {worst_mean:.1e}; p95 over "
        f"hourly peaks / p95 of readings - 1: min {min(over):+.2%}, median "
        f"{sorted(over)[len(over) // 2]:+.2%}, max {max(over):+.2%}"
    )


def _first_summary(
    client: MetricsClient, url: str, specs: list[Tenant], now: dt.datetime, window: dt.timedelta
) -> None:
    """Every hour summarised afresh but the last day's, then a report a day later."""
    _forget_summaries(url)  # a store kept from an earlier run
    began = time.perf_counter()
    summarise(client, now=now - dt.timedelta(days=1), window=window)
    print(
        f"first summary of the hours (all but the last day): "
        f"{time.perf_counter() - began:.1f} s (load {_load()})"
    )
    began = time.perf_counter()
    _live_report(client, specs, now, window)
    print(
        f"live-report queries a day later (the day's hours summarised first): "
        f"{time.perf_counter() - began:.2f} s (load {_load()})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tenants", type=int, default=5000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument(
        "--store",
        type=Path,
        default=None,
        help="keep the store's data here and reuse it when it is there (import once)",
    )
    parser.add_argument(
        "--summarised",
        action="store_true",
        help="a kept store's hourly series are reused (no first summary timed)",
    )
    parser.add_argument("--check", type=int, default=100, help="tenants checked for exactness")
    args = parser.parse_args()
    machine = platform.processor() or platform.machine()
    print(f"{platform.node()}: {machine}, python {sys.version.split()[0]}, load {_load()}")
    with tempfile.TemporaryDirectory(prefix="govcloud-bench-metering-") as scratch:
        home = args.store or Path(scratch)
        home.mkdir(parents=True, exist_ok=True)
        lay = Layout(home, {"metrics": free_port()})
        store = next(c for c in components() if c.name == "metrics")
        assert store.prepare is not None
        store.prepare(lay)
        (lay.state / "logs").mkdir(exist_ok=True)
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
            marker = home / "bench-end"
            if not marker.exists():
                began = time.perf_counter()
                end, samples, posting = _fill(lay.metrics_url, args.tenants, args.days)
                marker.write_text(f"{end} {args.tenants}")
                took = time.perf_counter() - began
                print(
                    f"written: {args.tenants} tenants × 4 resources × {args.days} days at 1 min"
                    f" = {samples:,} samples in {took:.1f} s ({posting:.1f} s in the import "
                    f"API, {samples / posting:,.0f} samples/s; load {_load()})"
                )
                time.sleep(2)
            end, tenants = (int(x) for x in marker.read_text().split())
            size = _du(lay.metrics_data)
            samples = tenants * 4 * args.days * 1440
            print(
                f"store: {tenants} tenants, {samples:,} samples; footprint {size / 2**20:.1f} "
                f"MiB on disk ({size / samples:.3f} bytes/sample)"
            )
            now = dt.datetime.fromtimestamp(end, dt.UTC)
            client = Recording(lay.metrics_url)
            specs = [Tenant(f"t{n:05d}") for n in range(tenants)]
            window = dt.timedelta(days=min(args.days, 30) - 1)
            if not args.summarised:
                _first_summary(client, lay.metrics_url, specs, now, window)
            best, floor, cpu = math.inf, math.inf, (math.inf, math.inf)
            for _ in range(args.repeat):
                client.asked.clear()
                began, ours, theirs = time.perf_counter(), time.process_time(), _cpu(pid)
                latest, metering, mean = _live_report(client, specs, now, window)
                best = min(best, time.perf_counter() - began)
                cpu = min(cpu, (time.process_time() - ours, _cpu(pid) - theirs))
                floor = min(floor, _floor(lay.metrics_url, client.asked))
            enough = sum(metering.enough(u) for u in metering.tenants.values())
            print(
                f"live-report queries over {window.days} days: best {best:.2f} s of "
                f"{args.repeat} ({len(latest)} tenants current, {enough} with a full window, "
                f"{len(mean)} metered); floor (the same {len(client.asked)} queries issued "
                f"directly) {floor:.2f} s; ratio {best / floor:.2f}× (load {_load()}); CPU: "
                f"govcloud {cpu[0]:.2f} s, the store {cpu[1]:.2f} s"
            )
            size = _du(lay.metrics_data)
            print(f"footprint with the hourly series: {size / 2**20:.1f} MiB on disk")
            if args.check:
                _check(client, metering, mean, now, window, min(args.check, tenants))
        finally:
            stop(pid)


if __name__ == "__main__":
    main()
