"""Entry point of the `govcloud` command.

Each subcommand lives in its own module with a ``register(subparsers)`` function that adds
its parser and sets ``handler`` to a function taking the parsed arguments and returning an
exit code. User mistakes (``InputError``) print one clean line and exit 2; no tracebacks. An
endpoint that cannot be reached (``UnreachableError``) is one line naming it and what to
do, exit 2: the command could not run.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import logging
import sys
from collections.abc import Callable, Sequence

from infra import __version__
from infra.errors import GovcloudError, UnreachableError
from infra.i18n import LANGUAGES, _, set_language
from infra.notices import RetryNotice, on_retry

from .localize import translate, translate_argparse

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
    "infra.cli.status",
    "infra.cli.completion",
    "infra.cli.report",
    "infra.cli.rightsize",
    "infra.cli.audit",
    "infra.cli.access",
    "infra.cli.destroy",
    "infra.cli.records",
)

Handler = Callable[[argparse.Namespace], int]

# ``--lang env``: the language the environment file names (stacks/<ENV>.yaml ``language``).
FROM_ENVIRONMENT = "env"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="govcloud",
        description="Tenant environments for the departments of the provincial government cloud.",
    )
    parser.add_argument("--version", action="version", version=f"govcloud {__version__}")
    parser.add_argument(
        "--lang",
        choices=(*LANGUAGES, FROM_ENVIRONMENT),
        default=None,
        help="language of messages and hints, also accepted after any command; env: the "
        "`language` of stacks/<ENV>.yaml, as the pull-request workflows use "
        "(default: from LC_ALL, LC_MESSAGES or LANG; zh_CN.UTF-8 is zh)",
    )
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
    return translate(parser)


def take_language(argv: Sequence[str]) -> tuple[str | None, list[str]]:
    """``--lang zh|en|env`` anywhere on the command line (global or after a command), and
    the arguments without it."""
    known = (*LANGUAGES, FROM_ENVIRONMENT)
    language, rest, tokens = None, [], list(argv)
    while tokens:
        token = tokens.pop(0)
        if token == "--":
            rest += [token, *tokens]
            break
        if token == "--lang" and tokens and tokens[0] in known:
            language = tokens.pop(0)
        elif token.startswith("--lang=") and token[7:] in known:
            language = token[7:]
        else:
            rest.append(token)
    return language, rest


def main(argv: Sequence[str] | None = None) -> int:
    language, argv = take_language(sys.argv[1:] if argv is None else argv)
    set_language(None if language == FROM_ENVIRONMENT else language)
    translate_argparse()
    parser = build_parser()
    args = parser.parse_args(argv)
    args.lang = language  # None unless asked for: a command may have its own default
    handler: Handler = args.handler
    stop = on_retry(_log_retry if args.command == "reconcile" else _print_retry)
    try:
        if language == FROM_ENVIRONMENT:
            set_language(_environment_language(args))
        return handler(args)
    except UnreachableError as exc:
        from infra.cli.reach import unreachable_line

        print(f"govcloud: {unreachable_line(exc, getattr(args, 'env', None))}", file=sys.stderr)
        return 2
    except GovcloudError as exc:
        print(f"govcloud: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print(_("govcloud: interrupted"), file=sys.stderr)
        return 130
    finally:
        stop()


def _environment_language(args: argparse.Namespace) -> str | None:
    """The ``language`` of the command's environment file (stacks/<ENV>.yaml); a command
    without ``--env`` keeps the locale's."""
    if getattr(args, "env", None) is None:
        return None
    from infra.spec import load_environment

    return load_environment(args.env, getattr(args, "stacks_dir", None)).language


def _print_retry(notice: RetryNotice) -> None:
    """A retry, shown as it happens: the endpoint that does not answer, and for how long
    govcloud will keep trying."""
    print(f"govcloud: {notice.line()}", file=sys.stderr, flush=True)


def _log_retry(notice: RetryNotice) -> None:
    logging.getLogger("govcloud.retry").warning(notice.line())


def run() -> None:
    """The ``govcloud`` command: :func:`main`, then exit without a last garbage collection.

    At exit the interpreter clears every module and collects the whole heap: with the
    Kubernetes client, boto3 and Pulumi's SDK loaded that is 0.6-0.8 s after the work is
    done, on every command. Freezing the heap first skips that collection; files, streams
    and atexit handlers are closed and run as usual.
    """
    code = main()
    gc.freeze()
    sys.exit(code)


if __name__ == "__main__":
    run()
