"""`govcloud check` as users run it: exit codes, formats, one clean line per bad input."""

from __future__ import annotations

import json
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
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"govcloud: {case}/th-zwsjj.yaml:25: quotas.gpu: unknown field "
        "(check the spelling; see schema/*.schema.json)")


def test_schema_errors_also_go_into_sarif(tmp_path: Path) -> None:
    out = tmp_path / "r.sarif"
    code = main(["check", str(INVALID / "GC001-wrong-type"), "--format", "sarif",
                 "--output", str(out), "--today", TODAY])
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
    assert main(["check", str(INVALID / "GC023-no-review"), "--format", fmt,
                 "--today", TODAY]) == 1
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
