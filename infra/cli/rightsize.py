"""`govcloud rightsize --env ENV [--tenant ID] [--write]`: lower the quotas of tenants that
use little of them, by editing tenants/*.yaml for a normal pull request."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from infra.errors import InputError
from infra.spec import load_tenants

from ._common import add_env_options, tenants_dir
from .report import add_usage_options, bounded, tenant_usage

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "rightsize",
        help="lower CPU and memory quotas of tenants using little of them "
        "(edits tenants/*.yaml with --write)",
    )
    add_env_options(parser)
    parser.add_argument("--tenant", default=None, metavar="ID", help="only this tenant")
    parser.add_argument(
        "--headroom",
        type=bounded(0, 10),
        default=0.5,
        help="new quota = use × (1 + HEADROOM), rounded up (default: 0.5)",
    )
    parser.add_argument(
        "--write",
        action="store_true",
        help="edit the tenant files (default: only show the proposal)",
    )
    add_usage_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from infra.bureau import apply_resizes, plan_resizes

    loaded = load_tenants([tenants_dir(args)])
    if args.tenant is not None:
        loaded = [t for t in loaded if t.spec.id == args.tenant]
        if not loaded:
            raise InputError(f"no tenant {args.tenant!r}", field="--tenant")
    specs = [t.spec for t in loaded]
    resizes = plan_resizes(
        specs, tenant_usage(args, specs), threshold=args.threshold, headroom=args.headroom
    )
    if not resizes:
        print(f"No tenant uses less than {args.threshold:.0%} of its CPU and memory quota.")
        return 0
    for r in resizes:
        print(
            f"{r.tenant}: quotas.{r.resource} {r.current} → {r.proposed} (using {r.fraction:.0%})"
        )
    if not args.write:
        print("Run again with --write to edit the tenant files.")
        return 0
    changed: list[Path] = []
    for tenant in loaded:
        mine = [r for r in resizes if r.tenant == tenant.spec.id]
        if mine:
            text = apply_resizes(tenant.text, mine, where=str(tenant.path))
            tenant.path.write_text(text, encoding="utf-8")
            changed.append(tenant.path)
    print(
        f"Wrote {len(changed)} file(s): {', '.join(map(str, changed))}. Review with "
        "`git diff`, run `govcloud check`, and open a pull request."
    )
    return 0
