"""`govcloud tenant list`, `tenant show` and `status` over a faked live read (our own seam,
``infra.cli.live.read_live``), in a scratch checkout."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from infra.cli import live
from infra.cli.main import main
from infra.i18n import set_language
from infra.plan.conditions import COMPLIANT, condition, conditions_for, merge_conditions
from infra.plan.drift import Difference
from infra.plan.records import ACCEPTED, MISSING
from infra.reconcile.repairs import Repair

from .helpers import ROOT, TODAY, tenant_object

ENDPOINT = "https://127.0.0.1:6443"
CLOUD = "http://127.0.0.1:4566"
REACHABLE = live.CloudReach(CLOUD)
QUOTA = "ResourceQuota/gd-wjw/govcloud-quota"


@pytest.fixture
def checkout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copytree(ROOT / "tenants", tmp_path / "tenants")
    shutil.copytree(
        ROOT / "stacks",
        tmp_path / "stacks",
        ignore=shutil.ignore_patterns("Pulumi.*", "__pycache__"),
    )
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _fake(
    monkeypatch: pytest.MonkeyPatch, found: live.Live, cloud: live.CloudReach = REACHABLE
) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def read_live(env: str, **kwargs: Any) -> live.Live:
        calls.append({"env": env, **kwargs})
        return found

    monkeypatch.setattr(live, "read_live", read_live)
    monkeypatch.setattr(live, "probe_cloud", lambda env: cloud)
    return calls


Run = Callable[..., tuple[int, str, str]]


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str]) -> Run:
    def go(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return go


def _fleet() -> dict[str, dict[str, Any]]:
    return {
        "gd-jyt": tenant_object("gd-jyt", repairs=2),
        "gd-wjw": tenant_object(
            "gd-wjw",
            ready="False",
            reason="NotAsPlanned",
            aspects={"QuotaEnforced": "False"},
            repairs=1,
        ),
        "st-wglj": tenant_object("st-wglj", ready="False", reason="Decommissioning"),
    }


def test_list_joins_files_with_live_conditions(
    checkout: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _fake(monkeypatch, live.Live(ENDPOINT, _fleet()))
    code, out, err = run("tenant", "list", "--env", "local")
    assert code == 0 and err == ""
    assert calls == [{"env": "local"}]
    lines = {line.split()[0]: line for line in out.splitlines()[1:-1]}
    assert len(lines) == 12
    assert lines["gd-jyt"].split()[5:9] == ["True", "Reconciled", "2", "2026-11-28"]
    assert "NotAsPlanned" in lines["gd-wjw"] and "广东省卫生健康委员会" in lines["gd-wjw"]
    assert "not deployed" in lines["gz-wjw"]
    assert out.splitlines()[-1] == f"12 tenant(s); live state from {ENDPOINT}"


def test_list_says_the_cluster_is_unreachable_in_one_line(
    checkout: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    note = f"cluster unreachable at {ENDPOINT} (no answer); start it: govcloud localcloud up"
    _fake(monkeypatch, live.Live(ENDPOINT, note=note))
    code, out, err = run("tenant", "list")
    assert code == 0
    assert err == f"govcloud: note: {note}\n"
    assert "gd-jyt" in out and "live state unknown (cluster unreachable)" in out


def test_list_json_carries_the_rows_and_the_cluster(
    checkout: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake(monkeypatch, live.Live(ENDPOINT, _fleet()))
    code, out, _ = run("tenant", "list", "--format", "json")
    data = json.loads(out)
    assert code == 0 and data["format_version"] == 1
    assert data["cluster"] == {"endpoint": ENDPOINT, "reachable": True, "note": None}
    rows = {r["id"]: r for r in data["tenants"]}
    assert rows["gd-wjw"]["drifting"] == ["QuotaEnforced"] and rows["gd-wjw"]["failing"]
    assert rows["gd-jyt"]["repairs"] == 2 and rows["gz-wjw"]["deployed"] is False


def _deploy_log(root: Path, stack: str) -> None:
    logs = root / ".govcloud" / "deploy-logs"
    logs.mkdir(parents=True)
    (logs / f"{stack}.log").write_text("Updating (local.gd-jyt)\n")
    (logs / f"{stack}.events.jsonl").write_text(
        json.dumps({"summaryEvent": {"resourceChanges": {"same": 9, "update": 2}}})
        + "\n"
        + '{"cut short by a ki'
    )
    os.utime(logs / f"{stack}.log", (1_795_000_000, 1_795_000_000))


def test_show_has_spec_conditions_events_stack_and_last_deploy(
    checkout: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = [
        {
            "involvedObject": {"kind": "Tenant", "name": "gd-jyt"},
            "type": "Normal",
            "reason": "Repaired",
            "message": "ResourceQuota gd-jyt/quota restored",
            "lastTimestamp": "2026-11-28T06:30:00Z",
        }
    ]
    calls = _fake(monkeypatch, live.Live(ENDPOINT, _fleet(), events))
    _deploy_log(checkout, "local.gd-jyt")
    code, out, err = run("tenant", "show", "gd-jyt", "--today", TODAY)
    assert code == 0 and err == ""
    assert calls == [{"env": "local", "events": True}]
    assert "official name    广东省教育厅" in out
    assert "grants           cloud-ops ops until 2027-10-07 (313 days left" in out
    assert "shared services  unified-identity" in out
    assert "budget           6,200,000 CNY a year" in out
    assert "QuotaEnforced    True    AsPlanned" in out
    assert "last deploy      2026-11-28 06:00 UTC (Tenant status.lastDeploy)" in out
    assert "2026-11-28 06:30 UTC  Normal  Repaired         ResourceQuota gd-jyt/quota" in out
    assert (
        "local.gd-jyt: last run 2026-11-18 11:06 UTC (modification time of "
        ".govcloud/deploy-logs/local.gd-jyt.log)"
    ) in out
    assert "changes          update 2" in out


def test_show_json_for_scripts(checkout: Path, run: Run, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake(monkeypatch, live.Live(ENDPOINT, _fleet(), []))
    code, out, _ = run("tenant", "show", "gd-wjw", "--format", "json", "--today", TODAY)
    data = json.loads(out)
    assert code == 0 and data["tenant"] == "gd-wjw" and data["deployed"] is True
    kinds = {c["type"]: c["status"] for c in data["conditions"]}
    assert kinds["Ready"] == "False" and kinds["QuotaEnforced"] == "False"
    assert data["spec"]["classification"] == "important" and data["stack"] is None
    assert data["repairs"] == {"total": 1} and data["events"] == []


def test_show_an_unknown_tenant_is_a_user_mistake(
    checkout: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake(monkeypatch, live.Live(ENDPOINT, {}, []))
    code, out, err = run("tenant", "show", "gd-nope")
    assert code == 2 and out == ""
    assert err.startswith("govcloud: <input>: ID: no tenant 'gd-nope' in tenants; known: gd-gat")
    assert len(err.splitlines()) == 1


def test_show_a_tenant_only_in_the_cluster(
    checkout: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake(monkeypatch, live.Live(ENDPOINT, {"old-dept": tenant_object("old-dept")}, []))
    code, out, _ = run("tenant", "show", "old-dept")
    assert code == 0
    assert out.startswith("old-dept  (no file: only in the cluster)")
    assert "Ready            True    Reconciled" in out


def test_status_summarises_the_fleet(
    checkout: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake(monkeypatch, live.Live(ENDPOINT, _fleet()))
    code, out, _ = run("status", "--env", "local")
    assert code == 0
    assert out.splitlines() == [
        f"env local, live state from {ENDPOINT}",
        "  tenants          12",
        "  ready            1",
        "  failing          1: gd-wjw (NotAsPlanned)",
        "  drifting         1: gd-wjw (QuotaEnforced)",
        "  decommissioning  1: st-wglj",
        "  not deployed     9: gd-gat, gd-rst, gd-zsj, gz-gaj, gz-wjw, gz-zwsjj, nh-wsjkj, "
        "sz-zwfwsjj, +1 more",
        "  repairs          3 in total",
    ]


def test_status_json_and_an_unreachable_cluster(
    checkout: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake(monkeypatch, live.Live(ENDPOINT, _fleet()))
    code, out, _ = run("status", "--format", "json")
    summary = json.loads(out)["summary"]
    assert code == 0 and summary["ready"] == ["gd-jyt"] and summary["repairs"] == 3
    _fake(monkeypatch, live.Live(ENDPOINT, note="cluster unreachable at x (no answer); y"))
    code, out, err = run("status")
    assert code == 1
    assert out.splitlines() == [  # the endpoint in the first line, said once
        "env local: live state unknown: cluster unreachable at x (no answer); y",
        "  12 tenant(s) in files; every one Unknown until the API server answers",
    ]
    assert err == ""
    code, out, _ = run("status", "--format", "json")
    data = json.loads(out)
    assert code == 1 and data["summary"] is None
    assert {(t["ready"], t["reason"]) for t in data["tenants"]} == {
        ("Unknown", "APIServerUnreachable")
    }  # never silently True, nor "not deployed"


def test_status_names_a_lost_cloud_endpoint_first_and_unknown_tenants(
    checkout: Path, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    fleet = {
        name: tenant_object(
            name, ready="Unknown", reason="CloudUnreachable", aspects={"CloudGuardrails": "Unknown"}
        )
        for name in ("gd-jyt", "gd-wjw")
    }
    _fake(monkeypatch, live.Live(ENDPOINT, fleet), live.CloudReach(CLOUD, "connection refused"))
    code, out, _ = run("status", "--env", "local")
    lines = out.splitlines()
    assert code == 0
    assert lines[:2] == [
        f"env local: cloud endpoint {CLOUD} cannot be reached (connection refused); start "
        "it: govcloud localcloud up",
        f"env local, live state from {ENDPOINT}",
    ]
    assert "  unknown          2: gd-jyt (CloudUnreachable), gd-wjw (CloudUnreachable)" in lines
    assert "  failing          0" in lines and "  drifting         0" in lines
    code, out, _ = run("status", "--env", "local", "--format", "json")
    data = json.loads(out)
    assert data["cloud"] == {"endpoint": CLOUD, "reachable": False, "note": "connection refused"}
    assert data["summary"]["unknown"] == ["gd-jyt", "gd-wjw"]


@pytest.fixture
def language_back() -> Iterator[None]:
    """``--lang`` sets the language for the process: later tests read it from the locale."""
    yield
    set_language(None)


def _recorded() -> dict[str, dict[str, Any]]:
    """gd-wjw as the reconciler leaves it when a quota edit did not hold: its conditions made
    by the reconciler's own functions (stored English)."""
    obj = tenant_object("gd-wjw", repairs=1)
    drift = [Difference(QUOTA, "quota", "changed", ".spec.hard.pods", "50", "80")]
    conditions = conditions_for(drift, generation=1)
    conditions.append(condition(COMPLIANT, True, "Accepted", ACCEPTED.format(), 1))
    obj["status"]["conditions"] = merge_conditions(
        [], conditions, dt.datetime(2026, 11, 28, 6, 1, tzinfo=dt.UTC)
    )
    return {"gd-wjw": obj}


