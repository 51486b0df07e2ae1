"""`govcloud tenant list` and `govcloud tenant show ID`: every tenant's spec joined with its
live Tenant object (conditions, repairs, last deploy), its recent Events and its stack's
last run. Read-only; a cluster that does not answer costs at most a few seconds and one
line on standard error, and the spec part is still shown."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path
from typing import Any

from infra.errors import InputError
from infra.i18n import _
from infra.i18n.tables import columns, width
from infra.plan.records import read, reason_label, type_label
from infra.spec import LoadedTenant, find_repo_root, load_tenants

from . import fleet_view, live
from ._common import add_env_options, add_format_option, environment_if_readable, tenants_dir

__all__ = ["register_views", "run_list", "run_show", "stack_state"]

FORMAT_VERSION = 1
EVENTS_SHOWN = 10


def register_views(sub: Any) -> None:
    """Add `list` and `show` to the `tenant` subcommand's parsers."""
    lst = sub.add_parser(
        "list",
        help="every tenant in tenants/ with its live state",
        description="Every tenant of tenants/ (and any Tenant object left "
        "in the cluster without a file), with Ready, its reason, "
        "repairs and the last deploy read from the cluster.",
    )
    add_format_option(lst)
    add_env_options(lst)
    lst.set_defaults(handler=run_list)
    show = sub.add_parser(
        "show",
        help="one tenant: spec, live conditions, events, stack",
        description="One tenant's spec summary, its Tenant object's "
        "conditions, the newest Events about it, its stack's "
        "last run and its last deploy.",
    )
    show.add_argument("tenant_id", metavar="ID", help="tenant id, e.g. gd-jyt")
    add_format_option(show)
    add_env_options(show)
    show.set_defaults(handler=run_show)


def _loaded(args: argparse.Namespace) -> list[LoadedTenant]:
    directory = tenants_dir(args)
    return load_tenants([directory]) if any(directory.glob("*.y*ml")) else []


def _emit(payload: dict[str, Any]) -> None:
    sys.stdout.write(
        json.dumps({"format_version": FORMAT_VERSION, **payload}, ensure_ascii=False, indent=2)
        + "\n"
    )


# -- list ------------------------------------------------------------------------------------


def run_list(args: argparse.Namespace) -> int:
    loaded = _loaded(args)
    found = live.read_live(args.env)
    rows = fleet_view.join([t.spec for t in loaded], found.tenants, environment_if_readable(args))
    if args.format == "json":
        _emit({"env": args.env, "cluster": found.to_json(), "tenants": [r.to_json() for r in rows]})
        return 0
    sys.stdout.write(render_list(rows, found))
    live.say_note(found)
    return 0


def _short_time(stamp: str | None) -> str:
    return stamp.replace("T", " ").removesuffix("Z")[:16] + " UTC" if stamp else "-"


def render_list(rows: list[fleet_view.Row], found: live.Live) -> str:
    unknown = "?" if not found.reachable else "-"
    regions = any(r.region for r in rows)  # a REGION column once the environment has regions
    table = []
    for r in rows:
        ready = r.ready or (_("not deployed") if found.reachable else unknown)
        if not r.in_files:
            ready += _(" (no file)")
        table.append(
            [
                r.id,
                *([r.region or "-"] if regions else []),
                r.level,
                r.classification,
                r.cidr,
                r.lifecycle,
                ready,
                reason_label(r.reason, _) or unknown,
                str(r.repairs) if r.deployed else unknown,
                _short_time(r.last_deploy) if r.deployed else unknown,
                r.name,
            ]
        )
    out = columns(
        [
            _("ID"),
            *([_("REGION")] if regions else []),
            _("LEVEL"),
            _("CLASS"),
            "CIDR",
            _("STATE"),
            _("READY"),
            _("REASON"),
            _("REPAIRS"),
            _("LAST DEPLOY"),
            _("NAME"),
        ],
        table,
    )
    where = (
        _("live state from {endpoint}").format(endpoint=found.endpoint)
        if found.reachable
        else _("live state unknown (cluster unreachable)")
    )
    return out + _("{count} tenant(s); {where}").format(count=len(rows), where=where) + "\n"


# -- show ------------------------------------------------------------------------------------


