"""`govcloud localcloud up|down|status|env|logs`: the embedded provincial cloud."""

from __future__ import annotations

import argparse
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from infra.i18n import _
from infra.i18n.tables import columns, width

if TYPE_CHECKING:
    from infra.localcloud import LocalCloud

__all__ = ["register"]


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "localcloud",
        help="run the embedded local provincial cloud (Kubernetes, cloud API)",
        description="Build, start and stop the local provincial cloud on loopback.",
    )
    parser.add_argument(
        "--state-dir",
        default=None,
        help="where the cloud keeps its state (default .govcloud/localcloud)",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    actions.add_parser(
        "build",
        help="build (or find in the cache) every tool, and install "
        "prowler for `govcloud audit` in its own virtualenv, then stop",
    )
    actions.add_parser(
        "up",
        help="build what is missing, start what is not running (same "
        "ports as before), wait until ready; resources survive down and up",
    )
    actions.add_parser(
        "down",
        help="stop the background reconciler and every component (state is kept for the next up)",
    )
    status = actions.add_parser(
        "status",
        help="pid, port, version and health of each component and of the background reconciler",
    )
    status.add_argument(
        "--format", choices=("text", "json"), default="text", help="output format (default: text)"
    )
    actions.add_parser("env", help="shell exports for kubectl, boto3 and pulumi")
    logs = actions.add_parser(
        "logs",
        help="the last lines of one component's log, or of the "
        "API server's audit log (one line per request)",
    )
    logs.add_argument(
        "component",
        help="etcd, kube-apiserver, kube-controller-manager, cloud, metrics, reconciler, or audit",
    )
    logs.add_argument(
        "-n", "--lines", type=int, default=50, help="lines from the end (default: 50)"
    )
    logs.add_argument(
        "-f",
        "--follow",
        action="store_true",
        help="keep printing new lines until interrupted (default: off)",
    )
    parser.set_defaults(handler=run)


def _cloud(args: argparse.Namespace) -> LocalCloud:
    from infra.localcloud import LocalCloud

    return LocalCloud(Path(args.state_dir) if args.state_dir else None)


def run(args: argparse.Namespace) -> int:
    cloud = _cloud(args)
    if args.action == "build":
        import time

        from infra.localcloud import ensure_tools
        from infra.localcloud.prowler import ensure_prowler

        started = time.monotonic()
        for directory in ensure_tools():
            print(directory)
        print(
            ensure_prowler(
                lambda line: print(f"[localcloud] {line}", file=sys.stderr, flush=True)
            ).parent
        )
        print(_("tools ready in {seconds:.1f}s").format(seconds=time.monotonic() - started))
        return 0
    if args.action == "up":
        lay = cloud.up()
        rows = [
            ["kube-apiserver", str(lay.apiserver_url)],
            [
                _("cloud API"),
                f"{lay.cloud_url}  " + _("(region cn-northwest-1, partition aws-cn)"),
            ],
            [
                _("metrics store"),
                f"{lay.metrics_url}  " + _("(Prometheus API, metered quota use)"),
            ],
            ["kubeconfig", str(lay.kubeconfig)],
            [_("audit log"), f"{lay.audit_log}  (govcloud localcloud logs audit)"],
        ]
        wide = max(width(label) for label, _value in rows)
        for label, value in rows:
            print(label + " " * (wide - width(label) + 2) + value)
        print(
            _("next: {command}").format(
                command='eval "$(govcloud localcloud env)" && kubectl get namespaces'
            )
        )
        return 0
    if args.action == "down":
        from infra.cli.reconcile import stop_background

        stop_background(verbose=True)
        cloud.down()
        return 0
    if args.action == "status":
        return _status(cloud, args)
    if args.action == "env":
        for key, value in cloud.environment().items():
            print(f"export {key}={shlex.quote(value)}")
        return 0
    if args.component == "reconciler":
        from infra.cli.reconcile import background_status

        _pid, path = background_status()
        return _follow(path, args.lines, args.follow)
    if args.follow:
        cloud.logs(args.component, 0)  # refuses an unknown component with the list
        lay = cloud.layout()
        path = lay.audit_log if args.component == "audit" else lay.logs / f"{args.component}.log"
        return _follow(path, args.lines, True)
    print(cloud.logs(args.component, args.lines))
    return 0


def _status(cloud: LocalCloud, args: argparse.Namespace) -> int:
    import json

    from infra import __version__
    from infra.cli.reconcile import background_status

    statuses = cloud.status()
    rows = [
        {
            "component": r.name,
            "pid": r.pid,
            "port": r.port,
            "version": r.version,
            "healthy": r.healthy,
            "detail": "ok" if r.healthy else f"down ({r.detail})",
        }
        for r in statuses
    ]
    # the JSON keeps its English details (a record); the table says them in the user's language
    said = {
        r.name: _("ok") if r.healthy else _("down ({why})").format(why=r.detail) for r in statuses
    }
    pid, log = background_status()
    rows.append(
        {
            "component": "reconciler",
            "pid": pid,
            "port": None,
            "version": f"govcloud {__version__}",
            "healthy": pid is not None,
            "detail": f"ok (log {log})"
            if pid
            else "not running (start: govcloud reconcile --env local --background)",
        }
    )
    start = "govcloud reconcile --env local --background"
    said["reconciler"] = (
        _("ok (log {log})").format(log=log)
        if pid
        else _("not running (start: {command})").format(command=start)
    )
    if args.format == "json":
        print(json.dumps({"format_version": 1, "components": rows}, indent=2))
    else:
        sys.stdout.write(
            columns(
                [_("COMPONENT"), _("PID"), _("PORT"), _("VERSION"), _("HEALTH")],
                [
                    [
                        str(row["component"]),
                        str(row["pid"] or "-"),
                        str(row["port"] or "-"),
                        str(row["version"]),
                        said[str(row["component"])],
                    ]
                    for row in rows
                ],
            )
        )
    return 0 if all(r["healthy"] for r in rows if r["component"] != "reconciler") else 1


def _follow(path: Path, lines: int, follow: bool) -> int:
    import time

    if not path.exists():
        print(_("no log yet at {path}").format(path=path))
        return 0
    with path.open(encoding="utf-8", errors="replace") as handle:
        for line in handle.readlines()[-lines:]:
            print(line, end="")
        while follow:
            line = handle.readline()
            if line:
                print(line, end="", flush=True)
            else:
                try:
                    time.sleep(0.25)
                except KeyboardInterrupt:
                    return 0
    return 0
