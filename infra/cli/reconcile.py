"""`govcloud reconcile` and `govcloud drift`: the control loop and its read-only report."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from infra.errors import InputError
from infra.i18n import _

from .reach import add_wait_option, patience

__all__ = ["background_status", "register", "start_background", "stop_background"]

_SHARD = re.compile(r"^(\d+)/(\d+)$")
_ADDR = re.compile(r"^(127\.0\.0\.1|localhost|\[::1\]|::1):(\d{1,5})$")


def _shard(text: str) -> tuple[int, int]:
    match = _SHARD.match(text)
    if not match or not 0 <= int(match.group(1)) < int(match.group(2)):
        raise argparse.ArgumentTypeError(
            _("{text}: say I/N with 0 <= I < N, e.g. 0/2").format(text=repr(text))
        )
    return int(match.group(1)), int(match.group(2))


def _addr(text: str) -> str:
    match = _ADDR.match(text)
    if not match or not 0 < int(match.group(2)) < 65536:
        raise argparse.ArgumentTypeError(
            _("{text}: say HOST:PORT on loopback, e.g. 127.0.0.1:9464").format(text=repr(text))
        )
    return text


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("{text} is not a number").format(text=repr(text))
        ) from None
    if value <= 0:
        raise argparse.ArgumentTypeError(_("{text} must be greater than 0").format(text=repr(text)))
    return value


def register(sub: Any) -> None:
    rec = sub.add_parser(
        "reconcile",
        help="keep every tenant as planned: repair drift, revoke expired access",
        description="Watch the Tenant objects and everything they own; repair drift, remove "
        "objects that weaken a tenant, revoke operator access when it expires, "
        "write status and events. Only the leader (Lease) of its shard acts.",
    )
    rec.add_argument(
        "--env", default="local", help="environment: stacks/<ENV>.yaml (default: local)"
    )
    _region_options(rec)
    mode = rec.add_mutually_exclusive_group()
    mode.add_argument(
        "--once", action="store_true", help="one pass over every tenant, then exit (default)"
    )
    mode.add_argument("--watch", action="store_true", help="run until stopped")
    mode.add_argument(
        "--background",
        action="store_true",
        help="start `--watch` as a background process with the reconciler's "
        "own service account (local cloud); logs in .govcloud/",
    )
    mode.add_argument("--stop", action="store_true", help="stop the background reconciler")
    rec.add_argument(
        "--dry-run", action="store_true", help="change nothing; report what would be repaired"
    )
    rec.add_argument(
        "--metrics-addr",
        type=_addr,
        default=None,
        metavar="HOST:PORT",
        help="serve /metrics, /healthz, /readyz here (default: off)",
    )
    rec.add_argument(
        "--shard",
        type=_shard,
        default=(0, 1),
        metavar="I/N",
        help="reconcile only tenants whose stable hash mod N is I (default 0/1)",
    )
    rec.add_argument(
        "--no-cloud", action="store_true", help="leave cloud guardrails alone (Kubernetes only)"
    )
    rec.add_argument(
        "--cloud-interval",
        type=_positive,
        default=None,
        metavar="SECONDS",
        help=_(
            "how often the cloud endpoint is read per tenant: the backstop "
            "while its change events are followed (default 300), the only "
            "check without them (default 30)"
        ),
    )
    rec.add_argument(
        "--no-cloud-events",
        action="store_true",
        help=_(
            "do not follow the cloud's change events; check the cloud on "
            "the poll (--cloud-interval) alone"
        ),
    )
    rec.add_argument(
        "--resync",
        type=_positive,
        default=300.0,
        metavar="SECONDS",
        help="re-check every tenant this often even without events (default 300)",
    )
    rec.add_argument(
        "--workers",
        type=int,
        default=4,
        choices=range(1, 33),
        metavar="N",
        help="tenants reconciled at once (1-32, default 4)",
    )
    rec.add_argument(
        "--lease-duration",
        type=_positive,
        default=10.0,
        metavar="SECONDS",
        help="leader lease duration; a standby takes over after it (default 10)",
    )
    rec.add_argument(
        "--identity", default=None, help="this replica's name in the Lease (default host-pid)"
    )
    rec.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        help="report format for --once (default text)",
    )
    rec.set_defaults(handler=run_reconcile)

    drift = sub.add_parser(
        "drift",
        help="report drift between every tenant's plan and the live state (read-only)",
        description="Compare every deployed Tenant's plan with the live cluster and cloud "
        "endpoint; tenants in tenants/ without a Tenant object are listed as not "
        "deployed. Changes nothing. Exit 0: no drift; 1: something drifts; 2: the "
        "check could not run (an endpoint unreachable, bad input); 3: incomplete, "
        "something could not be checked (named in the report).",
    )
    drift.add_argument("--env", default="local", help="environment (default: local)")
    _region_options(drift)
    drift.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        help="report format (default text)",
    )
    drift.add_argument("--no-cloud", action="store_true", help="Kubernetes only")
    add_wait_option(drift)
    drift.set_defaults(handler=run_drift)


def _region_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--region",
        default=None,
        help=_(
            "act on this region of the environment only: its cluster and cloud endpoint, "
            "as the environment spec and its targets file name them (default: the one "
            "cluster of an environment without regions)"
        ),
    )
    parser.add_argument(
        "--stacks-dir",
        type=Path,
        default=None,
        help=_("directory of environment specs (default: <repo>/stacks)"),
    )


def _log_json() -> None:
    class _Json(logging.Formatter):
        def format(self, record: logging.LogRecord) -> str:
            message = record.getMessage()
            try:
                payload: dict[str, Any] = json.loads(message)
            except ValueError:
                payload = {"msg": message}
            if not isinstance(payload, dict):
                payload = {"msg": message}
            return json.dumps(
                {
                    "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S"),
                    "level": record.levelname.lower(),
                    **payload,
                },
                ensure_ascii=False,
            )

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Json())
    root = logging.getLogger("govcloud")
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO)


def _context(
    env_name: str,
    *,
    dry_run: bool,
    cloud: bool,
    identity: str | None = None,
    deadline: float = 15.0,
    region: str | None = None,
    stacks_dir: Path | None = None,
) -> tuple[Any, str | None]:
    """The reconciler's context and the cloud endpoint whose change events it may follow.
    With ``region``: that region's drivers, built from the environment spec alone."""
    from infra.drivers import CloudTable, KubeClient
    from infra.plan.names import RECONCILER_WRITER
    from infra.reconcile import make_context
    from infra.spec.load import find_repo_root, load_environment

    stacks = stacks_dir or find_repo_root() / "stacks"
    identity = identity or f"{socket.gethostname()}-{os.getpid()}"
    if region is not None:
        from infra.drivers.regional import region_drivers

        env = load_environment(env_name, stacks)
        drivers = region_drivers(
            env,
            region,
            root=find_repo_root(),
            field_manager=RECONCILER_WRITER,
            cloud=cloud,
            deadline=deadline,
        )
        ctx = make_context(drivers.kube, drivers.cloud, env, dry_run=dry_run, identity=identity)
        return ctx, drivers.target.cloud_endpoint
    from infra.cli.deploy import use_local_cloud
    from infra.spec.regions import one_cluster

    use_local_cloud(env_name)
    env = one_cluster(load_environment(env_name, stacks))
    kube = KubeClient(deadline=deadline, field_manager=RECONCILER_WRITER)
    ctx = make_context(
        kube, CloudTable() if cloud else None, env, dry_run=dry_run, identity=identity
    )
    return ctx, env.cloud.endpoint or os.environ.get("AWS_ENDPOINT_URL")


