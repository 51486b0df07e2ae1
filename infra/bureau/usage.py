"""Use vs allocation (``--live``): each tenant's ResourceQuota ``used`` against ``hard``.

The quota objects are read through ``infra.drivers`` (any object with the KubeClient ``list``
signature will do, so unit tests pass a fake); everything after the read is pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from infra.plan.metering import QUOTA_NAME, quota_amounts
from infra.plan.names import LABEL_MANAGED_BY, MANAGED_BY
from infra.spec import TenantSpec

__all__ = ["QUOTA_NAME", "QuotaLister", "TenantUsage", "read_usage", "usage_from"]


class QuotaLister(Protocol):
    def list(
        self, api_version: str, kind: str, *, namespace: str | None = None, label_selector: str = ""
    ) -> list[dict[str, Any]]: ...


@dataclass(frozen=True)
class TenantUsage:
    tenant: str
    used: dict[str, Decimal]  # the latest reading
    hard: dict[str, Decimal]
    # The maximum recorded over the metering window, when a metrics store was read.
    highest: dict[str, Decimal] = field(default_factory=dict)

    def fraction(self, resource: str) -> float | None:
        hard = self.hard.get(resource)
        if not hard:
            return None
        return float(self.used.get(resource, Decimal(0)) / hard)

    def peak(self, resources: Sequence[str] = ("cpu", "memory")) -> float:
        """The highest use fraction among ``resources`` (0 when nothing is allocated): of the
        maximum recorded over the window when there is one, else of the latest reading."""
        return max((f for r in resources if (f := self._peak_fraction(r)) is not None), default=0.0)

    def _peak_fraction(self, resource: str) -> float | None:
        hard = self.hard.get(resource)
        if not hard:
            return None
        use = self.highest.get(resource, self.used.get(resource, Decimal(0)))
        return float(use / hard)


def usage_from(
    quotas: Sequence[Mapping[str, Any]], specs: Sequence[TenantSpec]
) -> dict[str, TenantUsage]:
    """Usage of each tenant whose namespace holds govcloud's quota object."""
    wanted = {s.id for s in specs}
    out: dict[str, TenantUsage] = {}
    for obj in quotas:
        meta = obj.get("metadata") or {}
        namespace = meta.get("namespace")
        if meta.get("name") != QUOTA_NAME or namespace not in wanted:
            continue
        status = obj.get("status") or {}
        hard = quota_amounts(status.get("hard") or (obj.get("spec") or {}).get("hard"))
        out[namespace] = TenantUsage(namespace, quota_amounts(status.get("used")), hard)
    return out


def read_usage(client: QuotaLister, specs: Sequence[TenantSpec]) -> dict[str, TenantUsage]:
    """One list call for the whole cluster (paged by the client)."""
    quotas = client.list("v1", "ResourceQuota", label_selector=f"{LABEL_MANAGED_BY}={MANAGED_BY}")
    return usage_from(quotas, specs)
