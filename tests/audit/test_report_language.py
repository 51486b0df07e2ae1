"""The audit report's headings, summary and progress in the reader's language; its JSON
keeps the English keys a program reads."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from infra.audit import AuditResult, Finding, render
from infra.cli.audit import _progress
from infra.i18n import _, set_language

LEAK = Finding("rbac", "t1 owners", "t2", "list secrets in namespace t2", "allowed")


@pytest.fixture(autouse=True)
def _language_back() -> Iterator[None]:
    yield
    set_language(None)


def _result(*findings: Finding) -> AuditResult:
    return AuditResult("local", ["t1", "t2"], findings=list(findings))


@pytest.mark.parametrize(
    ("lang", "head", "summary"),
    [
        ("en", "govcloud audit of local: no leaks", "  requests made: 0"),
        ("zh", "govcloud 审计 local：无泄漏", "  发出的请求: 0"),
    ],
)
def test_the_text_report_heads_in_each_language(lang: str, head: str, summary: str) -> None:
    set_language(lang)
    lines = render(_result(), "text").splitlines()
    assert lines[0] == head
    assert lines[1] == summary


def test_a_leak_in_chinese() -> None:
    set_language("zh")
    lines = render(_result(LEAK), "text").splitlines()
    assert lines[0] == "govcloud 审计 local：1 处泄漏，0 处偏差"
    assert "泄漏 [rbac] t1 owners -> t2: list secrets in namespace t2 (allowed)" in lines


def test_markdown_in_chinese() -> None:
    set_language("zh")
    markdown = render(_result(LEAK), "markdown").splitlines()
    assert markdown[0] == "## ❌ govcloud 审计：`local`：1 处泄漏，0 处偏差"
    assert markdown[2].startswith("已审计租户：2 个。")
    assert "### 泄漏" in markdown
    assert "| # | 类别 | 谁 / 什么 | 在哪里 | 请求或路径 | 原因 |" in markdown


def test_json_keeps_english_keys() -> None:
    set_language("zh")
    data = json.loads(render(_result(LEAK), "json"))
    assert data["summary"]["leaks"] == 1 and data["findings"][0]["kind"] == "leak"


def test_progress_lines_in_chinese(capsys: pytest.CaptureFixture[str]) -> None:
    set_language("zh")
    _progress(_("cloud: waiting for prowler"))  # as run_audit says it
    assert capsys.readouterr().err == "审计：云：等待 prowler\n"
