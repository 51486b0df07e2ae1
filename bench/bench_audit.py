"""Benchmark `govcloud audit` on 100 tenants (about 10,000 ordered tenant pairs).

    .venv/bin/python bench/bench_audit.py [--tenants 100] [--exhaustive] [--no-cloud]
    .venv/bin/python bench/bench_audit.py --sizes 100 300 1000
    .venv/bin/python bench/bench_audit.py --tenants 12 --no-cloud --no-prowler --flood 1500

A fresh local cloud in a temporary directory gets the platform objects and N synthetic
tenants (mutual pairs): their Kubernetes objects applied server-side, their cloud resources
(key, bucket, role, subnet, group) ensured through the driver table, as a deploy would leave
them. Then one full audit runs (RBAC matrix, workload probes, network, namespaces, cloud);
the requests it made, the time of each phase and the total are printed.
Goal on this 2-core machine: 100 tenants in <= 60 s, zero leaks.

``--sizes A B ...``: the fleet grows to each size in turn on the same local cloud (the
tenants added are deployed, then the audit runs); at each size the seconds per tenant of
each phase and the requests per tenant are printed, with the cloud's floor (listing the
cloud and reading every planned object, nothing judged) and the load average
(/proc/loadavg). Goal: per-tenant cost flat from 100 to 1,000; 1,000 tenants <= 5 min and
5,000 <= 30 min with prowler.

``--flood N``: after the clean audit, one tenant gets all the NetworkPolicies its quota
allows (each with its own pod selector and peer: the analyzer's worst case) and the audit
runs again; then N more, made as if before the quota existed (the quota is deleted while
they are written and put back), and the audit runs a third time. Each time and its ratio to
the clean one is printed. Goal: neither above 2x (the over-quota tenant is a finding).
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import os
import pstats
import sys
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_deploy import machine  # noqa: E402
from bench_reconcile import specs  # noqa: E402

from infra.audit import AuditOptions, audit_environment, render  # noqa: E402
from infra.drivers import CloudTable, KubeClient, deploy_client  # noqa: E402
from infra.drivers.cloud.listing import CloudListing  # noqa: E402
from infra.localcloud import LocalCloud  # noqa: E402
from infra.localcloud.prowler import prowler_python  # noqa: E402
from infra.plan import render_platform, render_tenant  # noqa: E402
from infra.plan.names import DEPLOY_WRITER  # noqa: E402
from infra.plan.quota import count_limit  # noqa: E402
from infra.spec.environment import EnvironmentSpec  # noqa: E402
from infra.spec.load import load_environment  # noqa: E402
from infra.spec.tenant import TenantSpec  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument(
        "--sizes",
        type=int,
        nargs="+",
        metavar="N",
        help="audit at each size in turn, the fleet grown on one local cloud",
    )
    parser.add_argument(
        "--exhaustive", action="store_true", help="ask every namespace directly (no equivalence)"
    )
    parser.add_argument("--no-cloud", dest="cloud", action="store_false")
    parser.add_argument(
        "--no-prowler",
        dest="prowler",
        action="store_false",
        help="leave prowler out (it runs alongside the probes by default)",
    )
    parser.add_argument("--profile", action="store_true", help="print the audit's hot spots")
    parser.add_argument(
        "--flood",
        type=int,
        default=0,
        metavar="N",
        help="then flood one tenant: to its NetworkPolicy quota, and N past it",
    )
    args = parser.parse_args()
    print(machine())
    work = Path(tempfile.mkdtemp(prefix="govcloud-bench-audit-"))
    cloud = LocalCloud(work / "state")
    cloud.up(say=lambda _: None)
    os.environ.update(cloud.environment())
    try:
        return _sizes(args) if args.sizes else _run(args)
    finally:
        cloud.down(quiet=True)


def _run(args: argparse.Namespace) -> int:
    kube, table = KubeClient(), CloudTable()
    env = load_environment("local", ROOT / "stacks")
    now = dt.datetime.now(dt.UTC)
    started = time.monotonic()
    platform = render_platform(env)
    for obj in platform.kube:
        kube.apply(obj.manifest)
        if obj.kind == "CustomResourceDefinition":
            time.sleep(2)
    for cobj in platform.cloud:
        table.ensure(cobj.kind, cobj.props)
    fleet = specs(args.tenants)

    deployer = deploy_client(DEPLOY_WRITER)  # only deploy's identity may write Tenants

    def one(tid: str) -> None:
        plan = render_tenant(fleet[tid], env, fleet=fleet, today=now.date(), now=now)
        for obj in plan.kube:
            deployer.apply(obj.manifest)
        if args.cloud:
            for cobj in plan.cloud:
                table.ensure(cobj.kind, cobj.props)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, sorted(fleet)))
    print(f"setup: platform and {len(fleet)} tenants in {time.monotonic() - started:.0f} s")

    marks: list[tuple[str, float]] = [("load and render", time.monotonic())]

    def say(line: str) -> None:
        marks.append((line, time.monotonic()))

    options = _options(args, now)
    profiler = cProfile.Profile() if args.profile else None
    if profiler:
        profiler.enable()
    result = audit_environment(env, fleet, options, admin=kube, say=say)
    if profiler:
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    pairs = len(fleet) * (len(fleet) - 1)
    print(render(result, "text").splitlines()[0])
    print(f"tenants: {len(fleet)}, ordered tenant pairs: {pairs}")
    print(
        f"requests: {result.tally.requests}, checks: {result.tally.checks}, matrix cells by "
        f"equivalence: {result.tally.covered_by_equivalence}"
    )
    _phases(marks)
    extra = " with prowler" if options.prowler else ""
    print(f"total: {result.seconds:.1f} s (goal <= 60 s){extra}")
    for finding in result.findings[:20]:
        print(f"  {finding.kind}: {finding.line()}")
    clean = not result.findings and result.seconds <= 60
    if args.flood:
        return 0 if _flood(args.flood, kube, env, fleet, options, result.seconds) and clean else 1
    return 0 if clean else 1


def _deploy(fleet: dict[str, TenantSpec], ids: list[str], cloud: bool, now: dt.datetime) -> None:
    env = load_environment("local", ROOT / "stacks")
    table = CloudTable()
    deployer = deploy_client(DEPLOY_WRITER)  # only deploy's identity may write Tenants

    def one(tid: str) -> None:
        plan = render_tenant(fleet[tid], env, fleet=fleet, today=now.date(), now=now)
        for obj in plan.kube:
            deployer.apply(obj.manifest)
        if cloud:
            for cobj in plan.cloud:
                table.ensure(cobj.kind, cobj.props)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, ids))


def _cloud_floor(env: EnvironmentSpec, fleet: dict[str, TenantSpec], now: dt.datetime) -> float:
    """Seconds to list the cloud and read every planned object, nothing judged, with as
    many threads as the audit's cloud phase."""
    objects = [
        cobj
        for tid in sorted(fleet)
        for cobj in render_tenant(fleet[tid], env, fleet=fleet, today=now.date(), now=now).cloud
    ]
    started = time.monotonic()
    listing = CloudListing.take()
    with ThreadPoolExecutor(AuditOptions(ROOT, "local").workers) as pool:
        list(pool.map(lambda o: listing.read(o.kind, o.props), objects))
    return time.monotonic() - started


