"""`govcloud deploy`: the compliance gate, the platform stack, tenant stacks in parallel, a
summary table (or JSON)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from typing import TYPE_CHECKING, Any

from infra.errors import InputError
from infra.i18n import _
from infra.spec.environment import EnvironmentSpec
from infra.spec.load import find_repo_root
from infra.spec.regions import one_cluster

from ._common import add_yes_option, confirm
from .reach import add_wait_option, patience, preflight

if TYPE_CHECKING:
    from infra.provision.deploy import Progress, StackResult
    from infra.provision.gate import Verdict

__all__ = ["register", "use_local_cloud"]


def _at_least_one(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("{text!r} is not a whole number").format(text=text)
        ) from None
    if value < 1:
        raise argparse.ArgumentTypeError(_("must be at least 1, not {value}").format(value=value))
    return value


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("{text!r} is not a date (YYYY-MM-DD)").format(text=text)
        ) from None


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "deploy",
        help="check, then pulumi up the platform and tenant stacks",
        description="Run the compliance checks `govcloud check` runs on the tenants to deploy "
        "(errors refuse the deploy), then update the platform stack <env> "
        "(skipped when unchanged) and the tenant stacks <env>.<tenant> in "
        "parallel against the live state (what drifted is repaired; a preview "
        "refreshes first and shows each drifted field), with the govcloud "
        "policy pack. One tenant's failure does not "
        "stop the others; the exit code is 1 if any failed or the checks refused.",
    )
    parser.add_argument(
        "--env", default="local", help="environment: stacks/<ENV>.yaml (default: local)"
    )
    add_yes_option(parser)
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument(
        "--tenant",
        action="append",
        default=[],
        metavar="ID",
        help="deploy this tenant (repeatable)",
    )
    which.add_argument(
        "--changed-since",
        metavar="GIT_REF",
        help="deploy tenants whose spec changed since this git ref",
    )
    which.add_argument("--all", action="store_true", help="every tenant, and removed ones")
    parser.add_argument(
        "--parallel", type=_at_least_one, default=4, help="tenant stacks at once (default: 4)"
    )
    parser.add_argument(
        "--preview",
        action="store_true",
        help="show what a deploy would change, drift included; write nothing",
    )
    parser.add_argument(
        "--platform",
        action="store_true",
        help="run the platform stack even if its plan is unchanged",
    )
    parser.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help="final report: a table, or JSON per stack on standard output (default: table)",
    )
    parser.add_argument(
        "--state",
        choices=("file", "shared"),
        default=None,
        help="where Pulumi state lives: shared = the environment's object "
        "storage (versioned, KMS-encrypted bucket, created on first use; "
        "the default except for env local), file = PULUMI_BACKEND_URL "
        "(the default for local; offline use)",
    )
    add_wait_option(parser)
    parser.add_argument("--today", type=_date, default=None, help=argparse.SUPPRESS)
    parser.add_argument(
        "--destroy-data-before-retention-ends",
        action="store_true",
        help="DANGER: let decommissioning delete buckets that still hold data before their "
        "retention period ends (this run only)",
    )
    parser.add_argument(
        "--override-reason",
        metavar="TEXT",
        default=None,
        help="EMERGENCY: deploy despite compliance errors, for this reason "
        "(needs --override-document; recorded on each Tenant)",
    )
    parser.add_argument(
        "--override-document",
        metavar="NUMBER",
        default=None,
        help="the document number authorising the override",
    )
    parser.set_defaults(handler=run)


def use_local_cloud(env: str) -> None:
    """For env `local`, point this process at the running local cloud (unless told otherwise)."""
    if env != "local" or os.environ.get("GOVCLOUD_ENV") == "local":
        return
    from infra.localcloud import LocalCloud

    cloud = LocalCloud()
    if not cloud.running():
        cloud.up()
    os.environ.update(cloud.environment())


def print_table(results: list[StackResult]) -> None:
    from rich.console import Console
    from rich.table import Table

    from infra.plan.records import read

    table = Table(box=None, show_edge=False, pad_edge=False)
    for column in (_("STACK"), _("RESULT"), _("CHANGES")):
        table.add_column(column, no_wrap=True)
    table.add_column(_("TIME"), justify="right")
    for r in results:
        table.add_row(r.stack, r.result, r.change_summary or "-", f"{r.seconds:.1f}s")
        # Every creation of a first rollout would drown the table; what changes in place
        # (and whatever a preview would do) is listed, with its fields.
        steps = [s for s in r.steps if r.result == "previewed" or not s.startswith("create ")]
        for line in ([read(r.message, _)] if r.message else []) + steps[:20]:
            table.add_row(f"  {line}", "", "", "")
    console = Console(width=None if sys.stdout.isatty() else 200, soft_wrap=True, highlight=False)
    console.print()
    console.print(table)


class _LiveProgress:
    """A live table of running stacks on a terminal (rich)."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.live import Live

        self._console = Console(stderr=True)
        self._running: dict[str, tuple[str, float]] = {}
        self._live = Live(
            self._render(),
            console=self._console,
            transient=True,
            refresh_per_second=4,
            get_renderable=self._render,
        )

    def _render(self) -> Any:
        from rich.spinner import Spinner
        from rich.table import Table

        table = Table.grid(padding=(0, 1))
        now = time.monotonic()
        for stack, (action, since) in sorted(self._running.items()):
            table.add_row(Spinner("dots"), stack, action, f"{now - since:.0f}s")
        return table

    def __enter__(self) -> _LiveProgress:
        self._live.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._live.__exit__(None, None, None)

    def started(self, stack: str, action: str) -> None:
        self._running[stack] = (action, time.monotonic())

    def finished(self, result: StackResult) -> None:
        self._running.pop(result.stack, None)
        mark = "[red]✗[/]" if result.failed else "[green]✓[/]"
        detail = result.message or result.change_summary or _("no changes")
        self._console.print(
            _("{mark} {stack}: {result} in {seconds:.1f}s {detail}").format(
                mark=mark,
                stack=result.stack,
                result=result.result,
                seconds=result.seconds,
                detail=detail,
            ),
            highlight=False,
            markup=True,
        )

    def note(self, line: str) -> None:
        self._console.print(line, highlight=False, markup=False)


