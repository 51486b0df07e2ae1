"""The SARIF that code scanning receives validates against OASIS 2.1.0 and locates every result.

GitHub refuses a whole upload when a single result has no location, so one fleet-wide
finding (capacity) must not hide every other one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from infra.cli.check import _schema_findings
from infra.cli.main import main
from infra.errors import SpecError
from infra.policy import evaluate
from infra.policy.engine import EnvironmentFile
from infra.report import Summary, render
from infra.spec import load_environment, load_tenants

ROOT = Path(__file__).resolve().parents[2]
INVALID = ROOT / "tests" / "fixtures" / "invalid"
SCHEMA = json.loads((Path(__file__).with_name("sarif-schema-2.1.0.json")).read_text())
TODAY = dt.date(2026, 11, 28)


def _valid(document: dict[str, Any]) -> None:
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    jsonschema.Draft4Validator(SCHEMA).validate(document)


def _located(result: dict[str, Any]) -> tuple[str, int]:
    (location,) = result["locations"]
    physical = location["physicalLocation"]
    return physical["artifactLocation"]["uri"], physical["region"]["startLine"]


def test_the_schema_is_the_oasis_file() -> None:
    raw = Path(__file__).with_name("sarif-schema-2.1.0.json").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == (
        "c3b4bb2d6093897483348925aaa73af03b3e3f4bd4ca38cef26dcb4212a2682e"
    )
    assert SCHEMA["id"].startswith("https://docs.oasis-open.org/sarif/sarif/v2.1.0/")


def test_fleet_file_and_input_findings_validate_and_all_have_a_location() -> None:
    stacks = INVALID / "GC010-capacity" / "stacks"
    env = load_environment("local", stacks)
    env_file = EnvironmentFile("stacks/local.yaml", (stacks / "local.yaml").read_text())
    fleet = evaluate(load_tenants([INVALID / "GC010-capacity"]), env, TODAY, env_file=env_file)
    files = evaluate(
        load_tenants([INVALID / "GC013-one-sided-peer"]),
        load_environment("local", ROOT / "stacks"),
        TODAY,
    )
    with pytest.raises(SpecError) as caught:
        load_tenants([INVALID / "GC001-wrong-type"])
    findings = [*fleet, *files, *_schema_findings(caught.value.problems)]
    assert {f.rule for f in findings} >= {"GC010", "GC013", "GC001"}
    summary = Summary.of(findings, tenants=4, environment="local")

    document = json.loads(render("sarif", findings, summary))
    _valid(document)
    results = document["runs"][0]["results"]
    assert len(results) == len(findings)
    where = {r["ruleId"]: _located(r) for r in results}
    # capacity points at the capacity line of the environment spec
    assert where["GC010"][0] == "stacks/local.yaml"
    capacity_line = (stacks / "local.yaml").read_text().splitlines()[where["GC010"][1] - 1]
    assert capacity_line.strip().startswith(("cpu:", "memory:", "storage:"))
    assert where["GC013"][0].endswith("GC013-one-sided-peer/th-zwsjj.yaml")
    assert where["GC001"][0].endswith("GC001-wrong-type/th-zwsjj.yaml")
    assert where["GC001"][1] == 24
    peer = next(r for r in results if r["ruleId"] == "GC013")
    assert peer["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith(
        "GC013-one-sided-peer/th-peer.yaml"
    )


@pytest.mark.parametrize("case", ["GC010-capacity", "GC012-reserved", "GC001-wrong-type"])
def test_sarif_from_the_command_validates(
    case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    out = tmp_path / "r.sarif"
    stacks = INVALID / case / "stacks"
    extra = ["--stacks-dir", str(stacks.relative_to(ROOT))] if stacks.is_dir() else []
    code = main(
        [
            "check",
            str((INVALID / case).relative_to(ROOT)),
            "--format",
            "sarif",
            "--output",
            str(out),
            "--today",
            TODAY.isoformat(),
            *extra,
        ]
    )
    assert code in (1, 2)
    document = json.loads(out.read_text())
    _valid(document)
    results = document["runs"][0]["results"]
    assert results
    for result in results:
        uri, line = _located(result)
        assert (ROOT / uri).is_file() and line >= 1
