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
from infra.spec import LoadedTenant, find_repo_root, load_tenants

from . import fleet_view, live
from ._common import add_env_options, add_format_option, tenants_dir
from .tables import columns

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
    rows = fleet_view.join([t.spec for t in loaded], found.tenants)
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
    table = []
    for r in rows:
        ready = r.ready or ("not deployed" if found.reachable else unknown)
        if not r.in_files:
            ready += " (no file)"
        table.append(
            [
                r.id,
                r.level,
                r.classification,
                r.cidr,
                r.lifecycle,
                ready,
                r.reason or unknown,
                str(r.repairs) if r.deployed else unknown,
                _short_time(r.last_deploy) if r.deployed else unknown,
                r.name,
            ]
        )
    out = columns(
        [
            "ID",
            "LEVEL",
            "CLASS",
            "CIDR",
            "STATE",
            "READY",
            "REASON",
            "REPAIRS",
            "LAST DEPLOY",
            "NAME",
        ],
        table,
    )
    where = (
        f"live state from {found.endpoint}"
        if found.reachable
        else "live state unknown (cluster unreachable)"
    )
    return out + f"{len(rows)} tenant(s); {where}\n"


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
        "source": f"modification time of .govcloud/deploy-logs/{stack}.log",
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
        known = ", ".join(sorted(loaded)[:8]) or "none"
        where = "" if found.reachable else " (cluster not read)"
        raise InputError(
            f"no tenant {wanted!r} in {tenants_dir(args)}{where}; known: {known}", field="ID"
        )
    status = dict((obj or {}).get("status") or {})
    view = {
        "env": args.env,
        "tenant": wanted,
        "cluster": found.to_json(),
        "file": str(mine.path) if mine else None,
        "spec": fleet_view.spec_summary(mine.spec, args.today) if mine else None,
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


def _spec_lines(spec: dict[str, Any]) -> list[str]:
    retention = spec["retention_days"]
    peers = [
        f"{p['tenant']} (agreement {p['agreement']}, ports {','.join(map(str, p['ports']))})"
        for p in spec["peers"]
    ]
    grants = [
        f"{g['group']} {g['scope']} until {g['expires']} "
        f"({'EXPIRED' if g['expired'] else str(g['days_left']) + ' days left'}; "
        f"{g['document']}, granted by {g['granted_by']})"
        for g in spec["grants"]
    ]
    review = spec["budget"]["review"]
    budget = f"{spec['budget']['annual_cny']:,} CNY a year" + (
        f"; committee review {review['reference']} on {review['date']}" if review else ""
    )
    life = spec["lifecycle"]
    q = spec["quotas"]
    pairs = [
        ("official name", spec["name"]),
        (
            "level",
            f"{spec['level']} (division {spec['division_code']}, credit code "
            f"{spec['credit_code']})",
        ),
        (
            "classification",
            f"{spec['classification']}; personal information "
            f"{spec['personal_information']}; retention "
            f"{f'{retention} days' if retention else 'not set'}"
            f"{'; dedicated key' if spec['dedicated_key'] else ''}",
        ),
        ("network", f"{spec['cidr']}, egress {spec['egress']}"),
        ("peers", "; ".join(peers) or "none"),
        ("shared services", ", ".join(spec["shared_services"]) or "none"),
        ("owners", f"group {spec['owners']['group']}: {', '.join(spec['owners']['contacts'])}"),
        (
            "quotas",
            f"cpu {q['cpu']}, memory {q['memory']}, storage {q['storage']}, pods {q['pods']}",
        ),
        ("grants", "; ".join(grants) or "none"),
        ("budget", budget),
        ("lifecycle", life["state"] + (f" since {life['since']}" if life["since"] else "")),
    ]
    return [f"  {k:<16} {v}" for k, v in pairs]


def render_show(view: dict[str, Any], found: live.Live) -> str:
    name = view["spec"]["name"] if view["spec"] else "(no file: only in the cluster)"
    lines = [f"{view['tenant']}  {name}"]
    if view["file"]:
        lines.append(f"  {'file':<16} {view['file']}")
    if view["spec"]:
        lines += _spec_lines(view["spec"])
    lines += [
        "",
        f"Live (Tenant object at {found.endpoint}):"
        if found.reachable
        else "Live: unknown (cluster unreachable)",
    ]
    if found.reachable and not view["deployed"]:
        lines.append("  not deployed: no Tenant object")
    if view["conditions"]:
        lines.append(
            columns(
                ["  TYPE", "STATUS", "REASON", "SINCE", "MESSAGE"],
                [
                    [
                        f"  {c.get('type', '')}",
                        str(c.get("status", "")),
                        str(c.get("reason", "")),
                        _short_time(c.get("lastTransitionTime")),
                        str(c.get("message", "")),
                    ]
                    for c in view["conditions"]
                ],
            ).rstrip("\n")
        )
    if view["deployed"]:
        repairs = ", ".join(f"{k} {v}" for k, v in sorted(view["repairs"].items()))
        lines += [
            f"  {'repairs':<16} {repairs or 'none'}",
            f"  {'last deploy':<16} {_short_time(view['last_deploy'])} (Tenant status.lastDeploy)",
            f"  {'next change':<16} {_short_time(view['next_change'])}",
        ]
        if view.get("out_of_date"):
            lines.append(
                f"  {'out of date':<16} the file differs from the live Tenant in "
                f"{', '.join(view['out_of_date'][:5])} (not deployed yet)"
            )
    lines += ["", f"Events (newest {EVENTS_SHOWN}):"]
    lines += [
        f"  {_short_time(e['time'])}  {e['type']:<7} {e['reason']:<16} {e['message']}"
        + (f" (x{e['count']})" if e["count"] > 1 else "")
        for e in view["events"]
    ]
    if not view["events"]:
        lines.append("  none" if found.reachable else "  unknown")
    stack = view["stack"]
    lines += ["", "Stack:"]
    if stack is None:
        lines.append(f"  {view['env']}.{view['tenant']}: no deploy log in .govcloud/deploy-logs/")
    else:
        changes = (
            "unknown"
            if stack["changes"] is None
            else ", ".join(f"{k} {v}" for k, v in sorted(stack["changes"].items())) or "none"
        )
        lines += [
            f"  {stack['stack']}: last run {_short_time(stack['last_run'])} ({stack['source']})",
            f"  {'changes':<16} {changes}",
        ]
    return "\n".join(lines) + "\n"
