"""Benchmark `govcloud audit` on 100 tenants (about 10,000 ordered tenant pairs).

    .venv/bin/python bench/bench_audit.py [--tenants 100] [--exhaustive] [--no-cloud]

A fresh local cloud in a temporary directory gets the platform objects and N synthetic
tenants (mutual pairs): their Kubernetes objects applied server-side, their cloud resources
(key, bucket, role, subnet, group) ensured through the driver table, as a deploy would leave
them. Then one full audit runs (RBAC matrix, workload probes, network, namespaces, cloud);
the requests it made, the time of each phase and the total are printed.
Goal on this 2-core machine: 100 tenants in <= 60 s, zero leaks.
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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_deploy import machine  # noqa: E402
from bench_reconcile import specs  # noqa: E402

from infra.audit import AuditOptions, audit_environment, render  # noqa: E402
from infra.drivers import CloudTable, KubeClient  # noqa: E402
from infra.localcloud import LocalCloud  # noqa: E402
from infra.localcloud.prowler import prowler_python  # noqa: E402
from infra.plan import render_platform, render_tenant  # noqa: E402
from infra.spec.load import load_environment  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tenants", type=int, default=100)
    parser.add_argument("--exhaustive", action="store_true",
                        help="ask every namespace directly (no equivalence)")
    parser.add_argument("--no-cloud", dest="cloud", action="store_false")
    parser.add_argument("--no-prowler", dest="prowler", action="store_false",
                        help="leave prowler out (it runs alongside the probes by default)")
    parser.add_argument("--profile", action="store_true", help="print the audit's hot spots")
    args = parser.parse_args()
    print(machine())
    work = Path(tempfile.mkdtemp(prefix="govcloud-bench-audit-"))
    cloud = LocalCloud(work / "state")
    cloud.up(say=lambda _: None)
    os.environ.update(cloud.environment())
    try:
        return _run(args)
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

    def one(tid: str) -> None:
        plan = render_tenant(fleet[tid], env, fleet=fleet, today=now.date(), now=now)
        for obj in plan.kube:
            kube.apply(obj.manifest)
        if args.cloud:
            for cobj in plan.cloud:
                table.ensure(cobj.kind, cobj.props)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, sorted(fleet)))
    print(f"setup: platform and {len(fleet)} tenants in {time.monotonic() - started:.0f} s")

    marks: list[tuple[str, float]] = [("load and render", time.monotonic())]

    def say(line: str) -> None:
        marks.append((line, time.monotonic()))

    python = prowler_python() if args.prowler else None
    if args.prowler and python is None:
        print("prowler is not installed (govcloud localcloud build): measured without it")
    options = AuditOptions(root=ROOT, env="local", exhaustive=args.exhaustive or None,
                           cloud=args.cloud, now=now, prowler=python is not None,
                           prowler_python=python)
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
    print(f"requests: {result.tally.requests}, checks: {result.tally.checks}, matrix cells by "
          f"equivalence: {result.tally.covered_by_equivalence}")
    ends = [t for _, t in marks[1:]] + [time.monotonic()]
    for (line, begun), ended in zip(marks, ends, strict=True):
        print(f"  {ended - begun:6.1f} s  {line}")
    print(f"total: {result.seconds:.1f} s (goal <= 60 s){' with prowler' if python else ''}")
    for finding in result.findings[:20]:
        print(f"  {finding.kind}: {finding.line()}")
    return 0 if not result.findings and result.seconds <= 60 else 1


if __name__ == "__main__":
    sys.exit(main())