def _options(args: argparse.Namespace, now: dt.datetime) -> AuditOptions:
    """The audit's options from the command line (prowler when it is installed)."""
    python = prowler_python() if args.prowler else None
    if args.prowler and python is None:
        print("prowler is not installed (govcloud localcloud build): measured without it")
    return AuditOptions(
        root=ROOT,
        env="local",
        exhaustive=args.exhaustive or None,
        cloud=args.cloud,
        now=now,
        prowler=python is not None,
        prowler_python=python,
    )


def _sizes(args: argparse.Namespace) -> int:
    """The audit at each size, the fleet grown on one local cloud; per-tenant costs."""
    kube, table = KubeClient(), CloudTable()
    env = load_environment("local", ROOT / "stacks")
    now = dt.datetime.now(dt.UTC)
    platform = render_platform(env)
    for obj in platform.kube:
        kube.apply(obj.manifest)
        if obj.kind == "CustomResourceDefinition":
            time.sleep(2)
    for cobj in platform.cloud:
        table.ensure(cobj.kind, cobj.props)
    options = _options(args, now)
    done: list[str] = []
    rows: list[tuple[int, dict[str, float], float, int, float, str]] = []
    ok = True
    for size in sorted(set(args.sizes)):
        fleet = specs(size)
        if len(fleet) != size:
            print(f"asked for {size} tenants, the local network pool holds {len(fleet)}")
            return 1
        started = time.monotonic()
        _deploy(fleet, sorted(set(fleet) - set(done)), args.cloud, now)
        done = sorted(fleet)
        print(f"size {size}: {size} tenants deployed ({time.monotonic() - started:.0f} s)")
        result = audit_environment(env, fleet, options, admin=kube)
        load = Path("/proc/loadavg").read_text().split()[:3]  # the minute the audit ended
        floor = _cloud_floor(env, fleet, now) if args.cloud else 0.0
        rows.append(
            (
                size,
                dict(result.phases),
                result.seconds,
                result.tally.requests,
                floor,
                " ".join(load),
            )
        )
        print(
            f"  audit: {result.seconds:.1f} s, {len(result.findings)} finding(s), "
            f"{result.tally.requests} requests; cloud sample: {', '.join(result.cloud_sample)}"
        )
        for finding in result.findings[:10]:
            print(f"  {finding.kind}: {finding.line()}")
        ok = ok and not result.findings and not result.not_checked
        _per_tenant(rows[-1:], header=len(rows) == 1)  # now: a later size may not finish
    print()
    _per_tenant(rows)
    return 0 if ok else 1


