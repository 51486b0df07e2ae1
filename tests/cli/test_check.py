"""`govcloud check` as users run it: exit codes, formats, one clean line per bad input."""

from __future__ import annotations

import json
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from infra.cli.main import main

from .helpers import ROOT, TODAY, govcloud

BAD = ROOT / "tests" / "fixtures" / "bad"
INVALID = ROOT / "tests" / "fixtures" / "invalid"


def test_examples_pass() -> None:
    result = govcloud("check", "tenants/", "--today", TODAY)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "12 tenant(s) checked against local: passed" in result.stdout
    assert "capacity: cpu" in result.stdout


def test_default_path_is_tenants_from_any_subdirectory() -> None:
    result = govcloud("check", "--today", TODAY, cwd=ROOT / "stacks")
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("name", sorted(p.name for p in BAD.iterdir()))
def test_bad_input_is_one_clean_line(name: str) -> None:
    result = govcloud("check", str(BAD / name), "--today", TODAY)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"govcloud: {BAD / name}")


def test_directory_and_huge_file_are_clean_errors(tmp_path: Path) -> None:
    (tmp_path / "dir.yaml").mkdir()
    with (tmp_path / "huge.yaml").open("wb") as fh:
        fh.truncate(50 * 1024 * 1024)
    result = govcloud("check", str(tmp_path), "--today", TODAY)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{tmp_path / 'dir.yaml'}: is a directory" in result.stderr
    assert f"{tmp_path / 'huge.yaml'}: file is 52,428,800 bytes" in result.stderr


def test_schema_error_names_file_line_and_field() -> None:
    case = INVALID / "GC001-unknown-field"
    result = govcloud("check", str(case), "--today", TODAY)
    assert result.returncode == 2, result.stdout + result.stderr
    assert (
        f"{case}/th-zwsjj.yaml:25: error GC001 quotas.gpu: unknown field 'gpu'; "
        "did you mean 'gpus'?"
    ) in result.stdout
    assert "FAILED — 1 error(s)" in result.stdout


def test_schema_errors_also_go_into_sarif(tmp_path: Path) -> None:
    out = tmp_path / "r.sarif"
    code = main(
        [
            "check",
            str(INVALID / "GC001-wrong-type"),
            "--format",
            "sarif",
            "--output",
            str(out),
            "--today",
            TODAY,
        ]
    )
    assert code == 2
    result = json.loads(out.read_text())["runs"][0]["results"][0]
    assert result["ruleId"] == "GC001"
    assert result["locations"][0]["physicalLocation"]["region"]["startLine"] == 24


def test_violations_exit_1_with_rule_id(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(INVALID / "GC012-reserved"), "--today", TODAY]) == 1
    out = capsys.readouterr().out
    assert "error GC012 network.cidr: overlaps reserved range 10.64.0.0/24" in out
    assert "hint:" in out and "\x1b[" not in out  # no colour when not a TTY


def test_warnings_fail_only_with_strict() -> None:
    assert main(["check", "--today", "2027-01-05"]) == 0
    assert main(["check", "--today", "2027-01-05", "--strict"]) == 1


@pytest.mark.parametrize("fmt", ["json", "sarif", "junit", "markdown"])
def test_every_format_renders(fmt: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", str(INVALID / "GC023-no-review"), "--format", fmt, "--today", TODAY]) == 1
    out = capsys.readouterr().out
    assert "GC023" in out
    if fmt in {"json", "sarif"}:
        json.loads(out)
    if fmt == "junit":
        assert ET.fromstring(out.split("\n", 1)[1]).find(".//failure") is not None


def test_unknown_environment_is_an_input_error() -> None:
    result = govcloud("check", "--env", "qa")
    assert result.returncode == 2 and "no environment 'qa'" in result.stderr


def test_bad_today_is_a_usage_error() -> None:
    result = govcloud("check", "--today", "tomorrow")
    assert result.returncode == 2 and "not a date" in result.stderr


# A named file is checked with the other specs of its directory ------------------------------


def _fleet_copy(tmp_path: Path) -> Path:
    fleet = tmp_path / "tenants"
    shutil.copytree(ROOT / "tenants", fleet)
    return fleet


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_one_file_sees_its_existing_peer() -> None:
    result = govcloud("check", "tenants/gd-gat.yaml", "--today", TODAY)  # peers with gz-gaj
    assert result.returncode == 0, result.stdout + result.stderr
    assert "GC013" not in result.stdout
    assert "1 tenant(s) checked in a fleet of 12 against local: passed" in result.stdout


def test_one_file_sees_an_overlap_with_another_tenant(tmp_path: Path) -> None:
    fleet = _fleet_copy(tmp_path)
    _edit(fleet / "gz-wjw.yaml", "cidr: 10.64.", "cidr: 10.64.2.0/24  # was 10.64.")
    result = govcloud(
        "check", str(fleet / "gz-wjw.yaml"), "--today", TODAY, "--stacks-dir", str(ROOT / "stacks")
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert (
        f"{fleet / 'gz-wjw.yaml'}:" in result.stdout
        and "error GC012 network.cidr: overlaps 10.64.2.0/24 of tenant gd-gat" in result.stdout
    )
    assert f"involves: {fleet / 'gd-gat.yaml'}" in result.stdout


def test_other_departments_notes_stay_out_of_a_files_report() -> None:
    mine = govcloud("check", "tenants/gz-wjw.yaml", "--today", TODAY)
    assert "GC025" not in mine.stdout and "sz-zwfwsjj" not in mine.stdout
    assert "1 finding(s) about other tenants not shown" in mine.stdout
    theirs = govcloud("check", "tenants/sz-zwfwsjj.yaml", "--today", TODAY)
    assert "note GC025" in theirs.stdout


def test_a_file_sees_findings_on_peers_that_name_it(tmp_path: Path) -> None:
    fleet = _fleet_copy(tmp_path)  # gz-gaj withdraws its side of the gd-gat peering
    _edit(
        fleet / "gz-gaj.yaml",
        "  peers:\n    - tenant: gd-gat\n",
        "  peers:\n    - tenant: gz-wjw\n",
    )
    result = govcloud(
        "check", str(fleet / "gz-gaj.yaml"), "--today", TODAY, "--stacks-dir", str(ROOT / "stacks")
    )
    assert result.returncode == 1
    assert (
        f"{fleet / 'gd-gat.yaml'}:44: error GC013 network.peers[0].tenant: 'gz-gaj' "
        "does not declare a peering back to 'gd-gat'"
    ) in result.stdout


def test_a_broken_neighbour_is_left_out_with_a_note(tmp_path: Path) -> None:
    fleet = _fleet_copy(tmp_path)
    (fleet / "zz-broken.yaml").write_text("id: [unclosed\n", encoding="utf-8")
    result = govcloud(
        "check", str(fleet / "gz-wjw.yaml"), "--today", TODAY, "--stacks-dir", str(ROOT / "stacks")
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr.startswith(f"govcloud: note: {fleet / 'zz-broken.yaml'} is left out")
    assert "in a fleet of 12" in result.stdout


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        cwd=repo,
        check=True,
        capture_output=True,
    )


def test_changed_since_reports_what_a_branch_touches(tmp_path: Path) -> None:
    fleet = _fleet_copy(tmp_path)
    shutil.copytree(ROOT / "stacks", tmp_path / "stacks")
    _git(tmp_path, "init", "-q", "-b", "main")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "base")
    _edit(fleet / "gz-wjw.yaml", "cidr: 10.64.", "cidr: 10.64.2.0/24  # was 10.64.")
    (fleet / "gz-gaj.yaml").unlink()  # gd-gat still peers with it
    args = ("check", "--changed-since", "main", "--today", TODAY, "--stacks-dir", "stacks")

    result = govcloud(*args, cwd=tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    out = result.stdout
    assert "tenants/gz-wjw.yaml:" in out and "GC012" in out
    assert "tenants/gd-gat.yaml:44: error GC013 network.peers[0].tenant: no tenant 'gz-gaj'" in out
    assert "GC025" not in out
    assert "1 tenant(s) checked in a fleet of 11" in out

    _edit(tmp_path / "stacks" / "local.yaml", "name: local", "name: local  # edited")
    everything = govcloud(*args, cwd=tmp_path)
    assert (
        "note GC025" in everything.stdout
        and "11 tenant(s) checked against local" in everything.stdout
    )


def test_changed_since_an_unknown_ref_is_an_input_error(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    shutil.copytree(ROOT / "tenants", tmp_path / "tenants")
    result = govcloud(
        "check", "--changed-since", "nope", "--stacks-dir", str(ROOT / "stacks"), cwd=tmp_path
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.startswith("govcloud: <input>: --changed-since: git rev-parse")


def test_json_report_of_a_run_carries_capacity_numbers(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "--format", "json", "--today", TODAY]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["format_version"] == 1
    cpu = next(c for c in doc["summary"]["capacity"] if c["resource"] == "cpu")
    assert (cpu["used"], cpu["total"], cpu["unit"]) == (472, 768, "cores")


def test_a_file_sees_the_duplicate_reported_on_its_neighbour() -> None:
    # The uniqueness rule reports the second of two files in name order; checking the first
    # still shows it, because the finding involves the first.
    case = INVALID / "GC003-duplicate-credit-code"
    result = govcloud("check", str(case / "th-copy.yaml"), "--today", TODAY)
    assert result.returncode == 1
    assert f"{case / 'th-zwsjj.yaml'}:4: error GC003 credit_code:" in result.stdout
    assert f"involves: {case / 'th-copy.yaml'}" in result.stdout
