"""`govcloud audit`: probe the live environment with real requests.

Exit 0: clean; 1: a leak (or deviation) was found; 2: the audit could not run (bad input, an
API server that cannot be reached, the cluster refusing the audit's reads); 3: incomplete,
something could not be checked (named in the report), nothing found in the rest."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from infra.errors import DriverError, UnreachableError
from infra.i18n import _
from infra.spec.load import find_repo_root

from .reach import add_wait_option, patience, preflight

__all__ = ["register"]


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "audit",
        help="prove tenant isolation on the live cluster and cloud",
        description="Behavioural evidence that one department cannot reach another: an RBAC "
        "matrix asked of the API server for every identity of every tenant in "
        "every tenant namespace, real create attempts of forbidden workloads, "
        "connectivity computed from every live NetworkPolicy, and the live cloud "
        "policies, grants and rules. Tenants in tenants/ with neither a namespace "
        "nor a Tenant object are listed as not deployed; the rest is audited. "
        "Exit 0: clean; 1: a leak or deviation was found; 2: the audit could not "
        "run (bad input, API server unreachable); 3: incomplete, something could "
        "not be checked (named in the report, e.g. an unreachable cloud endpoint).",
    )
    parser.add_argument(
        "--env", default="local", help="environment: stacks/<ENV>.yaml (default: local)"
    )
    parser.add_argument(
        "--tenant",
        action="append",
        default=[],
        metavar="ID",
        help="audit this tenant's identities and namespace (repeatable; default: every tenant)",
    )
    parser.add_argument(
        "--format",
        choices=("text", "json", "markdown", "sarif"),
        default="text",
        help="report format (default: text)",
    )
    parser.add_argument(
        "--output",
        type=Path,
        default=None,
        metavar="FILE",
        help="write the report here instead of standard output",
    )
    parser.add_argument(
        "--exhaustive",
        action="store_true",
        default=None,
        help="ask every namespace directly, even for large fleets",
    )
    parser.add_argument(
        "--no-cloud",
        dest="cloud",
        action="store_false",
        help="skip the cloud endpoint (Kubernetes only)",
    )
    parser.add_argument(
        "--no-prowler",
        dest="prowler",
        action="store_false",
        help="skip prowler's checks of the cloud endpoint (default: run them "
        "when `govcloud localcloud build` has installed prowler)",
    )
    add_wait_option(parser)
    parser.add_argument("--workers", type=int, default=8, help=argparse.SUPPRESS)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from infra.audit import AuditOptions, render, run_audit
    from infra.cli.deploy import use_local_cloud
    from infra.localcloud.prowler import prowler_python

    root = find_repo_root()
    use_local_cloud(args.env)
    options = AuditOptions(
        root=root,
        env=args.env,
        tenants=list(args.tenant),
        exhaustive=args.exhaustive,
        cloud=args.cloud,
        workers=args.workers,
        prowler=args.prowler,
        prowler_python=prowler_python(),
    )
    try:
        with patience(args):
            preflight(None, wait=args.wait, cloud=False)  # the cloud's absence is a gap
            result = run_audit(options, say=_progress)
    # Why: an unreachable API server is the command's one line (main); any other error of
    # the cluster means the audit could not run, which is exit 2, not "a leak" (1).
    except DriverError as exc:
        if isinstance(exc, UnreachableError):
            raise
        print("govcloud: " + _("audit could not run: {error}").format(error=exc), file=sys.stderr)
        return 2
    text = render(result, args.format)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(_("audit: report written to {path}").format(path=args.output), file=sys.stderr)
    else:
        sys.stdout.write(text)
    return result.exit_code


def _progress(line: str) -> None:
    print(_("audit: {step}").format(step=line), file=sys.stderr)
