"""Options and helpers shared by the commands: environment options, output, --format,
and the confirmation question that guards risky operations (``confirm``)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from infra.errors import GovcloudError, InputError
from infra.i18n import _
from infra.spec import EnvironmentSpec, find_repo_root, load_environment

if TYPE_CHECKING:
    from infra.policy.emergency import EmergencyRecord

__all__ = [
    "NotConfirmed",
    "add_access_file_option",
    "add_env_options",
    "add_format_option",
    "add_yes_option",
    "colour_wanted",
    "confirm",
    "environment",
    "read_access_file",
    "read_json",
    "tenants_dir",
    "write_output",
]


# The default of --today: the province's date of the one clock (GOVCLOUD_NOW, else now in
# Beijing time), converted when the command line is parsed, as argparse does string defaults.
CLOCK = "today"  # also accepted on the command line: `--today today`


def _date(text: str) -> dt.date:
    if text == CLOCK:
        from infra.plan.clock import province_today

        try:
            return province_today(os.environ)
        except GovcloudError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("{text!r} is not a date (YYYY-MM-DD)").format(text=text)
        ) from None


def add_env_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--env", default="local", help="environment: stacks/<ENV>.yaml (default: local)"
    )
    parser.add_argument(
        "--stacks-dir",
        type=Path,
        default=None,
        help="directory of environment specs (default: <repo>/stacks)",
    )
    parser.add_argument(
        "--today",
        type=_date,
        default=CLOCK,
        help="evaluate dates as of this day, YYYY-MM-DD (default: today)",
    )


def environment(args: argparse.Namespace) -> EnvironmentSpec:
    return load_environment(args.env, args.stacks_dir)


def environment_if_readable(args: argparse.Namespace) -> EnvironmentSpec | None:
    """The environment spec for the read-only views (status, tenant list and show), which
    show regions when it declares them; None when it cannot be read (they worked without it
    before regions, and `govcloud check` is where a broken spec is reported)."""
    try:
        return environment(args)
    except InputError:
        return None


def tenants_dir(args: argparse.Namespace) -> Path:
    """tenants/ in the working directory if there is one, else at the repository root."""
    local = Path("tenants")
    if local.is_dir():
        return local
    if args.stacks_dir is not None:
        stacks: Path = args.stacks_dir
        return stacks.parent / "tenants"
    return find_repo_root() / "tenants"


def read_json(path: Path) -> Any:
    """A JSON file another govcloud command wrote; a clear error naming it otherwise."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(_("cannot read: {why}").format(why=exc.strerror), path=str(path)) from None
    except ValueError as exc:
        raise InputError(_("not JSON: {why}").format(why=exc), path=str(path)) from None


def add_access_file_option(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("--access-file", type=Path, default=None, metavar="FILE", help=help_text)


def read_access_file(path: Path) -> list[EmergencyRecord]:
    """The emergency accesses `govcloud access list --format json` wrote to ``path``."""
    from infra.policy.emergency import emergency_records

    try:
        return emergency_records(read_json(path))
    except ValueError as exc:
        raise InputError(str(exc), path=str(path)) from None


def write_output(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
    else:
        output.write_text(text, encoding="utf-8")


def colour_wanted(output: Path | None) -> bool:
    return output is None and sys.stdout.isatty() and "NO_COLOR" not in os.environ


def add_format_option(
    parser: argparse.ArgumentParser,
    choices: tuple[str, ...] = ("text", "json"),
    default: str = "text",
) -> None:
    parser.add_argument(
        "--format",
        choices=choices,
        default=default,
        help="output: {choices} (default: {default})".format(
            choices=", ".join(choices), default=default
        ),
    )


def add_yes_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--yes",
        action="store_true",
        help="answer yes to confirmation questions, for CI and scripts "
        "(default: ask on a terminal, refuse without one)",
    )


class NotConfirmed(GovcloudError):
    """A risky operation was not confirmed: nothing was changed."""

    def __init__(self, message: str, *, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def confirm(
    question: str, *, yes: bool, stdin: TextIO | None = None, stderr: TextIO | None = None
) -> None:
    """Go on only if the user agrees to ``question`` (e.g. "deploy to prod?").

    ``yes`` (the ``--yes`` flag) agrees without asking. Otherwise the question is asked on
    the terminal; anything but y/yes raises ``NotConfirmed`` (exit 1). Without a terminal
    it raises ``NotConfirmed`` with exit 2 at once, naming --yes: CI never hangs on a
    prompt nobody can answer."""
    if yes:
        return
    stdin = stdin or sys.stdin
    stderr = stderr or sys.stderr
    if not stdin.isatty():
        raise NotConfirmed(
            _(
                "{question}: needs confirmation, and there is no terminal to ask on; add --yes "
                "to confirm (as CI does)"
            ).format(question=question.rstrip("?？")),
            exit_code=2,
        )
    stderr.write(_("{question} [y/N] ").format(question=question.rstrip()))
    stderr.flush()
    answer = stdin.readline()
    if answer.strip().lower() not in ("y", "yes", "是"):
        if not answer:
            stderr.write("\n")
        raise NotConfirmed(_("not confirmed; nothing was changed"), exit_code=1)
