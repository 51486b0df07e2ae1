"""`govcloud audit`: probe the live environment with real requests; exit 1 on any leak."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from infra.spec.load import find_repo_root

__all__ = ["register"]


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "audit", help="prove tenant isolation on the live cluster and cloud",
        description="Behavioural evidence that one department cannot reach another: an RBAC "
                    "matrix asked of the API server for every identity of every tenant in "
                    "every tenant namespace, real create attempts of forbidden workloads, "
                    "connectivity computed from every live NetworkPolicy, and the live cloud "
                    "policies, grants and rules. Exit 0 when nothing leaks, 1 when anything "
                    "does, 2 on input errors.")
    parser.add_argument("--env", default="local",
                        help="environment: stacks/<ENV>.yaml (default: local)")
    parser.add_argument("--tenant", action="append", default=[], metavar="ID",
                        help="audit this tenant's identities and namespace (repeatable; "
                             "default: every tenant)")
    parser.add_argument("--format", choices=("text", "json", "markdown", "sarif"),
                        default="text", help="report format (default: text)")
    parser.add_argument("--output", type=Path, default=None, metavar="FILE",
                        help="write the report here instead of standard output")
    parser.add_argument("--exhaustive", action="store_true", default=None,
                        help="ask every namespace directly, even for large fleets")
    parser.add_argument("--no-cloud", dest="cloud", action="store_false",
                        help="skip the cloud endpoint (Kubernetes only)")
    parser.add_argument("--no-prowler", dest="prowler", action="store_false",
                        help="skip prowler's checks of the cloud endpoint (default: run them "
                             "when `govcloud localcloud build` has installed prowler)")
    parser.add_argument("--workers", type=int, default=8, help=argparse.SUPPRESS)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from infra.audit import AuditOptions, render, run_audit
    from infra.cli.deploy import use_local_cloud
    from infra.localcloud.prowler import prowler_python

    root = find_repo_root()
    use_local_cloud(args.env)
    options = AuditOptions(root=root, env=args.env, tenants=list(args.tenant),
                           exhaustive=args.exhaustive, cloud=args.cloud, workers=args.workers,
                           prowler=args.prowler, prowler_python=prowler_python())
    result = run_audit(options, say=lambda line: print(f"audit: {line}", file=sys.stderr))
    text = render(result, args.format)
    if args.output:
        args.output.write_text(text, encoding="utf-8")
        print(f"audit: report written to {args.output}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return result.exit_code
