"""The fleet view: specs joined with live Tenant objects, the summary's definitions, events."""

from __future__ import annotations

import datetime as dt
import functools

from infra.cli import fleet_view
from infra.spec import TenantSpec, load_tenants

from .helpers import ROOT, tenant_object


@functools.cache
def _specs() -> dict[str, TenantSpec]:
    return {t.spec.id: t.spec for t in load_tenants([ROOT / "tenants"])}


def test_without_live_state_every_file_is_a_row_with_unknown_readiness() -> None:
    rows = fleet_view.join(_specs().values(), None)
    assert [r.id for r in rows] == sorted(_specs())
    assert all(r.ready == "" and not r.deployed and r.in_files for r in rows)
    jyt = next(r for r in rows if r.id == "gd-jyt")
    assert (jyt.name, jyt.level, jyt.cidr) == ("广东省教育厅", "province", "10.64.5.0/24")


def test_live_conditions_repairs_and_last_deploy_are_joined_by_id() -> None:
    live = {
        "gd-jyt": tenant_object(
            "gd-jyt",
            ready="False",
            reason="NotAsPlanned",
            aspects={"QuotaEnforced": "False"},
            repairs=3,
        )
    }
    rows = {r.id: r for r in fleet_view.join(_specs().values(), live)}
    jyt = rows["gd-jyt"]
    assert (jyt.deployed, jyt.ready, jyt.reason, jyt.repairs) == (True, "False", "NotAsPlanned", 3)
    assert jyt.drifting == ["QuotaEnforced"] and jyt.failing
    assert jyt.last_deploy == "2026-11-28T06:00:00Z"
    assert not rows["gd-wjw"].deployed and not rows["gd-wjw"].failing


def test_a_tenant_object_without_a_file_is_listed_as_removed() -> None:
    live = {"old-dept": tenant_object("old-dept", ready="False", reason="Decommissioning")}
    rows = {r.id: r for r in fleet_view.join(_specs().values(), live)}
    old = rows["old-dept"]
    assert not old.in_files and old.name == "测试old-dept" and old.cidr == "10.64.99.0/24"
    summary = fleet_view.summarise(list(rows.values()))
    assert summary.removed == ["old-dept"] and "old-dept" in summary.decommissioning
    assert "old-dept" not in summary.failing  # its Ready=False is the decommissioning


def test_summary_counts_ready_failing_drifting_decommissioning_and_repairs() -> None:
    live = {
        "gd-jyt": tenant_object("gd-jyt", repairs=2),
        "gd-wjw": tenant_object(
            "gd-wjw",
            ready="False",
            reason="NotAsPlanned",
            aspects={"NetworkIsolated": "False"},
            repairs=1,
        ),
        "gz-wjw": tenant_object("gz-wjw", ready="False", reason="DeployFailed"),
        # Decommissioning in its file: not Ready, yet not failing either.
        "st-wglj": tenant_object("st-wglj", ready="False", reason="Decommissioning"),
    }
    summary = fleet_view.summarise(fleet_view.join(_specs().values(), live))
    assert summary.total == len(_specs())
    assert summary.ready == ["gd-jyt"]
    assert summary.failing == ["gd-wjw", "gz-wjw"]
    assert summary.drifting == ["gd-wjw"]
    assert summary.decommissioning == ["st-wglj"]
    assert len(summary.not_deployed) == len(_specs()) - 4
    assert summary.repairs == 3


def test_recent_events_are_the_tenants_own_newest_first_and_capped() -> None:
    def event(name: str, stamp: str, kind: str = "Tenant") -> dict[str, object]:
        return {
            "involvedObject": {"kind": kind, "name": name},
            "type": "Normal",
            "reason": "Repaired",
            "message": f"{name} at {stamp}",
            "lastTimestamp": stamp,
        }

    events = [event("gd-jyt", f"2026-11-28T06:{m:02d}:00Z") for m in range(15)]
    events += [
        event("gd-wjw", "2026-11-28T07:00:00Z"),
        event("gd-jyt", "2026-11-28T08:00:00Z", kind="Namespace"),
    ]
    recent = fleet_view.recent_events(events, "gd-jyt", limit=10)
    assert len(recent) == 10
    assert recent[0]["time"] == "2026-11-28T06:14:00Z"
    assert recent[-1]["time"] == "2026-11-28T06:05:00Z"
    assert all("gd-jyt" in str(e["message"]) for e in recent)


def test_spec_summary_names_grant_expiry_and_days_left() -> None:
    spec = _specs()["gd-jyt"]
    summary = fleet_view.spec_summary(spec, dt.date(2026, 11, 28))
    grant = summary["grants"][0]
    assert grant["expires"] == "2027-10-07" and grant["days_left"] == 313
    assert not grant["expired"]
    later = fleet_view.spec_summary(spec, dt.date(2027, 10, 8))
    assert later["grants"][0]["expired"] and later["grants"][0]["days_left"] == -1
    assert summary["shared_services"] == ["unified-identity"]
    assert summary["budget"]["annual_cny"] == 6200000


def test_a_spec_merged_but_not_deployed_is_out_of_date_naming_the_fields() -> None:
    from pathlib import Path

    from infra.plan.crd import tenant_resource_spec
    from infra.spec.load import load_tenants

    root = Path(__file__).resolve().parents[2]
    spec = next(t.spec for t in load_tenants([root / "tenants" / "gz-wjw.yaml"]))
    live_spec = tenant_resource_spec(spec)
    live_spec["quotas"] = {**live_spec["quotas"], "cpu": "12"}
    obj = {"metadata": {"name": spec.id}, "spec": live_spec, "status": {}}
    row = fleet_view.join([spec], {spec.id: obj})[0]
    assert row.out_of_date == ["quotas.cpu"]
    assert fleet_view.summarise([row]).out_of_date == [spec.id]
    same = fleet_view.join([spec], {spec.id: {**obj, "spec": tenant_resource_spec(spec)}})
    assert same[0].out_of_date == []


def test_a_failed_deploy_is_failing_even_if_ready_still_says_true() -> None:
    from pathlib import Path

    from infra.spec.load import load_tenants

    root = Path(__file__).resolve().parents[2]
    spec = next(t.spec for t in load_tenants([root / "tenants" / "gz-wjw.yaml"]))
    obj = {
        "metadata": {"name": spec.id},
        "status": {
            "conditions": [
                {"type": "Ready", "status": "True", "reason": "Reconciled"},
                {
                    "type": "Deployed",
                    "status": "False",
                    "reason": "DeployFailed",
                    "message": "stack local.gz-wjw failed",
                },
            ]
        },
    }
    row = fleet_view.join([spec], {spec.id: obj})[0]
    assert row.failing and row.reason == "DeployFailed"
    assert "stack local.gz-wjw failed" in row.message


def test_events_of_the_same_second_come_in_the_order_they_were_stored() -> None:
    def event(rv: str, message: str) -> dict:
        return {
            "metadata": {"resourceVersion": rv},
            "lastTimestamp": "2026-11-28T06:00:00Z",
            "involvedObject": {"kind": "Tenant", "name": "t1"},
            "reason": "Repaired",
            "message": message,
            "type": "Normal",
        }

    events = [event("105", "second"), event("99", "first"), event("1200", "third")]
    assert [e["message"] for e in fleet_view.recent_events(events, "t1")] == [
        "third",
        "second",
        "first",
    ]
