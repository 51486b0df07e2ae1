"""Every format carries the same findings; SARIF and JUnit are structurally valid."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from infra.policy import RULES, Finding, Severity
from infra.report import FORMATS, Summary, render

FINDINGS = [
    Finding("GC012", Severity.error, "network.cidr: overlaps reserved range 10.64.0.0/24",
            "network.cidr", RULES["GC012"].hint, "th-zwsjj", "tenants/th-zwsjj.yaml", 31),
    Finding("GC021", Severity.warning, "access[0].expires: expired | soon", "access[0].expires",
            RULES["GC021"].hint, "gd-zsj", "tenants/gd-zsj.yaml", 60),
    Finding("GC010", Severity.error, "quotas.cpu: all tenants together ask for too much",
            "quotas.cpu", RULES["GC010"].hint),
]
SUMMARY = Summary.of(FINDINGS, tenants=2, environment="local", capacity=["cpu 1 of 2 (50%)"])


def test_sarif_2_1_0_with_regions_and_rules() -> None:
    doc = json.loads(render("sarif", FINDINGS, SUMMARY))
    assert doc["version"] == "2.1.0"
    run = doc["runs"][0]
    rules = run["tool"]["driver"]["rules"]
    assert [r["id"] for r in rules] == sorted(RULES)
    first = run["results"][0]
    assert rules[first["ruleIndex"]]["id"] == first["ruleId"] == "GC012"
    location = first["locations"][0]["physicalLocation"]
    assert location == {"artifactLocation": {"uri": "tenants/th-zwsjj.yaml"},
                        "region": {"startLine": 31}}
    assert run["results"][1]["level"] == "warning"
    assert "locations" not in run["results"][2]  # fleet-wide finding


def test_junit_fails_the_files_with_errors() -> None:
    xml = render("junit", FINDINGS, SUMMARY, files=["tenants/a.yaml", "tenants/th-zwsjj.yaml"])
    suite = ET.fromstring(xml.split("\n", 1)[1]).find("testsuite")
    assert suite is not None
    assert suite.get("tests") == "4" and suite.get("failures") == "2"


def test_markdown_escapes_table_cells() -> None:
    out = render("markdown", FINDINGS, SUMMARY)
    assert out.startswith("### ❌ govcloud check")
    assert "expired \\| soon" in out and "- cpu 1 of 2 (50%)" in out


def test_text_is_coloured_only_when_asked() -> None:
    plain = render("text", FINDINGS, SUMMARY)
    assert "tenants/th-zwsjj.yaml:31: error GC012 network.cidr" in plain
    assert "\x1b[" not in plain
    assert "\x1b[31merror GC012\x1b[0m" in render("text", FINDINGS, SUMMARY, colour=True)


def test_json_round_trips() -> None:
    doc = json.loads(render("json", FINDINGS, SUMMARY))
    assert doc["summary"]["counts"] == {"error": 2, "warning": 1, "note": 0}
    assert doc["findings"][0]["name"] == "network-overlap"


def test_every_format_mentions_every_rule_id() -> None:
    for fmt in FORMATS:
        out = render(fmt, FINDINGS, SUMMARY)
        assert all(f.rule in out for f in FINDINGS), fmt