def run_drift(args: argparse.Namespace) -> int:
    """Exit 0 clean, 1 drift, 3 incomplete (2, could not run, comes from main)."""
    from infra.reconcile import drift_exit_code, render_drift, run_once

    with patience(args):
        ctx, _endpoint = _context(
            args.env,
            dry_run=True,
            cloud=not args.no_cloud,
            deadline=max(15.0, args.wait or 0.0),
            region=args.region,
            stacks_dir=args.stacks_dir,
        )
        outcomes = run_once(ctx)
    missing = _not_deployed({o.tenant for o in outcomes}, ctx.env, args.region)
    sys.stdout.write(render_drift(outcomes, args.format, not_deployed=missing))
    return drift_exit_code(outcomes)


def _not_deployed(deployed: set[str], env: Any = None, region: str | None = None) -> list[str]:
    """Tenants approved in tenants/ (of this checkout) that have no Tenant object yet; with
    ``region``, those placed in that region."""
    from infra.spec.load import find_repo_root

    try:
        files = (find_repo_root() / "tenants").glob("*.yaml")
    # Why: outside a checkout there is no tenants/ to compare with; the report says nothing.
    except InputError:
        return []
    missing = [p for p in sorted(files) if p.stem not in deployed]
    if region is None:
        return [p.stem for p in missing]
    from infra.policy.placement import region_of
    from infra.spec.load import load_tenants_partly

    # A spec that does not load is for `govcloud check` to report; it is placed nowhere here.
    loaded, _problems = load_tenants_partly(missing)
    return [t.spec.id for t in loaded if region_of(t.spec, env).id == region]


