"""A finding's reason in the reader's language in the text and Markdown reports; JSON and
SARIF carry it in English, as the checks wrote it; every reason a check writes has a
reading."""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.audit import AuditResult, Finding, render
from infra.audit.reasons import ANALYZER_ONLY, SHAPES, UNDECLARED_PATH, WHY, reading
from infra.i18n import _, set_language

ROOT = Path(__file__).resolve().parents[2]
CJK = re.compile(r"[\u4e00-\u9fff]")
REASON = ANALYZER_ONLY.format(reason=UNDECLARED_PATH.format(), version="v1.4.4")
LEAK = Finding("network", "gz-wjw", "gd-jyt", "gz-wjw -> gd-jyt on 5432", REASON)
ODD = Finding("cloud", "bucket b", "gz-wjw", "GetBucketPolicy", "a reason of no known shape")


@pytest.fixture(autouse=True)
def _language_back() -> Iterator[None]:
    yield
    set_language(None)


def _result() -> AuditResult:
    return AuditResult("local", ["gz-wjw", "gd-jyt"], findings=[LEAK, ODD])


def test_every_reason_shape_has_a_chinese_template_with_the_same_parts() -> None:
    set_language("zh")
    for shape in SHAPES:
        translated = _(shape.template)
        assert CJK.search(translated), shape.template
        assert sorted(re.findall(r"\{\w+\}", translated)) == sorted(
            re.findall(r"\{\w+\}", shape.template)
        ), shape.template
    assert set(WHY.values()) <= set(SHAPES)


def test_text_and_markdown_read_the_reason_in_chinese_json_and_sarif_keep_english() -> None:
    set_language("zh")
    text = render(_result(), "text")
    assert "(未声明此路径；仅由 netpol-analyzer v1.4.4 发现)" in text
    assert "(a reason of no known shape)" in text  # shown as the check wrote it
    markdown = render(_result(), "markdown")
    assert "| 未声明此路径；仅由 netpol-analyzer v1.4.4 发现 |" in markdown
    findings = json.loads(render(_result(), "json"))["findings"]
    assert [f["reason"] for f in findings] == [REASON, ODD.reason]
    sarif = render(_result(), "sarif")
    assert "no such path is declared; found by netpol-analyzer v1.4.4 only" in sarif
    set_language("en")
    assert f"({REASON})" in render(_result(), "text")
    assert (
        reading(REASON)
        == REASON
        == "no such path is declared; found by netpol-analyzer v1.4.4 only"
    )


def _reason_of(call: ast.Call) -> ast.expr | None:
    if len(call.args) > 4:
        return call.args[4]
    return next((k.value for k in call.keywords if k.arg == "reason"), None)


def test_every_reason_a_check_writes_is_of_a_known_shape() -> None:
    """A check formats a shape of infra.audit.reasons (or a translated text, or a reason
    passed on from elsewhere); a plain English literal or f-string would stay English."""
    templates = {s.template for s in SHAPES}
    odd, seen = [], 0
    for path in sorted((ROOT / "infra" / "audit").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "Finding":
                reason = _reason_of(node)
                seen += 1
                literal = isinstance(reason, ast.Constant) and reason.value not in templates
                if literal or isinstance(reason, ast.JoinedStr):
                    odd.append(f"{path.name}:{node.lineno}")
    assert seen >= 25 and odd == []