def _render_refusal(verdict: Verdict, env: str) -> str:
    from infra.policy import capacity_usage
    from infra.report import Summary, render

    summary = Summary.of(
        verdict.findings,
        tenants=len(verdict.checked),
        environment=env,
        fleet=len(verdict.fleet),
        capacity=capacity_usage((t.spec for t in verdict.fleet), _env(env)),
        files=[str(t.path) for t in verdict.checked],
        hidden=verdict.hidden,
    )
    return render("text", verdict.findings, summary, colour=sys.stderr.isatty())


def _env(name: str) -> EnvironmentSpec:
    from infra.spec.load import load_environment

    return load_environment(name, find_repo_root() / "stacks")


def _override(args: argparse.Namespace) -> Any:
    from infra.provision.gate import Override

    reason, document = args.override_reason, args.override_document
    if reason is None and document is None:
        return None
    if not (reason or "").strip() or not (document or "").strip():
        raise InputError(
            _("an override needs both --override-reason and --override-document"),
            field="--override-reason",
        )
    return Override(reason=reason.strip(), document=document.strip())


def run(args: argparse.Namespace) -> int:
    override = _override(args)
    risky = [
        why
        for why, applies in (
            (_("the {env} environment").format(env=args.env), args.env == "prod"),
            (
                _("every tenant of {env}").format(env=args.env),
                args.all and args.env != "local",
            ),
            (
                _("deleting data before its retention ends"),
                args.destroy_data_before_retention_ends,
            ),
        )
        if applies
    ]
    if risky and not args.preview:  # asked before anything is touched
        confirm(_("deploy, touching {what}?").format(what=_(" and ").join(risky)), yes=args.yes)
    one_cluster(_env(args.env))
    use_local_cloud(args.env)
    # One patience for the whole run, shared with the Pulumi processes it starts.
    with patience(args, shared=True):
        return _deploy(args, override)