def _per_tenant(
    rows: list[tuple[int, dict[str, float], float, int, float, str]], *, header: bool = True
) -> None:
    """One row per size: milliseconds per tenant of each phase, requests per tenant."""
    phases = list(dict.fromkeys(k for _, p, *_rest in rows for k in p))
    if header:
        print("per tenant (ms per tenant; prowler runs alongside the other phases)")
    head = ["tenants", "total s", *phases, "total", "cloud floor", "requests", "load (1/5/15)"]
    print(" | ".join(head))
    for size, spent, total, requests, floor, load in rows:
        cells = [f"{1000 * spent.get(k, 0.0) / size:.1f}" for k in phases]
        print(
            " | ".join(
                [
                    str(size),
                    f"{total:.1f}",
                    *cells,
                    f"{1000 * total / size:.1f}",
                    f"{1000 * floor / size:.1f}",
                    f"{requests / size:.1f}",
                    load,
                ]
            )
        )


def _marker(marks: list[tuple[str, float]]) -> Callable[[str], None]:
    def mark(line: str) -> None:
        marks.append((line, time.monotonic()))

    return mark


def _phases(marks: list[tuple[str, float]]) -> None:
    ends = [t for _, t in marks[1:]] + [time.monotonic()]
    for (line, begun), ended in zip(marks, ends, strict=True):
        print(f"  {ended - begun:6.1f} s  {line}")


def _policy(ns: str, i: int) -> dict[str, object]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": f"flood-{i}", "namespace": ns},
        "spec": {
            "podSelector": {"matchLabels": {"flood": f"a{i}"}},
            "policyTypes": ["Ingress"],
            "ingress": [{"from": [{"podSelector": {"matchLabels": {"flood": f"b{i}"}}}]}],
        },
    }


def _flood(
    extra: int,
    kube: KubeClient,
    env: EnvironmentSpec,
    fleet: dict[str, TenantSpec],
    options: AuditOptions,
    clean: float,
) -> bool:
    target = sorted(fleet)[0]
    now = options.now or dt.datetime.now(dt.UTC)
    plan = render_tenant(fleet[target], env, fleet=fleet, today=now.date(), now=now)
    planned = sum(1 for o in plan.kube if o.kind == "NetworkPolicy" and o.namespace == target)
    allowed = (count_limit(plan.kube, "NetworkPolicy") or 0) - planned
    quota = next(o.manifest for o in plan.kube if o.kind == "ResourceQuota")
    time.sleep(3)  # the quota controller counts the policies before the flood
    ok = True
    for label, first, count, past in (
        ("to its quota", 0, allowed, False),
        ("past its quota", allowed, extra, True),
    ):
        if past:
            kube.delete("v1", "ResourceQuota", "govcloud-quota", target)
        started = time.monotonic()
        with ThreadPoolExecutor(8) as pool:
            list(pool.map(lambda i: kube.apply(_policy(target, i)), range(first, first + count)))
        if past:
            kube.apply(quota)
        print(
            f"flood {label}: {count} NetworkPolicies in {target} "
            f"({time.monotonic() - started:.0f} s to write)"
        )
        phases: list[tuple[str, float]] = [("load and render", time.monotonic())]
        result = audit_environment(env, fleet, options, admin=kube, say=_marker(phases))
        _phases(phases)
        over = [f for f in result.findings if f.category == "quota"]
        ratio = result.seconds / clean
        print(
            f"  audit: {result.seconds:.1f} s, {ratio:.2f}x the clean audit (goal <= 2x); "
            f"{len(result.findings)} finding(s), {len(over)} over quota"
        )
        ok = ok and ratio <= 2 and bool(over) == past
    return ok


if __name__ == "__main__":
    sys.exit(main())
