"""`govcloud check`: validate tenant specs and run the compliance rules."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from infra.errors import SpecError
from infra.policy import RULES, Finding, capacity_usage, evaluate, exit_code
from infra.report import FORMATS, Summary, render
from infra.spec import load_tenants

from ._common import add_env_options, colour_wanted, environment, tenants_dir, write_output

__all__ = ["register"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "check", help="check tenant specs against the schema and compliance rules",
        description="Exit 0 when clean, 1 on violations, 2 on input errors.")
    parser.add_argument("paths", nargs="*", type=Path, metavar="PATH",
                        help="tenant spec files or directories (default: tenants/)")
    add_env_options(parser)
    parser.add_argument("--format", choices=FORMATS, default="text")
    parser.add_argument("--strict", action="store_true", help="warnings fail the check too")
    parser.add_argument("--output", type=Path, default=None, help="write the report here")
    parser.set_defaults(handler=run)


def _schema_findings(error: SpecError) -> list[Finding]:
    rule = RULES["GC001"]
    return [Finding(rule=rule.id, severity=rule.severity,
                    message=f"{p.field}: {p.message}" if p.field else p.message,
                    field=p.field, hint=rule.hint, path=p.path, line=p.line)
            for p in error.problems]


def run(args: argparse.Namespace) -> int:
    env = environment(args)
    paths = args.paths or [tenants_dir(args)]
    try:
        tenants = load_tenants(paths)
    except SpecError as exc:
        if args.output is not None or args.format != "text":
            findings = _schema_findings(exc)
            summary = Summary.of(findings, tenants=len({f.path for f in findings}),
                                 environment=env.name)
            write_output(render(args.format, findings, summary), args.output)
        raise
    findings = evaluate(tenants, env, args.today)
    usage = [u.render() for u in capacity_usage((t.spec for t in tenants), env)]
    summary = Summary.of(findings, tenants=len(tenants), environment=env.name, capacity=usage)
    text = render(args.format, findings, summary, colour=colour_wanted(args.output),
                  files=[str(t.path) for t in tenants])
    write_output(text, args.output)
    return exit_code(findings, strict=args.strict)
