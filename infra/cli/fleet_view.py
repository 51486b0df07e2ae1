"""What `tenant list`, `tenant show` and `status` say: tenant specs joined with the live
Tenant objects, summarised. Pure: no I/O, so every rule here is unit-tested directly.

Definitions (the words `govcloud status` prints):

- *ready*: the Tenant's ``Ready`` condition is ``True``;
- *failing*: a Tenant object exists, is not decommissioning, and ``Ready`` is ``False``;
- *unknown*: the same, with ``Ready`` neither True nor False: it could not be observed (an
  endpoint unreachable: reason ``CloudUnreachable`` or ``APIServerUnreachable``);
- *drifting*: any aspect condition (QuotaEnforced, NetworkIsolated, AccessCompliant,
  CloudGuardrails) is ``False``; a drifting tenant is failing too, unless decommissioning;
- *decommissioning*: the lifecycle state (the file's, else the live object's), or removed;
- *not deployed*: a file in ``tenants/`` without a Tenant object;
- *out of date*: a file whose spec differs from the live Tenant's (merged but not deployed,
  or a deploy that failed half way): the differing fields are named;
- a failed deploy (``Deployed=False``) makes a tenant failing whatever ``Ready`` says, with
  the deploy's reason, until a deploy succeeds; a tenant no reconciler has judged yet
  (no ``Ready``) reads as deploy's read-back (``Deployed``);
- *removed*: a Tenant object without a file (its decommissioning is under way).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from infra.plan.conditions import ASPECT_CONDITIONS, DEPLOYED
from infra.plan.crd import tenant_resource_spec
from infra.plan.records import DEPLOY_FAILED
from infra.policy.placement import dr_region_of, region_of, rule_region
from infra.spec import EnvironmentSpec, TenantSpec
from infra.spec.regions import regions_of

__all__ = [
    "ASPECTS",
    "FleetSummary",
    "Row",
    "conditions_of",
    "days_left",
    "join",
    "placement_of",
    "recent_events",
    "region_counts",
    "spec_summary",
    "summarise",
]

ASPECTS = tuple(ASPECT_CONDITIONS.values())
Obj = Mapping[str, Any]


@dataclass(frozen=True)
class Row:
    """One tenant as the fleet commands show it."""

    id: str
    name: str
    level: str
    classification: str
    cidr: str
    lifecycle: str
    in_files: bool
    deployed: bool  # a Tenant object exists in the cluster
    ready: str  # "True", "False", "Unknown"; "" when not deployed or not known
    reason: str = ""
    message: str = ""
    aspects: dict[str, str] = field(default_factory=dict)  # condition type -> status
    repairs: int = 0
    last_deploy: str | None = None
    next_change: str | None = None
    out_of_date: list[str] = field(default_factory=list)  # spec fields the live Tenant lacks
    region: str = ""  # where the spec places it, when the environment declares regions

    @property
    def decommissioning(self) -> bool:
        """Marked so in its spec, or its file removed (deploy then decommissions it)."""
        return self.lifecycle == "decommissioning" or not self.in_files

    @property
    def drifting(self) -> list[str]:
        """The aspect conditions that are False."""
        return [kind for kind in ASPECTS if self.aspects.get(kind) == "False"]

    @property
    def failing(self) -> bool:
        return self.deployed and not self.decommissioning and self.ready == "False"

    @property
    def unknown(self) -> bool:
        """Deployed, and whether it is as planned could not be observed."""
        return self.deployed and not self.decommissioning and self.ready not in ("True", "False")

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        if not self.region:  # an environment without regions: as before they existed
            del data["region"]
        return {
            **data,
            "drifting": self.drifting,
            "failing": self.failing,
            "unknown": self.unknown,
        }


@dataclass(frozen=True)
class FleetSummary:
    total: int
    ready: list[str]
    failing: list[str]
    unknown: list[str]
    drifting: list[str]
    decommissioning: list[str]
    not_deployed: list[str]
    removed: list[str]
    out_of_date: list[str]
    repairs: int

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def conditions_of(obj: Obj | None) -> dict[str, dict[str, Any]]:
    """The Tenant's status conditions by type."""
    status = (obj or {}).get("status") or {}
    return {
        str(c.get("type")): dict(c)
        for c in status.get("conditions") or []
        if isinstance(c, Mapping)
    }


