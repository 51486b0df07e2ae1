"""Options and helpers shared by the spec commands (check, diff, tenant new)."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from pathlib import Path

from infra.spec import EnvironmentSpec, find_repo_root, load_environment

__all__ = ["add_env_options", "colour_wanted", "environment", "tenants_dir", "write_output"]


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def add_env_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env", default="local",
                        help="environment: stacks/<ENV>.yaml (default: local)")
    parser.add_argument("--stacks-dir", type=Path, default=None,
                        help="directory of environment specs (default: <repo>/stacks)")
    parser.add_argument("--today", type=_date, default=dt.date.today(),
                        help="evaluate dates as of this day, YYYY-MM-DD (default: today)")


def environment(args: argparse.Namespace) -> EnvironmentSpec:
    return load_environment(args.env, args.stacks_dir)


def tenants_dir(args: argparse.Namespace) -> Path:
    """tenants/ in the working directory if there is one, else at the repository root."""
    local = Path("tenants")
    if local.is_dir():
        return local
    if args.stacks_dir is not None:
        stacks: Path = args.stacks_dir
        return stacks.parent / "tenants"
    return find_repo_root() / "tenants"


def write_output(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def colour_wanted(output: Path | None) -> bool:
    return output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ
