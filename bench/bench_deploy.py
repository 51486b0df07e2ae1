"""Benchmark `govcloud deploy` on the local provincial cloud (issue 4).

1. Incremental deploy vs fleet size: with 10 and with 1,000 tenant stacks in the file
   backend, change one tenant's quota and time `govcloud deploy --tenant X` end to end (a
   subprocess in a scratch checkout). Goal: t(1,000) / t(10) <= 1.2.
   A few tenants are deployed for real; the other stacks are clones of a real checkpoint
   (tenant id rewritten) written into the backend the way Pulumi's file backend writes them.
2. From-scratch rollout: N tenants, fresh cloud and backend, `govcloud deploy --all
   --parallel 4`: tenants per minute.

    .venv/bin/python bench/bench_deploy.py [--quick] [--sizes 10 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import ipaddress
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlparse

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from synthetic import tenant_yaml  # noqa: E402

from infra.localcloud import LocalCloud  # noqa: E402

GOVCLOUD = ROOT / ".venv" / "bin" / "govcloud"
TODAY = "2026-11-28"
PROJECT = "govcloud"

# Sized so that 1,000 tenants fit the local environment (512 CPU x 1.5, 2 Ti x 1.5).
QUOTAS = """\
  cpu: 500m
  memory: 2Gi
  storage: 50Gi
  pods: 20
  services: 5
  config_maps: 10
  secrets: 10
  persistent_volume_claims: 2
  defaults:
    requests: {cpu: 50m, memory: 64Mi}
    limits: {cpu: 250m, memory: 256Mi}
"""


def machine() -> str:
    cpuinfo = Path("/proc/cpuinfo").read_text()
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.M)
    mem = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
    ram = f"{int(mem.group(1)) / 2**20:.1f} GiB RAM" if mem else "? RAM"
    return (f"machine: {os.cpu_count()} CPU(s) (nproc {len(os.sched_getaffinity(0))}), "
            f"{model.group(1).strip() if model else '?'}, {ram}; "
            f"load average {os.getloadavg()[0]:.2f}")


def tenant_id(n: int) -> str:
    return f"b{n:04d}"


def cidrs(env_file: Path) -> Iterator[str]:
    """/24s of the local pool that avoid its reserved ranges, in order."""
    network = yaml.safe_load(env_file.read_text())["network"]
    reserved = [ipaddress.ip_network(r) for r in network["reserved"]]
    for net in ipaddress.ip_network(network["pool"]).subnets(new_prefix=network["tenant_prefix"]):
        if not any(net.overlaps(r) for r in reserved):
            yield str(net)


def write_tenants(workspace: Path, count: int) -> None:
    """Synthetic tenants 0..count-1 in mutual pairs (already written ones are kept)."""
    folder = workspace / "tenants"
    folder.mkdir(exist_ok=True)
    for n, cidr in zip(range(count), cidrs(workspace / "stacks" / "local.yaml"), strict=False):
        path = folder / f"{tenant_id(n)}.yaml"
        if path.exists():
            continue
        path.write_text(tenant_yaml(n, count, cidr, tenant_id, QUOTAS), encoding="utf-8")


def make_workspace(root: Path) -> Path:
    """A scratch checkout: Pulumi.yaml, the program and environments, the policy pack."""
    if root.exists():
        shutil.rmtree(root)
    root.mkdir(parents=True)
    shutil.copy(ROOT / "Pulumi.yaml", root / "Pulumi.yaml")
    shutil.copytree(ROOT / "policypack", root / "policypack",
                    ignore=shutil.ignore_patterns("__pycache__"))
    (root / "stacks").mkdir()
    for path in (ROOT / "stacks").glob("*"):
        if path.is_file() and not path.name.startswith("Pulumi."):
            shutil.copy(path, root / "stacks" / path.name)
    return root


def govcloud(args: list[str], workspace: Path, env: dict[str, str]) -> tuple[float, str]:
    """Run the CLI; (seconds, stdout). Fails loudly."""
    started = time.perf_counter()
    proc = subprocess.run([str(GOVCLOUD), *args, "--today", TODAY], cwd=workspace, env=env,
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"govcloud {' '.join(args)} failed ({proc.returncode}):\n"
                         f"{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}")
    return seconds, proc.stdout


def backend_dir(env: dict[str, str]) -> Path:
    return Path(urlparse(env["PULUMI_BACKEND_URL"]).path) / ".pulumi"


def put_blob(path: Path, data: bytes, attrs_like: Path) -> None:
    """Write a blob the way the file backend does: the file and its `.attrs` (with md5)."""
    attrs = json.loads(attrs_like.read_text())
    attrs["md5"] = base64.b64encode(hashlib.md5(data).digest()).decode()
    path.write_bytes(data)
    Path(f"{path}.attrs").write_text(json.dumps(attrs, separators=(",", ":")))


def clone_stacks(workspace: Path, env: dict[str, str], template: str, ids: list[str]) -> None:
    """Stacks local.<id>: the template's checkpoint, history and config, its id rewritten."""
    backend = backend_dir(env)
    stacks = backend / "stacks" / PROJECT
    source = stacks / f"local.{template}.json"
    history = sorted((backend / "history" / PROJECT / f"local.{template}").glob("*.json"))
    config = (workspace / "stacks" / f"Pulumi.local.{template}.yaml").read_text()
    pattern = re.compile(rf"\b{re.escape(template)}\b")
    checkpoint = source.read_text()
    for new in ids:
        if (stacks / f"local.{new}.json").exists():
            continue
        put_blob(stacks / f"local.{new}.json", pattern.sub(new, checkpoint).encode(),
                 Path(f"{source}.attrs"))
        folder = backend / "history" / PROJECT / f"local.{new}"
        folder.mkdir(parents=True, exist_ok=True)
        for old in history:
            put_blob(folder / pattern.sub(new, old.name),
                     pattern.sub(new, old.read_text()).encode(), Path(f"{old}.attrs"))
        (workspace / "stacks" / f"Pulumi.local.{new}.yaml").write_text(config)


