"""`govcloud status --env ENV`: the fleet in a few lines: ready, failing, drifting, unknown,
decommissioning, not deployed, repairs. Exit 0 whenever the cluster was read (whatever the
tenants' state: this reports, it does not judge); exit 1 when it could not be read.

An endpoint that cannot be reached is named in the first line with what to do: the API
server (then nothing live is known: every tenant's state is Unknown, APIServerUnreachable)
or the cloud endpoint (probed with one connection while the cluster is read)."""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
import threading
from typing import Any

from infra.i18n import _
from infra.i18n.tables import width
from infra.plan.conditions import API_SERVER_UNREACHABLE
from infra.plan.records import reason_label, type_label
from infra.spec import EnvironmentSpec, load_tenants

from . import fleet_view, live
from ._common import add_env_options, add_format_option, environment_if_readable, tenants_dir
from .reach import add_wait_option, patience, remedy

__all__ = ["register", "render_status", "run"]

FORMAT_VERSION = 1
_LISTED = 8  # ids named per line; the rest are counted


def register(sub: Any) -> None:
    parser: argparse.ArgumentParser = sub.add_parser(
        "status",
        help="fleet summary: ready, failing, drifting, decommissioning, repairs",
        description="Summarise every tenant's live Tenant object: how many are Ready, failing, "
        "drifting (an aspect condition False), decommissioning, not deployed, and "
        "the reconciler's repairs. Exit 0 when the cluster was read, 1 when not.",
    )
    add_format_option(parser)
    add_env_options(parser)
    add_wait_option(
        parser,
        help=_(
            "how long to wait for an API server that refuses or does not answer, e.g. 1m "
            "(default: give up within 10 s of the command's start)"
        ),
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    directory = tenants_dir(args)
    specs = [t.spec for t in load_tenants([directory])] if any(directory.glob("*.y*ml")) else []
    probed: list[live.CloudReach] = []
    prober = threading.Thread(
        target=lambda: probed.append(live.probe_cloud(args.env)),
        name="govcloud-cloud-probe",
        daemon=True,
    )
    prober.start()  # one connection to the cloud endpoint while the cluster is read
    with patience(args):
        found = (
            live.read_live(args.env)
            if args.wait is None
            else live.read_live(args.env, deadline=args.wait, wait=args.wait)
        )
    prober.join(max(0.1, live.BUDGET - live.process_age()))  # a slow name lookup: not said
    cloud = probed[0] if probed else live.CloudReach("")
    env = environment_if_readable(args)
    rows = fleet_view.join(specs, found.tenants, env)
    if not found.reachable:  # nothing live is known: not deployed, ready, or anything else
        rows = [
            dataclasses.replace(
                r, ready="Unknown", reason=API_SERVER_UNREACHABLE, message=found.note
            )
            for r in rows
        ]
    summary = fleet_view.summarise(rows)
    if args.format == "json":
        payload = {
            "format_version": FORMAT_VERSION,
            "env": args.env,
            "cluster": found.to_json(),
            "cloud": cloud.to_json(),
            "summary": summary.to_json() if found.reachable else None,
            "tenants": [r.to_json() for r in rows],
        }
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
    else:
        sys.stdout.write(render_status(args.env, rows, summary, found, cloud, env))
        if found.reachable:  # otherwise the first line said it
            live.say_note(found)
    return 0 if found.reachable else 1


def _regions(rows: list[fleet_view.Row], env: EnvironmentSpec | None) -> str:
    """``province 5, guangzhou 4, shenzhen 3``: tenants per region as their specs place
    them; empty without regions."""
    if env is None or not env.regions:
        return ""
    return ", ".join(f"{r} {n}" for r, n in fleet_view.region_counts(rows, env))


def _ids(ids: list[str], detail: dict[str, str] | None = None) -> str:
    if not ids:
        return "0"
    named = [f"{i} ({detail[i]})" if detail and detail.get(i) else i for i in ids[:_LISTED]]
    more = _(", +{count} more").format(count=len(ids) - _LISTED) if len(ids) > _LISTED else ""
    return f"{len(ids)}: {', '.join(named)}{more}"


def render_status(
    env: str,
    rows: list[fleet_view.Row],
    summary: fleet_view.FleetSummary,
    found: live.Live,
    cloud: live.CloudReach | None = None,
    environment: EnvironmentSpec | None = None,
) -> str:
    placed = _regions(rows, environment)
    if not found.reachable:
        return (
            _("env {env}: live state unknown: {note}").format(env=env, note=found.note)
            + "\n"
            + _(
                "  {count} tenant(s) in files; every one Unknown until the API server answers"
            ).format(count=summary.total)
            + "\n"
            + (f"  {_('regions')}: {placed}\n" if placed else "")
        )
    by_id = {r.id: r for r in rows}
    reasons = {i: reason_label(by_id[i].reason, _) for i in [*summary.failing, *summary.unknown]}
    aspects = {i: ", ".join(type_label(k, _) for k in by_id[i].drifting) for i in summary.drifting}
    head = (
        _("env {env}, live state from {endpoint}").format(env=env, endpoint=found.endpoint) + "\n"
    )
    if cloud is not None and cloud.lost:
        head = (
            _("env {env}: cloud endpoint {endpoint} cannot be reached ({why}); {remedy}").format(
                env=env, endpoint=cloud.endpoint, why=cloud.lost, remedy=remedy(env)
            )
            + "\n"
            + head
        )
    pairs = [
        (_("tenants"), str(summary.total)),
        *([(_("regions"), placed)] if placed else []),
        (_("ready"), str(len(summary.ready))),
        (_("failing"), _ids(summary.failing, reasons)),
        *([(_("unknown"), _ids(summary.unknown, reasons))] if summary.unknown else []),
        (_("drifting"), _ids(summary.drifting, aspects)),
        (_("decommissioning"), _ids(summary.decommissioning)),
        (_("not deployed"), _ids(summary.not_deployed)),
        *(
            [
                (
                    _("out of date"),
                    _ids(
                        summary.out_of_date,
                        {i: ", ".join(by_id[i].out_of_date[:3]) for i in summary.out_of_date},
                    ),
                )
            ]
            if summary.out_of_date
            else []
        ),
        (_("repairs"), _("{count} in total").format(count=summary.repairs)),
    ]
    return head + "".join(f"  {k}{' ' * max(1, 17 - width(k))}{v}\n" for k, v in pairs)
