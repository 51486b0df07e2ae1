"""Use against allocation from ResourceQuota objects, right-sizing from recorded use, and
the edits."""

from __future__ import annotations

import datetime as dt
import difflib
from decimal import Decimal
from typing import Any

import pytest
import yaml

from infra.bureau import Metering, ObservedUse, apply_resizes, plan_resizes, read_usage
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


NOW = dt.datetime(2026, 11, 28, 12, tzinfo=dt.UTC)
WINDOW = dt.timedelta(days=14)


def _usage(
    tenant: str,
    cpu: str,
    memory: str,
    *,
    peak: tuple[str, str] | None = None,
    history: dt.timedelta = dt.timedelta(days=15),
) -> Metering:
    """Recorded use: p95 ``cpu``/``memory`` (and the same peak unless given) over
    ``history``."""
    high = {"cpu": parse_quantity(cpu), "memory": parse_quantity(memory)}
    top = {"cpu": parse_quantity(peak[0]), "memory": parse_quantity(peak[1])} if peak else high
    use = ObservedUse(tenant, NOW - history, high, top)
    return Metering(NOW, WINDOW, 0.95, {tenant: use})


def test_candidates_get_p95_plus_headroom_never_below_use_or_default_limits(
    specs: list[TenantSpec],
) -> None:
    fleet = {s.id: s for s in specs}
    jyt = fleet["gd-jyt"]  # cpu "24", memory 96Gi; default limits 2 CPU, 4Gi
    resizes = plan_resizes([jyt], _usage("gd-jyt", "5", "10Gi")).resizes
    assert [(r.resource, r.current, r.proposed) for r in resizes] == [
        ("cpu", "24", "8"),  # 5 × 1.5 = 7.5, rounded up
        ("memory", "96Gi", "15Gi"),
    ]
    idle = plan_resizes([jyt], _usage("gd-jyt", "0", "0Gi")).resizes
    assert [r.proposed for r in idle] == ["2", "4Gi"]  # one default container still fits
    busy = plan_resizes([jyt], _usage("gd-jyt", "10", "1Gi")).resizes  # cpu at 42 %: kept
    assert busy == []
    for resize in plan_resizes([jyt], _usage("gd-jyt", "7", "28Gi"), headroom=0.0).resizes:
        assert Decimal(resize.proposed.removesuffix("Gi")) >= (
            7 if resize.resource == "cpu" else 28
        )


def test_decommissioning_tenants_are_not_resized(specs: list[TenantSpec]) -> None:
    st = next(s for s in specs if s.id == "st-wglj")
    assert plan_resizes([st], _usage("st-wglj", "0", "0Gi")).resizes == []


@pytest.fixture
def jyt(loaded: list[LoadedTenant]) -> LoadedTenant:
    return next(t for t in loaded if t.spec.id == "gd-jyt")


def test_the_edit_changes_exactly_the_quota_lines(jyt: LoadedTenant) -> None:
    resizes = plan_resizes([jyt.spec], _usage("gd-jyt", "5", "10Gi")).resizes
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
    resizes = plan_resizes([jyt.spec], _usage("gd-jyt", "5", "10Gi")).resizes
    edited = apply_resizes(flow, resizes, where="gd-jyt.yaml")
    assert edited == flow.replace("cpu: '24'", "cpu: '8'", 1).replace(
        "memory: 96Gi", "memory: 15Gi", 1
    )


def test_a_value_that_is_not_one_scalar_is_refused_naming_file_and_field(jyt: LoadedTenant) -> None:
    resizes = plan_resizes([jyt.spec], _usage("gd-jyt", "5", "10Gi")).resizes
    broken = jyt.text.replace('  cpu: "24"', "  cpu: >-\n    24")
    with pytest.raises(InputError) as caught:
        apply_resizes(broken, resizes, where="tenants/gd-jyt.yaml")
    assert "quotas.cpu" in str(caught.value) and "tenants/gd-jyt.yaml" in str(caught.value)


def test_a_cut_never_goes_below_the_observed_peak(specs: list[TenantSpec]) -> None:
    jyt = next(s for s in specs if s.id == "gd-jyt")  # cpu "24"
    # p95 2 cores (× 1.5 = 3) but the window's peak was 6: the quota keeps room for 6
    resizes = plan_resizes([jyt], _usage("gd-jyt", "2", "4Gi", peak=("6", "20Gi"))).resizes
    assert {r.resource: r.proposed for r in resizes} == {"cpu": "6", "memory": "20Gi"}
    assert {r.resource: r.fraction for r in resizes} == {"cpu": 6 / 24, "memory": 20 / 96}


def test_a_peak_above_the_threshold_keeps_the_quota_whatever_the_percentile(
    specs: list[TenantSpec],
) -> None:
    jyt = next(s for s in specs if s.id == "gd-jyt")
    spiky = _usage("gd-jyt", "1", "1Gi", peak=("12", "1Gi"))  # one burst to half the quota
    assert plan_resizes([jyt], spiky).resizes == []


@pytest.mark.parametrize(
    "history",
    [dt.timedelta(0), dt.timedelta(minutes=7), dt.timedelta(days=3), dt.timedelta(hours=322)],
)
def test_less_history_than_the_window_proposes_nothing_and_says_how_much(
    specs: list[TenantSpec], history: dt.timedelta
) -> None:
    jyt = next(s for s in specs if s.id == "gd-jyt")
    plan = plan_resizes([jyt], _usage("gd-jyt", "0", "0Gi", history=history))
    assert plan.resizes == []
    assert [(s.tenant, s.observed) for s in plan.short] == [("gd-jyt", history)]
    assert plan.window == WINDOW


def test_a_tenant_the_store_never_heard_of_has_no_history(specs: list[TenantSpec]) -> None:
    plan = plan_resizes(specs, Metering(NOW, WINDOW, 0.95, {}))
    assert plan.resizes == []
    active = [s.id for s in specs if s.lifecycle.state.value == "active"]
    assert sorted(s.tenant for s in plan.short) == sorted(active)
    assert {s.observed for s in plan.short} == {dt.timedelta(0)}


def test_the_window_is_met_to_within_the_step_the_start_is_located_by(
    specs: list[TenantSpec],
) -> None:
    jyt = next(s for s in specs if s.id == "gd-jyt")
    # the history's start is found on an hourly grid: 14 days less a few minutes is a window
    nearly = _usage("gd-jyt", "5", "10Gi", history=WINDOW - dt.timedelta(minutes=40))
    assert plan_resizes([jyt], nearly).short == []
    assert [r.proposed for r in plan_resizes([jyt], nearly).resizes] == ["8", "15Gi"]


def test_no_reading_is_never_enough_however_short_the_window(specs: list[TenantSpec]) -> None:
    jyt = next(s for s in specs if s.id == "gd-jyt")
    for window in (dt.timedelta(minutes=30), dt.timedelta(hours=2), WINDOW):
        plan = plan_resizes([jyt], Metering(NOW, window, 0.95, {}))
        assert plan.resizes == [] and [s.tenant for s in plan.short] == ["gd-jyt"]
    young = ObservedUse("gd-jyt", NOW - dt.timedelta(minutes=20), {}, {})
    half_hour = Metering(NOW, dt.timedelta(minutes=30), 0.95, {"gd-jyt": young})
    assert plan_resizes([jyt], half_hour).resizes == []