def _recorded_events() -> list[dict[str, Any]]:
    repair = Repair(QUOTA, "quota", "recreated", MISSING.format(), "as planned")
    return [
        {
            "involvedObject": {"kind": "Tenant", "name": "gd-wjw"},
            "type": "Normal",
            "reason": repair.event_reason,
            "message": repair.describe(),
            "lastTimestamp": "2026-11-28T06:30:00Z",
        },
        {
            "involvedObject": {"kind": "Tenant", "name": "gd-wjw"},
            "type": "Normal",
            "reason": "HandWritten",
            "message": "quota raised by hand; see ticket 42",
            "lastTimestamp": "2026-11-28T06:20:00Z",
        },
    ]


def test_show_reads_stored_conditions_and_events_in_the_readers_language(
    checkout: Path, run: Run, monkeypatch: pytest.MonkeyPatch, language_back: None
) -> None:
    _fake(monkeypatch, live.Live(ENDPOINT, _recorded(), _recorded_events()))
    code, out, _ = run("tenant", "show", "gd-wjw", "--today", TODAY, "--lang", "zh")
    assert code == 0
    rows = {line.split()[0]: line.split(None, 6) for line in out.splitlines() if "UTC" in line}
    assert rows["就绪"][1:3] == ["False", "与计划不符"]
    assert rows["就绪"][6] == "与计划不符：配额生效"
    assert rows["配额生效"][2] == "已漂移"
    assert rows["配额生效"][6] == f'{QUOTA}.spec.hard.pods："80"（计划："50"）'
    assert rows["网络隔离"][2:] == [
        "符合计划",
        "2026-11-28",
        "06:01",
        "UTC",
        "观测到的状态与计划一致",
    ]
    assert rows["合规"][6] == "租户定义通过合规规则"
    assert f"已修复{' ' * 11}已重建 {QUOTA}：缺失 → 符合计划" in out  # 16 columns wide
    # An Event of no known reason or shape: shown as stored.
    assert "HandWritten      quota raised by hand; see ticket 42" in out
    assert "observed state" not in out and "not as planned" not in out

    code, out, _ = run("tenant", "show", "gd-wjw", "--today", TODAY, "--lang", "en")
    assert code == 0
    assert "Ready            False   NotAsPlanned" in out
    assert "not as planned: QuotaEnforced" in out
    assert f'{QUOTA}.spec.hard.pods: "80" (plan: "50")' in out
    assert "the spec passes the compliance rules" in out
    assert f"Repaired         recreated {QUOTA}: missing → as planned" in out
    code, out, _ = run("tenant", "show", "gd-wjw", "--format", "json", "--lang", "zh")
    shown = json.loads(out)  # what scripts read: the records as stored
    ready = next(c for c in shown["conditions"] if c["type"] == "Ready")
    assert (ready["reason"], ready["message"]) == ("NotAsPlanned", "not as planned: QuotaEnforced")
    assert shown["events"][0]["message"] == f"recreated {QUOTA}: missing → as planned"


