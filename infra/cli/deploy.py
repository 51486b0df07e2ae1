"""`govcloud deploy`: platform first, then tenant stacks in parallel, then a summary table."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
from typing import TYPE_CHECKING, Any

from infra.spec.load import find_repo_root

if TYPE_CHECKING:
    from infra.provision.deploy import StackResult

__all__ = ["register", "use_local_cloud"]


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "deploy", help="pulumi up the platform and tenant stacks (Automation API)",
        description="Deploy the platform stack <env>, then tenant stacks <env>.<tenant> in "
                    "parallel, with the govcloud policy pack. One tenant's failure does not "
                    "stop the others; the exit code is non-zero if any failed.",
    )
    parser.add_argument("--env", default="local", help="environment (stacks/<env>.yaml)")
    which = parser.add_mutually_exclusive_group(required=True)
    which.add_argument("--tenant", action="append", default=[], metavar="ID",
                       help="deploy this tenant (repeatable)")
    which.add_argument("--changed-since", metavar="GIT_REF",
                       help="deploy tenants whose spec changed since this git ref")
    which.add_argument("--all", action="store_true", help="every tenant, and removed ones")
    parser.add_argument("--parallel", type=int, default=4, help="tenant stacks at once")
    parser.add_argument("--preview", action="store_true", help="preview only, change nothing")
    parser.add_argument("--today", type=dt.date.fromisoformat, default=None,
                        help=argparse.SUPPRESS)
    parser.add_argument(
        "--destroy-data-before-retention-ends", action="store_true",
        help="DANGER: let decommissioning delete buckets that still hold data before their "
             "retention period ends",
    )
    parser.set_defaults(handler=run)


def use_local_cloud(env: str) -> None:
    """For env `local`, point this process at the running local cloud (unless told otherwise)."""
    if env != "local" or os.environ.get("GOVCLOUD_ENV") == "local":
        return
    from infra.localcloud import LocalCloud

    cloud = LocalCloud()
    if not cloud.running():
        cloud.up()
    os.environ.update(cloud.environment())


def print_table(results: list[StackResult]) -> None:
    print()
    print(f"{'STACK':<32}{'RESULT':<12}{'CHANGES':<34}{'TIME':>8}")
    for r in results:
        changes = r.change_summary or "-"
        print(f"{r.stack:<32}{r.result:<12}{changes:<34}{r.seconds:>7.1f}s")
        if r.message:
            print(f"    {r.message}")


def run(args: argparse.Namespace) -> int:
    # Imported here: Pulumi's SDK takes a while to import, and `govcloud check` should not pay.
    from infra.provision.deploy import DeployOptions, deploy, select_tenants

    root = find_repo_root()
    use_local_cloud(args.env)
    tenants = select_tenants(root, args.env, tenants=args.tenant,
                             changed_since=args.changed_since, everything=args.all)
    opts = DeployOptions(
        root=root, env=args.env, parallel=args.parallel, preview=args.preview,
        today=args.today, policy_pack=root / "policypack",
        destroy_data_before_retention_ends=args.destroy_data_before_retention_ends,
    )
    if opts.destroy_data_before_retention_ends:
        print("WARNING: --destroy-data-before-retention-ends is set: buckets of "
              "decommissioning tenants may be deleted with their data", file=sys.stderr)
    results = deploy(opts, tenants, say=lambda line: print(line, flush=True))
    print_table(results)
    failed = [r for r in results if r.failed]
    if failed:
        print(f"\n{len(failed)} stack(s) failed; logs in {root / '.govcloud' / 'deploy-logs'}",
              file=sys.stderr)
        return 1
    return 0


