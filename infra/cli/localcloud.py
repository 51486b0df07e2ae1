"""`govcloud localcloud up|down|status|env|logs|stop|start`: the embedded provincial cloud,
one per region when the environment given with ``--env`` declares regions."""

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
    from infra.localcloud.regions import RegionalCloud

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
    parser.add_argument(
        "--env",
        default=None,
        help=_(
            "start one cloud per region of this environment (stacks/<ENV>.yaml) and write "
            "its targets file; later commands find the regions in the state directory "
            "(default: one cloud, as for stacks/local.yaml)"
        ),
    )
    parser.add_argument(
        "--stacks-dir",
        type=Path,
        default=None,
        help=_("directory of environment specs (default: <repo>/stacks)"),
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
    env = actions.add_parser("env", help="shell exports for kubectl, boto3 and pulumi")
    _region_option(
        env,
        _(
            "exports for this region (default: the first; KUBECONFIG then holds a "
            "context per region)"
        ),
    )
    for action, what in (
        ("stop", _("stop one region's processes, keeping its state (a node's loss)")),
        ("start", _("start one stopped region again, with the state it had (its return)")),
    ):
        one = actions.add_parser(action, help=what)
        one.add_argument("--region", required=True, help=_("the region's id"))
    logs = actions.add_parser(
        "logs",
        help="the last lines of one component's log, or of the "
        "API server's audit log (one line per request)",
    )
    logs.add_argument(
        "component",
        help="etcd, kube-apiserver, kube-controller-manager, cloud, metrics, reconciler, or audit",
    )
    _region_option(logs, _("whose log, in a local cloud with regions (no default)"))
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


def _region_option(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--region", default=None, help=what)


def _cloud(args: argparse.Namespace) -> LocalCloud | RegionalCloud:
    """One cloud as before regions, or one per region: of ``--env`` when it declares
    regions, else of the regions the state directory remembers."""
    from infra.localcloud import LocalCloud
    from infra.localcloud.regions import RegionalCloud

    state = Path(args.state_dir) if args.state_dir else None
    env_name = getattr(args, "env", None)
    if env_name is not None:
        from infra.spec.load import find_repo_root, load_environment
        from infra.spec.targets import targets_file

        stacks = args.stacks_dir or find_repo_root() / "stacks"
        env = load_environment(env_name, stacks)
        if env.regions:
            from infra.localcloud import default_state_dir

            state_dir = state or default_state_dir()
            targets = targets_file(env, find_repo_root()) or state_dir / "targets.yaml"
            return RegionalCloud.for_environment(state, env, stacks_dir=stacks, targets=targets)
    elif RegionalCloud.present(state):
        return RegionalCloud.open(state)
    return LocalCloud(state)


def run(args: argparse.Namespace) -> int:
    from infra.localcloud.regions import RegionalCloud

    cloud = _cloud(args)
    if isinstance(cloud, RegionalCloud):
        return _run_regions(cloud, args)
    if args.action in ("stop", "start") or getattr(args, "region", None):
        from infra.errors import InputError

        raise InputError(
            _(
                "this local cloud has no regions; start one with regions: "
                "govcloud localcloud --env ENV up"
            ),
            field="--region",
        )
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


def _run_regions(cloud: RegionalCloud, args: argparse.Namespace) -> int:
    """The actions of a local cloud with regions."""
    if args.action == "up":
        layouts = cloud.up()
        rows = [
            [region, "kube-apiserver " + lay.apiserver_url, _("cloud API") + " " + lay.cloud_url]
            for region, lay in layouts.items()
        ]
        sys.stdout.write(columns([_("REGION"), "KUBERNETES", _("CLOUD")], rows))
        print(_("kubeconfig (a context per region): {path}").format(path=cloud.kubeconfig))
        print(
            _("targets of environment {env}: {path}").format(
                env=cloud.environment_name, path=cloud.targets_path
            )
        )
        return 0
    if args.action == "build":
        from infra.localcloud import ensure_tools

        for directory in ensure_tools():
            print(directory)
        return 0
    if args.action == "down":
        cloud.down()
        return 0
    if args.action == "stop":
        cloud.stop(args.region)
        print(
            _("region {region} stopped; its state is kept (start it: {command})").format(
                region=args.region, command=f"govcloud localcloud start --region {args.region}"
            )
        )
        return 0
    if args.action == "start":
        cloud.start(args.region)
        print(_("region {region} running").format(region=args.region))
        return 0
    if args.action == "status":
        return _status(cloud, args)
    if args.action == "env":
        for key, value in cloud.environment(args.region).items():
            print(f"export {key}={shlex.quote(value)}")
        return 0
    if args.follow:
        cloud.logs(args.component, 0, region_id=args.region)  # refuses what is unknown
        lay = cloud.region(args.region).layout()
        path = lay.audit_log if args.component == "audit" else lay.logs / f"{args.component}.log"
        return _follow(path, args.lines, True)
    print(cloud.logs(args.component, args.lines, region_id=args.region))
    return 0


def _status(cloud: LocalCloud | RegionalCloud, args: argparse.Namespace) -> int:
    import json

    from infra import __version__
    from infra.cli.reconcile import background_status

    statuses = cloud.status()
    regions = any(r.region for r in statuses)
    rows: list[dict[str, Any]] = [
        {
            **({"region": r.region} if regions else {}),
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
    said = [_("ok") if r.healthy else _("down ({why})").format(why=r.detail) for r in statuses]
    if not regions:  # the background reconciler belongs to the cloud without regions
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
        said.append(
            _("ok (log {log})").format(log=log)
            if pid
            else _("not running (start: {command})").format(command=start)
        )
    if args.format == "json":
        print(json.dumps({"format_version": 1, "components": rows}, indent=2))
    else:
        sys.stdout.write(
            columns(
                [
                    *([_("REGION")] if regions else []),
                    _("COMPONENT"),
                    _("PID"),
                    _("PORT"),
                    _("VERSION"),
                    _("HEALTH"),
                ],
                [
                    [
                        *([str(row["region"])] if regions else []),
                        str(row["component"]),
                        str(row["pid"] or "-"),
                        str(row["port"] or "-"),
                        str(row["version"]),
                        health,
                    ]
                    for row, health in zip(rows, said, strict=True)
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
