"""Benchmark `govcloud check` end to end (process start, YAML parsing, rules).

Generates 500, 5,000 and 20,000 valid synthetic tenants (unique CIDRs, mutual peers, valid
credit codes) into a temporary directory and times the real command on each.
Goal on a 2-core machine: 5,000 tenants in <= 2 s and t(20,000) / t(5,000) <= 4.5.

With ``--regions`` the environment declares three regions (a provincial node and the
Guangzhou and Shenzhen city nodes) and the tenants are spread over Tianhe (Guangzhou),
Nanshan (Shenzhen) and Nanhai (Foshan: no node, so the provincial node), each CIDR from its
region's pool; the floor (one process reading every file and validating it with the
tenant model, nothing else) is timed in the same run. Goal: check <= 1.3 x the floor.

    .venv/bin/python bench/bench_check.py [--sizes 500 5000 20000] [--repeat 3] [--regions]
"""

from __future__ import annotations

import argparse
import ipaddress
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from synthetic import tenant_yaml  # noqa: E402

from infra.spec.codes import credit_check_char, org_check_char  # noqa: E402

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


REGIONS = """\
regions:
  - {id: province, kind: province, name: 省级节点, divisions: ["44"],
     capacity: {cpu: "400000", memory: 1600Ti, storage: 40Pi}, network: {pool: 10.0.0.0/10},
     certified: [general, important, core], peers_with: [guangzhou, shenzhen]}
  - {id: guangzhou, kind: city, name: 广州节点, divisions: ["4401"],
     capacity: {cpu: "300000", memory: 1200Ti, storage: 30Pi}, network: {pool: 10.64.0.0/10},
     certified: [general, important, core], peers_with: [province, shenzhen]}
  - {id: shenzhen, kind: city, name: 深圳节点, divisions: ["4403"],
     capacity: {cpu: "300000", memory: 1200Ti, storage: 30Pi}, network: {pool: 10.128.0.0/10},
     certified: [general, important], peers_with: [province, guangzhou]}
"""
# (division, first address of its region's tenants): Tianhe, Nanshan, Nanhai (no node).
PLACES = [("440106", "10.64.0.0"), ("440305", "10.128.0.0"), ("440605", "10.1.0.0")]


def _placed(n: int, count: int) -> str:
    """Tenant n in one of three divisions (a peer pair shares one), CIDR from its region."""
    pair = n // 2
    division, start = PLACES[pair % 3]
    index = (pair // 3) * 2 + n % 2  # the tenant's place among its region's tenants
    cidr = f"{ipaddress.IPv4Address(int(ipaddress.IPv4Address(start)) + 16 * index)}/28"
    text = tenant_yaml(n, count, cidr, lambda i: f"t{i:05d}")
    org = f"{n:08d}"
    first = f"11{division}{org}{org_check_char(org)}"
    code = first + credit_check_char(first)
    return re.sub(r'credit_code: "[^"]+"', f'credit_code: "{code}"', text).replace(
        'division_code: "440106"', f'division_code: "{division}"'
    )


def generate(directory: Path, count: int, *, regions: bool = False) -> None:
    (directory / "stacks").mkdir(parents=True)
    environment = ENVIRONMENT + (REGIONS if regions else "")
    (directory / "stacks" / "bench.yaml").write_text(environment, encoding="utf-8")
    tenants = directory / "tenants"
    tenants.mkdir()
    base = int(ipaddress.IPv4Address("10.1.0.0"))
    for n in range(count):
        cidr = f"{ipaddress.IPv4Address(base + 16 * n)}/28"
        text = _placed(n, count) if regions else tenant_yaml(n, count, cidr, lambda i: f"t{i:05d}")
        (tenants / f"t{n:05d}.yaml").write_text(text, encoding="utf-8")


# The floor: one process that reads every file, parses it and validates it with the tenant
# model (the C YAML loader when there is one), and does nothing else.
FLOOR = """\
import sys, pathlib, yaml
from infra.spec.tenant import TenantSpec
Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.yaml")):
    TenantSpec.model_validate(yaml.load(path.read_text(encoding="utf-8"), Loader=Loader))
"""


def time_floor(directory: Path, repeat: int) -> float:
    return _best([sys.executable, "-c", FLOOR, str(directory / "tenants")], repeat, "floor")


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
    return _best(command, repeat, "check")


def _best(command: list[str], repeat: int, what: str) -> float:
    """The best wall time of ``repeat`` runs of ``command``; a failed run stops the benchmark."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
        best = min(best, time.perf_counter() - started)
        if result.returncode != 0:
            raise SystemExit(f"{what} failed ({result.returncode}):\n{result.stderr[:2000]}")
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 5000, 20000])
    parser.add_argument("--repeat", type=int, default=3, help="best of N runs")
    parser.add_argument(
        "--regions", action="store_true", help="three regions; time the YAML + pydantic floor"
    )
    args = parser.parse_args()
    print(
        f"machine: {platform.machine()}, {os.cpu_count()} CPU(s), "
        f"Python {platform.python_version()}"
    )
    times: dict[int, float] = {}
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix="govcloud-bench-") as tmp:
            generate(Path(tmp), size, regions=args.regions)
            times[size] = time_check(Path(tmp), args.repeat)
            floor = time_floor(Path(tmp), args.repeat) if args.regions else None
        print(f"{size:>7,} tenants: {times[size]:6.2f} s  ({times[size] / size * 1e3:.3f} ms each)")
        if floor is not None:
            ratio = times[size] / floor
            print(f"         floor (YAML + pydantic): {floor:6.2f} s; check / floor = {ratio:.2f}")
    if 5000 in times and 20000 in times:
        ratio = times[20000] / times[5000]
        print(f"t(20,000) / t(5,000) = {ratio:.2f}  (goal <= 4.5)")
        print(f"t(5,000) = {times[5000]:.2f} s  (goal <= 2.0)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
