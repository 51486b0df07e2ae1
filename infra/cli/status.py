"""`govcloud status --env ENV`: the fleet in a few lines: ready, failing, drifting,
decommissioning, not deployed, repairs. Exit 0 whenever the cluster was read (whatever the
tenants' state: this reports, it does not judge); exit 1 when it could not be read."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from infra.spec import load_tenants

from . import fleet_view, live
from ._common import add_env_options, add_format_option, tenants_dir

__all__ = ["register", "render_status", "run"]

FORMAT_VERSION = 1
_LISTED = 8  # ids named per line; the rest are counted


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "status", help="fleet summary: ready, failing, drifting, decommissioning, repairs",
        description="Summarise every tenant's live Tenant object: how many are Ready, failing, "
                    "drifting (an aspect condition False), decommissioning, not deployed, and "
                    "the reconciler's repairs. Exit 0 when the cluster was read, 1 when not.")
    add_format_option(parser)
    add_env_options(parser)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    directory = tenants_dir(args)
    specs = [t.spec for t in load_tenants([directory])] if any(directory.glob("*.y*ml")) else []
    found = live.read_live(args.env)
    rows = fleet_view.join(specs, found.tenants)
    summary = fleet_view.summarise(rows)
    if args.format == "json":
        payload = {"format_version": FORMAT_VERSION, "env": args.env,
                   "cluster": found.to_json(),
                   "summary": summary.to_json() if found.reachable else None,
                   "tenants": [r.to_json() for r in rows]}
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(render_status(args.env, rows, summary, found))
        live.say_note(found)
    return 0 if found.reachable else 1


def _ids(ids: list[str], detail: dict[str, str] | None = None) -> str:
    if not ids:
        return "0"
    named = [f"{i} ({detail[i]})" if detail and detail.get(i) else i for i in ids[:_LISTED]]
    more = f", +{len(ids) - _LISTED} more" if len(ids) > _LISTED else ""
    return f"{len(ids)}: {', '.join(named)}{more}"


def render_status(env: str, rows: list[fleet_view.Row], summary: fleet_view.FleetSummary,
                  found: live.Live) -> str:
    if not found.reachable:
        return (f"env {env}: {summary.total} tenant(s) in files; live state unknown "
                "(cluster unreachable)\n")
    by_id = {r.id: r for r in rows}
    reasons = {i: by_id[i].reason for i in summary.failing}
    aspects = {i: ", ".join(by_id[i].drifting) for i in summary.drifting}
    pairs = [
        ("tenants", str(summary.total)),
        ("ready", str(len(summary.ready))),
        ("failing", _ids(summary.failing, reasons)),
        ("drifting", _ids(summary.drifting, aspects)),
        ("decommissioning", _ids(summary.decommissioning)),
        ("not deployed", _ids(summary.not_deployed)),
        *([("out of date", _ids(summary.out_of_date, {
            i: ", ".join(by_id[i].out_of_date[:3]) for i in summary.out_of_date}))]
          if summary.out_of_date else []),
        ("repairs", f"{summary.repairs} in total"),
    ]
    head = f"env {env}, live state from {found.endpoint}\n"
    return head + "".join(f"  {k:<16} {v}\n" for k, v in pairs)
