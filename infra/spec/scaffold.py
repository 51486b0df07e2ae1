"""A new, schema-valid tenant spec with sensible defaults for its level."""

from __future__ import annotations

import datetime as dt
from typing import Any

import yaml

from .tenant import TenantSpec

__all__ = ["DEFAULT_QUOTAS", "MODELINE", "render_tenant", "scaffold_tenant"]

MODELINE = "# yaml-language-server: $schema=../schema/tenant.schema.json"
DEFAULT_QUOTAS: dict[str, dict[str, Any]] = {
    "province": {"cpu": "32", "memory": "128Gi", "storage": "10Ti", "pods": 500},
    "city": {"cpu": "16", "memory": "64Gi", "storage": "5Ti", "pods": 300},
    "county": {"cpu": "8", "memory": "32Gi", "storage": "2Ti", "pods": 150},
}


def scaffold_tenant(*, id: str, name: str, credit_code: str, level: str, division_code: str,
                    owners: list[tuple[str, str]], classification: str,
                    personal_information: str, retention_days: int | None, cidr: str,
                    shared_services: list[str], egress: str, annual_cny: int) -> TenantSpec:
    """Build and validate the spec; raises pydantic's ValidationError on bad values."""
    base = DEFAULT_QUOTAS[level]
    pods = int(base["pods"])
    data: dict[str, Any] = {
        "id": id, "name": name, "credit_code": credit_code, "level": level,
        "division_code": division_code,
        "owners": {"group": f"{id}-owners",
                   "contacts": [{"name": n, "email": e} for n, e in owners]},
        "data": {"classification": classification, "personal_information": personal_information,
                 "retention_days": retention_days,
                 "dedicated_key": classification == "core" or personal_information == "sensitive"},
        "quotas": {**base, "services": pods // 5, "config_maps": pods // 2,
                   "secrets": pods // 2, "persistent_volume_claims": pods // 10,
                   "defaults": {"requests": {"cpu": "250m", "memory": "512Mi"},
                                "limits": {"cpu": "1", "memory": "2Gi"}}},
        "network": {"cidr": cidr, "shared_services": shared_services, "peers": [],
                    "egress": egress},
        "access": [],
        "budget": {"annual_cny": annual_cny},
    }
    return TenantSpec.model_validate(data, strict=False)


def render_tenant(spec: TenantSpec, *, today: dt.date) -> str:
    data = spec.model_dump(mode="json", exclude_none=True)
    data.pop("lifecycle", None)  # active is the default
    body = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=100)
    return f"{MODELINE}\n# Requested {today.isoformat()} with `govcloud tenant new`.\n{body}"
