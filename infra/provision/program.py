"""The Pulumi program behind every govcloud stack (``stacks/__main__.py`` calls ``run``).

Stack ``<env>`` holds the platform; stack ``<env>.<tenant>`` holds one department. The
program reads the environment and the tenant specs from the checkout, renders the plan and
creates it. Settings that belong to one run come as environment variables and are never
stored in the stack config (`govcloud deploy` sets them; a plain `pulumi up` runs without):

- ``GOVCLOUD_NOW``: render as of this instant (deploy sets one per run: one clock);
- ``GOVCLOUD_TODAY``: evaluate authorizations as of noon of this ISO date (rehearsals);
- ``GOVCLOUD_DECOMMISSION_SPEC``: the last spec (JSON) of a tenant whose file was removed;
- ``GOVCLOUD_DESTROY_DATA_BEFORE_RETENTION_ENDS=true``: allow deleting a bucket holding
  data early.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pulumi

from infra.errors import InputError
from infra.plan import (
    PROVINCE_TZ,
    destroy_data_allowed,
    render_platform,
    render_tenant,
    retention_ends,
)
from infra.plan.clock import now_from
from infra.spec.load import find_repo_root, load_environment, load_tenant, load_tenants
from infra.spec.regions import one_cluster
from infra.spec.tenant import TenantSpec

from .components import PlatformStack, StackArgs, TenantEnvironment
from .settings import ENV_DECOMMISSION_SPEC, ENV_DESTROY_DATA, ENV_NOW, ENV_TODAY, STORED_SETTINGS

__all__ = [
    "ENV_DECOMMISSION_SPEC",
    "ENV_DESTROY_DATA",
    "ENV_NOW",
    "ENV_TODAY",
    "STORED_SETTINGS",
    "run",
]


def _fleet_around(directory: Path, tenant_id: str) -> dict[str, TenantSpec]:
    """The tenant and the tenants its plan depends on: those it names as peers or as the
    providers of its data requests, and, when it publishes datasets, those whose files name
    it (a request for one of its datasets is a share on its bucket and key).

    Reading only these keeps a stack's program as fast with 1,000 tenants as with 10 (a
    publisher reads the other files' text, and parses only those that mention it). Files
    are named by tenant id (a compliance rule); if this one is not, the whole fleet is read.
    """
    own = directory / f"{tenant_id}.yaml"
    if not own.is_file():  # removed: decommissioning from its recorded spec, without peers
        return {}
    spec = load_tenant(own).spec
    if spec.id != tenant_id:
        return {t.spec.id: t.spec for t in load_tenants([directory])}
    fleet = {tenant_id: spec}
    named = [p.tenant for p in spec.network.peers] + [r.provider for r in spec.data_requests]
    paths = [directory / f"{other}.yaml" for other in dict.fromkeys(named)]
    if spec.data.datasets:
        paths += [
            p
            for p in sorted(directory.glob("*.yaml"))
            if p != own and p not in paths and tenant_id in p.read_text(encoding="utf-8")
        ]
    for path in paths:
        if path.is_file():
            other = load_tenant(path).spec
            fleet[other.id] = other
    return fleet


def run() -> None:
    stack = pulumi.get_stack()
    env_name, _, tenant_id = stack.partition(".")
    root = find_repo_root()
    env = one_cluster(load_environment(env_name, root / "stacks"))
    now = now_from(os.environ)
    today = now.astimezone(PROVINCE_TZ).date()
    if not tenant_id:
        PlatformStack(f"platform-{env.name}", StackArgs(render_platform(env)))
        pulumi.export("environment", env.name)
        return

    fleet = _fleet_around(root / "tenants", tenant_id)
    spec = fleet.get(tenant_id)
    if spec is None:
        last = os.environ.get(ENV_DECOMMISSION_SPEC)
        if not last:
            raise InputError(
                f"no tenants/{tenant_id}.yaml and no {ENV_DECOMMISSION_SPEC} "
                "(`govcloud deploy` sets it from the stack's recorded spec)",
                field="stack",
            )
        spec = TenantSpec.model_validate_json(last, strict=False)
        fleet[tenant_id] = spec
    ends = retention_ends(spec)
    force = destroy_data_allowed(spec, today, override=os.environ.get(ENV_DESTROY_DATA) == "true")
    plan = render_tenant(spec, env, fleet=fleet, today=today, now=now)
    component = TenantEnvironment(tenant_id, StackArgs(plan, force_destroy_data=force))
    pulumi.export("tenant", tenant_id)
    pulumi.export("namespace", tenant_id)
    pulumi.export("state", spec.lifecycle.state.value)
    pulumi.export("retention_ends", ends.isoformat() if ends else None)
    # Without a placement the output is as before regions (no output change on existing stacks).
    unplaced = {"placement"} if spec.placement is None else None
    pulumi.export("spec", json.loads(spec.model_dump_json(exclude=unplaced)))
    bucket = next((r for k, r in component.cloud.items() if k.startswith("bucket/")), None)
    if bucket is not None:
        pulumi.export("bucket", bucket.id)
