"""`govcloud check`: validate tenant specs and run the compliance rules.

A named file is checked in the context of its fleet (every spec in its directory), so
peers, overlaps and duplicates are judged against the real neighbours; the report keeps the
findings that involve the named files (plus fleet totals such as capacity). Directories, or
no path at all, report everything. ``--changed-since REF`` names the tenant files a branch
changed, as a pull-request check wants.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from infra.errors import InputError, SpecError, SpecProblem
from infra.i18n import _
from infra.policy import RULES, Finding, capacity_usage, evaluate, exit_code
from infra.policy.engine import EnvironmentFile, involving
from infra.report import FORMATS, Summary, render
from infra.spec import (
    EnvironmentSpec,
    LoadedTenant,
    find_repo_root,
    load_tenant,
    load_tenant_partly,
    load_tenants_partly,
)
from infra.spec.load import tenant_files
from infra.spec.salvage import STAND_IN_HIGH

from ._common import (
    add_access_file_option,
    add_env_options,
    colour_wanted,
    environment,
    read_access_file,
    read_json,
    tenants_dir,
    write_output,
)

__all__ = ["register"]

# What the check reads besides tenant specs: a change here can move any tenant's verdict.
_FLEET_INPUTS = ("stacks/", "infra/", "schema/")


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "check",
        help="check tenant specs against the schema and compliance rules",
        description="Exit 0 when clean, 1 on violations, 2 on input errors. A named file is "
        "checked with the other specs of its directory; only findings that "
        "involve it (and fleet totals) are reported.",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        type=Path,
        metavar="PATH",
        help="tenant spec files or directories (default: tenants/)",
    )
    add_env_options(parser)
    parser.add_argument(
        "--changed-since",
        metavar="GIT_REF",
        default=None,
        help="report only findings involving tenant files changed since this "
        "ref (committed or not, new files included); everything if "
        "stacks/, infra/ or schema/ changed; PATHs then name the "
        "directories (default: off)",
    )
    parser.add_argument(
        "--format", choices=FORMATS, default="text", help="report format (default: text)"
    )
    parser.add_argument("--strict", action="store_true", help="warnings fail the check too")
    parser.add_argument(
        "--output", type=Path, default=None, help="write the report here (default: standard output)"
    )
    parser.add_argument(
        "--link-base",
        metavar="URL",
        default=None,
        help="Markdown links point under this URL, e.g. "
        "https://github.com/OWNER/REPO/blob/SHA (default: relative links)",
    )
    add_access_file_option(
        parser,
        _(
            "emergency accesses as `govcloud access list --format json` wrote them: warn "
            "(GC038) a tenant with more than the environment allows (default: not checked)"
        ),
    )
    parser.add_argument(
        "--crypto-file",
        type=Path,
        default=None,
        metavar="FILE",
        help=_(
            "the cryptography inventory as `govcloud report --cryptography --format json` "
            "read it live: with cryptography.require_commercial, refuse (GC042) what it "
            "flagged (default: judge what the environment declares)"
        ),
    )
    parser.set_defaults(handler=run)


def _cryptography(path: Path | None) -> dict[str, list[str]]:
    """What the live cryptography inventory flagged, by tenant, from ``--crypto-file``."""
    from infra.policy.crypto import inventory_flags

    if path is None:
        return {}
    try:
        return inventory_flags(read_json(path))
    except ValueError as exc:
        raise InputError(str(exc), path=str(path)) from None


def _emergency(path: Path | None) -> dict[str, list[dt.date]]:
    """The days emergency accesses were granted, by tenant, from ``--access-file``."""
    from infra.policy.emergency import emergency_grants

    return {} if path is None else emergency_grants(read_access_file(path))


def _schema_findings(problems: list[SpecProblem]) -> list[Finding]:
    rule = RULES["GC001"]
    return [
        Finding(
            rule=rule.id,
            severity=rule.severity,
            message=f"{p.field}: {p.message}" if p.field else p.message,
            field=p.field,
            hint=rule.hint,
            tenant=Path(p.path).stem,
            path=p.path,
            line=p.line,
        )
        for p in problems
    ]


def _git(root: Path, *args: str) -> list[str]:
    try:
        proc = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, check=False, timeout=60
        )
    except FileNotFoundError:
        raise InputError(_("git is not installed"), field="--changed-since") from None
    if proc.returncode != 0:
        message = proc.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(
            f"git {args[0]}: {message[-1] if message else _('failed')}", field="--changed-since"
        )
    return [p for p in proc.stdout.decode("utf-8", "replace").split("\0") if p]


def _changed_since(ref: str, directories: list[Path]) -> set[str] | None:
    """Absolute paths of specs in ``directories`` changed since ``ref`` (None: check all)."""
    focus: set[str] = set()
    for directory in directories:
        where = directory.resolve()
        root = Path(_git(where, "rev-parse", "--show-toplevel")[0].strip())
        _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        changed = _git(root, "diff", "--name-only", "--no-renames", "-z", ref, "--")
        changed += _git(root, "ls-files", "--others", "--exclude-standard", "-z")
        if any(p.startswith(_FLEET_INPUTS) for p in changed):
            return None
        focus |= {
            str(root / p)
            for p in changed
            if (root / p).parent == where and p.endswith((".yaml", ".yml"))
        }
    return focus


def _environment_file(args: argparse.Namespace, name: str) -> EnvironmentFile:
    stacks: Path = args.stacks_dir if args.stacks_dir is not None else find_repo_root() / "stacks"
    path = stacks / f"{name}.yaml"
    shown = os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd()) else str(path)
    return EnvironmentFile(shown, path.read_text(encoding="utf-8"))


def _fleet(
    directories: list[Path], named: list[LoadedTenant], skip: set[str]
) -> list[LoadedTenant]:
    """The named specs and every other spec of their directories that loads (``skip``: the
    named files that could not be judged, already reported)."""
    fleet = {os.path.abspath(t.path): t for t in named}
    for path in tenant_files(directories):
        if os.path.abspath(path) in fleet or os.path.abspath(path) in skip:
            continue
        try:
            fleet[os.path.abspath(path)] = load_tenant(path)
        except InputError as exc:
            # Not this check's file: say so and judge the named ones without it.
            print(
                _(
                    "govcloud: note: {path} is left out of the fleet, it does not load: {problem}"
                ).format(path=path, problem=str(exc).splitlines()[0]),
                file=sys.stderr,
            )
    return sorted(fleet.values(), key=lambda t: str(t.path))


def _about_the_department(
    tenants: list[LoadedTenant],
    env: EnvironmentSpec,
    today: dt.date,
    env_file: EnvironmentFile,
    emergency: dict[str, list[dt.date]],
    cryptography: dict[str, list[str]],
) -> list[Finding]:
    """Every finding, but of a spec with parts the schema refused only those about what the
    department wrote: not about a replaced part, and the same with a low and a high
    stand-in (``infra.spec.salvage``)."""
    findings = evaluate(
        tenants, env, today, env_file=env_file, emergency=emergency, cryptography=cryptography
    )
    salvaged = {str(t.path): t for t in tenants if t.stand_ins}
    if not salvaged:
        return findings
    high = {}
    for path in salvaged:
        tenant, _problems = load_tenant_partly(Path(path), STAND_IN_HIGH)
        if tenant is not None:
            high[path] = tenant
    again = evaluate(
        [high.get(str(t.path), t) for t in tenants],
        env,
        today,
        env_file=env_file,
        emergency=emergency,
        cryptography=cryptography,
    )
    stable = {(f.rule, f.path, f.field, f.message) for f in again if f.path in salvaged}
    return [
        f
        for f in findings
        if f.path not in salvaged
        or (
            not salvaged[f.path].judges_stand_in(f.field)
            and (f.rule, f.path, f.field, f.message) in stable
        )
    ]


def run(args: argparse.Namespace) -> int:
    env = environment(args)
    emergency = _emergency(args.access_file)
    cryptography = _cryptography(args.crypto_file)
    paths: list[Path] = args.paths or [tenants_dir(args)]
    directories = list(dict.fromkeys(p if p.is_dir() else p.parent for p in paths))
    focus: set[str] | None = None  # the files whose findings are reported; None: all
    named = paths
    if args.changed_since is not None:
        focus = _changed_since(args.changed_since, directories)
        named = (
            directories
            if focus is None
            else [p for p in tenant_files(directories) if os.path.abspath(p) in focus]
        )
    elif not all(p.is_dir() for p in paths):
        focus = {os.path.abspath(p) for p in tenant_files(paths)}
    # Every file is judged as far as it can be: a schema problem in one field (or a YAML
    # error in one file) does not hide the rule findings of the rest.
    loaded, problems = load_tenants_partly(named) if named else ([], [])
    unjudged = {os.path.abspath(p.path) for p in problems} - {
        os.path.abspath(t.path) for t in loaded
    }
    tenants = _fleet(directories, loaded, unjudged) if focus is not None and loaded else loaded
    env_file = _environment_file(args, env.name)
    everything = (
        _about_the_department(tenants, env, args.today, env_file, emergency, cryptography)
        if tenants
        else []
    )
    findings = everything if focus is None else involving(everything, focus)
    checked = [t for t in tenants if focus is None or os.path.abspath(t.path) in focus]
    hidden = len(everything) - len(findings)
    if problems and args.format == "text" and args.output is None and not checked:
        raise SpecError(problems)  # nothing could be judged: the problems alone, on stderr
    findings = sorted(
        _schema_findings(problems) + findings, key=lambda f: (f.path or "", f.line or 0, f.rule)
    )
    summary = Summary.of(
        findings,
        tenants=len({str(t.path) for t in checked} | {p.path for p in problems}),
        environment=env.name,
        fleet=len(tenants) + len(unjudged) if tenants else None,
        capacity=capacity_usage((t.spec for t in tenants), env) if tenants else (),
        files=[str(t.path) for t in checked],
        hidden=hidden,
        strict=args.strict,
    )
    text = render(
        args.format, findings, summary, colour=colour_wanted(args.output), link_base=args.link_base
    )
    write_output(text, args.output)
    if problems and args.output is not None:
        raise SpecError(problems)  # the report is in a file: the problems on stderr too
    return 2 if problems else exit_code(findings, strict=args.strict)
