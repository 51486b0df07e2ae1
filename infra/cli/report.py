"""`govcloud report --env ENV`: the bureau's view — capacity, cost against budget, use
against allocation (--live), access and lifecycle, and the data-sharing KPI.

The report is read at the bureau: it is in Chinese unless English is asked for (``--lang
en``, or an English locale such as ``en_US.UTF-8``; a C or POSIX locale asks for nothing).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import multiprocessing
import os
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from infra.errors import InputError
from infra.i18n import _, set_language
from infra.spec import EnvironmentSpec, TenantSpec, load_tenants
from infra.spec.git import SharingHistory, git_root, sharing_history

from ._common import (
    add_access_file_option,
    add_env_options,
    environment,
    read_access_file,
    read_json,
    tenants_dir,
    write_output,
)
from .metering import add_metering_options, metrics_client

if TYPE_CHECKING:
    from infra.bureau import Metering, TenantUsage
    from infra.bureau.checks import AuditSummary, DriftSummary
    from infra.bureau.crypto import CryptoView
    from infra.bureau.emergency import EmergencyView

__all__ = ["add_usage_options", "bounded", "quotas_file_usage", "register"]

T = TypeVar("T")


def bounded(low: float, high: float) -> Callable[[str], float]:
    """An argparse type: a number strictly between ``low`` and ``high``."""

    def parse(text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(
                _("{text} is not a number").format(text=repr(text))
            ) from None
        if not low < value < high:
            raise argparse.ArgumentTypeError(
                _("{text} is not between {low:g} and {high:g}").format(
                    text=text, low=low, high=high
                )
            )
        return value

    return parse


def add_usage_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--threshold",
        type=bounded(0, 1),
        default=0.3,
        help=_(
            "right-sizing candidates peaked below this fraction of their CPU and memory "
            "quota over the window (default: 0.3)"
        ),
    )
    parser.add_argument(
        "--quotas-file",
        type=Path,
        default=None,
        metavar="FILE",
        help=_(
            "show use against allocation from ResourceQuota objects in FILE (`kubectl get "
            "resourcequota -A -o json`): one reading, so nothing is proposed"
        ),
    )
    add_metering_options(parser)


def quotas_file_usage(path: Path, specs: list[TenantSpec]) -> dict[str, TenantUsage]:
    """Quota use per tenant from one saved reading of the ResourceQuota objects."""
    from infra.bureau import usage_from

    where = str(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(_("cannot read: {why}").format(why=exc.strerror), path=where) from None
    except ValueError as exc:
        raise InputError(_("not JSON: {why}").format(why=exc), path=where) from None
    items = data.get("items") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise InputError(_("expected a list object with `items` (kubectl get -o json)"), path=where)
    return usage_from([i for i in items if isinstance(i, dict)], specs)


@dataclass(frozen=True)
class _Live:
    usage: dict[str, TenantUsage]
    metering: Metering | None = None
    mean_use: dict[str, dict[str, Decimal]] | None = None


def _live(args: argparse.Namespace, env: EnvironmentSpec, specs: list[TenantSpec]) -> _Live:
    """From the metrics store (--live): the latest use, the window's history and mean use;
    or one saved reading (--quotas-file)."""
    from infra.bureau import read_latest, read_use

    if args.quotas_file is not None and not args.live:
        return _Live(quotas_file_usage(args.quotas_file, specs))
    client = metrics_client(args, env)
    now = dt.datetime.now(dt.UTC)
    usage = read_latest(client, specs, now=now)
    metering, mean = read_use(client, specs, now=now, window=args.window)
    return _Live(usage, metering, mean)


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "report",
        help="capacity, cost vs budget, use vs allocation, access and the "
        "data-sharing KPI (数据需求满足率) for the bureau",
    )
    add_env_options(parser)
    parser.add_argument(
        "--live",
        action="store_true",
        help=_(
            "read recorded quota use from the metrics store: use against allocation, "
            "right-sizing proposals and metered cost"
        ),
    )
    parser.add_argument(
        "--records",
        action="store_true",
        help=_(
            "read the signed destruction records from the environment's audit bucket: "
            "destructions done, and tenants whose retention ended not yet destroyed"
        ),
    )
    parser.add_argument(
        "--cryptography",
        action="store_true",
        help=_(
            "read the cryptography inventory from the live cloud and cluster (the evidence of "
            "the commercial-cryptography assessment): which key protects which data, its "
            "algorithms, rotation and custodian"
        ),
    )
    parser.add_argument(
        "--format",
        choices=("markdown", "html", "json"),
        default="markdown",
        help="Markdown with Mermaid charts, one self-contained HTML page, or "
        "JSON (default: markdown)",
    )
    parser.add_argument(
        "--output", type=Path, default=None, help="write the report here (default: standard output)"
    )
    parser.add_argument(
        "--since",
        type=dt.date.fromisoformat,
        default=None,
        metavar="DATE",
        help="the KPI counts requests received from this day (default: a year before --today)",
    )
    parser.add_argument(
        "--drift-file",
        type=Path,
        default=None,
        metavar="FILE",
        help="the last reconcile's drift, as `govcloud drift --format json` wrote it "
        "(default: the summary says it is not available)",
    )
    parser.add_argument(
        "--audit-file",
        type=Path,
        default=None,
        metavar="FILE",
        help="the last audit, as `govcloud audit --format json` wrote it "
        "(default: the summary says it is not available)",
    )
    add_access_file_option(
        parser,
        _(
            "emergency accesses as `govcloud access list --format json` wrote them: listed per "
            "tenant for the period (default: the section says it is not available)"
        ),
    )
    add_usage_options(parser)
    parser.set_defaults(handler=run)


def _emergency(
    args: argparse.Namespace, env: EnvironmentSpec, since: dt.date
) -> EmergencyView | None:
    """Emergency accesses granted in the period, from ``--access-file``."""
    from infra.bureau.emergency import emergency_view

    if args.access_file is None:
        return None
    return emergency_view(
        read_access_file(args.access_file),
        source=args.access_file.name,
        since=since,
        until=args.today,
        warn_above=env.emergency_access.warn_above,
    )


def _language(asked: str | None) -> None:
    """Chinese unless ``--lang`` or the locale asks for English (the bureau reads it)."""
    if asked is not None:
        return
    locale = next((v for n in ("LC_ALL", "LC_MESSAGES", "LANG") if (v := os.environ.get(n))), "")
    if not locale.lower().startswith("en"):
        set_language("zh")


def _checks(args: argparse.Namespace) -> tuple[DriftSummary | None, AuditSummary | None]:
    """The last drift report and audit, when given as files."""
    from infra.bureau.checks import audit_summary, drift_summary

    def read(path: Path | None, parse: Callable[[Any, str], T]) -> T | None:
        if path is None:
            return None
        data = read_json(path)
        try:
            return parse(data, path.name)
        except ValueError as exc:
            raise InputError(str(exc), path=str(path)) from None

    return read(args.drift_file, drift_summary), read(args.audit_file, audit_summary)


def _history(directory: Path) -> SharingHistory | str:
    """The history, or the message of the error (exceptions do not cross processes intact)."""
    try:
        root = git_root(directory)
    except InputError:  # not a git checkout: the specs' own dates are all there is
        return SharingHistory()
    try:
        return sharing_history(root, str(directory.resolve().relative_to(root)))
    except InputError as exc:
        return str(exc)


def _records(args: argparse.Namespace, env: EnvironmentSpec) -> list[dict[str, Any]] | None:
    if not args.records:
        return None
    from infra.bureau.destructions import read_records

    from .deploy import use_local_cloud

    use_local_cloud(args.env)
    return read_records(env)


def _apiserver_pid(env: str) -> int | None:
    """The local cloud's API server process (its encryption at rest is read from it); None
    for another environment, whose control plane is not on this host."""
    if env != "local":
        return None
    from infra.localcloud import LocalCloud

    state = os.environ.get("GOVCLOUD_STATE_DIR")
    cloud = LocalCloud(Path(state) if state else None)
    return next((c.pid for c in cloud.status() if c.name == "kube-apiserver"), None)


def _cryptography(
    args: argparse.Namespace, env: EnvironmentSpec, specs: list[TenantSpec]
) -> CryptoView | None:
    """The cryptography inventory, read live (``--cryptography``)."""
    if not args.cryptography:
        return None
    from infra.bureau.crypto import Endpoints, crypto_view
    from infra.drivers.crypto import LiveCrypto

    from . import live
    from .deploy import use_local_cloud

    use_local_cloud(args.env)
    cluster = live.locate(args.env)
    where = Endpoints(
        apiserver=cluster.endpoint if cluster.kubeconfig is not None else "",
        cloud=live.locate_cloud(args.env),
        state=os.environ.get("PULUMI_BACKEND_URL", ""),
    )
    return crypto_view(specs, env, LiveCrypto(_apiserver_pid(args.env)), where)


def _verified(env: str) -> dict[tuple[str, str, str], dt.date] | None:
    """The days each live data share was first verified, from the Tenant objects' status
    (the reconciler writes them); None when the cluster cannot be read."""
    from infra.bureau.sharing import verified_shares

    from . import live

    found = live.read_live(env)
    return None if found.tenants is None else verified_shares(found.tenants)


def run(args: argparse.Namespace) -> int:
    from infra.bureau import build_report

    _language(args.lang)
    env = environment(args)
    directory = tenants_dir(args)
    # Two years of history and thousands of specs are both CPU-bound: replay the history in a
    # forked process while this one loads the specs (the result it sends back is small).
    with ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork")) as pool:
        replay = pool.submit(_history, directory)
        specs: list[TenantSpec] = [t.spec for t in load_tenants([directory])]
        history = replay.result()
    if isinstance(history, str):
        raise InputError(history)
    live = _live(args, env, specs) if args.live or args.quotas_file else None
    drift, audit = _checks(args)
    report = build_report(
        specs,
        env,
        today=args.today,
        history=history,
        since=args.since,
        usage=live.usage if live else None,
        metering=live.metering if live else None,
        mean_use=live.mean_use if live else None,
        threshold=args.threshold,
        drift=drift,
        audit=audit,
        emergency=_emergency(args, env, args.since or args.today - dt.timedelta(days=365)),
        records=_records(args, env),
        verified=_verified(args.env) if args.live else None,
        cryptography=_cryptography(args, env, specs),
    )
    if args.format == "json":
        from infra.bureau.render_json import render_json

        text = render_json(report)
    elif args.format == "html":
        from infra.bureau.render_html import render_html

        text = render_html(report)
    else:
        from infra.bureau.render_md import render_markdown

        text = render_markdown(report)
    write_output(text, args.output)
    return 0
