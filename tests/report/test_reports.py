"""Every format carries the same findings: grouped for reviewers, countable for CI, numeric for
scripts."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from decimal import Decimal

from infra.policy import RULES, Finding, Severity, Usage
from infra.report import FORMATS, Summary, render

FINDINGS = [
    Finding(
        "GC025",
        Severity.note,
        "access[0].expires: expires on 2026-12-20, in 22 days",
        "access[0].expires",
        RULES["GC025"].hint,
        "th-zwsjj",
        "tenants/th-zwsjj.yaml",
        50,
    ),
    Finding(
        "GC012",
        Severity.error,
        "network.cidr: overlaps reserved range 10.64.0.0/24",
        "network.cidr",
        RULES["GC012"].hint,
        "th-zwsjj",
        "tenants/th-zwsjj.yaml",
        31,
    ),
    Finding(
        "GC021",
        Severity.warning,
        "access[0].expires: expired | soon",
        "access[0].expires",
        RULES["GC021"].hint,
        "gd-zsj",
        "tenants/gd-zsj.yaml",
        60,
    ),
    Finding(
        "GC013",
        Severity.error,
        "network.peers[0].tenant: 'gd-gat' does not declare a peering back to 'gz-gaj'",
        "network.peers[0].tenant",
        RULES["GC013"].hint,
        "gz-gaj",
        "tenants/gz-gaj.yaml",
        44,
        ("tenants/gd-gat.yaml",),
    ),
    Finding(
        "GC010",
        Severity.error,
        "quotas.cpu: all tenants together ask for too much",
        "quotas.cpu",
        RULES["GC010"].hint,
        None,
        "stacks/prod.yaml",
        9,
    ),
]
USAGE = [
    Usage("cpu", Decimal("900.5"), Decimal("768")),
    Usage("memory", Decimal(2 * 2**40), Decimal(3 * 2**40)),
]
FILES = [
    "tenants/gd-gat.yaml",
    "tenants/gd-zsj.yaml",
    "tenants/gz-gaj.yaml",
    "tenants/sz-wjw.yaml",
    "tenants/th-zwsjj.yaml",
]
SUMMARY = Summary.of(FINDINGS, tenants=5, environment="prod", capacity=USAGE, files=FILES)


def test_markdown_groups_per_tenant_worst_first_with_links() -> None:
    out = render(
        "markdown", FINDINGS, SUMMARY, link_base="https://github.com/gd-zsj/govcloud/blob/abc123"
    )
    assert out.startswith("### ❌ govcloud check")
    headings = [line for line in out.splitlines() if line.startswith("#### ")]
    assert [h.split("**")[1] for h in headings] == ["fleet totals", "gz-gaj", "th-zwsjj", "gd-zsj"]
    assert (
        "[stacks/prod.yaml](https://github.com/gd-zsj/govcloud/blob/abc123/stacks/prod.yaml)"
        in headings[0]
    )
    th = out[out.index("**th-zwsjj**") : out.index("**gd-zsj**")]
    assert th.index("GC012") < th.index("GC025")  # the error before the note
    assert (
        "[line 31](https://github.com/gd-zsj/govcloud/blob/abc123/tenants/th-zwsjj.yaml#L31)" in th
    )
    assert (
        "(involves [gd-gat](https://github.com/gd-zsj/govcloud/blob/abc123/"
        "tenants/gd-gat.yaml))" in out
    )
    assert "expired \\| soon" in out  # table cells stay intact
    # gd-gat has no finding of its own but is involved in one: not listed as clean
    assert "✅ No findings: sz-wjw\n" in out
    assert "| cpu | 900500m | 768 | 117% ❌ |" in out and "| memory | 2Ti | 3Ti | 67% |" in out


def test_markdown_links_are_relative_without_a_base() -> None:
    out = render("markdown", FINDINGS, SUMMARY)
    assert "[line 60](tenants/gd-zsj.yaml#L60)" in out


def test_junit_has_one_testcase_per_finding_and_per_clean_tenant() -> None:
    xml = render("junit", FINDINGS, SUMMARY)
    suite = ET.fromstring(xml.split("\n", 1)[1]).find("testsuite")
    assert suite is not None
    cases = suite.findall("testcase")
    assert len(cases) == len(FINDINGS) + 1 == int(suite.get("tests", ""))
    failed = [c for c in cases if c.find("failure") is not None]
    assert [c.find("failure").get("type") for c in failed] == ["GC012", "GC013", "GC010"]  # type: ignore[union-attr]
    assert suite.get("failures") == "3"
    overlap = failed[0]
    assert overlap.get("classname") == "govcloud.th-zwsjj"
    assert overlap.get("file") == "tenants/th-zwsjj.yaml" and overlap.get("line") == "31"
    assert cases[-1].get("name") == "tenants/sz-wjw.yaml: no findings"


def test_junit_fails_warnings_only_when_strict() -> None:
    strict = Summary.of(FINDINGS, tenants=5, environment="prod", strict=True)
    suite = ET.fromstring(render("junit", FINDINGS, strict).split("\n", 1)[1]).find("testsuite")
    assert suite is not None and suite.get("failures") == "4"


def test_text_is_coloured_only_when_asked() -> None:
    plain = render("text", FINDINGS, SUMMARY)
    assert "tenants/th-zwsjj.yaml:31: error GC012 network.cidr" in plain
    assert "    involves: tenants/gd-gat.yaml" in plain
    assert "\x1b[" not in plain
    assert "\x1b[31merror GC012\x1b[0m" in render("text", FINDINGS, SUMMARY, colour=True)


def test_json_has_a_format_version_and_capacity_numbers() -> None:
    doc = json.loads(render("json", FINDINGS, SUMMARY))
    assert doc["format_version"] == 1
    assert doc["summary"]["counts"] == {"error": 3, "warning": 1, "note": 1}
    assert doc["summary"]["verdict"] == "failed"
    cpu, memory = doc["summary"]["capacity"]
    assert cpu == {
        "resource": "cpu",
        "unit": "cores",
        "used": 900.5,
        "total": 768,
        "fraction": 1.1725,
        "over": True,
        "text": "cpu 900500m of 768 (117%)",
    }
    assert (memory["used"], memory["total"], memory["unit"]) == (2 * 2**40, 3 * 2**40, "bytes")
    peer = next(f for f in doc["findings"] if f["rule"] == "GC013")
    assert peer["related"] == ["tenants/gd-gat.yaml"] and peer["name"] == "network-peers"


def test_headline_counts_context_and_hidden_findings() -> None:
    focused = Summary.of([], tenants=1, environment="prod", fleet=12, hidden=3)
    assert focused.headline() == (
        "1 tenant(s) checked in a fleet of 12 against prod: passed — 0 error(s), "
        "0 warning(s), 0 note(s); 3 finding(s) about other tenants not shown"
    )
    warned = Summary.of(FINDINGS[2:3], tenants=1, environment="prod", strict=True)
    assert "FAILED" in warned.headline()


def test_every_format_mentions_every_rule_id() -> None:
    for fmt in FORMATS:
        out = render(fmt, FINDINGS, SUMMARY)
        assert all(f.rule in out for f in FINDINGS), fmt
