"""Use against allocation from ResourceQuota objects, and right-sizing edits."""

from __future__ import annotations

import difflib
from decimal import Decimal
from typing import Any

import pytest
import yaml

from infra.bureau import apply_resizes, plan_resizes, read_usage
from infra.bureau.usage import TenantUsage
from infra.errors import InputError
from infra.spec import LoadedTenant
from infra.spec.quantity import parse_quantity
from infra.spec.tenant import TenantSpec

GI = Decimal(2) ** 30


def _quota(
    namespace: str, used: dict[str, str], hard: dict[str, str], name: str = "govcloud-quota"
) -> dict[str, Any]:
    return {
        "metadata": {"name": name, "namespace": namespace},
        "status": {"used": used, "hard": hard},
    }


HARD = {"requests.cpu": "24", "requests.memory": "96Gi", "requests.storage": "10Ti", "pods": "400"}


class FakeCluster:
    def __init__(self, items: list[dict[str, Any]]) -> None:
        self.items = items
        self.calls: list[tuple[str, str, str | None, str]] = []

    def list(
        self, api_version: str, kind: str, *, namespace: str | None = None, label_selector: str = ""
    ) -> list[dict[str, Any]]:
        self.calls.append((api_version, kind, namespace, label_selector))
        return self.items


def test_usage_reads_used_and_hard_of_govcloud_quotas(specs: list[TenantSpec]) -> None:
    cluster = FakeCluster(
        [
            _quota(
                "gd-jyt", {"requests.cpu": "1500m", "requests.memory": "3Gi", "pods": "6"}, HARD
            ),
            _quota("gd-jyt", {"requests.cpu": "20"}, HARD, name="someone-elses"),
            _quota("not-a-tenant", {"requests.cpu": "1"}, HARD),
        ]
    )
    usage = read_usage(cluster, specs)
    assert cluster.calls == [("v1", "ResourceQuota", None, "app.kubernetes.io/managed-by=govcloud")]
    assert list(usage) == ["gd-jyt"]
    jyt = usage["gd-jyt"]
    assert jyt.used["cpu"] == Decimal("1.5") and jyt.used["memory"] == 3 * GI
    assert jyt.fraction("cpu") == 1.5 / 24 and jyt.fraction("pods") == 6 / 400
    assert jyt.peak() == 1.5 / 24  # the higher of cpu (6.25 %) and memory (3.1 %)


def _usage(tenant: str, cpu: str, memory: str) -> dict[str, TenantUsage]:
    used = {"cpu": parse_quantity(cpu), "memory": parse_quantity(memory)}
    return {tenant: TenantUsage(tenant, used, {"cpu": Decimal(24), "memory": 96 * GI})}


def test_candidates_get_use_plus_headroom_never_below_use_or_default_limits(
    specs: list[TenantSpec],
) -> None:
    fleet = {s.id: s for s in specs}
    jyt = fleet["gd-jyt"]  # cpu "24", memory 96Gi; default limits 2 CPU, 4Gi
    resizes = plan_resizes([jyt], _usage("gd-jyt", "5", "10Gi"))
    assert [(r.resource, r.current, r.proposed) for r in resizes] == [
        ("cpu", "24", "8"),  # 5 × 1.5 = 7.5, rounded up
        ("memory", "96Gi", "15Gi"),
    ]
    idle = plan_resizes([jyt], _usage("gd-jyt", "0", "0Gi"))
    assert [r.proposed for r in idle] == ["2", "4Gi"]  # one default container still fits
    busy = plan_resizes([jyt], _usage("gd-jyt", "10", "1Gi"))  # cpu at 42 %: not a candidate
    assert busy == []
    for resize in plan_resizes([jyt], _usage("gd-jyt", "7", "28Gi"), headroom=0.0):
        assert Decimal(resize.proposed.removesuffix("Gi")) >= (
            7 if resize.resource == "cpu" else 28
        )


def test_decommissioning_tenants_are_not_resized(specs: list[TenantSpec]) -> None:
    st = next(s for s in specs if s.id == "st-wglj")
    assert plan_resizes([st], _usage("st-wglj", "0", "0Gi")) == []


@pytest.fixture
def jyt(loaded: list[LoadedTenant]) -> LoadedTenant:
    return next(t for t in loaded if t.spec.id == "gd-jyt")


def test_the_edit_changes_exactly_the_quota_lines(jyt: LoadedTenant) -> None:
    resizes = plan_resizes([jyt.spec], _usage("gd-jyt", "5", "10Gi"))
    edited = apply_resizes(jyt.text, resizes, where=str(jyt.path))
    changed = [
        line
        for line in difflib.unified_diff(
            jyt.text.splitlines(), edited.splitlines(), lineterm="", n=0
        )
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changed == ['-  cpu: "24"', "-  memory: 96Gi", '+  cpu: "8"', "+  memory: 15Gi"]
    assert edited.splitlines()[:2] == jyt.text.splitlines()[:2]  # modeline and comment kept


def test_one_line_flow_style_is_edited_in_place(jyt: LoadedTenant) -> None:
    lines = jyt.text.splitlines(keepends=True)
    start = lines.index("quotas:\n")
    end = next(i for i in range(start + 1, len(lines)) if not lines[i].startswith(" "))
    quotas = yaml.safe_dump(
        yaml.safe_load("".join(lines[start:end]))["quotas"], default_flow_style=True, width=1000
    )
    flow = "".join([*lines[:start], f"quotas: {quotas}", *lines[end:]])
    resizes = plan_resizes([jyt.spec], _usage("gd-jyt", "5", "10Gi"))
    edited = apply_resizes(flow, resizes, where="gd-jyt.yaml")
    assert edited == flow.replace("cpu: '24'", "cpu: '8'", 1).replace(
        "memory: 96Gi", "memory: 15Gi", 1
    )


def test_a_value_that_is_not_one_scalar_is_refused_naming_file_and_field(jyt: LoadedTenant) -> None:
    resizes = plan_resizes([jyt.spec], _usage("gd-jyt", "5", "10Gi"))
    broken = jyt.text.replace('  cpu: "24"', "  cpu: >-\n    24")
    with pytest.raises(InputError) as caught:
        apply_resizes(broken, resizes, where="tenants/gd-jyt.yaml")
    assert "quotas.cpu" in str(caught.value) and "tenants/gd-jyt.yaml" in str(caught.value)
