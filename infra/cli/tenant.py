"""`govcloud tenant new`: scaffold a valid tenant spec with the next free CIDR."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from infra.errors import InputError
from infra.i18n import _
from infra.policy.allocate import next_free_cidr
from infra.policy.placement import rule_region_for, suggested_dr_region
from infra.spec import EnvironmentSpec, dotted, load_tenants
from infra.spec.regions import Region
from infra.spec.scaffold import (
    AnswerError,
    MissingAnswers,
    interview,
    render_tenant,
    scaffold_tenant,
)
from infra.spec.tenant import Classification, Level

from ._common import add_env_options, environment, tenants_dir
from .tenant_view import register_views

__all__ = ["register"]

_FLAGS = {
    "id": "--id",
    "name": "--name",
    "credit_code": "--credit-code",
    "level": "--level",
    "division_code": "--division-code",
    "owners": "--owner",
    "purpose": "--purpose",
    "classification": "--classification",
    "personal_information": "--personal-information",
    "retention_days": "--retention-days",
    "annual_cny": "--budget",
    "shared_services": "--shared-service",
    "egress": "--egress",
}


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "tenant", help="tenant specs: scaffold one, list them, show one"
    )
    sub = parser.add_subparsers(dest="tenant_command", metavar="ACTION", required=True)
    new = sub.add_parser("new", help="scaffold tenants/<id>.yaml (prompts on a terminal)")
    new.add_argument("--id", help="tenant id, a DNS label such as th-zwsjj (default: asked)")
    new.add_argument("--name", help="official name in Chinese (default: asked)")
    new.add_argument(
        "--credit-code",
        dest="credit_code",
        help="unified social credit code, GB 32100-2015 (default: asked)",
    )
    new.add_argument("--level", help="province, city or county (default: asked)")
    new.add_argument(
        "--division-code",
        dest="division_code",
        help="division code, GB/T 2260, e.g. 440106 (default: asked)",
    )
    new.add_argument(
        "--owner",
        dest="owners",
        action="append",
        default=[],
        metavar="'NAME <EMAIL> [TITLE]'",
        help="government owner; give at least two (default: asked)",
    )
    new.add_argument(
        "--purpose",
        help="one line on what runs there, written as a comment "
        "(default: asked on a terminal, else none)",
    )
    new.add_argument(
        "--classification",
        help="data classification, GB/T 43697-2024: general, important or core "
        "(default: asked; never assumed)",
    )
    new.add_argument(
        "--personal-information",
        dest="personal_information",
        help="personal information processed, PIPL: none, personal or sensitive "
        "(default: asked; never assumed)",
    )
    new.add_argument(
        "--retention-days",
        dest="retention_days",
        help="days data is kept after decommissioning, or none (default: asked; never assumed)",
    )
    new.add_argument(
        "--shared-service",
        dest="shared_services",
        action="append",
        default=[],
        help="shared platform service to reach, repeatable, or none (default: "
        "asked; never assumed)",
    )
    new.add_argument(
        "--egress", help="internet egress: none or proxy (default: asked; never assumed)"
    )
    new.add_argument(
        "--budget", dest="annual_cny", help="annual budget in CNY (default: asked; never assumed)"
    )
    new.add_argument(
        "--interactive",
        action="store_true",
        help="ask on standard input even when it is not a terminal "
        "(default: ask only on a terminal)",
    )
    new.add_argument(
        "--lang",
        choices=["zh", "en"],
        help="language of questions and messages (default: from LANG)",
    )
    new.add_argument("--dir", type=Path, default=None, help="where to write (default: tenants/)")
    add_env_options(new)
    new.set_defaults(handler=run_new)
    register_views(sub)


def _answers(
    args: argparse.Namespace, env: EnvironmentSpec, taken: frozenset[str]
) -> dict[str, Any]:
    given = {key: getattr(args, key) for key in _FLAGS}
    interactive = args.interactive or sys.stdin.isatty()

    def ask(prompt: str) -> str:
        try:
            return input(prompt)
        except EOFError:
            raise InputError(_("input ended before every question was answered")) from None

    try:
        return interview(given, env, ask=ask if interactive else None, say=print, taken=taken)
    except AnswerError as exc:
        raise InputError(f"{_FLAGS[exc.key]}: {exc}", field=exc.key) from None
    except MissingAnswers as exc:
        flags = ", ".join(dict.fromkeys(_FLAGS[k] for k in exc.keys))
        raise InputError(
            _("missing {flags} (or run on a terminal to be asked)").format(flags=flags)
        ) from None


def run_new(args: argparse.Namespace) -> int:
    env = environment(args)
    directory: Path = args.dir or tenants_dir(args)
    taken = frozenset(p.stem for p in directory.glob("*.yaml"))
    answers = _answers(args, env, taken)
    target = directory / f"{answers['id']}.yaml"
    if target.exists():
        raise InputError(_("already exists; edit it instead"), path=str(target))
    existing = load_tenants([directory]) if any(directory.glob("*.yaml")) else []
    region, dr_region = _placed(env, answers)
    cidr = next_free_cidr(env, [t.spec.network.cidr for t in existing], region=region)
    try:
        spec = scaffold_tenant(
            id=answers["id"],
            name=answers["name"],
            credit_code=answers["credit_code"],
            level=answers["level"],
            division_code=answers["division_code"],
            owners=answers["owners"],
            classification=answers["classification"],
            personal_information=answers["personal_information"],
            retention_days=answers["retention_days"],
            cidr=cidr,
            shared_services=answers["shared_services"],
            egress=answers["egress"],
            annual_cny=answers["annual_cny"],
            dr_region=dr_region,
        )
    except ValidationError as exc:
        error = exc.errors()[0]
        raise InputError(
            str(error["msg"]).removeprefix("Value error, "), field=dotted(tuple(error["loc"]))
        ) from None
    directory.mkdir(parents=True, exist_ok=True)
    target.write_text(
        render_tenant(spec, today=args.today, purpose=answers.get("purpose", "")), encoding="utf-8"
    )
    if region is not None:
        print(
            _("placed on region {region} ({name}) by rule; disaster recovery: {dr}").format(
                region=region.id, name=region.name, dr=dr_region or "—"
            )
        )
    print(
        _("wrote {file} (network.cidr {cidr}); next: govcloud check {directory}").format(
            file=target, cidr=cidr, directory=target.parent
        )
    )
    return 0


def _placed(env: EnvironmentSpec, answers: dict[str, Any]) -> tuple[Region | None, str | None]:
    """A new tenant's region by rule (None without regions: the one pool) and, for important
    and core data, a disaster-recovery region to start from."""
    if not env.regions:
        return None, None
    data = Classification(answers["classification"])
    region = rule_region_for(Level(answers["level"]), answers["division_code"], data, env)
    dr = None
    if data.rank >= Classification.important.rank:
        suggested = suggested_dr_region(region, data, env)
        dr = suggested.id if suggested else None
    return region, dr
