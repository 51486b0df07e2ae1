"""`govcloud render TENANT --env ENV`: print the desired state of one tenant (or the platform)."""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from infra.errors import InputError
from infra.i18n import _
from infra.plan import dump_plan, render_platform, render_tenant
from infra.spec.load import find_repo_root, load_environment, load_tenants

__all__ = ["register"]


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "render",
        help="print the objects a tenant gets (the plan Pulumi and the reconciler use)",
        description="Render a tenant spec within its environment into its ordered list of "
        "desired Kubernetes objects and cloud resources.",
    )
    parser.add_argument(
        "tenant",
        metavar="TENANT",
        help="tenant id (tenants/<id>.yaml), or 'platform' for the platform stack",
    )
    parser.add_argument(
        "--env", default="local", help="environment: stacks/<ENV>.yaml (default: local)"
    )
    parser.add_argument(
        "--format", choices=("yaml", "json"), default="yaml", help="output format (default: yaml)"
    )
    parser.add_argument(
        "--tenants-dir",
        type=Path,
        default=None,
        help="directory of tenant specs (default: <repo>/tenants)",
    )
    parser.add_argument(
        "--today",
        type=dt.date.fromisoformat,
        default=None,
        help="evaluate operator grants as of this date (default: today)",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    root = find_repo_root()
    env = load_environment(args.env, root / "stacks")
    if args.tenant == "platform":
        sys.stdout.write(dump_plan(render_platform(env), args.format))
        return 0
    loaded = load_tenants([args.tenants_dir or root / "tenants"])
    fleet = {t.spec.id: t.spec for t in loaded}
    if args.tenant not in fleet:
        raise InputError(
            _("no tenant {tenant} (known: {known})").format(
                tenant=repr(args.tenant), known=", ".join(sorted(fleet))
            ),
            field="TENANT",
        )
    plan = render_tenant(fleet[args.tenant], env, fleet=fleet, today=args.today or dt.date.today())
    sys.stdout.write(dump_plan(plan, args.format))
    return 0
