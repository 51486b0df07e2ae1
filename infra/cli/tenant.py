"""`govcloud tenant new`: scaffold a valid tenant spec with the next free CIDR."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from infra.errors import InputError
from infra.policy.allocate import next_free_cidr
from infra.spec import dotted, load_tenants
from infra.spec.codes import credit_code_problem, division_problem
from infra.spec.scaffold import render_tenant, scaffold_tenant

from ._common import add_env_options, environment, tenants_dir
from .tenant_view import register_views

__all__ = ["register"]

_REQUIRED = {
    "id": "tenant id (DNS label, e.g. th-zwsjj)",
    "name": "official name (Chinese)",
    "credit_code": "unified social credit code",
    "level": "level (province/city/county)",
    "division_code": "division code (GB/T 2260, e.g. 440106)",
}


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "tenant", help="tenant specs: scaffold one, list them, show one")
    sub = parser.add_subparsers(dest="tenant_command", metavar="ACTION", required=True)
    new = sub.add_parser("new", help="scaffold tenants/<id>.yaml (prompts on a terminal)")
    new.add_argument("--id", help="tenant id, a DNS label such as th-zwsjj (default: asked)")
    new.add_argument("--name", help="official name in Chinese (default: asked)")
    new.add_argument("--credit-code", dest="credit_code",
                     help="unified social credit code, GB 32100-2015 (default: asked)")
    new.add_argument("--level", choices=["province", "city", "county"],
                     help="administrative level (default: asked)")
    new.add_argument("--division-code", dest="division_code",
                     help="division code, GB/T 2260, e.g. 440106 (default: asked)")
    new.add_argument("--owner", action="append", default=[], metavar="'NAME <EMAIL>'",
                     help="government owner; give at least two (default: asked)")
    new.add_argument("--classification", choices=["general", "important", "core"],
                     default="general",
                     help="data classification, GB/T 43697-2024 (default: general)")
    new.add_argument("--personal-information", dest="personal_information",
                     choices=["none", "personal", "sensitive"], default="none",
                     help="personal information processed, PIPL (default: none)")
    new.add_argument("--retention-days", dest="retention_days", type=int, default=None,
                     help="days data is kept after decommissioning (default: not set)")
    new.add_argument("--shared-service", dest="shared_services", action="append", default=[],
                     help="shared platform service to reach, repeatable (default: none)")
    new.add_argument("--egress", choices=["none", "proxy"], default="none",
                     help="internet egress (default: none)")
    new.add_argument("--budget", type=int, default=0, help="annual budget in CNY (default: 0)")
    new.add_argument("--dir", type=Path, default=None, help="where to write (default: tenants/)")
    add_env_options(new)
    new.set_defaults(handler=run_new)
    register_views(sub)


def _owner(text: str) -> tuple[str, str]:
    name, _, rest = text.partition("<")
    if not rest.endswith(">") or not name.strip():
        raise InputError(f"--owner {text!r}: write it as 'Name <email>'", field="owners")
    return name.strip(), rest[:-1].strip()


def _fill_in(args: argparse.Namespace) -> None:
    interactive = sys.stdin.isatty()
    for key, prompt in _REQUIRED.items():
        if getattr(args, key) is None and interactive:
            setattr(args, key, input(f"{prompt}: ").strip())
    while interactive and len(args.owner) < 2:
        args.owner.append(input(f"owner {len(args.owner) + 1} (Name <email>): ").strip())
    missing = [f"--{k.replace('_', '-')}" for k in _REQUIRED if not getattr(args, k)]
    if missing:
        raise InputError(f"missing {', '.join(missing)} (or run on a terminal to be asked)")


def run_new(args: argparse.Namespace) -> int:
    _fill_in(args)
    for field, problem in (("credit_code", credit_code_problem(args.credit_code)),
                           ("division_code", division_problem(args.division_code, args.level))):
        if problem:
            raise InputError(problem, field=field)
    env = environment(args)
    directory: Path = args.dir or tenants_dir(args)
    target = directory / f"{args.id}.yaml"
    if target.exists():
        raise InputError("already exists; edit it instead", path=str(target))
    existing = load_tenants([directory]) if any(directory.glob("*.yaml")) else []
    cidr = next_free_cidr(env, [t.spec.network.cidr for t in existing])
    try:
        spec = scaffold_tenant(
            id=args.id, name=args.name, credit_code=args.credit_code, level=args.level,
            division_code=args.division_code, owners=[_owner(o) for o in args.owner],
            classification=args.classification, personal_information=args.personal_information,
            retention_days=args.retention_days, cidr=cidr, shared_services=args.shared_services,
            egress=args.egress, annual_cny=args.budget)
    except ValidationError as exc:
        error = exc.errors()[0]
        raise InputError(str(error["msg"]).removeprefix("Value error, "),
                         field=dotted(tuple(error["loc"]))) from None
    directory.mkdir(parents=True, exist_ok=True)
    target.write_text(render_tenant(spec, today=args.today), encoding="utf-8")
    print(f"wrote {target} (network.cidr {cidr}); next: govcloud check {target.parent}")
    return 0