def stack_state(root: Path | None, stack: str) -> dict[str, Any] | None:
    """The stack's last run as recorded by `govcloud deploy` in .govcloud/deploy-logs/:
    when (the log's modification time) and what changed (the engine's summary event).
    Reading Pulumi's own update history would cost a CLI process per call."""
    if root is None:
        return None
    logs = root / ".govcloud" / "deploy-logs"
    log = logs / f"{stack}.log"
    if not log.is_file():
        return None
    when = dt.datetime.fromtimestamp(log.stat().st_mtime, dt.UTC)
    changes: dict[str, int] | None = None
    events = logs / f"{stack}.events.jsonl"
    if events.is_file():
        for line in events.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                summary = json.loads(line).get("summaryEvent")
            except (ValueError, AttributeError):
                continue  # a line cut short by a killed deploy
            if isinstance(summary, dict):
                changes = {
                    str(k): int(v)
                    for k, v in (summary.get("resourceChanges") or {}).items()
                    if v and k != "same"
                }
    return {
        "stack": stack,
        "last_run": when.replace(microsecond=0).isoformat().replace("+00:00", "Z"),
        "changes": changes,
        "source": _("modification time of {path}").format(
            path=f".govcloud/deploy-logs/{stack}.log"
        ),
    }


def _repo_root() -> Path | None:
    try:
        return find_repo_root()
    # Why: outside a checkout there are no deploy logs; the rest of `show` still works.
    except InputError:
        return None


def run_show(args: argparse.Namespace) -> int:
    wanted: str = args.tenant_id
    loaded = {t.spec.id: t for t in _loaded(args)}
    found = live.read_live(args.env, events=True)
    obj = (found.tenants or {}).get(wanted)
    mine = loaded.get(wanted)
    if mine is None and obj is None:
        known = ", ".join(sorted(loaded)[:8]) or _("none")
        where = "" if found.reachable else _(" (cluster not read)")
        raise InputError(
            _("no tenant {tenant!r} in {directory}{where}; known: {known}").format(
                tenant=wanted, directory=tenants_dir(args), where=where, known=known
            ),
            field="ID",
        )
    status = dict((obj or {}).get("status") or {})
    env = environment_if_readable(args)
    view = {
        "env": args.env,
        "tenant": wanted,
        "cluster": found.to_json(),
        "file": str(mine.path) if mine else None,
        "spec": fleet_view.spec_summary(mine.spec, args.today, env) if mine else None,
        "deployed": obj is not None if found.reachable else None,
        "conditions": list(fleet_view.conditions_of(obj).values()),
        "repairs": status.get("repairs") or {},
        "last_deploy": status.get("lastDeploy"),
        "next_change": status.get("nextChange"),
        "out_of_date": fleet_view.join([mine.spec], {wanted: obj})[0].out_of_date
        if mine is not None and obj is not None
        else [],
        "events": fleet_view.recent_events(found.events or [], wanted, EVENTS_SHOWN),
        "stack": stack_state(_repo_root(), f"{args.env}.{wanted}"),
    }
    if args.format == "json":
        _emit(view)
        return 0
    sys.stdout.write(render_show(view, found))
    live.say_note(found)
    return 0


def _pair(key: str, value: str) -> str:
    """``  key   value`` with the values lined up, Chinese keys included."""
    return f"  {key}{' ' * max(1, 17 - width(key))}{value}"


def _grant(g: dict[str, Any]) -> str:
    left = _("EXPIRED") if g["expired"] else _("{days} days left").format(days=g["days_left"])
    return _("{group} {scope} until {expires} ({left}; {document}, granted by {by})").format(
        group=g["group"],
        scope=g["scope"],
        expires=g["expires"],
        left=left,
        document=g["document"],
        by=g["granted_by"],
    )


def _spec_lines(spec: dict[str, Any]) -> list[str]:
    retention = spec["retention_days"]
    none = _("none")
    peers = [
        _("{tenant} (agreement {agreement}, ports {ports})").format(
            tenant=p["tenant"], agreement=p["agreement"], ports=",".join(map(str, p["ports"]))
        )
        for p in spec["peers"]
    ]
    review = spec["budget"]["review"]
    budget = _("{amount:,} CNY a year").format(amount=spec["budget"]["annual_cny"]) + (
        _("; committee review {reference} on {date}").format(
            reference=review["reference"], date=review["date"]
        )
        if review
        else ""
    )
    life = spec["lifecycle"]
    q = spec["quotas"]
    kept = _("{days} days").format(days=retention) if retention else _("not set")
    pairs = [
        (_("official name"), spec["name"]),
        *([(_("region"), _placement(spec["placement"]))] if spec.get("placement") else []),
        (
            _("level"),
            _("{level} (division {division}, credit code {code})").format(
                level=spec["level"], division=spec["division_code"], code=spec["credit_code"]
            ),
        ),
        (
            _("classification"),
            _("{classification}; personal information {personal}; retention {kept}").format(
                classification=spec["classification"],
                personal=spec["personal_information"],
                kept=kept,
            )
            + (_("; dedicated key") if spec["dedicated_key"] else ""),
        ),
        (
            _("network"),
            _("{cidr}, egress {egress}").format(cidr=spec["cidr"], egress=spec["egress"]),
        ),
        (_("peers"), "; ".join(peers) or none),
        (_("shared services"), ", ".join(spec["shared_services"]) or none),
        (
            _("owners"),
            _("group {group}: {contacts}").format(
                group=spec["owners"]["group"], contacts=", ".join(spec["owners"]["contacts"])
            ),
        ),
        (
            _("quotas"),
            _("cpu {cpu}, memory {memory}, storage {storage}, pods {pods}").format(**q),
        ),
        (_("grants"), "; ".join(_grant(g) for g in spec["grants"]) or none),
        (_("budget"), budget),
        (
            _("lifecycle"),
            life["state"]
            + (_(" since {date}").format(date=life["since"]) if life["since"] else ""),
        ),
    ]
    return [_pair(k, v) for k, v in pairs]


