"""`govcloud destroy`: destroying a decommissioned tenant's data, provably.

Order, waiting period, destruction, read-back, signed record:

1. an order (document number, who ordered it) is stored in the audit bucket; until the
   environment's waiting period is over it can be cancelled (a new version says so);
2. the precheck reads the live cloud and cluster: what will be destroyed, what blocks it
   (``infra.plan.destruction.blockers``);
3. the destruction deletes every object version and delete marker (Object Lock is never
   overridden: a refused version stops the run before anything else is touched), then
   destroys the tenant's stack through deploy, the one writer of its resources: the key is
   scheduled for deletion with the environment's pending window, the namespace, role, subnet
   and security group go;
4. it reads back that each is gone or pending deletion, and stores a record signed with the
   platform's signing key in the audit bucket, under Object Lock in compliance mode.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infra import __version__
from infra.errors import InputError
from infra.i18n import _
from infra.plan import render_tenant
from infra.plan.cloud import dedicated_key
from infra.plan.destruction import (
    Check,
    Finding,
    Inventory,
    Order,
    Resource,
    blockers,
    build_record,
    notes,
    order_name,
    read_back,
    record_name,
)
from infra.plan.names import bucket_name, key_alias, platform_key_alias, signing_key_alias
from infra.plan.platform import AUDIT_RETENTION_DAYS
from infra.plan.signing import canonical, digest_of, envelope, signing_algorithm
from infra.spec.environment import EnvironmentSpec
from infra.spec.load import load_environment, load_tenants
from infra.spec.tenant import TenantSpec

__all__ = [
    "Outcome",
    "Precheck",
    "Target",
    "cancel_order",
    "destroy",
    "place_order",
    "precheck",
    "target",
    "target_of",
]

Say = Callable[[str], None]


@dataclass(frozen=True)
class Target:
    """One tenant to destroy, with what its plan names."""

    spec: TenantSpec
    env: EnvironmentSpec
    fleet: dict[str, TenantSpec]
    root: Path
    names: dict[str, Any]  # bucket, key alias, shared key, role, subnet, group and their VPC

    @property
    def audit_bucket(self) -> str:
        return bucket_name(self.env.name, "audit")


def _names(spec: TenantSpec, env: EnvironmentSpec, fleet: dict[str, TenantSpec]) -> dict[str, Any]:
    plan = render_tenant(spec, env, fleet=fleet, today=dt.date.today())
    by_kind: dict[str, dict[str, Any]] = {o.kind: dict(o.props) for o in plan.cloud}
    shared = not dedicated_key(spec)
    return {
        "bucket": bucket_name(env.name, spec.id),
        "key": platform_key_alias(env.name) if shared else key_alias(env.name, spec.id),
        "shared_key": shared,
        "role": str(by_kind["role"]["name"]),
        "subnet": (str(by_kind["subnet"]["name"]), str(by_kind["subnet"]["vpc_name"])),
        "group": (
            str(by_kind["security-group"]["name"]),
            str(by_kind["security-group"]["vpc_name"]),
        ),
    }


def target(root: Path, env_name: str, tenant: str) -> Target:
    """The tenant as its spec says (``tenants/<id>.yaml``; a removed file: the spec its stack
    recorded), in the environment ``stacks/<env>.yaml``."""
    env = load_environment(env_name, root / "stacks")
    fleet = {t.spec.id: t.spec for t in load_tenants([root / "tenants"])}
    spec = fleet.get(tenant) or _recorded_spec(root, env_name, tenant)
    return target_of(spec, env, fleet, root)


def target_of(
    spec: TenantSpec, env: EnvironmentSpec, fleet: dict[str, TenantSpec], root: Path
) -> Target:
    """The tenant ``spec`` as a deploy already holds it (with its environment and fleet)."""
    fleet = {**fleet, spec.id: spec}
    return Target(spec, env, fleet, root, _names(spec, env, fleet))


def _recorded_spec(root: Path, env_name: str, tenant: str) -> TenantSpec:
    from .engine import Pulumi
    from .stacks import outputs_if_any

    outputs = outputs_if_any(Pulumi(root, {}), f"{env_name}.{tenant}")
    if "spec" not in outputs:
        raise InputError(
            _("no tenants/{tenant}.yaml and no stack {stack} with a recorded spec").format(
                tenant=tenant, stack=f"{env_name}.{tenant}"
            ),
            field="--tenant",
        )
    data = dict(outputs["spec"])
    lifecycle = dict(data.get("lifecycle") or {})
    if lifecycle.get("state") != "decommissioning":  # a removed file is a decommissioning
        lifecycle = {"state": "decommissioning", "since": dt.date.today().isoformat()}
    data["lifecycle"] = lifecycle
    return TenantSpec.model_validate_json(json.dumps(data), strict=False)


def inventory(t: Target, *, now: dt.datetime) -> tuple[Inventory, list[dict[str, str]]]:
    """What the live cloud and cluster hold for the tenant, and every version to delete."""
    from infra.drivers import KubeClient
    from infra.drivers.cloud import read_role, read_security_group, read_subnet
    from infra.drivers.cloud.destruction import bucket_facts, key_facts

    bucket, entries = bucket_facts(t.names["bucket"], now=now)
    key = key_facts(t.names["key"], shared=t.names["shared_key"])
    ns = KubeClient().get("v1", "Namespace", t.spec.id)
    phase = (ns or {}).get("status", {}).get("phase", "")
    subnet, group = t.names["subnet"], t.names["group"]
    resources = (
        Resource(
            "namespace",
            t.spec.id,
            "gone" if ns is None else "terminating" if phase == "Terminating" else "present",
        ),
        Resource("role", t.names["role"], "present" if read_role(t.names["role"]) else "gone"),
        Resource("subnet", subnet[0], "present" if read_subnet(*subnet) else "gone"),
        Resource("security-group", group[0], "present" if read_security_group(*group) else "gone"),
    )
    return Inventory(t.spec.id, bucket, key, resources), entries


def current_order(t: Target) -> Order | None:
    from infra.drivers.cloud.destruction import get_object

    body = get_object(t.audit_bucket, order_name(t.spec.id))
    return Order.from_data(json.loads(body)) if body else None


@dataclass(frozen=True)
class Precheck:
    inventory: Inventory
    order: Order | None
    blockers: list[Finding]
    notes: list[Finding]
    entries: list[dict[str, str]] = field(repr=False)

    def as_data(self, translate: Callable[[str], str] = str) -> dict[str, Any]:
        return {
            "tenant": self.inventory.tenant,
            "will_destroy": self.inventory.as_data(),
            "order": self.order.as_data() if self.order else None,
            "blocked": bool(self.blockers),
            "blockers": [b.as_data(translate) for b in self.blockers],
            "notes": [n.as_data(translate) for n in self.notes],
        }


def precheck(t: Target, *, now: dt.datetime, early: bool = False) -> Precheck:
    inv, entries = inventory(t, now=now)
    order = current_order(t)
    found = blockers(t.spec, t.env, fleet=t.fleet, inventory=inv, order=order, now=now, early=early)
    return Precheck(inv, order, found, notes(t.spec, t.env, inv), entries)


def _store_order(t: Target, order: Order, now: dt.datetime) -> Order:
    from infra.drivers.cloud.destruction import put_locked

    put_locked(
        t.audit_bucket,
        order_name(t.spec.id),
        canonical(order.as_data()),
        retain_until=now + dt.timedelta(days=AUDIT_RETENTION_DAYS),
    )
    return order


def place_order(
    t: Target, *, document: str, ordered_by: str, now: dt.datetime, early: bool
) -> Order:
    """Record the destruction order (the authorization document must match the
    environment's pattern); its waiting period starts now."""
    import re

    if not re.fullmatch(t.env.authorization_pattern, document):
        raise InputError(
            _(
                "--document {document!r} does not match the environment's authorization "
                "pattern {pattern}"
            ).format(document=document, pattern=t.env.authorization_pattern),
            field="--document",
        )
    if "@" not in ordered_by:
        raise InputError(
            _("--ordered-by {who!r} is not an e-mail address").format(who=ordered_by),
            field="--ordered-by",
        )
    order = Order(t.spec.id, document, ordered_by, now, "ordered", early)
    return _store_order(t, order, now)


def cancel_order(t: Target, *, by: str, now: dt.datetime) -> Order:
    """Cancel the standing order (a new version of it, the old one stays as evidence)."""
    order = current_order(t)
    if order is None or order.state != "ordered":
        raise InputError(
            _("tenant {tenant} has no standing destruction order").format(tenant=t.spec.id),
            field="--cancel",
        )
    cancelled = Order(
        order.tenant,
        order.document,
        order.ordered_by,
        order.ordered_at,
        "cancelled",
        order.early,
        by,
        now,
    )
    return _store_order(t, cancelled, now)


@dataclass
class Outcome:
    """What a destruction did: refused (blockers), failed (errors) or done (record)."""

    tenant: str
    blockers: list[Finding] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    checks: list[Check] = field(default_factory=list)
    record_name: str = ""
    record: dict[str, Any] | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.blockers and not self.errors and all(c.ok for c in self.checks)


def _destroy_stack(t: Target, *, early: bool, say: Say) -> str:
    """The tenant stack destroyed by deploy (the one writer of its resources): "" when it
    went, otherwise why not."""
    from .deploy import DeployOptions, Progress, deploy

    opts = DeployOptions(
        root=t.root,
        env=t.env.name,
        parallel=1,
        policy_pack=t.root / "policypack" if (t.root / "policypack").is_dir() else None,
        destroy_data_before_retention_ends=early,
        within_destruction=True,
    )
    results = deploy(opts, [t.spec.id], progress=Progress(say))
    mine = next((r for r in results if r.stack == f"{t.env.name}.{t.spec.id}"), None)
    if mine is None:
        failed = "; ".join(f"{r.stack}: {r.message}" for r in results if r.failed)
        return failed or "the tenant stack did not run"
    if mine.result != "destroyed":
        return f"{mine.stack}: {mine.result} {mine.message}".strip()
    return ""


def destroy(
    t: Target,
    *,
    now: dt.datetime,
    early: bool = False,
    say: Say = print,
    stack: Callable[[], str] | None = None,
) -> Outcome:
    """Destroy the tenant's data and resources if nothing blocks it; read back; sign and
    store the record. Never overrides Object Lock. ``stack`` destroys the tenant's stack
    ("" when it went, otherwise why not); by default a deploy of the tenant does."""
    import time

    from infra.drivers.cloud.destruction import caller_arn, delete_versions, key_facts

    started = time.monotonic()
    check = precheck(t, now=now, early=early)
    out = Outcome(t.spec.id)
    if check.blockers or check.order is None:
        out.blockers = check.blockers
        return out
    before = check.inventory
    deleted, refused = delete_versions(before.bucket.name, check.entries)
    if refused:
        out.errors = [
            _(
                "{count} version(s) refused by the endpoint (Object Lock?); nothing else "
                "destroyed: {which}"
            ).format(count=len(refused), which="; ".join(refused[:5]))
        ]
        return out
    failure = stack() if stack is not None else _destroy_stack(t, early=early, say=say)
    if failure:
        out.errors.append(failure)
    after, _entries = inventory(t, now=dt.datetime.now(dt.UTC))
    if before.key is not None and not before.key.shared:
        # The alias went with the key: read it back by its id.
        after = Inventory(after.tenant, after.bucket, key_facts(before.key.key_id), after.resources)
    out.checks = read_back(after)
    if out.errors or not all(c.ok for c in out.checks):
        out.seconds = time.monotonic() - started
        return out
    record = build_record(
        spec=t.spec,
        env=t.env,
        order=check.order,
        before=before,
        checks=out.checks,
        deleted=deleted,
        started=now,
        finished=dt.datetime.now(dt.UTC),
        performed_by=caller_arn(),
        tool_version=__version__,
        early=early,
    )
    out.record_name, out.record = _sign_and_store(t, record)
    out.seconds = time.monotonic() - started
    return out


def _sign_and_store(t: Target, record: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    from infra.drivers.cloud.destruction import put_locked, sign

    algo = signing_algorithm(t.env)
    alias = signing_key_alias(t.env.name)
    signature, key_arn = sign(
        alias, digest_of(record), algorithm=algo.algorithm, message_type=algo.message_type
    )
    stored = envelope(record, signature, key_arn=key_arn, alias=alias, algo=algo)
    finished = dt.datetime.fromisoformat(record["performed"]["finished"])
    name = record_name(t.spec.id, finished)
    put_locked(
        t.audit_bucket,
        name,
        json.dumps(stored, ensure_ascii=False, indent=2, sort_keys=True).encode("utf-8"),
        retain_until=finished + dt.timedelta(days=AUDIT_RETENTION_DAYS),
    )
    return name, stored
