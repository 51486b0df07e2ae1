"""Render a tenant (or the platform) into its ordered, deterministic desired state."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import yaml

from infra.errors import InputError
from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import LifecycleState, TenantSpec

from .cloud import tenant_cloud_objects
from .kube import tenant_kube_objects
from .lifecycle import moment_of
from .names import DOMAIN, RESERVED_NAMESPACES, digest
from .objects import CloudObject, KubeObject
from .platform import platform_cloud_objects, platform_kube_objects
from .shares import received_shares, shares_given

__all__ = ["PLAN_DIGEST", "Plan", "dump_plan", "mutual_peers", "render_platform", "render_tenant"]

PLAN_DIGEST = f"{DOMAIN}/plan-digest"


@dataclass(frozen=True)
class Plan:
    """What one stack should contain: Kubernetes objects, then cloud resources."""

    name: str
    kube: tuple[KubeObject, ...]
    cloud: tuple[CloudObject, ...]

    @property
    def guarded_kube(self) -> tuple[KubeObject, ...]:
        """The Kubernetes objects whose live state must match the plan: all but the Tenant
        record, which carries the desired state itself (and its status)."""
        return tuple(o for o in self.kube if o.kind != "Tenant")

    def as_data(self) -> dict[str, Any]:
        return {
            "stack": self.name,
            "kubernetes": [o.manifest for o in self.kube],
            "cloud": [{"kind": c.kind, "name": c.name, "properties": c.props} for c in self.cloud],
        }


def _active(spec: TenantSpec) -> bool:
    return spec.lifecycle.state is LifecycleState.active


def mutual_peers(spec: TenantSpec, fleet: Mapping[str, TenantSpec]) -> dict[str, str]:
    """Peers declared on both sides and both active, mapped to the peer's CIDR."""
    out: dict[str, str] = {}
    if not _active(spec):
        return out
    for peer in spec.network.peers:
        other = fleet.get(peer.tenant)
        if other is None or not _active(other):
            continue
        if any(p.tenant == spec.id for p in other.network.peers):
            out[other.id] = other.network.cidr
    return dict(sorted(out.items()))


def render_tenant(
    spec: TenantSpec,
    env: EnvironmentSpec,
    *,
    fleet: Mapping[str, TenantSpec],
    today: dt.date,
    now: dt.datetime | None = None,
) -> Plan:
    """The desired state of one department; same input, byte-identical output.

    Grants are bound, and data shares given or received rendered, while valid at ``now``
    (default: noon of ``today``, Beijing time)."""
    if spec.id in RESERVED_NAMESPACES or spec.id.startswith("kube-"):
        raise InputError(f"tenant id {spec.id!r} is reserved for the platform", field="id")
    peers = mutual_peers(spec, fleet)
    at = now or moment_of(today)
    kube = tenant_kube_objects(spec, env, peers=list(peers), now=at, access=_active(spec))
    cloud = tenant_cloud_objects(
        spec,
        env,
        peer_cidrs=peers,
        given=shares_given(spec, fleet, at),
        received=received_shares(spec, fleet, at),
    )
    return Plan(f"{env.name}.{spec.id}", tuple(_with_plan_digest(kube, cloud)), tuple(cloud))


def _with_plan_digest(kube: list[KubeObject], cloud: list[CloudObject]) -> list[KubeObject]:
    """The Tenant carries a digest of everything else planned, so any change to the plan
    (a spec edit, an environment default, an expired grant) changes the Tenant first."""
    body = json.dumps(
        [
            [o.manifest for o in kube if o.kind != "Tenant"],
            [[c.kind, c.name, c.props] for c in cloud],
        ],
        sort_keys=True,
        default=str,
    )
    out: list[KubeObject] = []
    for obj in kube:
        if obj.kind == "Tenant":
            manifest = copy.deepcopy(obj.manifest)
            notes = manifest["metadata"].setdefault("annotations", {})
            notes[PLAN_DIGEST] = digest(body, 16)
            obj = KubeObject(manifest)
        out.append(obj)
    return out


def render_platform(env: EnvironmentSpec) -> Plan:
    return Plan(env.name, tuple(platform_kube_objects(env)), tuple(platform_cloud_objects(env)))


class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data: Any) -> bool:
        return True  # shared dicts (tags) are written out in full: a plan is read by people


def _str(dumper: yaml.SafeDumper, data: str) -> yaml.ScalarNode:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _str)


def dump_plan(plan: Plan, fmt: str = "yaml") -> str:
    data = plan.as_data()
    if fmt == "json":
        return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100)
