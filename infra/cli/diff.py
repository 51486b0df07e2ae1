"""`govcloud diff --base REF`: what a pull request changes in the fleet."""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import json
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

from infra.i18n import _
from infra.policy.capacity import Usage
from infra.policy.changes import FleetChange, compare
from infra.report.diff_report import render_diff
from infra.spec import EnvironmentSpec, load_tenants
from infra.spec.git import git_root, load_environment_at, load_tenants_at

from ._common import add_env_options, environment, write_output

__all__ = ["diff_json", "register"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "diff", help="tenants added/changed/removed against a git ref, with capacity impact"
    )
    parser.add_argument(
        "--base",
        required=True,
        metavar="GIT_REF",
        help="compare the working tree's tenants with this git ref, e.g. origin/main (required)",
    )
    parser.add_argument(
        "--dir", default="tenants", help="tenant directory in the repository (default: tenants)"
    )
    parser.add_argument(
        "--format",
        choices=["text", "markdown", "json"],
        default="text",
        help="output: text, markdown (a pull-request comment) or json (default: text)",
    )
    parser.add_argument(
        "--output", type=Path, default=None, help="write to this file (default: standard output)"
    )
    add_env_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    root = git_root(Path.cwd())
    env = environment(args)
    base, skipped = load_tenants_at(args.base, args.dir, repo=root)
    head_dir = root / args.dir
    head = load_tenants([head_dir]) if any(head_dir.glob("*.y*ml")) else []
    change = compare(
        [t.spec for t in base],
        [t.spec for t in head],
        env,
        today=args.today,
        base_env=_environment_at(args, root),
    )
    if args.format == "json":
        text = json.dumps(diff_json(change, base=args.base), ensure_ascii=False, indent=2) + "\n"
    else:
        text = render_diff(change, base=args.base, markdown=args.format == "markdown")
    write_output(text, args.output)
    for where in skipped:
        print(
            _("govcloud: note: {where} did not load at the base; treated as absent").format(
                where=where
            ),
            file=sys.stderr,
        )
    return 0


def _environment_at(args: argparse.Namespace, root: Path) -> EnvironmentSpec | None:
    """The environment spec at the base, when it lives in the repository."""
    stacks = Path(args.stacks_dir) if args.stacks_dir else root / "stacks"
    try:
        relative = (stacks.resolve() / f"{args.env}.yaml").relative_to(root.resolve())
    except ValueError:  # a stacks directory outside the repository has no base version
        return None
    return load_environment_at(args.base, relative.as_posix(), repo=root)


FORMAT_VERSION = 1


def _plain(value: Any) -> Any:
    """JSON values from the change's dataclasses: numbers stay numbers (capacity in cores
    or bytes), dates become ISO strings."""
    if isinstance(value, Usage):
        return {
            "resource": value.resource,
            "used": _plain(value.used),
            "available": _plain(value.available),
            "unit": value.unit,
            "fraction": round(value.fraction, 6) if value.available else None,
            "over": value.over,
        }
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple | set):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


def diff_json(change: FleetChange, *, base: str) -> dict[str, Any]:
    """`govcloud diff --format json`: every field of the computed change, with capacity as
    before/after pairs per resource."""
    data = _plain(change)
    data["capacity"] = [
        {"resource": before.resource, "before": _plain(before), "after": _plain(after)}
        for before, after in change.capacity
    ]
    return {"format_version": FORMAT_VERSION, "base": base, **data}