def _deploy(args: argparse.Namespace, override: Any) -> int:
    # Imported here: Pulumi's SDK takes a while to import, and `govcloud check` should not pay.
    from infra.provision.backend import bootstrap_state, state_kind
    from infra.provision.deploy import (
        DeployOptions,
        DeployRefused,
        Progress,
        deploy,
        gate,
        select_tenants,
    )
    from infra.provision.engine import Pulumi

    root = find_repo_root()
    state = (
        bootstrap_state(_env(args.env)) if state_kind(args.env, args.state) == "shared" else None
    )
    tenants = select_tenants(
        root,
        args.env,
        tenants=args.tenant,
        changed_since=args.changed_since,
        everything=args.all,
        state=state,
    )
    if args.changed_since:
        from infra.provision.deploy import CHANGED_SINCE_SCOPE

        print(
            _("--changed-since {ref}: {count} tenant(s) changed ({scope}): {tenants}").format(
                ref=args.changed_since,
                count=len(tenants),
                scope=CHANGED_SINCE_SCOPE,
                tenants=", ".join(tenants) or _("none"),
            ),
            file=sys.stderr,
        )
    opts = DeployOptions(
        root=root,
        env=args.env,
        parallel=args.parallel,
        preview=args.preview,
        today=args.today,
        policy_pack=root / "policypack",
        platform=args.platform,
        destroy_data_before_retention_ends=args.destroy_data_before_retention_ends,
        override=override,
        state=state,
    )
    if opts.destroy_data_before_retention_ends:
        print(
            _(
                "WARNING: --destroy-data-before-retention-ends is set: buckets of "
                "decommissioning tenants may be deleted with their data"
            ),
            file=sys.stderr,
        )

    live = sys.stderr.isatty() and "CI" not in os.environ
    plain = Progress(
        lambda line: print(
            line, file=sys.stderr if args.format == "json" else sys.stdout, flush=True
        )
    )
    try:
        # What this machine can tell first (the compliance checks, a Pulumi CLI), then the
        # endpoints: no stack starts before both have been seen to accept connections.
        verdict = gate(opts, tenants)
        if verdict.errors and opts.override is None:
            raise DeployRefused(verdict)
        Pulumi(root, {})
        preflight(_env(args.env).cloud.endpoint, wait=args.wait)
        if live:
            with _LiveProgress() as progress:
                results = deploy(opts, tenants, progress=_as_progress(progress), verdict=verdict)
        else:
            results = deploy(opts, tenants, progress=plain, verdict=verdict)
    except DeployRefused as refused:
        sys.stderr.write(_render_refusal(refused.verdict, args.env))
        print(
            _(
                "govcloud: deploy refused: fix the errors above (the same checks as "
                "`govcloud check`); nothing was deployed"
            ),
            file=sys.stderr,
        )
        return 1
    if args.format == "json":
        json.dump(
            {"stacks": [r.as_data() for r in results]}, sys.stdout, ensure_ascii=False, indent=2
        )
        sys.stdout.write("\n")
    else:
        print_table(results)
    failed = [r for r in results if r.failed]
    if failed:
        print(
            "\n"
            + _("{count} stack(s) failed; logs in {where}").format(
                count=len(failed), where=root / ".govcloud" / "deploy-logs"
            ),
            file=sys.stderr,
        )
        return 1
    return 0


def _as_progress(live: _LiveProgress) -> Progress:
    from infra.provision.deploy import Progress

    class _Adapter(Progress):
        def started(self, stack: str, action: str) -> None:
            live.started(stack, action)

        def finished(self, result: StackResult) -> None:
            live.finished(result)

        def note(self, line: str) -> None:
            live.note(line)

    return _Adapter()
