"""Benchmark `govcloud check` end to end (process start, YAML parsing, rules).

Generates 500, 5,000 and 20,000 valid synthetic tenants (unique CIDRs, mutual peers, valid
credit codes) into a temporary directory and times the real command on each.
Goal on a 2-core machine: 5,000 tenants in <= 2 s and t(20,000) / t(5,000) <= 4.5.

    .venv/bin/python bench/bench_check.py [--sizes 500 5000 20000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from synthetic import tenant_yaml  # noqa: E402

ENVIRONMENT = """\
name: bench
capacity: {cpu: "1000000", memory: 4000Ti, storage: 100Pi, overcommit: 1.5}
network: {pool: 10.0.0.0/8, tenant_prefix: 28, reserved: [10.0.0.0/24]}
shared_services:
  - {id: unified-identity, name: 统一身份认证平台}
  - {id: data-exchange, name: 政务数据共享交换平台}
ceilings:
  province: {cpu: "256", memory: 1Ti, storage: 100Ti, pods: 2000}
  city: {cpu: "128", memory: 512Gi, storage: 50Ti, pods: 1000}
  county: {cpu: "32", memory: 128Gi, storage: 10Ti, pods: 300}
owner_domains: [gd.gov.cn]
operator_groups: [cloud-ops]
operator_domains: [gdcloud-ops.com.cn]
authorization_pattern: '^粤政数授〔20[0-9]{2}〕[1-9][0-9]{0,3}号$'
"""


def generate(directory: Path, count: int) -> None:
    (directory / "stacks").mkdir(parents=True)
    (directory / "stacks" / "bench.yaml").write_text(ENVIRONMENT, encoding="utf-8")
    tenants = directory / "tenants"
    tenants.mkdir()
    base = int(ipaddress.IPv4Address("10.1.0.0"))
    for n in range(count):
        cidr = f"{ipaddress.IPv4Address(base + 16 * n)}/28"
        (tenants / f"t{n:05d}.yaml").write_text(
            tenant_yaml(n, count, cidr, lambda i: f"t{i:05d}"), encoding="utf-8"
        )


def time_check(directory: Path, repeat: int) -> float:
    command = [
        sys.executable,
        "-m",
        "infra.cli.main",
        "check",
        str(directory / "tenants"),
        "--env",
        "bench",
        "--stacks-dir",
        str(directory / "stacks"),
        "--today",
        "2026-11-28",
    ]
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        best = min(best, time.perf_counter() - started)
        if result.returncode != 0:
            raise SystemExit(f"check failed ({result.returncode}):\n{result.stderr[:2000]}")
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000, 20000])
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs")
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPU(s), "
        f"Python {platform.python_version()}"
    )
    times: dict[int, float] = {}
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="govcloud-bench-") as tmp:
            generate(Path(tmp), size)
            times[size] = time_check(Path(tmp), args.repeat)
        print(f"{size:>7,} tenants: {times[size]:6.2f} s  ({times[size] / size * 1e3:.3f} ms each)")
    if 5000 in times and 20000 in times:
        ratio = times[20000] / times[5000]
        print(f"t(20,000) / t(5,000) = {ratio:.2f}  (goal <= 4.5)")
        print(f"t(5,000) = {times[5000]:.2f} s  (goal <= 2.0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
