"""The reconciler exposes each tenant's quota use and allocation for a metrics store."""

from __future__ import annotations

from typing import Any

from prometheus_client import generate_latest

from infra.reconcile.metrics import Metrics

MANAGED = {"app.kubernetes.io/managed-by": "govcloud"}


def _quota(namespace: str, *, name: str = "govcloud-quota", **status: Any) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": namespace, "labels": MANAGED},
        "status": status,
    }


def _exposed(quotas: list[dict[str, Any]], owns: Any = lambda tenant: True) -> list[str]:
    metrics = Metrics()
    metrics.meter_quotas(lambda: quotas, owns)
    text = generate_latest(metrics.registry).decode()
    return [line for line in text.splitlines() if line.startswith("govcloud_tenant_quota")]


def test_used_and_hard_per_tenant_and_resource_in_base_units() -> None:
    lines = _exposed(
        [
            _quota(
                "gd-jyt",
                hard={"requests.cpu": "24", "requests.memory": "96Gi", "pods": "400"},
                used={"requests.cpu": "1500m", "requests.memory": "512Mi", "pods": "3"},
            )
        ]
    )
    assert 'govcloud_tenant_quota_used{resource="cpu",tenant="gd-jyt"} 1.5' in lines
    assert 'govcloud_tenant_quota_used{resource="memory",tenant="gd-jyt"} 5.36870912e+08' in lines
    assert 'govcloud_tenant_quota_used{resource="pods",tenant="gd-jyt"} 3.0' in lines
    assert 'govcloud_tenant_quota_hard{resource="cpu",tenant="gd-jyt"} 24.0' in lines


def test_only_govcloud_quotas_with_a_status_of_this_shards_tenants() -> None:
    quotas = [
        _quota("gd-jyt", name="someone-elses", used={"requests.cpu": "9"}),
        _quota("gd-rst"),  # the quota controller has not filled the status yet
        {
            "metadata": {"name": "govcloud-quota", "namespace": "x"},
            "status": {"used": {"pods": "1"}},
        },
        _quota("gd-gat", used={"requests.cpu": "2"}, hard={"requests.cpu": "128"}),
        _quota("gd-wjw", used={"requests.cpu": "1"}, hard={"requests.cpu": "48"}),
    ]
    lines = _exposed(quotas, owns=lambda tenant: tenant != "gd-wjw")
    samples = [line for line in lines if not line.startswith("#")]
    assert samples == [
        'govcloud_tenant_quota_used{resource="cpu",tenant="gd-gat"} 2.0',
        'govcloud_tenant_quota_hard{resource="cpu",tenant="gd-gat"} 128.0',
    ]
