"""`govcloud access request|approve|list`: emergency access (break-glass) to a tenant.

An operator requests; a second person, of the bureau's approver groups, approves; only
then does the reconciler bind the requester, for the minutes asked, from the approval on.
Who requested and who approved is what the API server authenticated (read back with a
SelfSubjectReview and held to it by the ``govcloud-access-requests`` admission policy), never
a command-line flag. The checks here only explain a refusal early; the cluster enforces them.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from infra.drivers import KubeClient
from infra.drivers.identity import who_am_i
from infra.errors import DriverError, InputError, PolicyViolation
from infra.i18n import _
from infra.plan.access_requests import (
    ACCESS_API,
    ACCESS_KIND,
    EmergencyRequest,
    Person,
    Phase,
    parse_request,
    phase_of,
    request_manifest,
)
from infra.plan.kube import OPERATOR_ROLES
from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import Scope

from ._common import add_env_options, add_format_option, environment, tenants_dir

__all__ = ["register", "request_rows"]


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "access",
        help=_("emergency access to a tenant under two-person approval (break-glass)"),
    )
    sub = parser.add_subparsers(dest="access_command", metavar="ACTION", required=True)
    request = sub.add_parser("request", help=_("ask for emergency access to a tenant"))
    add_env_options(request)
    request.add_argument("--tenant", required=True, help=_("the tenant id"))
    request.add_argument(
        "--scope",
        required=True,
        choices=[s.value for s in Scope],
        help=_("ops: run its workloads without its data; data: read its data too"),
    )
    request.add_argument("--reason", required=True, help=_("why: the incident, in one line"))
    request.add_argument(
        "--minutes",
        required=True,
        type=int,
        help=_(
            "how long the access lasts from its approval (at most the environment's "
            "emergency_access.max_minutes, 240)"
        ),
    )
    request.set_defaults(handler=run_request)
    approve = sub.add_parser("approve", help=_("approve another person's emergency access"))
    add_env_options(approve)
    approve.add_argument("id", metavar="ID", help=_("the request, as `access list` shows it"))
    approve.set_defaults(handler=run_approve)
    listing = sub.add_parser("list", help=_("open, active and past emergency accesses"))
    add_env_options(listing)
    listing.add_argument("--tenant", default=None, help=_("only this tenant's"))
    add_format_option(listing)
    listing.set_defaults(handler=run_list)


def _me(kube: KubeClient) -> Person:
    user, groups = who_am_i(kube)
    return Person(user, tuple(groups))


def _refused(exc: DriverError) -> PolicyViolation:
    """The cluster's refusal (the admission policy's message, or RBAC's), as one line."""
    body = getattr(exc.__cause__, "body", "") or ""
    text = body.decode() if isinstance(body, bytes) else str(body)
    try:
        message = str(json.loads(text).get("message") or exc)
    except ValueError:
        message = str(exc)
    return PolicyViolation(_("refused by the cluster: {message}").format(message=message))


def run_request(args: argparse.Namespace) -> int:
    env = environment(args)
    limit = env.emergency_access.max_minutes
    if not 1 <= args.minutes <= limit:
        raise InputError(
            _("{minutes} minutes: an emergency access lasts 1 to {limit} minutes").format(
                minutes=args.minutes, limit=limit
            ),
            field="--minutes",
        )
    if not args.reason.strip():
        raise InputError(_("say why, in one line"), field="--reason")
    kube = KubeClient()
    me = _me(kube)
    if not any(g in env.operator_groups for g in me.groups):
        raise PolicyViolation(
            _("{user} is not in an operator group ({groups}): only operators request").format(
                user=me.username, groups=", ".join(env.operator_groups)
            )
        )
    # From the repository's specs, not the cluster: operators may not read Tenant objects
    # (cluster-wide; the audit counts it a leak), and tenants/ is the truth deploy follows.
    known = sorted(p.stem for p in tenants_dir(args).glob("*.yaml"))
    if args.tenant not in known:
        raise InputError(
            _("no tenant {tenant} (known: {known})").format(
                tenant=args.tenant, known=", ".join(known)
            ),
            field="--tenant",
        )
    manifest = request_manifest(
        tenant=args.tenant,
        scope=Scope(args.scope),
        reason=args.reason.strip(),
        minutes=args.minutes,
        requester=me,
    )
    try:
        created = kube.create(manifest)
    except DriverError as exc:
        if exc.status in (403, 422):
            raise _refused(exc) from None
        raise
    name = str(created["metadata"]["name"])
    print(
        _(
            "requested {id}: {scope} access to {tenant} for {minutes} minutes; a member of "
            "{approvers} approves it with `govcloud access approve {id}`"
        ).format(
            id=name,
            scope=args.scope,
            tenant=args.tenant,
            minutes=args.minutes,
            approvers=", ".join(env.emergency_access.approver_groups) or "-",
        )
    )
    return 0


