"""`govcloud localcloud up|down|status|env|logs`: the embedded provincial cloud."""

from __future__ import annotations

import argparse
import shlex
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from infra.localcloud import LocalCloud

__all__ = ["register"]


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "localcloud", help="run the embedded local provincial cloud (Kubernetes, cloud API)",
        description="Build, start and stop the local provincial cloud on loopback.",
    )
    parser.add_argument("--state-dir", default=None,
                        help="where the cloud keeps its state (default .govcloud/localcloud)")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser("build", help="build (or find in the cache) every tool, then stop")
    actions.add_parser("up", help="build what is missing, start what is not running (same "
                       "ports as before), wait until ready; resources survive down and up")
    actions.add_parser("down", help="stop every component (state is kept for the next up)")
    actions.add_parser("status", help="pid, port, version and health of each component")
    actions.add_parser("env", help="shell exports for kubectl, boto3 and pulumi")
    logs = actions.add_parser("logs", help="the last lines of one component's log, or of the "
                              "API server's audit log (one line per request)")
    logs.add_argument("component", help="etcd, kube-apiserver, kube-controller-manager, cloud, "
                      "or audit")
    logs.add_argument("-n", "--lines", type=int, default=50)
    parser.set_defaults(handler=run)


def _cloud(args: argparse.Namespace) -> LocalCloud:
    from pathlib import Path

    from infra.localcloud import LocalCloud

    return LocalCloud(Path(args.state_dir) if args.state_dir else None)


def run(args: argparse.Namespace) -> int:
    cloud = _cloud(args)
    if args.action == "build":
        import time

        from infra.localcloud import ensure_tools

        started = time.monotonic()
        for directory in ensure_tools():
            print(directory)
        print(f"tools ready in {time.monotonic() - started:.1f}s")
        return 0
    if args.action == "up":
        lay = cloud.up()
        print(f"kube-apiserver  {lay.apiserver_url}")
        print(f"cloud API       {lay.cloud_url}  (region cn-northwest-1, partition aws-cn)")
        print(f"kubeconfig      {lay.kubeconfig}")
        print(f"audit log       {lay.audit_log}  (govcloud localcloud logs audit)")
        print("next: eval \"$(govcloud localcloud env)\" && kubectl get namespaces")
        return 0
    if args.action == "down":
        cloud.down()
        return 0
    if args.action == "status":
        rows = cloud.status()
        print(f"{'COMPONENT':<25}{'PID':>8}{'PORT':>7}  {'VERSION':<14}HEALTH")
        for row in rows:
            pid = str(row.pid) if row.pid else "-"
            port = str(row.port) if row.port else "-"
            health = "ok" if row.healthy else f"down ({row.detail})"
            print(f"{row.name:<25}{pid:>8}{port:>7}  {row.version:<14}{health}")
        return 0 if all(r.healthy for r in rows) else 1
    if args.action == "env":
        for key, value in cloud.environment().items():
            print(f"export {key}={shlex.quote(value)}")
        return 0
    print(cloud.logs(args.component, args.lines))
    return 0
