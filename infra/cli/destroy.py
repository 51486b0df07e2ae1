"""`govcloud destroy`: order, check, cancel and carry out the destruction of a
decommissioned tenant's data, with a signed record (``infra.provision.destruction``)."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from typing import TYPE_CHECKING, Any

from infra.i18n import N_, _
from infra.spec.load import find_repo_root

from ._common import add_yes_option, confirm

if TYPE_CHECKING:
    from infra.provision.destruction import Outcome, Precheck, Target

__all__ = ["register"]


def register(sub: Any) -> None:
    parser = sub.add_parser(
        "destroy",
        help=_("destroy a decommissioned tenant's data, with a signed record"),
        description=_(
            "Destroy a decommissioning tenant's data once its retention ends: every object "
            "version and delete marker deleted (Object Lock is never overridden), its key "
            "scheduled for deletion (cryptographic erase), its namespace, role, subnet and "
            "security group removed through its stack; then read back and a record signed "
            "with the platform's key stored in the audit bucket. Needs a destruction order "
            "whose waiting period is over. --check says what would be destroyed and what "
            "blocks it (exit 1 when blocked)."
        ),
    )
    parser.add_argument(
        "--env", default="local", help=_("environment: stacks/<ENV>.yaml (default: local)")
    )
    parser.add_argument("--tenant", required=True, metavar="ID", help=_("the tenant"))
    what = parser.add_mutually_exclusive_group()
    what.add_argument(
        "--check",
        action="store_true",
        help=_("only say what would be destroyed and what blocks it; change nothing"),
    )
    what.add_argument(
        "--order",
        action="store_true",
        help=_(
            "order the destruction (needs --document and --ordered-by); the waiting "
            "period starts now"
        ),
    )
    what.add_argument(
        "--cancel",
        action="store_true",
        help=_("cancel the standing destruction order (needs --ordered-by: who cancels)"),
    )
    parser.add_argument(
        "--document", metavar="NUMBER", help=_("the authorization document of the order")
    )
    parser.add_argument(
        "--ordered-by", metavar="EMAIL", help=_("who orders (or cancels) the destruction")
    )
    parser.add_argument(
        "--before-retention-ends",
        action="store_true",
        help=_(
            "DANGER: destroy before the tenant's retention period ends (never before a "
            "legal hold or Object Lock retention ends)"
        ),
    )
    parser.add_argument(
        "--format",
        choices=("table", "json"),
        default="table",
        help=_("output: a table or JSON (default: table)"),
    )
    add_yes_option(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from infra.errors import InputError

    from .deploy import use_local_cloud

    use_local_cloud(args.env)
    from infra.provision.destruction import (
        cancel_order,
        destroy,
        place_order,
        precheck,
        target,
    )

    now = dt.datetime.now(dt.UTC)
    tgt = target(find_repo_root(), args.env, args.tenant)
    if args.check:
        check = precheck(tgt, now=now, early=args.before_retention_ends)
        _show_check(args, tgt, check)
        return 1 if check.blockers else 0
    if args.order or args.cancel:
        if not args.ordered_by or (args.order and not args.document):
            raise InputError(
                _("--order needs --document and --ordered-by; --cancel needs --ordered-by"),
                field="--ordered-by",
            )
        if args.order:
            order = place_order(
                tgt,
                document=args.document,
                ordered_by=args.ordered_by,
                now=now,
                early=args.before_retention_ends,
            )
            when = order.ordered_at + dt.timedelta(days=tgt.env.destruction.waiting_days)
            print(
                _(
                    "destruction of {tenant} ordered ({document}, by {who}); it may be "
                    "carried out from {when} and can be cancelled until then"
                ).format(
                    tenant=tgt.spec.id,
                    document=order.document,
                    who=order.ordered_by,
                    when=when.isoformat(timespec="seconds"),
                )
            )
        else:
            order = cancel_order(tgt, by=args.ordered_by, now=now)
            print(
                _("destruction order {document} of {tenant} cancelled").format(
                    document=order.document, tenant=tgt.spec.id
                )
            )
        return 0
    if args.before_retention_ends:
        print(
            _(
                "WARNING: --before-retention-ends is set: {tenant}'s data is destroyed "
                "before its retention period ends"
            ).format(tenant=tgt.spec.id),
            file=sys.stderr,
        )
    confirm(
        _(
            "destroy every object version, the key and the resources of {tenant}? This "
            "cannot be undone"
        ).format(tenant=tgt.spec.id),
        yes=args.yes,
    )
    outcome = destroy(
        tgt,
        now=now,
        early=args.before_retention_ends,
        say=lambda line: print(line, file=sys.stderr, flush=True),
    )
    _show_outcome(args, outcome)
    return 0 if outcome.ok else 1


def _size(n: int) -> str:
    value, unit = float(n), "B"
    for unit in ("B", "KiB", "MiB", "GiB", "TiB"):
        if value < 1024 or unit == "TiB":
            break
        value /= 1024
    return f"{n} B" if unit == "B" else f"{value:.1f} {unit}"


_STATES = {
    "present": N_("present"),
    "gone": N_("gone"),
    "terminating": N_("terminating"),
    "pending-deletion": N_("pending deletion"),
    "ordered": N_("ordered"),
    "cancelled": N_("cancelled"),
}
_KINDS = {
    "namespace": N_("namespace"),
    "role": N_("role"),
    "subnet": N_("subnet"),
    "security-group": N_("security group"),
}


def _show_check(args: argparse.Namespace, tgt: Target, check: Precheck) -> None:
    if args.format == "json":
        json.dump(check.as_data(_), sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return
    from rich.cells import cell_len

    inv = check.inventory
    bucket = inv.bucket
    rows: list[tuple[str, str]] = [
        (_("bucket {name}").format(name=bucket.name), _("present") if bucket.exists else _("gone")),
        (_("  objects (current)"), str(bucket.objects)),
        (_("  object versions"), str(bucket.versions)),
        (_("  delete markers"), str(bucket.delete_markers)),
        (_("  bytes (all versions)"), _size(bucket.bytes)),
        (_("  datasets (prefixes)"), ", ".join(bucket.prefixes) or "-"),
        (_("  Object Lock"), _("enabled") if bucket.lock_enabled else _("off")),
        (_("  versions held (legal hold or retention)"), str(len(bucket.held))),
    ]
    key = inv.key
    if key is None:
        rows.append((_("key"), _("gone")))
    else:
        label = (
            _("key {alias} (shared platform key: not deleted)")
            if key.shared
            else _("key {alias} ({id})")
        ).format(alias=key.alias, id=key.key_id)
        rows.append((label, key.state))
        rows.append((_("  replica keys"), ", ".join(key.replicas) or _("none")))
    rows += [
        (f"{_(_KINDS[r.kind])} {r.name}", _(_STATES.get(r.state, r.state))) for r in inv.resources
    ]
    rows.insert(0, (_("WILL BE DESTROYED"), _("NOW")))
    width = max(cell_len(k) for k, _v in rows) + 2  # Chinese characters take two cells
    print(
        _("Destruction precheck: tenant {tenant} ({name}), environment {env}").format(
            tenant=tgt.spec.id, name=tgt.spec.name, env=tgt.env.name
        )
    )
    print()
    for k, v in rows:
        print(k + " " * (width - cell_len(k)) + v)
    print()
    order = check.order
    if order is None:
        print(_("order: none"))
    else:
        print(
            _("order: {document} by {who} at {when} ({state})").format(
                document=order.document,
                who=order.ordered_by,
                when=order.ordered_at.isoformat(timespec="seconds"),
                state=_(_STATES[order.state]),
            )
        )
    print(
        _("waiting period {wait} day(s), then the key's pending window {days} days").format(
            wait=tgt.env.destruction.waiting_days, days=tgt.env.destruction.key_pending_days
        )
    )
    for note in check.notes:
        print(f"· {note.text(_)}")
    print()
    if check.blockers:
        print(_("BLOCKED ({count}):").format(count=len(check.blockers)))
        for b in check.blockers:
            print(f"  ✗ {b.text(_)}")
    else:
        print(
            _("nothing blocks it: `govcloud destroy --tenant {tenant}` destroys it now").format(
                tenant=tgt.spec.id
            )
        )


def _show_outcome(args: argparse.Namespace, out: Outcome) -> None:
    if args.format == "json":
        data = {
            "tenant": out.tenant,
            "ok": out.ok,
            "blockers": [b.as_data(_) for b in out.blockers],
            "errors": out.errors,
            "checks": [c.as_data() for c in out.checks],
            "record": out.record_name,
            "seconds": round(out.seconds, 2),
        }
        json.dump(data, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return
    if out.blockers:
        print(
            _("not destroyed: {tenant} is blocked ({count}):").format(
                tenant=out.tenant, count=len(out.blockers)
            )
        )
        for b in out.blockers:
            print(f"  ✗ {b.text(_)}")
        return
    for error in out.errors:
        print(f"✗ {error}")
    if out.checks:
        print(_("read back:"))
        for c in out.checks:
            mark = "✓" if c.ok else "✗"
            print(
                "  "
                + mark
                + " "
                + _("{what}: {observed} (expected {expected})").format(
                    what=c.what, observed=c.observed, expected=c.expected
                )
            )
    if out.ok:
        print(
            _("destroyed {tenant} in {seconds:.1f}s; signed record {name}").format(
                tenant=out.tenant, seconds=out.seconds, name=out.record_name
            )
        )
    else:
        print(
            _("the destruction of {tenant} is not complete: no record written").format(
                tenant=out.tenant
            )
        )
