"""What one reconcile pass needs: drivers, caches, the environment, settings, a clock."""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from infra.drivers.table import CloudDriver, KubeDriver
from infra.plan.crd import tenant_from_resource
from infra.plan.drift import Difference
from infra.plan.lifecycle import PROVINCE_TZ
from infra.plan.names import CRD_GROUP, CRD_VERSION, OVERRIDE_ANNOTATION
from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import TenantSpec

from .cache import Informer

__all__ = ["TENANT_API", "WATCHED", "CloudDown", "CloudSeen", "Context", "parse_tenant"]

TENANT_API = f"{CRD_GROUP}/{CRD_VERSION}"
# (apiVersion, kind) of everything the reconciler watches, cluster-wide.
WATCHED = (
    (TENANT_API, "Tenant"),
    ("v1", "Namespace"),
    ("v1", "ResourceQuota"),
    ("v1", "LimitRange"),
    ("v1", "ServiceAccount"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    # Cluster-scoped objects that reach tenants (``infra.plan.platform_reach``).
    ("rbac.authorization.k8s.io/v1", "ClusterRole"),
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"),
    ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy"),
    ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding"),
    # Emergency access requests (break-glass): approved ones become bindings.
    (TENANT_API, "AccessRequest"),
)


def parse_tenant(obj: Mapping[str, Any]) -> TenantSpec:
    return tenant_from_resource(obj.get("spec") or {})


@dataclass
class CloudSeen:
    """A tenant's cloud resources as last checked: what still differs, or why unknown."""

    at: float
    remaining: list[Difference]
    error: str = ""
    reason: str = ""  # why the check could not observe (a condition reason), with ``error``


@dataclass(frozen=True)
class CloudDown:
    """The cloud endpoint cannot be reached: learnt once for every tenant (by the endpoint
    watch, or by the first check that failed to connect), not tenant by tenant."""

    message: str  # names the endpoint and the cause
    until: float  # monotonic; the endpoint watch keeps it down until its probe succeeds


@dataclass
class Context:
    kube: KubeDriver
    cloud: CloudDriver | None  # None: cloud guardrails not managed by this process
    env: EnvironmentSpec
    caches: dict[str, Informer]
    dry_run: bool = False
    coalesce_counters: bool = False  # a running controller defers counter-only writes
    identity: str = "govcloud-reconciler"
    cloud_interval: float = 30.0
    clock: Callable[[], dt.datetime] = field(default=lambda: dt.datetime.now(dt.UTC))
    monotonic: Callable[[], float] = time.monotonic
    cloud_seen: dict[str, CloudSeen] = field(default_factory=dict)
    cloud_down: CloudDown | None = None
    pending_repairs: dict[str, list[Any]] = field(default_factory=dict)  # not yet in status
    counters_due: dict[str, float] = field(default_factory=dict)  # when deferred counts are due
    # the next data-share end of each tenant, until the cloud pass at that instant narrows it
    share_ends: dict[str, dt.datetime] = field(default_factory=dict)
    _specs: dict[tuple[str, str], TenantSpec] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _fleet: dict[str, TenantSpec] | None = None
    _fleet_version: int = -1

    # the last judgement of the whole fleet: (generation, day), the specs judged, verdicts
    _fleet_verdicts: tuple[tuple[int, str], dict[str, TenantSpec], dict[str, list[Any]]] | None = (
        None
    )
    _judging: threading.Lock = field(default_factory=threading.Lock)
    _generations: tuple[int, int] = (-1, 0)  # (Tenant cache version, spec generations key)
    platform_reported: frozenset[str] = frozenset()  # platform drift already evented

    def refusals(
        self,
        tenant: Mapping[str, Any],
        spec: TenantSpec,
        fleet: Mapping[str, TenantSpec],
        now: dt.datetime,
    ) -> list[Any]:
        """The compliance errors of a Tenant's spec (``infra.policy.live``). The whole fleet
        is judged at once, again only when a Tenant's spec changed or the day did: a steady
        pass costs no evaluation, and n tenants cost one fleet evaluation, not n."""
        from infra.policy.live import fleet_refusals, refusals

        today = now.astimezone(PROVINCE_TZ).date()
        key = (self._spec_generation(), today.isoformat())
        notes = (tenant.get("metadata") or {}).get("annotations") or {}
        accepted = [
            r.strip() for r in str(notes.get(OVERRIDE_ANNOTATION, "")).split(",") if r.strip()
        ]
        with self._judging:  # one evaluation per change, however many workers ask
            if self._fleet_verdicts is None or self._fleet_verdicts[0] != key:
                judged = self.fleet()
                verdicts = fleet_refusals(judged, self.env, today)
                if self._spec_generation() == key[0]:  # no spec changed while judging
                    self._fleet_verdicts = (key, judged, verdicts)
            known = self._fleet_verdicts
        if known is None or known[0] != key or known[1].get(spec.id) != spec:
            # a spec newer than the last judgement of the fleet: judged on its own
            return refusals(spec, fleet, self.env, today, accepted=accepted)
        return [f for f in known[2].get(spec.id, []) if f.rule not in accepted]

    def _spec_generation(self) -> int:
        """Changes when any Tenant's spec does (a status write bumps the resourceVersion,
        never the generation): a status written in a pass does not re-judge the fleet."""
        tenants = self.caches["Tenant"]
        with self._lock:
            if self._generations[0] != tenants.content_version:
                key = hash(
                    tuple(
                        sorted(
                            (
                                str((o.get("metadata") or {}).get("name")),
                                int((o.get("metadata") or {}).get("generation") or 0),
                            )
                            for o in tenants.all()
                        )
                    )
                )
                self._generations = (tenants.content_version, key)
            return self._generations[1]

    def cached(self, kind: str, namespace: str | None, name: str) -> dict[str, Any] | None:
        return self.caches[kind].get(namespace, name)

    def cloud_unreachable(self) -> str:
        """Why the cloud endpoint cannot be reached now ("" when it is not known to be down)."""
        down = self.cloud_down
        return down.message if down is not None and self.monotonic() < down.until else ""

    def fleet(self) -> dict[str, TenantSpec]:
        """Every valid Tenant in the cluster, parsed once per generation; the dict is rebuilt
        only when a Tenant changed other than by a status write (a pass, and the status write
        it ends with, must not cost O(tenants))."""
        tenants = self.caches["Tenant"]
        with self._lock:
            if self._fleet is not None and self._fleet_version == tenants.content_version:
                return dict(self._fleet)
            version = tenants.content_version
        out: dict[str, TenantSpec] = {}
        seen: dict[tuple[str, str], TenantSpec] = {}
        with self._lock:
            for obj in tenants.all():
                meta = obj.get("metadata") or {}
                # a spec changes with its generation (status writes leave it be)
                key = (
                    str(meta.get("name")),
                    f"{meta.get('uid')}/{meta.get('generation') or meta.get('resourceVersion')}",
                )
                spec = self._specs.get(key)
                if spec is None:
                    try:
                        spec = parse_tenant(obj)
                    # Why: an invalid Tenant is reported on its own status; it must not stop
                    # the others from being reconciled.
                    except ValidationError:
                        continue
                seen[key] = spec
                out[key[0]] = spec
            self._specs = seen  # parsed specs of older versions are dropped
            self._fleet, self._fleet_version = out, version
        return dict(out)
