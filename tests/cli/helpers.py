"""Running the real `govcloud` command in a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
TODAY = "2026-11-28"


def govcloud(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "infra.cli.main", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def tenant_object(
    name: str,
    *,
    ready: str = "True",
    reason: str = "Reconciled",
    aspects: dict[str, str] | None = None,
    repairs: int = 0,
    last_deploy: str | None = "2026-11-28T06:00:00Z",
    lifecycle: str = "active",
) -> dict[str, Any]:
    """A live Tenant object as the reconciler and deploy leave it (status conditions in the
    metav1 Condition shape, repair counters, lastDeploy)."""
    aspects = aspects or {}
    conditions = [
        {
            "type": "Ready",
            "status": ready,
            "reason": reason,
            "message": "observed state matches the plan" if ready == "True" else "not as planned",
            "lastTransitionTime": "2026-11-28T06:01:00Z",
        }
    ]
    for kind in ("QuotaEnforced", "NetworkIsolated", "AccessCompliant", "CloudGuardrails"):
        state = aspects.get(kind, "True")
        conditions.append(
            {
                "type": kind,
                "status": state,
                "reason": "AsPlanned" if state == "True" else "Drifted",
                "message": "",
                "lastTransitionTime": "2026-11-28T06:01:00Z",
            }
        )
    status: dict[str, Any] = {
        "conditions": conditions,
        "repairs": {"total": repairs} if repairs else {},
    }
    if last_deploy:
        status["lastDeploy"] = last_deploy
    spec: dict[str, Any] = {
        "id": name,
        "name": f"测试{name}",
        "level": "city",
        "data": {"classification": "general"},
        "network": {"cidr": "10.64.99.0/24"},
        "lifecycle": {"state": lifecycle},
    }
    path = ROOT / "tenants" / f"{name}.yaml"
    if path.is_file():  # deployed as it is in its file (not out of date)
        from infra.plan.crd import tenant_resource_spec
        from infra.spec import load_tenants

        spec = tenant_resource_spec(load_tenants([path])[0].spec)
        if lifecycle != "active":
            spec["lifecycle"] = {**spec["lifecycle"], "state": lifecycle}
    return {
        "apiVersion": "govcloud.gd.gov.cn/v1alpha1",
        "kind": "Tenant",
        "metadata": {"name": name, "generation": 1},
        "spec": spec,
        "status": status,
    }