def _repairs(obj: Obj) -> int:
    repairs = (obj.get("status") or {}).get("repairs") or {}
    try:
        return int(repairs.get("total", 0))
    except (TypeError, ValueError, AttributeError):
        return 0


def _dig(obj: Obj, *path: str) -> str:
    node: Any = obj
    for key in path:
        node = node.get(key) if isinstance(node, Mapping) else None
    return "" if node is None else str(node)


def _live_fields(obj: Obj | None) -> dict[str, Any]:
    if obj is None:
        return {"deployed": False, "ready": ""}
    conds = conditions_of(obj)
    ready = conds.get("Ready", {})
    deployed = conds.get(DEPLOYED, {})
    if deployed.get("status") == "False":  # the reconciler may not have seen it yet
        # Stored English, as the condition it stands for: views read it in their language.
        failed = DEPLOY_FAILED.format(why=deployed.get("message", ""))
        ready = {**deployed, "message": failed}
    elif not ready and deployed:  # no reconciler has judged it yet: deploy's read-back
        ready = deployed
    status = obj.get("status") or {}
    return {
        "deployed": True,
        "ready": str(ready.get("status") or "Unknown"),
        "reason": str(ready.get("reason") or ""),
        "message": str(ready.get("message") or ""),
        "aspects": {k: str(conds[k].get("status")) for k in ASPECTS if k in conds},
        "repairs": _repairs(obj),
        "last_deploy": status.get("lastDeploy"),
        "next_change": status.get("nextChange"),
    }


def _differing(want: Any, have: Any, path: str = "") -> list[str]:
    """Dotted fields where the file's spec and the live Tenant's differ."""
    if isinstance(want, Mapping) and isinstance(have, Mapping):
        return [
            f
            for key in sorted(set(want) | set(have))
            for f in _differing(want.get(key), have.get(key), f"{path}.{key}" if path else str(key))
        ]
    if want in (None, [], {}) and have in (None, [], {}):
        return []
    return [] if want == have else [path or "spec"]


def join(
    specs: Iterable[TenantSpec],
    live: Mapping[str, Obj] | None,
    env: EnvironmentSpec | None = None,
) -> list[Row]:
    """One row per tenant in the files or in the cluster, sorted by id. ``live`` is None
    when the cluster could not be read: rows then carry the spec only. With an ``env`` that
    declares regions, each row from a file carries the region its spec places it in (the
    live Tenant carries none yet)."""
    rows: dict[str, Row] = {}
    live = live or {}
    regions = env is not None and bool(env.regions)
    for spec in specs:
        obj = live.get(spec.id)
        rows[spec.id] = Row(
            region=region_of(spec, env).id if regions and env is not None else "",
            id=spec.id,
            name=spec.name,
            level=spec.level.value,
            classification=spec.data.classification.value,
            cidr=str(spec.network.cidr),
            lifecycle=spec.lifecycle.state.value,
            in_files=True,
            out_of_date=_differing(tenant_resource_spec(spec), (obj or {}).get("spec"))
            if obj is not None
            else [],
            **_live_fields(obj),
        )
    for name, obj in live.items():
        if name in rows:
            continue
        spec_obj = obj.get("spec") or {}
        rows[name] = Row(
            id=name,
            name=_dig(spec_obj, "name"),
            level=_dig(spec_obj, "level"),
            classification=_dig(spec_obj, "data", "classification"),
            cidr=_dig(spec_obj, "network", "cidr"),
            lifecycle=_dig(spec_obj, "lifecycle", "state") or "active",
            in_files=False,
            **_live_fields(obj),
        )
    return [rows[k] for k in sorted(rows)]


def summarise(rows: Sequence[Row]) -> FleetSummary:
    return FleetSummary(
        total=len(rows),
        ready=[r.id for r in rows if r.ready == "True"],
        failing=[r.id for r in rows if r.failing],
        unknown=[r.id for r in rows if r.unknown],
        drifting=[r.id for r in rows if r.drifting],
        decommissioning=[r.id for r in rows if r.decommissioning],
        not_deployed=[r.id for r in rows if r.in_files and not r.deployed],
        removed=[r.id for r in rows if not r.in_files],
        out_of_date=[r.id for r in rows if r.out_of_date],
        repairs=sum(r.repairs for r in rows),
    )


