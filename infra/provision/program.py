"""The Pulumi program behind every govcloud stack (``stacks/__main__.py`` calls ``run``).

Stack ``<env>`` holds the platform; stack ``<env>.<tenant>`` holds one department. The
program reads the environment and the tenant specs from the checkout, renders the plan and
creates it. Config (namespace ``govcloud``):

- ``today``: evaluate authorizations as of this ISO date (tests and rehearsals);
- ``decommissionSpec``: the last spec (JSON) of a tenant whose file was removed;
- ``destroyDataBeforeRetentionEnds``: allow deleting a bucket holding data early.
"""

from __future__ import annotations

import datetime as dt
import json

import pulumi

from infra.errors import InputError
from infra.plan import destroy_data_allowed, render_platform, render_tenant, retention_ends
from infra.spec.load import find_repo_root, load_environment, load_tenants
from infra.spec.tenant import TenantSpec

from .components import PlatformStack, StackArgs, TenantEnvironment

__all__ = ["run"]


def _today(config: pulumi.Config) -> dt.date:
    text = config.get("today")
    return dt.date.fromisoformat(text) if text else dt.date.today()


def run() -> None:
    stack = pulumi.get_stack()
    env_name, _, tenant_id = stack.partition(".")
    config = pulumi.Config("govcloud")
    root = find_repo_root()
    env = load_environment(env_name, root / "stacks")
    today = _today(config)
    if not tenant_id:
        PlatformStack(f"platform-{env.name}", StackArgs(render_platform(env)))
        pulumi.export("environment", env.name)
        return

    fleet = {t.spec.id: t.spec for t in load_tenants([root / "tenants"])}
    spec = fleet.get(tenant_id)
    if spec is None:
        last = config.get("decommissionSpec")
        if not last:
            raise InputError(f"no tenants/{tenant_id}.yaml and no decommissionSpec config",
                             field="stack")
        spec = TenantSpec.model_validate_json(last, strict=False)
        fleet[tenant_id] = spec
    ends = retention_ends(spec)
    force = destroy_data_allowed(
        spec, today, override=bool(config.get_bool("destroyDataBeforeRetentionEnds")))
    plan = render_tenant(spec, env, fleet=fleet, today=today)
    component = TenantEnvironment(tenant_id, StackArgs(plan, force_destroy_data=force))
    pulumi.export("tenant", tenant_id)
    pulumi.export("namespace", tenant_id)
    pulumi.export("state", spec.lifecycle.state.value)
    pulumi.export("retention_ends", ends.isoformat() if ends else None)
    pulumi.export("spec", json.loads(spec.model_dump_json()))
    bucket = next((r for k, r in component.cloud.items() if k.startswith("bucket/")), None)
    if bucket is not None:
        pulumi.export("bucket", bucket.id)