def run_reconcile(args: argparse.Namespace) -> int:
    if args.stop:
        return 0 if stop_background(verbose=True) else 1
    if args.background:
        if args.region is not None:
            raise InputError(
                _(
                    "--background runs the local cloud's one reconciler; for a region run "
                    "--watch --region {region} in its own process"
                ).format(region=args.region),
                field="--region",
            )
        start_background(args.env, extra=_passthrough(args))
        return 0
    from infra.reconcile import Shard, make_controller, render_drift, run_once

    _log_json()
    ctx, endpoint = _context(
        args.env,
        dry_run=args.dry_run,
        cloud=not args.no_cloud,
        identity=args.identity,
        region=args.region,
        stacks_dir=args.stacks_dir,
    )
    shard = Shard(*args.shard)
    if not args.watch:
        outcomes = run_once(ctx, shard)
        sys.stdout.write(render_drift(outcomes, args.format))
        repairs = [r for o in outcomes for r in o.repairs]
        for repair in repairs:
            print(repair.describe(_))
        return 1 if any(o.errors for o in outcomes) else 0
    from infra.reconcile.cloud_events import BACKSTOP_INTERVAL, POLL_INTERVAL

    events = _events(ctx, args, endpoint)
    ctx.cloud_interval = args.cloud_interval or (BACKSTOP_INTERVAL if events else POLL_INTERVAL)
    controller = make_controller(
        ctx,
        shard=shard,
        workers=args.workers,
        resync=args.resync,
        metrics_addr=args.metrics_addr,
        lease_duration=args.lease_duration,
        events=events,
        poll_alone=None if args.cloud_interval else POLL_INTERVAL,
    )
    signal.signal(signal.SIGTERM, lambda *_: controller.stop())
    signal.signal(signal.SIGINT, lambda *_: controller.stop())
    signal.signal(signal.SIGUSR1, lambda *_: controller.resync_now())
    controller.start()
    logging.getLogger("govcloud.reconcile").info(
        json.dumps(
            {
                "msg": "reconciler running",
                "identity": ctx.identity,
                "lease": shard.lease,
                **({"region": args.region} if args.region else {}),
            }
        )
    )
    controller.wait()
    return 0


def _events(ctx: Any, args: argparse.Namespace, endpoint: str | None) -> Any:
    """The cloud's change-event feed (the endpoint's own), or None: the poll alone."""
    from infra.drivers.cloud.events import EndpointEvents

    if ctx.cloud is None or args.no_cloud_events or not endpoint:
        return None
    return EndpointEvents(endpoint)


def _passthrough(args: argparse.Namespace) -> list[str]:
    extra = ["--resync", str(args.resync)]
    if args.cloud_interval:
        extra += ["--cloud-interval", str(args.cloud_interval)]
    if args.metrics_addr:
        extra += ["--metrics-addr", args.metrics_addr]
    if args.no_cloud:
        extra.append("--no-cloud")
    if args.no_cloud_events:
        extra.append("--no-cloud-events")
    return extra


# -- the background reconciler of the local cloud -------------------------------------------


def _state_dir() -> Path:
    from infra.spec.load import find_repo_root

    path = find_repo_root() / ".govcloud" / "reconciler"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def background_status() -> tuple[int | None, Path]:
    """The background reconciler's pid (None when not running) and its log file."""
    state = _state_dir()
    log = state / "reconciler.log"
    try:
        pid = int((state / "pid").read_text())
        os.kill(pid, 0)
    except (OSError, ValueError):
        return None, log
    return pid, log


def start_background(env: str, *, extra: list[str] | None = None) -> int:
    """Start `reconcile --watch` as the reconciler's service account; returns its pid."""
    from infra.cli.deploy import use_local_cloud
    from infra.drivers import KubeClient
    from infra.drivers.identity import write_service_account_kubeconfig
    from infra.plan.reconciler import RECONCILER_NAMESPACE, RECONCILER_SA

    running, log = background_status()
    if running:
        print(_("reconciler already running (pid {pid}); log: {log}").format(pid=running, log=log))
        return running
    use_local_cloud(env)
    state = _state_dir()
    if KubeClient().get("v1", "ServiceAccount", RECONCILER_SA, RECONCILER_NAMESPACE) is None:
        raise InputError(
            _(
                "the reconciler's service account does not exist yet: deploy the "
                "platform first (govcloud deploy --env {env} --all)"
            ).format(env=env),
            field="--background",
        )
    kubeconfig = write_service_account_kubeconfig(
        KubeClient(),
        service_account=RECONCILER_SA,
        namespace=RECONCILER_NAMESPACE,
        target=state / "kubeconfig",
    )
    extra = list(extra or [])
    if "--metrics-addr" not in extra:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            extra += ["--metrics-addr", f"127.0.0.1:{sock.getsockname()[1]}"]
    metrics = extra[extra.index("--metrics-addr") + 1]
    child_env = {**os.environ, "KUBECONFIG": str(kubeconfig), "GOVCLOUD_ENV": env}
    handle = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "infra.cli.main",
            "reconcile",
            "--env",
            env,
            "--watch",
            "--identity",
            f"{socket.gethostname()}-local",
            *extra,
        ],
        stdout=handle,
        stderr=handle,
        stdin=subprocess.DEVNULL,
        env=child_env,
        start_new_session=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    os.close(handle)
    (state / "pid").write_text(str(proc.pid))
    if env == "local":  # the local cloud's metrics store scrapes it (metered quota use)
        from infra.localcloud import register_scrape_target

        register_scrape_target("reconciler", metrics)
    print(
        _("reconciler running (pid {pid}) as {account}; metrics {metrics}; log: {log}").format(
            pid=proc.pid,
            account=f"{RECONCILER_NAMESPACE}:{RECONCILER_SA}",
            metrics=f"http://{metrics}/metrics",
            log=log,
        )
    )
    return proc.pid


def stop_background(*, verbose: bool = False, timeout: float = 10.0) -> bool:
    pid, _log = background_status()
    if pid is None:
        if verbose:
            print(_("reconciler not running"))
        return True
    os.kill(pid, signal.SIGTERM)
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
        except OSError:
            break
        time.sleep(0.1)
    else:
        os.kill(pid, signal.SIGKILL)
    (_state_dir() / "pid").unlink(missing_ok=True)
    from infra.localcloud import unregister_scrape_target

    unregister_scrape_target("reconciler")
    if verbose:
        print(_("reconciler stopped (pid {pid})").format(pid=pid))
    return True