def pulumi(args: list[str], workspace: Path, env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(["pulumi", *args], cwd=workspace, env=env, capture_output=True,
                          text=True, check=True)
    return time.perf_counter() - started, proc.stdout


def check_backend(workspace: Path, env: dict[str, str], expect: int, sample: str) -> str:
    """Pulumi itself must see every tenant stack and read a cloned one."""
    ls_seconds, out = pulumi(["stack", "ls", "--json"], workspace, env)
    names = [s["name"] for s in json.loads(out)]
    tenants = sum(1 for n in names if n.startswith("local."))
    if tenants != expect:
        raise SystemExit(f"pulumi stack ls shows {tenants} tenant stacks, expected {expect}")
    _, exported = pulumi(["stack", "export", "-s", f"local.{sample}"], workspace, env)
    resources = json.loads(exported)["deployment"]["resources"]
    if not any(f"local.{sample}::" in r["urn"] for r in resources):
        raise SystemExit(f"export of local.{sample} does not carry its own URNs")
    return f"pulumi stack ls {ls_seconds:.2f} s; export local.{sample}: {len(resources)} resources"


def set_pods(workspace: Path, tid: str, pods: int) -> None:
    path = workspace / "tenants" / f"{tid}.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"(?m)^  pods: \d+$", f"  pods: {pods}", text), encoding="utf-8")


def table_row(stdout: str, stack: str) -> tuple[str, str]:
    """(changes, seconds) of one stack in the deploy's final table."""
    line = next((ln for ln in stdout.splitlines() if ln.startswith(stack + " ")), "")
    fields = line.split()
    return (" ".join(fields[2:-1]) or "?", fields[-1]) if fields else ("?", "?")


def incremental(sizes: list[int], repeat: int, real: int, state: Path) -> dict[int, float]:
    cloud = LocalCloud(state / "cloud")
    cloud.up(say=lambda _: None)
    try:
        env = {**os.environ, **cloud.environment()}
        workspace = make_workspace(state / "checkout")
        write_tenants(workspace, sizes[0])
        real_ids = [tenant_id(n) for n in range(min(real, sizes[0]))]
        named = [arg for t in real_ids for arg in ("--tenant", t)]
        seconds, _ = govcloud(["deploy", "--parallel", "4", *named], workspace, env)
        print(f"deployed platform + {len(real_ids)} tenant(s) for real in {seconds:.0f} s")
        target, template = real_ids[0], real_ids[-1]
        times: dict[int, float] = {}
        pods = 20
        for size in sizes:
            write_tenants(workspace, size)
            started = time.perf_counter()
            clone_stacks(workspace, env, template, [tenant_id(n) for n in range(real, size)])
            cloned = time.perf_counter() - started
            check = check_backend(workspace, env, size, tenant_id(size - 1))
            print(f"{size:>6,} tenant stacks + platform (clones written in {cloned:.1f} s; "
                  f"{check})", flush=True)
            runs = []
            for _ in range(repeat):
                pods += 1
                set_pods(workspace, target, pods)
                seconds, out = govcloud(["deploy", "--tenant", target], workspace, env)
                runs.append(seconds)
                changes, tenant_s = table_row(out, f"local.{target}")
                platform_s = table_row(out, "local")[1]
                print(f"        pods={pods}: {seconds:6.2f} s  (platform stack {platform_s}, "
                      f"local.{target} {tenant_s}: {changes})", flush=True)
            times[size] = statistics.median(runs)
        return times
    finally:
        cloud.down(quiet=True)


def rollout(count: int, parallel: int, state: Path) -> float:
    cloud = LocalCloud(state / "cloud")
    cloud.up(say=lambda _: None)
    try:
        env = {**os.environ, **cloud.environment()}
        workspace = make_workspace(state / "checkout")
        write_tenants(workspace, count)
        seconds, _ = govcloud(["deploy", "--all", "--parallel", str(parallel)], workspace, env)
        return seconds
    finally:
        cloud.down(quiet=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--sizes", type=int, nargs=2, metavar=("SMALL", "LARGE"))
    parser.add_argument("--repeat", type=int, help="timings per size (median reported)")
    parser.add_argument("--real", type=int, help="tenants deployed for real before cloning")
    parser.add_argument("--rollout", type=int, help="tenants in the from-scratch rollout")
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("--state", type=Path, default=Path("/tmp/bench-deploy"))
    parser.add_argument("--skip", choices=["incremental", "rollout"], action="append",
                        default=[])
    args = parser.parse_args()
    sizes = args.sizes or ([5, 50] if args.quick else [10, 1000])
    repeat = args.repeat or (1 if args.quick else 3)
    real = args.real or (2 if args.quick else 4)
    count = args.rollout or (6 if args.quick else 50)
    print(machine(), flush=True)

    if "incremental" not in args.skip:
        print(f"\n== incremental deploy: change one tenant, `govcloud deploy --tenant X` "
              f"(median of {repeat})", flush=True)
        times = incremental(sizes, repeat, real, args.state / "incremental")
        small, large = sizes
        print(f"\n{'TENANT STACKS':>14}  {'MEDIAN':>8}")
        for size, seconds in times.items():
            print(f"{size:>14,}  {seconds:7.2f}s")
        ratio = times[large] / times[small]
        print(f"t({large:,}) / t({small:,}) = {ratio:.2f}  (goal <= 1.2: "
              f"{'met' if ratio <= 1.2 else 'MISSED'})", flush=True)

    if "rollout" not in args.skip:
        print(f"\n== from-scratch rollout: {count} tenants, `govcloud deploy --all "
              f"--parallel {args.parallel}`", flush=True)
        seconds = rollout(count, args.parallel, args.state / "rollout")
        print(f"{count} tenants (+ platform) in {seconds:.1f} s: "
              f"{count / seconds * 60:.1f} tenants/minute")
    return 0


if __name__ == "__main__":
    sys.exit(main())