def test_status_names_reasons_and_aspects_in_the_readers_language(
    checkout: Path, run: Run, monkeypatch: pytest.MonkeyPatch, language_back: None
) -> None:
    fleet = {**_fleet(), **_recorded()}
    fleet["gd-jyt"] = tenant_object(
        "gd-jyt", ready="Unknown", reason="CloudUnreachable", aspects={"CloudGuardrails": "Unknown"}
    )
    _fake(monkeypatch, live.Live(ENDPOINT, fleet))
    code, out, _ = run("status", "--env", "local", "--lang", "zh")
    assert code == 0
    assert "1: gd-wjw (与计划不符)" in out and "1: gd-wjw (配额生效)" in out
    assert "1: gd-jyt (云端点不可达)" in out
    assert "NotAsPlanned" not in out and "QuotaEnforced" not in out
    code, out, _ = run("status", "--env", "local", "--lang", "en")
    assert "1: gd-wjw (NotAsPlanned)" in out and "1: gd-wjw (QuotaEnforced)" in out
    assert "1: gd-jyt (CloudUnreachable)" in out
    code, out, _ = run("tenant", "list", "--lang", "zh")
    lines = {line.split()[0]: line for line in out.splitlines()[1:-1]}
    assert "与计划不符" in lines["gd-wjw"] and "云端点不可达" in lines["gd-jyt"]