def _own_check(request: EmergencyRequest, me: Person, env: EnvironmentSpec) -> str | None:
    """Why ``me`` cannot approve it (the admission policy's rules, explained early)."""
    if request.approver is not None:
        return _("{id} is already approved by {user}").format(
            id=request.name, user=request.approver.username
        )
    if me.username == request.requester.username:
        return _("you requested {id}: a second person must approve it").format(id=request.name)
    company = any(g in env.operator_groups for g in me.groups) or any(
        me.username.endswith(f"@{d}") for d in env.operator_domains
    )
    if company:
        return _("the operating company cannot approve emergency access")
    if not any(g in env.emergency_access.approver_groups for g in me.groups):
        return _("{user} is not in the bureau's approver groups ({groups})").format(
            user=me.username, groups=", ".join(env.emergency_access.approver_groups) or "-"
        )
    return None


def run_approve(args: argparse.Namespace) -> int:
    env = environment(args)
    kube = KubeClient()
    obj = kube.get(ACCESS_API, ACCESS_KIND, args.id)
    request = parse_request(obj) if obj is not None else None
    if obj is None or request is None:
        raise InputError(_("no emergency access request {id}").format(id=args.id), field="ID")
    me = _me(kube)
    why = _own_check(request, me, env)
    if why is not None:
        raise PolicyViolation(why)
    if phase_of(request, env, dt.datetime.now(dt.UTC)) is Phase.lapsed:
        raise PolicyViolation(
            _(
                "request {id} lapsed: it was not approved within {minutes} minutes of being "
                "made; the operator asks again with `govcloud access request`"
            ).format(id=request.name, minutes=env.emergency_access.approval_window_minutes)
        )
    obj["spec"]["approval"] = me.as_data()
    obj["metadata"].pop("managedFields", None)
    try:
        kube.replace(obj)  # with its resourceVersion: a concurrent approval conflicts
    except DriverError as exc:
        if exc.status in (403, 409, 422):
            raise _refused(exc) from None
        raise
    print(
        _(
            "approved {id}: the reconciler binds {user} to {role} in {tenant} for "
            "{minutes} minutes from now"
        ).format(
            id=request.name,
            user=request.requester.username,
            role=OPERATOR_ROLES[request.scope.value],
            tenant=request.tenant,
            minutes=request.minutes,
        )
    )
    return 0


def _when(value: dt.datetime | None) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if value else ""


def request_rows(
    objects: list[dict[str, Any]], env: EnvironmentSpec, now: dt.datetime
) -> list[dict[str, Any]]:
    """Each request as `access list --format json` writes it (what the report and the
    check read), the open ones first, then the active, then the past, newest first."""
    rows: list[dict[str, Any]] = []
    for obj in objects:
        request = parse_request(obj)
        if request is None:
            continue
        phase = phase_of(request, env, now)
        rows.append(
            {
                "id": request.name,
                "tenant": request.tenant,
                "scope": request.scope.value,
                "minutes": request.minutes,
                "reason": request.reason,
                "requester": request.requester.username,
                "approver": request.approver.username if request.approver else None,
                "requested": _when(request.created),
                "granted": _when(request.granted_at),
                "expires": _when(request.ends()),
                "phase": phase.value,
                "state": _STATE[phase],
            }
        )
    order = {"open": 0, "active": 1, "past": 2}
    rows.sort(key=lambda r: r["requested"], reverse=True)
    rows.sort(key=lambda r: order[r["state"]])
    return rows


_STATE = {
    Phase.pending: "open",
    Phase.active: "active",
    Phase.expired: "past",
    Phase.refused: "past",
    Phase.lapsed: "past",
}


def _state_label(state: str) -> str:
    return {"open": _("open"), "active": _("active"), "past": _("past")}[state]


def run_list(args: argparse.Namespace) -> int:
    env = environment(args)
    kube = KubeClient()
    objects = [
        o
        for o in kube.list(ACCESS_API, ACCESS_KIND)
        if args.tenant is None or (o.get("spec") or {}).get("tenant") == args.tenant
    ]
    rows = request_rows(objects, env, dt.datetime.now(dt.UTC))
    if args.format == "json":
        print(json.dumps({"environment": env.name, "requests": rows}, ensure_ascii=False, indent=2))
        return 0
    if not rows:
        print(_("no emergency access requests"))
        return 0
    head = [
        _("ID"),
        _("STATE"),
        _("TENANT"),
        _("SCOPE"),
        _("MIN"),
        _("REQUESTER"),
        _("APPROVER"),
        _("EXPIRES"),
        _("REASON"),
    ]
    table = [
        [
            r["id"],
            _state_label(r["state"]),
            r["tenant"],
            r["scope"],
            str(r["minutes"]),
            r["requester"],
            r["approver"] or "-",
            r["expires"] or "-",
            r["reason"],
        ]
        for r in rows
    ]
    widths = [max(len(str(c)) for c in col) for col in zip(head, *table, strict=False)]
    for line in [head, *table]:
        print("  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip())
    return 0
