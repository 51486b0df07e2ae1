"""`govcloud diff --base REF`: what a pull request changes in the fleet."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from infra.policy.changes import compare
from infra.report.diff_report import render_diff
from infra.spec import load_tenants
from infra.spec.git import git_root, load_tenants_at

from ._common import add_env_options, environment, write_output

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "diff", help="tenants added/changed/removed against a git ref, with capacity impact")
    parser.add_argument("--base", required=True, metavar="GIT_REF")
    parser.add_argument("--dir", default="tenants", help="tenant directory in the repository")
    parser.add_argument("--format", choices=["text", "markdown"], default="text")
    parser.add_argument("--output", type=Path, default=None)
    add_env_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    root = git_root(Path.cwd())
    env = environment(args)
    base, skipped = load_tenants_at(args.base, args.dir, repo=root)
    head_dir = root / args.dir
    head = load_tenants([head_dir]) if any(head_dir.glob("*.y*ml")) else []
    change = compare([t.spec for t in base], [t.spec for t in head], env)
    write_output(render_diff(change, base=args.base, markdown=args.format == "markdown"),
                 args.output)
    for where in skipped:
        print(f"govcloud: note: {where} did not load at the base; treated as absent",
              file=sys.stderr)
    return 0
