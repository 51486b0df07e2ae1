"""`govcloud schema`: print or write the JSON Schemas of the spec files."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from infra.i18n import _
from infra.spec import find_repo_root
from infra.spec.schema import SCHEMAS, schema_text

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "schema", help="JSON Schema for tenant and environment specs"
    )
    parser.add_argument(
        "kind",
        nargs="?",
        choices=sorted(SCHEMAS),
        default="tenant",
        help="which schema to print (default: tenant)",
    )
    parser.add_argument(
        "--write",
        action="store_true",
        help="write every schema to <repo>/schema/<kind>.schema.json",
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    if not args.write:
        sys.stdout.write(schema_text(args.kind))
        return 0
    directory: Path = find_repo_root() / "schema"
    directory.mkdir(exist_ok=True)
    for kind in SCHEMAS:
        target = directory / f"{kind}.schema.json"
        target.write_text(schema_text(kind), encoding="utf-8")
        print(_("wrote {path}").format(path=target))
    return 0
