"""`govcloud check` reports every problem it can find in one run: a schema problem of one
field does not hide the rule findings of the others, and a file that does not parse does not
stop the others from being judged."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from infra.cli.main import main
from infra.spec import TenantSpec
from infra.spec.salvage import STAND_IN, STAND_IN_HIGH, replace_broken

from .helpers import ROOT, TODAY

STACKS = str(ROOT / "stacks")


def _fleet(tmp_path: Path) -> Path:
    fleet = tmp_path / "tenants"
    shutil.copytree(ROOT / "tenants", fleet)
    return fleet


def _edit(path: Path, *changes: tuple[str, str]) -> None:
    text = path.read_text(encoding="utf-8")
    for old, new in changes:
        assert old in text
        text = text.replace(old, new)
    path.write_text(text, encoding="utf-8")


def _check(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["check", *args, "--today", TODAY, "--stacks-dir", STACKS])
    out, err = capsys.readouterr()
    return code, out, err


def test_a_schema_problem_does_not_hide_the_rule_findings_of_other_fields(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jyt = _fleet(tmp_path) / "gd-jyt.yaml"
    _edit(
        jyt,
        ('  cpu: "24"', '  cpu: "２４"'),  # a full-width quota: a schema problem
        ("  egress: proxy", "  egress: 代理"),  # a Chinese term: a schema problem
        ("expires: 2027-10-07", "expires: 2026-10-09"),  # an expired grant: a rule finding
    )
    code, out, _err = _check(str(jyt), capsys=capsys)
    assert code == 2, out
    assert f"{jyt}:23: error GC001 quotas.cpu: full-width character '２'" in out
    assert f"{jyt}:42: error GC001 network.egress: '代理' is not one of none, proxy" in out
    assert f"{jyt}:49: warning GC021 access[0].expires: expired on 2026-10-09" in out
    # Nothing is said about the values that stood in for the refused ones: the default
    # limit of 2 CPUs is not "above the quota", whatever the quota stand-in was.
    assert "GC009" not in out and "GC008" not in out
    assert "FAILED — 2 error(s), 1 warning(s)" in out


def test_a_stand_in_never_hides_a_real_finding_about_a_neighbouring_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jyt = _fleet(tmp_path) / "gd-jyt.yaml"
    _edit(jyt, ('  cpu: "24"', "  cpu: 24 cores"), ("  memory: 96Gi", "  memory: 2Ti"))
    code, out, _err = _check(str(jyt), capsys=capsys)
    assert code == 2
    assert "GC001 quotas.cpu:" in out
    assert "error GC008 quotas.memory: 2Ti is above the province-level ceiling of 1Ti" in out


def test_a_broken_list_entry_keeps_the_other_entries_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    jyt = _fleet(tmp_path) / "gd-jyt.yaml"
    _edit(
        jyt,
        (
            "    expires: 2027-10-07\n",
            "    expires: 2026-10-09\n  - group: cloud-ops\n    scope: 运维\n",
        ),
    )
    code, out, _err = _check(str(jyt), capsys=capsys)
    assert code == 2
    assert f"{jyt}:51: error GC001 access[1].scope:" in out
    assert f"{jyt}:49: warning GC021 access[0].expires: expired on 2026-10-09" in out
    # The entry's own problems are schema problems; no rule judges its stand-in.
    about_it = [line for line in out.splitlines() if "access[1]" in line]
    assert about_it and all(" error GC001 " in line for line in about_it)


def test_a_yaml_error_in_one_file_lets_the_others_be_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet = _fleet(tmp_path)
    (fleet / "zz-broken.yaml").write_text("id: zz-broken\nname：坏文件\n", encoding="utf-8")
    _edit(fleet / "gd-jyt.yaml", ("expires: 2027-10-07", "expires: 2026-10-09"))
    code, out, _err = _check(str(fleet), "--format", "json", capsys=capsys)
    assert code == 2
    found = {(f["rule"], Path(f["path"]).name, f["line"]) for f in json.loads(out)["findings"]}
    assert ("GC001", "zz-broken.yaml", 2) in found
    assert ("GC021", "gd-jyt.yaml", 49) in found


def test_a_yaml_error_is_reported_beside_the_findings_in_markdown(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fleet = _fleet(tmp_path)
    (fleet / "zz-broken.yaml").write_text("id: zz-broken\n\tname: x\n", encoding="utf-8")
    _edit(fleet / "gd-jyt.yaml", ("expires: 2027-10-07", "expires: 2026-10-09"))
    out_file = tmp_path / "report.md"
    args = ["--format", "markdown", "--output", str(out_file), "--today", TODAY]
    code = main(["check", str(fleet), *args, "--stacks-dir", STACKS])
    capsys.readouterr()
    report = out_file.read_text(encoding="utf-8")
    assert code == 2
    assert "zz-broken" in report and "GC001" in report
    assert "GC021" in report and "gd-jyt" in report


@pytest.mark.parametrize("stand_in", [STAND_IN, STAND_IN_HIGH], ids=["low", "high"])
def test_the_stand_ins_are_valid_specs(stand_in: dict[str, object]) -> None:
    TenantSpec.model_validate(stand_in)


def test_replace_broken_replaces_the_entry_and_drops_unknown_fields() -> None:
    data: dict[str, Any] = {
        "quotas": {"cpu": "２４", "gpu": 1, "memory": "1Gi"},
        "access": [{"group": "a"}, {"group": "b", "scope": "运维"}],
    }
    fixed, replaced = replace_broken(
        data, [("quotas", "cpu"), ("quotas", "gpu"), ("access", 1, "scope")], STAND_IN
    )
    assert fixed["quotas"] == {"cpu": "0", "memory": "1Gi"}
    assert fixed["access"][0] == {"group": "a"}
    assert fixed["access"][1] == STAND_IN["access"][0]
    assert replaced == [("quotas", "cpu"), ("quotas", "gpu"), ("access", 1)]
    assert data["quotas"]["cpu"] == "２４"  # the input is left as it was
