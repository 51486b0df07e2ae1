"""Benchmark `govcloud deploy` on the local provincial cloud (issues 4 and 9).

0. Single tenant: no change, one quota changed, new tenant, each side by side with the
   direct-apply floor (the same rendered plan applied with govcloud's drivers in one
   process), and once started with SIGINT ignored.
1. Incremental deploy vs fleet size: with 10 and with 1,000 tenant stacks, in the file
   backend and in the shared one (Pulumi's S3 backend in the local cloud's state bucket),
   change one tenant's quota and time `govcloud deploy --tenant X` end to end (a subprocess
   in a scratch checkout). Goal: t(1,000) / t(10) <= 1.2 for both.
   A few tenants are deployed for real; the other stacks are clones of a real checkpoint
   (tenant id rewritten) written into the backend the way Pulumi writes them.
2. From-scratch rollout: N tenants, fresh cloud and backend, `govcloud deploy --all
   --parallel P` for P in 4 and 8: tenants per minute, CPU-seconds per stack, peak memory.

    .venv/bin/python bench/bench_deploy.py [--quick] [--sizes 10 1000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import base64
import datetime
import hashlib
import ipaddress
import itertools
import json
import os
import re
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
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
    return (
        f"machine: {os.cpu_count()} CPU(s) (nproc {len(os.sched_getaffinity(0))}), "
        f"{model.group(1).strip() if model else '?'}, {ram}; "
        f"load average {os.getloadavg()[0]:.2f}"
    )


def tenant_id(n: int) -> str:
    return f"b{n:04d}"


def cidrs(env_file: Path) -> Iterator[str]:
    """/24s of the local pool that avoid its reserved ranges, in order."""
    network = yaml.safe_load(env_file.read_text())["network"]
    reserved = [ipaddress.ip_network(r) for r in network["reserved"]]
    for net in ipaddress.ip_network(network["pool"]).subnets(new_prefix=network["tenant_prefix"]):
        if not any(net.overlaps(r) for r in reserved):
            yield str(net)


def tenant_cidrs(env_file: Path, count: int) -> list[str]:
    """The first ``count`` tenant /24s of the pool; exits loudly if the pool holds fewer
    (a benchmark never measures a smaller fleet than it was asked for)."""
    nets = list(itertools.islice(cidrs(env_file), count))
    if len(nets) < count:
        raise SystemExit(
            f"bench: {env_file} holds {len(nets)} tenant networks, {count} asked for; "
            "widen network.pool or ask for fewer"
        )
    return nets


def write_tenants(workspace: Path, count: int) -> None:
    """Synthetic tenants 0..count-1 in mutual pairs (already written ones are kept)."""
    folder = workspace / "tenants"
    folder.mkdir(exist_ok=True)
    nets = tenant_cidrs(workspace / "stacks" / "local.yaml", count)
    for n, cidr in enumerate(nets):
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
    shutil.copytree(
        ROOT / "policypack", root / "policypack", ignore=shutil.ignore_patterns("__pycache__")
    )
    (root / "stacks").mkdir()
    for path in (ROOT / "stacks").glob("*"):
        if path.is_file() and not path.name.startswith("Pulumi."):
            shutil.copy(path, root / "stacks" / path.name)
    return root


def _tree_rss(root_pid: int) -> int:
    """Resident memory (bytes) of a process and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2 :].split()
            parents[int(entry.name)] = int(fields[1])
            rss[int(entry.name)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE")
        except (OSError, ValueError, IndexError):
            continue
    tree, frontier = {root_pid}, [root_pid]
    while frontier:
        pid = frontier.pop()
        kids = [p for p, parent in parents.items() if parent == pid and p not in tree]
        tree.update(kids)
        frontier += kids
    return sum(rss.get(p, 0) for p in tree)


@dataclass
class Run:
    seconds: float
    cpu: float  # user + system CPU-seconds of the process tree
    peak: int  # bytes, sampled every 0.25 s
    stdout: str

    def stacks(self) -> dict[str, dict[str, Any]]:
        """Per-stack results from `--format json`."""
        return {s["stack"]: s for s in json.loads(self.stdout)["stacks"]}


def run_measured(
    command: list[str], workspace: Path, env: dict[str, str], *, ignore_sigint: bool = False
) -> Run:
    """Run a command; wall time, CPU of its whole tree, peak memory of its tree."""

    def preexec() -> None:
        if ignore_sigint:  # as a background job in a script or some CI runners start it
            signal.signal(signal.SIGINT, signal.SIG_IGN)

    started = time.perf_counter()
    proc = subprocess.Popen(
        command,
        cwd=workspace,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=preexec,
    )
    peak, done = 0, threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.wait(0.25):
            peak = max(peak, _tree_rss(proc.pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    done.set()
    sampler.join()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = usage.ru_utime + usage.ru_stime - _CHILD_CPU[0]
    _CHILD_CPU[0] = usage.ru_utime + usage.ru_stime
    if proc.returncode != 0:
        raise SystemExit(
            f"{' '.join(command[:4])} failed ({proc.returncode}):\n{out[-3000:]}\n{err[-3000:]}"
        )
    return Run(seconds, cpu, peak, out)


_CHILD_CPU = [0.0]


def govcloud(
    args: list[str], workspace: Path, env: dict[str, str], *, ignore_sigint: bool = False
) -> Run:
    """`govcloud deploy ...` with JSON results. Fails loudly."""
    command = [str(GOVCLOUD), *args, "--today", TODAY, "--format", "json"]
    return run_measured(command, workspace, env, ignore_sigint=ignore_sigint)


def direct_apply(tenants: list[str], workspace: Path, env: dict[str, str]) -> Run:
    """The floor: the same rendered plans applied with govcloud's drivers, one process."""
    command = [
        sys.executable,
        str(Path(__file__).resolve()),
        "--direct-apply",
        str(workspace),
        *tenants,
    ]
    return run_measured(command, workspace, env)


def _direct_apply_main(workspace: Path, tenants: list[str]) -> None:
    """Render each tenant and apply its plan in order: objects, then cloud resources."""
    from infra.drivers import CloudTable, deploy_client
    from infra.plan import kube_sorted, render_tenant
    from infra.plan.names import DEPLOY_WRITER
    from infra.spec.load import load_environment, load_tenants

    env = load_environment("local", workspace / "stacks")
    fleet = {t.spec.id: t.spec for t in load_tenants([workspace / "tenants"])}
    # as deploy writes: its own identity (the only writer of Tenant objects)
    kube, cloud = deploy_client(DEPLOY_WRITER), CloudTable()
    today = datetime.date.fromisoformat(TODAY)
    for tenant in tenants:
        plan = render_tenant(fleet[tenant], env, fleet=fleet, today=today)
        for obj in kube_sorted(plan.kube):
            kube.apply(obj.manifest)
        for res in plan.cloud:
            cloud.ensure(res.kind, res.props)
    print(json.dumps({"stacks": []}))


class FileState:
    """The file backend PULUMI_BACKEND_URL names: blobs under its `.pulumi/`."""

    args: tuple[str, ...] = ()

    def __init__(self, env: dict[str, str]) -> None:
        self.root = Path(urlparse(env["PULUMI_BACKEND_URL"]).path)
        self.env = env

    def read(self, key: str) -> bytes:
        return (self.root / key).read_bytes()

    def keys(self, prefix: str) -> list[str]:
        return sorted(
            str(p.relative_to(self.root))
            for p in (self.root / prefix).glob("*")
            if not p.name.endswith(".attrs")
        )

    def write(self, key: str, data: bytes, like: str) -> None:
        """Write a blob the way the file backend does: the file and its `.attrs` (md5)."""
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        attrs = json.loads((self.root / f"{like}.attrs").read_text())
        attrs["md5"] = base64.b64encode(hashlib.md5(data).digest()).decode()
        path.write_bytes(data)
        Path(f"{path}.attrs").write_text(json.dumps(attrs, separators=(",", ":")))


class SharedState:
    """`--state shared`: Pulumi's S3 backend in the environment's state bucket."""

    args: tuple[str, ...] = ("--state", "shared")

    def __init__(self, env: dict[str, str], workspace: Path) -> None:
        import boto3

        from infra.provision.backend import shared_state
        from infra.spec.load import load_environment

        os.environ.update(env)  # the endpoint, for the state settings and boto3
        state = shared_state(load_environment("local", workspace / "stacks"))
        self.bucket = state.bucket
        self.env = {**env, **state.environment()}
        self.s3 = boto3.client("s3")

    def read(self, key: str) -> bytes:
        return bytes(self.s3.get_object(Bucket=self.bucket, Key=key)["Body"].read())

    def keys(self, prefix: str) -> list[str]:
        found: list[str] = []
        for page in self.s3.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=f"{prefix}/"
        ):
            found += [o["Key"] for o in page.get("Contents", [])]
        return sorted(found)

    def write(self, key: str, data: bytes, like: str) -> None:
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=data)


def clone_stacks(
    workspace: Path, state: FileState | SharedState, template: str, ids: list[str]
) -> None:
    """Stacks local.<id>: the template's checkpoint, history and config, its id rewritten,
    written into the backend the way Pulumi writes them."""
    stacks = f".pulumi/stacks/{PROJECT}"
    existing = set(state.keys(stacks))
    source = f"{stacks}/local.{template}.json"
    history = state.keys(f".pulumi/history/{PROJECT}/local.{template}")
    config_file = workspace / "stacks" / f"Pulumi.local.{template}.yaml"
    config = config_file.read_text() if config_file.exists() else None
    pattern = re.compile(rf"\b{re.escape(template)}\b")
    checkpoint = state.read(source).decode()
    old_history = {key: state.read(key).decode() for key in history}
    for new in ids:
        if f"{stacks}/local.{new}.json" in existing:
            continue
        state.write(f"{stacks}/local.{new}.json", pattern.sub(new, checkpoint).encode(), source)
        for key, text in old_history.items():
            state.write(pattern.sub(new, key), pattern.sub(new, text).encode(), key)
        if config is not None:
            (workspace / "stacks" / f"Pulumi.local.{new}.yaml").write_text(config)


def pulumi(args: list[str], workspace: Path, env: dict[str, str]) -> tuple[float, str]:
    started = time.perf_counter()
    proc = subprocess.run(
        ["pulumi", *args], cwd=workspace, env=env, capture_output=True, text=True, check=True
    )
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


def _stack_times(run: Run, target: str) -> str:
    stacks = run.stacks()
    platform = stacks.get("local", {})
    tenant = stacks.get(f"local.{target}", {})
    changes = ", ".join(f"{v} {k}" for k, v in sorted(tenant.get("changes", {}).items()))
    return (
        f"platform {platform.get('result', '?')} {platform.get('seconds', 0):.2f} s, "
        f"local.{target} {tenant.get('seconds', 0):.2f} s: {changes or 'no changes'}"
    )


def _median(runs: list[Run]) -> float:
    return statistics.median(r.seconds for r in runs)


def single_tenant(repeat: int, state: Path) -> dict[str, tuple[float, float]]:
    """No change, one quota changed, new tenant: govcloud deploy and the direct floor."""
    cloud = LocalCloud(state / "cloud")
    cloud.up(say=lambda _: None)
    try:
        env = {**os.environ, **cloud.environment()}
        workspace = make_workspace(state / "checkout")
        write_tenants(workspace, 2)
        govcloud(["deploy", "--tenant", tenant_id(0), "--tenant", tenant_id(1)], workspace, env)
        target, pods = tenant_id(0), 20
        results: dict[str, tuple[float, float]] = {}

        def scenario(label: str, prepare: Any, tenant_for: Any) -> None:
            deploys, floors = [], []
            for i in range(repeat):
                tenant = tenant_for(2 * i)
                prepare(2 * i)
                deploys.append(govcloud(["deploy", "--tenant", tenant], workspace, env))
                print(
                    f"    {label}: deploy {deploys[-1].seconds:5.2f} s "
                    f"({_stack_times(deploys[-1], tenant)})",
                    flush=True,
                )
                prepare(2 * i + 1)
                floors.append(direct_apply([tenant_for(2 * i + 1)], workspace, env))
                print(f"    {label}: floor  {floors[-1].seconds:5.2f} s", flush=True)
            results[label] = (_median(deploys), _median(floors))

        def bump(_: int) -> None:
            nonlocal pods
            pods += 1
            set_pods(workspace, target, pods)

        def add_pair(i: int) -> None:
            if i % 2 == 0:
                write_tenants(workspace, 2 + 2 * (i // 2 + 1))

        scenario("no change", lambda _: None, lambda _: target)
        scenario("one quota changed", bump, lambda _: target)
        scenario("new tenant", add_pair, lambda i: tenant_id(2 + i))
        ignored = [
            govcloud(["deploy", "--tenant", target], workspace, env, ignore_sigint=True)
            for _ in range(repeat)
        ]
        print(f"    no change, started with SIGINT ignored: {_median(ignored):.2f} s", flush=True)
        results["no change, SIGINT ignored"] = (_median(ignored), results["no change"][1])
        return results
    finally:
        cloud.down(quiet=True)


def incremental(
    sizes: list[int], repeat: int, real: int, state: Path, shared: bool = False
) -> dict[int, float]:
    cloud = LocalCloud(state / "cloud")
    cloud.up(say=lambda _: None)
    try:
        env = {**os.environ, **cloud.environment()}
        workspace = make_workspace(state / "checkout")
        write_tenants(workspace, sizes[0])
        real_ids = [tenant_id(n) for n in range(min(real, sizes[0]))]
        named = [arg for t in real_ids for arg in ("--tenant", t)]
        backend: FileState | SharedState = SharedState(env, workspace) if shared else FileState(env)
        run = govcloud(["deploy", "--parallel", "4", *backend.args, *named], workspace, env)
        print(f"deployed platform + {len(real_ids)} tenant(s) for real in {run.seconds:.0f} s")
        target, template = real_ids[0], real_ids[-1]
        times: dict[int, float] = {}
        pods = 20
        for size in sizes:
            write_tenants(workspace, size)
            started = time.perf_counter()
            clone_stacks(workspace, backend, template, [tenant_id(n) for n in range(real, size)])
            cloned = time.perf_counter() - started
            check = check_backend(workspace, backend.env, size, tenant_id(size - 1))
            print(
                f"{size:>6,} tenant stacks + platform (clones written in {cloned:.1f} s; {check})",
                flush=True,
            )
            runs = []
            for _ in range(repeat):
                pods += 1
                set_pods(workspace, target, pods)
                runs.append(govcloud(["deploy", "--tenant", target, *backend.args], workspace, env))
                print(
                    f"        pods={pods}: {runs[-1].seconds:6.2f} s  "
                    f"({_stack_times(runs[-1], target)})",
                    flush=True,
                )
            times[size] = _median(runs)
        return times
    finally:
        cloud.down(quiet=True)


def rollout(count: int, parallel: int, state: Path) -> Run:
    cloud = LocalCloud(state / "cloud")
    cloud.up(say=lambda _: None)
    try:
        env = {**os.environ, **cloud.environment()}
        workspace = make_workspace(state / "checkout")
        write_tenants(workspace, count)
        return govcloud(["deploy", "--all", "--parallel", str(parallel)], workspace, env)
    finally:
        cloud.down(quiet=True)


GOALS = {"no change": 3.0, "one quota changed": 4.0, "new tenant": 5.0}


def main() -> int:
    if sys.argv[1:2] == ["--direct-apply"]:
        _direct_apply_main(Path(sys.argv[2]), sys.argv[3:])
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke run")
    parser.add_argument("--sizes", type=int, nargs=2, metavar=("SMALL", "LARGE"))
    parser.add_argument("--repeat", type=int, help="timings per size (median reported)")
    parser.add_argument("--real", type=int, help="tenants deployed for real before cloning")
    parser.add_argument("--rollout", type=int, help="tenants in the from-scratch rollout")
    parser.add_argument("--parallel", type=int, nargs="+", default=[4, 8])
    parser.add_argument("--state", type=Path, default=Path("/tmp/bench-deploy"))
    parser.add_argument(
        "--skip", choices=["single", "incremental", "rollout"], action="append", default=[]
    )
    parser.add_argument(
        "--backends",
        choices=["file", "shared"],
        nargs="+",
        default=["file", "shared"],
        help="state backends of the incremental part",
    )
    args = parser.parse_args()
    sizes = args.sizes or ([4, 20] if args.quick else [10, 1000])
    repeat = args.repeat or (1 if args.quick else 3)
    real = args.real or (2 if args.quick else 4)
    count = args.rollout or (6 if args.quick else 50)
    # The local cloud keeps its state across runs: start every part from nothing.
    shutil.rmtree(args.state, ignore_errors=True)
    print(machine(), flush=True)

    if "single" not in args.skip:
        print(
            f"\n== single tenant: `govcloud deploy --tenant X` against the direct-apply "
            f"floor (median of {repeat})",
            flush=True,
        )
        single = single_tenant(repeat, args.state / "single")
        print(f"\n{'SCENARIO':<28}{'DEPLOY':>9}{'FLOOR':>9}{'RATIO':>7}  GOAL")
        for label, (deploy_s, floor_s) in single.items():
            goal = GOALS.get(label)
            verdict = (
                ""
                if goal is None
                else f"<= {goal:.0f} s and <= 2.5x: "
                f"{'met' if deploy_s <= goal and deploy_s <= 2.5 * floor_s else 'MISSED'}"
            )
            print(
                f"{label:<28}{deploy_s:8.2f}s{floor_s:8.2f}s{deploy_s / floor_s:6.1f}x  {verdict}",
                flush=True,
            )

    for backend in [] if "incremental" in args.skip else args.backends:
        print(
            f"\n== incremental deploy, {backend} state: change one tenant, `govcloud "
            f"deploy --tenant X` (median of {repeat})",
            flush=True,
        )
        times = incremental(
            sizes, repeat, real, args.state / f"incremental-{backend}", shared=backend == "shared"
        )
        small, large = sizes
        print(f"\n{'TENANT STACKS':>14}  {'MEDIAN':>8}")
        for size, seconds in times.items():
            print(f"{size:>14,}  {seconds:7.2f}s")
        ratio = times[large] / times[small]
        print(
            f"{backend} state: t({large:,}) / t({small:,}) = {ratio:.2f}  (goal <= 1.2: "
            f"{'met' if ratio <= 1.2 else 'MISSED'})",
            flush=True,
        )

    if "rollout" not in args.skip:
        for parallel in args.parallel:
            print(
                f"\n== from-scratch rollout: {count} tenants, `govcloud deploy --all "
                f"--parallel {parallel}`",
                flush=True,
            )
            run = rollout(count, parallel, args.state / f"rollout-{parallel}")
            rate = count / run.seconds * 60
            print(
                f"{count} tenants (+ platform) in {run.seconds:.1f} s: {rate:.1f} tenants/min "
                f"(goal >= 30: {'met' if rate >= 30 else 'MISSED'}); "
                f"{run.cpu / (count + 1):.2f} CPU-s per stack; "
                f"peak memory {run.peak / 2**30:.2f} GiB",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
