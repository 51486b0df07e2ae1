"""Deploy and a running reconciler never fight (issue 16): count what the reconciler does.

On a fresh local provincial cloud with the example departments deployed and
`govcloud reconcile --watch` running as its own service account:

- 50 quota / limit changes, half through `govcloud deploy --tenant X`, half through a
  plain `pulumi up -s local.X`;
- 10 new tenants, half through `govcloud deploy`, half through a plain `pulumi up` of a
  stack made with `pulumi stack init`;
- 10 real tamperings in between (a deleted quota, an edited LimitRange, a rogue RoleBinding,
  an allow-all NetworkPolicy, a relabelled namespace).

Printed: repairs counted (goal: exactly the 10 tamperings), spurious repair Events (goal 0),
conflict warnings in the reconciler's log (goal 0), and whether every change is live as
planned afterwards (`govcloud drift` exit 0).

    .venv/bin/python bench/bench_fight.py [--changes 50] [--new 10] [--tamper 10]
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_deploy import cidrs, machine, make_workspace  # noqa: E402
from synthetic import QUOTAS, tenant_yaml  # noqa: E402

from infra.drivers import KubeClient  # noqa: E402
from infra.drivers.identity import write_service_account_kubeconfig  # noqa: E402
from infra.localcloud import LocalCloud  # noqa: E402
from infra.plan.reconciler import RECONCILER_NAMESPACE, RECONCILER_SA  # noqa: E402
from infra.provision.backend import file_state_secrets  # noqa: E402
from infra.spec.load import load_environment  # noqa: E402

API = "govcloud.gd.gov.cn/v1alpha1"
REPAIR_REASONS = ("Repaired", "Removed", "AccessRevoked", "PossibleDataLoss")


def run(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args)} failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def govcloud(cwd: Path, env: dict[str, str], *args: str) -> None:
    run([str(ROOT / ".venv" / "bin" / "govcloud"), *args], cwd, env)


def pulumi_up(cwd: Path, env: dict[str, str], tenant: str) -> None:
    run(
        [
            "pulumi",
            "up",
            "--yes",
            "--non-interactive",
            "--skip-preview",
            "-s",
            f"local.{tenant}",
            "--policy-pack",
            "policypack",
        ],
        cwd,
        env,
    )


def _mebibytes(quantity: str) -> int:
    units = {"Mi": 1, "Gi": 1024, "Ti": 1024 * 1024}
    return int(quantity[:-2]) * units[quantity[-2:]]


def edit(workspace: Path, tenant: str, n: int) -> None:
    path = workspace / "tenants" / f"{tenant}.yaml"
    data = yaml.safe_load(path.read_text())
    if n % 2:
        data["quotas"]["pods"] = int(data["quotas"]["pods"]) + 1
    else:
        # The default memory limit raised by 8 Mi: still above the default request.
        limits = data["quotas"].setdefault("defaults", {}).setdefault("limits", {})
        limits["memory"] = f"{_mebibytes(str(limits.get('memory', '256Mi'))) + 8}Mi"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))


def tamper(kube: KubeClient, tenant: str, n: int) -> str:
    kind = n % 5
    if kind == 0:
        kube.delete("v1", "ResourceQuota", "govcloud-quota", tenant)
        return "quota deleted"
    if kind == 1:
        limits = kube.get("v1", "LimitRange", "govcloud-limits", tenant) or {}
        limits["metadata"].pop("managedFields", None)
        limits["spec"]["limits"][0]["max"] = {"cpu": "64"}
        kube.replace(limits)
        return "LimitRange edited"
    if kind == 2:
        kube.apply(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": {"name": f"rogue-{n}", "namespace": tenant},
                "roleRef": {
                    "apiGroup": "rbac.authorization.k8s.io",
                    "kind": "ClusterRole",
                    "name": "admin",
                },
                "subjects": [
                    {"apiGroup": "rbac.authorization.k8s.io", "kind": "User", "name": "mallory"}
                ],
            }
        )
        return "rogue RoleBinding"
    if kind == 3:
        kube.apply(
            {
                "apiVersion": "networking.k8s.io/v1",
                "kind": "NetworkPolicy",
                "metadata": {"name": f"open-{n}", "namespace": tenant},
                "spec": {"podSelector": {}, "ingress": [{}]},
            }
        )
        return "allow-all NetworkPolicy"
    ns = kube.get("v1", "Namespace", tenant) or {}
    ns["metadata"].pop("managedFields", None)
    ns["metadata"]["labels"]["pod-security.kubernetes.io/enforce"] = "privileged"
    kube.replace(ns)
    return "namespace relabelled"


def repairs_total(kube: KubeClient) -> int:
    return sum(
        int(((t.get("status") or {}).get("repairs") or {}).get("total", 0))
        for t in kube.list(API, "Tenant")
    )


def repair_events(kube: KubeClient, since: str) -> list[dict[str, Any]]:
    return [
        e
        for e in kube.list("v1", "Event", namespace="default")
        if e.get("reason") in REPAIR_REASONS and str(e.get("lastTimestamp") or "") >= since
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--new", type=int, default=10)
    parser.add_argument("--tamper", type=int, default=10)
    opts = parser.parse_args()
    print(machine(), flush=True)
    scratch = Path(tempfile.mkdtemp(prefix="govcloud-fight-"))
    cloud = LocalCloud(scratch / "cloud")
    cloud.up()
    replica: subprocess.Popen[bytes] | None = None
    try:
        env = {**os.environ, **cloud.environment()}
        os.environ.update(cloud.environment())
        workspace = make_workspace(scratch / "checkout")
        shutil.copytree(ROOT / "tenants", workspace / "tenants")
        started = time.monotonic()
        govcloud(workspace, env, "deploy", "--env", "local", "--all", "--yes")
        print(f"examples deployed in {time.monotonic() - started:.0f}s", flush=True)

        kube = KubeClient()
        config = write_service_account_kubeconfig(
            kube,
            service_account=RECONCILER_SA,
            namespace=RECONCILER_NAMESPACE,
            target=scratch / "reconciler-kubeconfig",
        )
        log = scratch / "reconciler.log"
        replica = subprocess.Popen(
            [
                str(ROOT / ".venv" / "bin" / "govcloud"),
                "reconcile",
                "--env",
                "local",
                "--watch",
                "--cloud-interval",
                "5",
            ],
            cwd=workspace,
            env={**env, "KUBECONFIG": str(config)},
            stdout=log.open("w"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        time.sleep(20)  # first full pass, cloud included
        before = repairs_total(kube)
        since = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())

        tenants = sorted(p.stem for p in (workspace / "tenants").glob("*.yaml"))
        specs = {
            t: yaml.safe_load((workspace / "tenants" / f"{t}.yaml").read_text()) for t in tenants
        }
        active = [
            t
            for t in tenants
            if (specs[t].get("lifecycle") or {}).get("state", "active") == "active"
        ]
        free = cidrs(workspace / "stacks" / "local.yaml")
        used = {specs[t]["network"]["cidr"] for t in tenants}
        fresh = (c for c in free if c not in used)
        secrets = file_state_secrets(load_environment("local", workspace / "stacks"))
        tamperings: list[str] = []
        tamper_every = max(1, (opts.changes + opts.new) // max(1, opts.tamper))
        cycle = itertools.cycle(active)
        timings: list[float] = []
        for n in range(opts.changes + opts.new):
            t0 = time.monotonic()
            if n < opts.changes:
                tenant = next(cycle)
                edit(workspace, tenant, n)
                if n % 2:
                    pulumi_up(workspace, env, tenant)
                else:
                    govcloud(
                        workspace, env, "deploy", "--env", "local", "--tenant", tenant, "--yes"
                    )
            else:
                k = n - opts.changes
                tenant = f"f{k:03d}"
                if k % 2 == 0:  # peers come in pairs: both files in the same change
                    for m in range(k, min(k + 2, opts.new)):
                        (workspace / "tenants" / f"f{m:03d}.yaml").write_text(
                            tenant_yaml(m, opts.new, next(fresh), lambda i: f"f{i:03d}", QUOTAS)
                        )
                if k % 2:
                    args = ["pulumi", "stack", "init", f"local.{tenant}", "--non-interactive"]
                    if secrets:
                        args += ["--secrets-provider", secrets]
                    run(args, workspace, env)
                    pulumi_up(workspace, env, tenant)
                else:
                    govcloud(
                        workspace, env, "deploy", "--env", "local", "--tenant", tenant, "--yes"
                    )
            timings.append(time.monotonic() - t0)
            if len(tamperings) < opts.tamper and (n + 1) % tamper_every == 0:
                target = active[len(tamperings) % len(active)]
                tamperings.append(f"{target}: {tamper(kube, target, len(tamperings))}")
                time.sleep(2)
        while len(tamperings) < opts.tamper:
            target = active[len(tamperings) % len(active)]
            tamperings.append(f"{target}: {tamper(kube, target, len(tamperings))}")
            time.sleep(2)
        time.sleep(15)  # every repair done, every deferred counter written
        counted = repairs_total(kube) - before
        events = repair_events(kube, since)
        log_text = log.read_text()
        conflicts = sum(
            1 for line in log_text.splitlines() if "has been modified" in line or "Conflict" in line
        )
        drift = subprocess.run(
            [str(ROOT / ".venv" / "bin" / "govcloud"), "drift", "--env", "local"],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        print(
            json.dumps(
                {
                    "changes": opts.changes,
                    "new_tenants": opts.new,
                    "tamperings": len(tamperings),
                    "repairs_counted": counted,
                    "repair_events": len(events),
                    "spurious_events": max(0, len(events) - len(tamperings)),
                    "conflict_warnings": conflicts,
                    "drift_exit": drift.returncode,
                    "median_stack_op_s": round(sorted(timings)[len(timings) // 2], 2),
                },
                indent=2,
            ),
            flush=True,
        )
        print("tamperings:", *tamperings, sep="\n  ")
        print("repairs in the reconciler's log (time, tenant, object, action, what was there):")
        for line in log_text.splitlines():
            try:
                entry = json.loads(line)
            except ValueError:
                continue
            if "repair" in entry:
                r = entry["repair"]
                print(f"  {entry['time']} {entry['tenant']} {r['key']} {r['action']} {r['before']}")
        if drift.returncode != 0:
            print(drift.stdout[-3000:])
    finally:
        if replica is not None and replica.poll() is None:
            os.killpg(replica.pid, 15)
            replica.wait(30)
        cloud.down(quiet=True)
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
