"""`govcloud rightsize --env ENV [--tenant ID] [--window 14d] [--write]`: lower the quotas of
tenants that used little of them over the window the metrics store recorded, by editing
tenants/*.yaml for a normal pull request."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from infra.errors import InputError
from infra.i18n import _
from infra.spec import load_tenants

from ._common import add_env_options, environment, tenants_dir
from .metering import add_metering_options, describe_span, metrics_client
from .report import bounded

if TYPE_CHECKING:
    from infra.bureau import RightsizePlan

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "rightsize",
        help=_(
            "lower CPU and memory quotas of tenants that used little of them over the "
            "recorded window (edits tenants/*.yaml with --write)"
        ),
    )
    add_env_options(parser)
    parser.add_argument("--tenant", default=None, metavar="ID", help=_("only this tenant"))
    parser.add_argument(
        "--threshold",
        type=bounded(0, 1),
        default=0.3,
        help=_(
            "candidates peaked below this fraction of their CPU and memory quota over the "
            "window (default: 0.3)"
        ),
    )
    parser.add_argument(
        "--headroom",
        type=bounded(0, 10),
        default=0.5,
        help=_(
            "new quota = p95 of use × (1 + HEADROOM), rounded up, never below the peak "
            "or the default container limits (default: 0.5)"
        ),
    )
    parser.add_argument(
        "--write",
        action="store_true",
        help=_("edit the files of the tenants with a proposal (default: only show it)"),
    )
    add_metering_options(parser)
    parser.set_defaults(handler=run)


def _print_short(plan: RightsizePlan) -> None:
    needed = describe_span(plan.window)
    for short in plan.short:
        if short.observed:
            print(
                _("{tenant}: {have} of use recorded, {need} needed; no proposal").format(
                    tenant=short.tenant, have=describe_span(short.observed), need=needed
                )
            )
        else:
            print(
                _("{tenant}: no use recorded yet, {need} needed; no proposal").format(
                    tenant=short.tenant, need=needed
                )
            )


def run(args: argparse.Namespace) -> int:
    from infra.bureau import apply_resizes, plan_resizes, read_metering
    from infra.bureau.metering import percentile_note

    env = environment(args)
    loaded = load_tenants([tenants_dir(args)])
    if args.tenant is not None:
        loaded = [t for t in loaded if t.spec.id == args.tenant]
        if not loaded:
            raise InputError(_("no tenant {tenant!r}").format(tenant=args.tenant), field="--tenant")
    specs = [t.spec for t in loaded]
    metering = read_metering(
        metrics_client(args, env), specs, now=dt.datetime.now(dt.UTC), window=args.window
    )
    plan = plan_resizes(specs, metering, threshold=args.threshold, headroom=args.headroom)
    _print_short(plan)
    if not plan.resizes:
        print(
            _(
                "No proposal: no tenant with {need} of recorded use peaked below {share:.0%} "
                "of its CPU and memory quota."
            ).format(need=describe_span(plan.window), share=args.threshold)
        )
        return 0
    for r in plan.resizes:
        print(
            _(
                "{tenant}: quotas.{resource} {current} → {proposed} "
                "(p{quantile:.0f} {high}, peak {peak} = {share:.0%} over {window})"
            ).format(
                tenant=r.tenant,
                resource=r.resource,
                current=r.current,
                proposed=r.proposed,
                quantile=plan.quantile * 100,
                high=_amount(r.resource, r.percentile),
                peak=_amount(r.resource, r.peak),
                share=r.fraction,
                window=describe_span(plan.window),
            )
        )
    if metering.hourly_peaks:
        print(percentile_note())
    if not args.write:
        print(_("Run again with --write to edit the tenant files."))
        return 0
    changed: list[Path] = []
    for tenant in loaded:
        mine = [r for r in plan.resizes if r.tenant == tenant.spec.id]
        if mine:
            text = apply_resizes(tenant.text, mine, where=str(tenant.path))
            tenant.path.write_text(text, encoding="utf-8")
            changed.append(tenant.path)
    print(
        _(
            "Wrote {count} file(s): {files}. Review with `git diff`, run `govcloud check`, "
            "and open a pull request."
        ).format(count=len(changed), files=", ".join(map(str, changed)))
    )
    return 0


def _amount(resource: str, value: Any) -> str:
    if resource == "cpu":
        return f"{float(value):.2f}"
    return f"{float(value) / 2**30:.1f}Gi"
