"""`govcloud records verify`: check every destruction record's signature and that the
cloud agrees with it (``infra.provision.records``)."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from infra.i18n import _

__all__ = ["register"]


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "records",
        help=_("destruction records in the audit bucket"),
        description=_("Destruction records, signed and stored under Object Lock."),
    )
    verbs = parser.add_subparsers(dest="verb", metavar="VERB", required=True)
    verify = verbs.add_parser(
        "verify",
        help=_("verify each record's signature and that the cloud agrees"),
        description=_(
            "For each destruction record: its digest, its signature with KMS Verify and "
            "offline with the signing key's public key, and what the cloud says today (the "
            "key pending deletion or gone, no object version left). Exit 1 if any fails."
        ),
    )
    verify.add_argument(
        "--env", default="local", help=_("environment: stacks/<ENV>.yaml (default: local)")
    )
    verify.add_argument("--tenant", metavar="ID", default=None, help=_("only this tenant's"))
    verify.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help=_("output: a table or JSON (default: table)"),
    )
    verify.set_defaults(handler=run)


def _yes(value: bool | None) -> str:
    if value is None:
        return _("n/a")
    return _("ok") if value else _("FAILED")


def run(args: argparse.Namespace) -> int:
    from infra.spec.load import find_repo_root, load_environment

    from .deploy import use_local_cloud

    use_local_cloud(args.env)
    from infra.provision.records import verify_records

    env = load_environment(args.env, find_repo_root() / "stacks")
    results = verify_records(env, args.tenant)
    if args.format == "json":
        json.dump(
            {"records": [r.as_data() for r in results]}, sys.stdout, ensure_ascii=False, indent=2
        )
        sys.stdout.write("\n")
    elif not results:
        print(_("no destruction records"))
    for r in results if args.format != "json" else []:
        mark = "✓" if r.ok else "✗"
        print(f"{mark} {r.name}")
        print(
            "    "
            + _("tenant {tenant}, finished {finished}; {algorithm} with {key}").format(
                tenant=r.tenant, finished=r.finished, algorithm=r.algorithm, key=r.key
            )
        )
        print(
            "    "
            + _("digest {digest}, KMS Verify {kms}, offline {offline}").format(
                digest=_yes(r.digest), kms=_yes(r.kms), offline=_yes(r.offline)
            )
        )
        for c in r.cloud:
            sign = "✓" if c.ok else "✗"
            print(
                f"    {sign} "
                + _("{what}: {observed} (expected {expected})").format(
                    what=c.what, observed=c.observed, expected=c.expected
                )
            )
        if r.error:
            print(f"    ✗ {r.error}")
    failed = [r for r in results if not r.ok]
    if failed:
        print(
            _("{count} of {total} record(s) failed verification").format(
                count=len(failed), total=len(results)
            ),
            file=sys.stderr,
        )
        return 1
    return 0
