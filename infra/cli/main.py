"""Entry point of the `govcloud` command.

Each subcommand lives in its own module with a ``register(subparsers)`` function that adds
its parser and sets ``handler`` to a function taking the parsed arguments and returning an
exit code. User mistakes (``InputError``) print one clean line and exit 2; no tracebacks.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence

from infra import __version__
from infra.errors import GovcloudError

__all__ = ["main"]

_COMMANDS = (
    "infra.cli.check",
    "infra.cli.diff",
    "infra.cli.tenant",
    "infra.cli.schema",
    "infra.cli.render",
    "infra.cli.deploy",
    "infra.cli.localcloud",
    "infra.cli.reconcile",
    "infra.cli.report",
    "infra.cli.rightsize",
)

Handler = Callable[[argparse.Namespace], int]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="govcloud",
        description="Tenant environments for the departments of the provincial government cloud.",
    )
    parser.add_argument("--version", action="version", version=f"govcloud {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in _COMMANDS:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            # A subcommand still being built must not break the others.
            if exc.name != name:
                raise
            continue
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler = args.handler
    try:
        return handler(args)
    except GovcloudError as exc:
        print(f"govcloud: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("govcloud: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
