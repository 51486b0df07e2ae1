"""Emergency accesses as the check and the report read them (`--access-file`, the JSON of
`govcloud access list --format json`), and the list's rows."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from infra.cli.access import request_rows
from infra.cli.main import main
from infra.spec.load import load_environment

from .helpers import ROOT, TODAY


def _row(tenant: str, granted: str | None, state: str = "past") -> dict[str, Any]:
    return {
        "id": f"{tenant}-ops-{(granted or 'open')[:10]}",
        "tenant": tenant,
        "scope": "ops",
        "minutes": 30,
        "reason": "INC-42 pods crashloop",
        "requester": "li@gdcloud-ops.com.cn",
        "approver": "chen@gd.gov.cn" if granted else None,
        "granted": granted or "",
        "state": state,
    }


@pytest.fixture()
def access_file(tmp_path: Path) -> Path:
    rows = [
        _row("gd-jyt", f"2026-11-{day:02d}T03:00:00Z") for day in (2, 10, 20, 27)
    ]  # four in the last 30 days: above local's warn_above (3)
    rows += [_row("gd-jyt", "2026-10-01T03:00:00Z")]  # before the check's window
    rows += [_row("gd-rst", "2026-11-27T03:00:00Z"), _row("gd-rst", None, "open")]
    path = tmp_path / "access.json"
    path.write_text(json.dumps({"environment": "local", "requests": rows}))
    return path


def test_check_warns_a_tenant_with_too_many_emergency_accesses(
    access_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--lang", "en", "check", "--today", TODAY, "--format", "json"]
    assert main([*args, "--access-file", str(access_file)]) == 0  # a warning, not a violation
    found = json.loads(capsys.readouterr().out)["findings"]
    warned = [f for f in found if f["rule"] == "GC038"]
    assert [f["tenant"] for f in warned] == ["gd-jyt"]
    assert "4 emergency accesses in the last 30 days (more than 3)" in warned[0]["message"]
    assert main([*args, "--access-file", str(access_file), "--strict"]) == 1
    capsys.readouterr()
    assert main(args) == 0  # without the file nothing is counted
    assert "GC038" not in capsys.readouterr().out


def test_a_file_that_is_not_the_lists_json_is_one_clean_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    bad = tmp_path / "access.json"
    bad.write_text(json.dumps({"requests": [{"granted": "2026-11-01T00:00:00Z"}]}))
    code = main(["--lang", "en", "check", "--today", TODAY, "--access-file", str(bad)])
    err = capsys.readouterr().err
    assert code == 2 and "requests[0]: `tenant` is missing" in err and "Traceback" not in err


def test_the_report_lists_emergency_accesses_per_tenant_in_the_period(
    access_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--lang", "en", "report", "--today", TODAY, "--since", "2026-11-01"]
    assert main([*args, "--format", "json", "--access-file", str(access_file)]) == 0
    emergency = json.loads(capsys.readouterr().out)["emergency"]
    assert emergency["per_tenant"] == {"gd-jyt": 4, "gd-rst": 1}  # October's is outside
    assert main([*args, "--access-file", str(access_file)]) == 0
    text = capsys.readouterr().out
    assert "Emergency access (break-glass)" in text and "INC-42 pods crashloop" in text
    assert main(["report", "--today", TODAY]) == 0  # the bureau reads it in Chinese
    assert "紧急访问（破窗）" in capsys.readouterr().out


def test_list_rows_put_open_first_then_active_then_past() -> None:
    env = load_environment("local", ROOT / "stacks")
    now = dt.datetime(2026, 11, 28, 2, 10, tzinfo=dt.UTC)
    person = {"username": "li@gdcloud-ops.com.cn", "groups": ["cloud-ops"]}
    approver = {"username": "chen@gd.gov.cn", "groups": ["gdzsj-approvers"]}

    def obj(
        name: str, approval: Any = None, granted: str | None = None, made: str = "01:00"
    ) -> dict[str, Any]:
        spec = {"tenant": "gd-jyt", "scope": "ops", "reason": "r", "minutes": 30}
        spec["requester"] = person
        if approval:
            spec["approval"] = approval
        status = {"phase": "Active", "grantedAt": granted} if granted else {}
        meta = {"name": name, "creationTimestamp": f"2026-11-28T{made}:00Z"}
        return {"metadata": meta, "spec": spec, "status": status}

    rows = request_rows(
        [
            obj("past", approver, "2026-11-28T01:00:00Z"),
            obj("active", approver, "2026-11-28T02:00:00Z"),
            obj("open", made="01:40"),  # within its approval window
            obj("lapsed", made="01:00"),  # nobody approved it within the hour
        ],
        env,
        now,
    )
    assert [(r["id"], r["state"]) for r in rows] == [
        ("open", "open"),
        ("active", "active"),
        ("past", "past"),
        ("lapsed", "past"),
    ]
    assert rows[3]["phase"] == "Lapsed"
    assert (
        rows[1]["expires"] == "2026-11-28T02:30:00Z" and rows[1]["approver"] == approver["username"]
    )