def _placement(placed: dict[str, Any]) -> str:
    """``guangzhou (广州节点), by rule; disaster recovery province (省级节点)``."""
    text = f"{placed['region']} ({placed['region_name']})"
    text += (
        _(", by rule")
        if placed["by_rule"]
        else _(", by placement.region (the rule says {rule})").format(rule=placed["rule_region"])
    )
    if placed["dr_region"]:
        text += _("; disaster recovery {region} ({name})").format(
            region=placed["dr_region"], name=placed["dr_region_name"]
        )
    return text


def _pad(text: str, size: int) -> str:
    """``text`` filled with spaces to ``size`` columns (a CJK character takes two)."""
    return text + " " * max(0, size - width(text))


def render_show(view: dict[str, Any], found: live.Live) -> str:
    name = view["spec"]["name"] if view["spec"] else _("(no file: only in the cluster)")
    lines = [f"{view['tenant']}  {name}"]
    if view["file"]:
        lines.append(_pair(_("file"), view["file"]))
    if view["spec"]:
        lines += _spec_lines(view["spec"])
    lines += [
        "",
        _("Live (Tenant object at {endpoint}):").format(endpoint=found.endpoint)
        if found.reachable
        else _("Live: unknown (cluster unreachable)"),
    ]
    if found.reachable and not view["deployed"]:
        lines.append(_("  not deployed: no Tenant object"))
    if view["conditions"]:
        lines.append(
            columns(
                ["  " + _("TYPE"), _("STATUS"), _("REASON"), _("SINCE"), _("MESSAGE")],
                [
                    [
                        f"  {type_label(str(c.get('type', '')), _)}",
                        str(c.get("status", "")),
                        reason_label(str(c.get("reason", "")), _),
                        _short_time(c.get("lastTransitionTime")),
                        read(str(c.get("message", "")), _),
                    ]
                    for c in view["conditions"]
                ],
            ).rstrip("\n")
        )
    if view["deployed"]:
        repairs = ", ".join(f"{k} {v}" for k, v in sorted(view["repairs"].items()))
        lines += [
            _pair(_("repairs"), repairs or _("none")),
            _pair(
                _("last deploy"),
                _("{when} (Tenant status.lastDeploy)").format(
                    when=_short_time(view["last_deploy"])
                ),
            ),
            _pair(_("next change"), _short_time(view["next_change"])),
        ]
        if view.get("out_of_date"):
            lines.append(
                _pair(
                    _("out of date"),
                    _(
                        "the file differs from the live Tenant in {fields} (not deployed yet)"
                    ).format(fields=", ".join(view["out_of_date"][:5])),
                )
            )
    lines += ["", _("Events (newest {count}):").format(count=EVENTS_SHOWN)]
    lines += [
        f"  {_short_time(e['time'])}  {e['type']:<7} {_pad(reason_label(e['reason'], _), 16)} "
        + read(e["message"], _)
        + (f" (x{e['count']})" if e["count"] > 1 else "")
        for e in view["events"]
    ]
    if not view["events"]:
        lines.append("  " + (_("none") if found.reachable else _("unknown")))
    stack = view["stack"]
    lines += ["", _("Stack:")]
    if stack is None:
        lines.append(
            _("  {stack}: no deploy log in .govcloud/deploy-logs/").format(
                stack=f"{view['env']}.{view['tenant']}"
            )
        )
    else:
        changes = (
            _("unknown")
            if stack["changes"] is None
            else ", ".join(f"{k} {v}" for k, v in sorted(stack["changes"].items())) or _("none")
        )
        lines += [
            _("  {stack}: last run {when} ({source})").format(
                stack=stack["stack"], when=_short_time(stack["last_run"]), source=stack["source"]
            ),
            _pair(_("changes"), changes),
        ]
    return "\n".join(lines) + "\n"