def _event_time(event: Obj) -> str:
    meta = event.get("metadata") or {}
    for value in (
        event.get("lastTimestamp"),
        event.get("eventTime"),
        event.get("firstTimestamp"),
        meta.get("creationTimestamp"),
    ):
        if value:
            return str(value)
    return ""


def _sequence(event: Obj) -> int:
    """Events of the same second in the order the API server stored them (its
    resourceVersion, which etcd assigns in increasing order)."""
    try:
        return int(_dig(event, "metadata", "resourceVersion") or 0)
    except ValueError:
        return 0


def recent_events(events: Iterable[Obj], tenant: str, limit: int = 10) -> list[dict[str, Any]]:
    """The newest ``limit`` Events about Tenant ``tenant``, newest first, flattened."""
    mine = [
        e
        for e in events
        if _dig(e, "involvedObject", "kind") == "Tenant"
        and _dig(e, "involvedObject", "name") == tenant
    ]
    mine.sort(key=lambda e: (_event_time(e), _sequence(e)), reverse=True)
    return [
        {
            "time": _event_time(e),
            "type": str(e.get("type") or ""),
            "reason": str(e.get("reason") or ""),
            "message": str(e.get("message") or ""),
            "count": int(e.get("count") or 1),
        }
        for e in mine[:limit]
    ]


def days_left(expires: dt.date, today: dt.date) -> int:
    return (expires - today).days


def region_counts(rows: Iterable[Row], env: EnvironmentSpec) -> list[tuple[str, int]]:
    """(region id, tenants placed there), in the environment's order."""
    counts = {r.id: 0 for r in regions_of(env)}
    for row in rows:
        if row.region in counts:
            counts[row.region] += 1
    return list(counts.items())


def placement_of(spec: TenantSpec, env: EnvironmentSpec | None) -> dict[str, Any] | None:
    """Where the spec places the tenant, when the environment declares regions: the region
    (id and name), whether the rule chose it, and the disaster-recovery region."""
    if env is None or not env.regions:
        return None
    here, rule, dr = region_of(spec, env), rule_region(spec, env), dr_region_of(spec, env)
    return {
        "region": here.id,
        "region_name": here.name,
        "by_rule": here.id == rule.id,
        "rule_region": rule.id,
        "dr_region": dr.id if dr else None,
        "dr_region_name": dr.name if dr else None,
    }


def spec_summary(
    spec: TenantSpec, today: dt.date, env: EnvironmentSpec | None = None
) -> dict[str, Any]:
    """What `tenant show` tells about a tenant's spec, as plain JSON-able values (with its
    placement when the environment declares regions)."""
    review = spec.budget.review
    placement = placement_of(spec, env)
    return {
        **({"placement": placement} if placement else {}),
        "id": spec.id,
        "name": spec.name,
        "credit_code": spec.credit_code,
        "level": spec.level.value,
        "division_code": spec.division_code,
        "classification": spec.data.classification.value,
        "personal_information": spec.data.personal_information.value,
        "retention_days": spec.data.retention_days,
        "dedicated_key": spec.data.dedicated_key,
        "cidr": str(spec.network.cidr),
        "egress": spec.network.egress.value,
        "peers": [
            {"tenant": p.tenant, "agreement": p.agreement, "ports": list(p.ports)}
            for p in spec.network.peers
        ],
        "shared_services": list(spec.network.shared_services),
        "owners": {
            "group": spec.owners.group,
            "contacts": [f"{c.name} <{c.email}>" for c in spec.owners.contacts],
        },
        "quotas": {
            "cpu": str(spec.quotas.cpu),
            "memory": str(spec.quotas.memory),
            "storage": str(spec.quotas.storage),
            "pods": spec.quotas.pods,
        },
        "grants": [
            {
                "group": g.group,
                "scope": g.scope.value,
                "document": g.document,
                "granted_by": str(g.granted_by),
                "granted": g.granted.isoformat(),
                "expires": g.expires.isoformat(),
                "expires_at": g.expires_at.isoformat() if g.expires_at else None,
                "days_left": days_left(g.expires, today),
                "expired": days_left(g.expires, today) < 0,
            }
            for g in spec.access
        ],
        "budget": {
            "annual_cny": spec.budget.annual_cny,
            "review": None
            if review is None
            else {"reference": review.reference, "date": review.date.isoformat()},
        },
        "lifecycle": {
            "state": spec.lifecycle.state.value,
            "since": spec.lifecycle.since.isoformat() if spec.lifecycle.since else None,
        },
    }
