"""The audit report shows the time each phase took, and which tenants' cloud objects were
also read one by one (the rest judged from one listing per kind)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from infra.audit import AuditResult, render
from infra.i18n import set_language


@pytest.fixture(autouse=True)
def _language_back() -> Iterator[None]:
    yield
    set_language(None)


def _result() -> AuditResult:
    result = AuditResult("local", ["t1", "t2", "t3"])
    result.phases = {"rbac": 2.04, "probes": 5.5, "cloud": 3.25, "prowler": 40.0}
    result.cloud_sample = ["t1", "t3"]
    return result


def test_json_gives_seconds_per_phase_and_the_sample() -> None:
    data = json.loads(render(_result(), "json"))
    assert data["phases"] == {"rbac": 2.04, "probes": 5.5, "cloud": 3.25, "prowler": 40.0}
    assert data["cloud_sample"] == ["t1", "t3"]


def test_text_in_english_and_chinese() -> None:
    lines = render(_result(), "text").splitlines()
    assert (
        "  time per phase: Kubernetes RBAC matrix 2.0 s, workload probes 5.5 s, cloud 3.2 s, "
        "prowler (alongside) 40.0 s"
    ) in lines
    assert any(
        line.endswith("2 tenant(s) also read object by object and judged from those reads: t1, t3")
        for line in lines
    ), lines
    set_language("zh")
    lines = render(_result(), "text").splitlines()
    assert (
        "  各阶段用时：Kubernetes RBAC 矩阵 2.0 秒, 工作负载探测 5.5 秒, 云资源 3.2 秒, "
        "prowler（并行运行） 40.0 秒"
    ) in lines


def test_markdown_has_a_row_per_phase() -> None:
    set_language("zh")
    markdown = render(_result(), "markdown").splitlines()
    assert "| 阶段 | 秒 |" in markdown
    assert "| 网络分析 | 1.0 |" not in markdown
    assert "| 工作负载探测 | 5.5 |" in markdown


def test_without_phases_nothing_is_shown() -> None:
    plain = AuditResult("local", ["t1"])
    assert "time per phase" not in render(plain, "text")
    assert json.loads(render(plain, "json"))["phases"] == {}
