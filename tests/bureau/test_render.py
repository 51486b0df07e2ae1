"""The three renderings of the bureau's report say the same things."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Iterator
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from infra.bureau import BureauReport, Metering, ObservedUse, build_report
from infra.bureau.blocks import Table
from infra.bureau.charts import Bar, bar_chart, bar_figure, chart_style, cjk_font
from infra.bureau.checks import AuditSummary, DriftSummary
from infra.bureau.document import blocks
from infra.bureau.render_html import render_html
from infra.bureau.render_json import render_json
from infra.bureau.render_md import render_markdown
from infra.bureau.usage import TenantUsage
from infra.i18n import set_language
from infra.spec.environment import EnvironmentSpec
from infra.spec.git import SharingHistory
from infra.spec.tenant import TenantSpec

from .conftest import ROOT, TODAY

GI = Decimal(2) ** 30


@pytest.fixture(scope="module")
def report(specs: list[TenantSpec], env: EnvironmentSpec) -> BureauReport:
    usage = {
        "gd-jyt": TenantUsage(
            "gd-jyt", {"cpu": Decimal(1), "memory": 2 * GI}, {"cpu": Decimal(24), "memory": 96 * GI}
        ),
        "gd-gat": TenantUsage(
            "gd-gat",
            {"cpu": Decimal(100), "memory": 400 * GI},
            {"cpu": Decimal(128), "memory": 512 * GI},
        ),
    }
    now = dt.datetime(2026, 11, 28, 12, tzinfo=dt.UTC)
    fortnight = dt.timedelta(days=14)
    recorded = {  # a full window for both, peaks as the latest readings; nothing for the rest
        t: ObservedUse(t, now - dt.timedelta(days=20), u.used, u.used) for t, u in usage.items()
    }
    mean_use = {"gd-jyt": {"cpu": Decimal(1), "memory": 2 * GI}}
    return build_report(
        specs,
        env,
        today=TODAY,
        history=SharingHistory(),
        usage=usage,
        metering=Metering(now, fortnight, 0.95, recorded),
        mean_use=mean_use,
        # one of gz-zwsjj's two approved shares was verified live four days after its request
        verified={("gz-zwsjj", "gd-rst", "insured-stats"): dt.date(2026, 11, 20)},
    )


@pytest.fixture
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language(None)


@pytest.fixture
def chinese() -> Iterator[None]:
    set_language("zh")
    yield
    set_language(None)


def test_markdown_has_every_section_with_tables_and_mermaid(
    report: BureauReport, english: None
) -> None:
    md = render_markdown(report)
    for heading in (
        "## Summary",
        "## Capacity",
        "### By level",
        "### By prefecture-level city",
        "### Ten largest consumers",
        "## Cost against budget",
        "## Use against allocation",
        "### Right-sizing candidates",
        "### Grants expiring within 30 days",
        "### Decommissioning",
        "## 数据需求满足率",
        "### Pending requests",
    ):
        assert heading in md
    assert md.index("## Summary") < md.index("## Capacity")  # the summary comes first
    assert "| Province-wide | 472 / 768 (61%) |" in md
    assert "| 广州市 (440100) | 128 / 768 (17%) |" in md
    assert "| gd-jyt | CPU | 24 | 2 | 4% |" in md  # right-sized to its default limit
    assert "gd-gat | CPU" not in md  # 78 % used: not a candidate
    assert "metered cost (CNY/yr)" in md
    assert "Not judged yet (less than 14 days of recorded use" in md
    assert "| sz-zwfwsjj | cloud-ops | ops | 粤政数授〔2026〕9号 | 蔡明辉（处长）" in md
    assert "| st-wglj | 汕头市文化广电旅游体育局 | 2026-09-01 | 2029-08-31 |" in md
    # the pending request's age counts from its `requested` date in the spec
    assert "| gd-rst | gz-zwsjj | 社会保险参保缴费信息 | 2026-10-18 | 41 |" in md
    blocks = re.findall(r"```mermaid\n(.*?)```", md, re.S)
    assert any(b.startswith("pie showData title CPU allocated by city") for b in blocks)
    assert any(b.startswith("xychart-beta") for b in blocks)


def _summary(md: str) -> dict[str, str]:
    section = md.split("\n## ", 2)[1]
    rows = re.findall(r"^\| (.+?) \| (.+?) \|$", section, re.M)
    return {label.strip("*"): value for label, value in rows[1:]}


def test_the_summary_states_each_figure_or_says_it_is_not_available(
    report: BureauReport, english: None
) -> None:
    md = render_markdown(report)
    summary = _summary(md)
    assert summary["Capacity allocated"] == (
        "CPU 61%, memory 61%, storage 50% of capacity × overcommit"
    )
    # gd-jyt 1 + gd-gat 100 CPUs in use of 768; 2 + 400 GiB of 3 TiB
    assert summary["Capacity in use"] == "CPU 13%, memory 13% of capacity × overcommit (live)"
    assert summary["Cost against budget"].startswith("4,219,920 CNY a year against budgets of")
    assert summary["数据需求满足率 (data requests satisfied)"] == (
        "50% (4 of 8 received 2025-11-28 – 2026-11-28); 4 pending, the oldest 88 days"
    )
    assert summary["Authorizations expiring within 30 days"] == (
        "**1**: sz-zwfwsjj cloud-ops (2026-12-20)"
    )
    assert summary["Tenants to reclaim or destroy"] == (
        "1 decommissioning; quota to reclaim from 1 tenant(s): gd-jyt"
    )
    assert summary["Drift (last reconcile)"].startswith("not available: pass `--drift-file`")
    assert summary["Leaks (last audit)"].startswith("not available: pass `--audit-file`")
    # what "satisfied" and a request's age mean is on the page, under the figures
    assert "**数据需求满足率**: of the data requests received in the period" in md
    assert "**Age of a request**: whole days from the `requested` date" in md


def test_the_summary_shows_the_last_drift_and_audit(
    specs: list[TenantSpec], env: EnvironmentSpec, english: None
) -> None:
    drift = DriftSummary("drift.json", 12, ["gd-gat", "gd-jyt"], complete=False)
    audit = AuditSummary("audit.json", 11, leaks=2, deviations=0, complete=True)
    report = build_report(
        specs, env, today=TODAY, history=SharingHistory(), drift=drift, audit=audit
    )
    summary = _summary(render_markdown(report))
    assert summary["Drift (last reconcile)"] == (
        "2 of 12 tenants drift: gd-gat, gd-jyt; incomplete: some tenants could not be "
        "checked — from drift.json"
    )
    assert summary["Leaks (last audit)"] == (
        "2 leak(s), 0 deviation(s) in 11 tenants — from audit.json"
    )
    assert summary["Capacity in use"].startswith("not available: run with `--live`")


def test_the_report_is_in_chinese(report: BureauReport, chinese: None) -> None:
    md = render_markdown(report)
    assert md.startswith("# govcloud 报告 — local，2026-11-28")
    for heading in (
        "## 摘要",
        "## 容量",
        "## 费用与预算",
        "## 授权与生命周期",
        "## 数据需求满足率",
    ):
        assert heading in md
    assert "| 租户 | 名称 | 年费用（元） | 按用量计费（元/年） | 预算（元） | 占预算 |" in md
    assert "**需求时长**：从需求方配置中的 `requested` 日期到报告日期" in md
    page = render_html(report)
    assert '<html lang="zh-CN">' in page and '<h2 id="summary">摘要</h2>' in page


def _tables(report: BureauReport) -> list[Table]:
    return [b for b in blocks(report) if isinstance(b, Table)]


@pytest.mark.parametrize("language", ["en", "zh"])
def test_no_table_has_an_empty_column_or_header(report: BureauReport, language: str) -> None:
    set_language(language)
    try:
        tables = _tables(report)
    finally:
        set_language(None)
    assert len(tables) > 8
    for table in tables:
        assert all(h.strip() for h in table.header), table.header
        for i, name in enumerate(table.header):
            assert any(row[i].strip() for row in table.rows), (name, table.header)


def test_an_empty_column_would_be_caught() -> None:
    table = Table(["tenant", ""], [["gd-jyt", ""]])
    with pytest.raises(AssertionError):
        assert all(h.strip() for h in table.header)


def test_json_has_every_row_and_numbers(report: BureauReport) -> None:
    data = json.loads(render_json(report))
    assert data["tenants"] == 12 and data["today"] == "2026-11-28"
    cpu = data["capacity"]["total"][0]
    assert (cpu["resource"], cpu["allocated"], cpu["available"]) == ("cpu", 472, 768)
    assert len(data["cost"]["lines"]) == 12
    assert [c["tenant"] for c in data["usage"]["candidates"]] == ["gd-jyt", "gd-jyt"]
    assert data["sharing"]["province"]["received"] == 8
    rst = next(p for p in data["sharing"]["providers"] if p["provider"] == "gd-rst")
    # gd-rst: the verified share and three pending (two peering-era requests, one share)
    assert (rst["received"], rst["satisfied"], rst["pending"]) == (4, 1, 3)
    # metered cost beside the quotas' cost: mean use over the window at the same prices
    assert data["cost"]["metered_period"] == 14 * 86400
    jyt = next(line for line in data["cost"]["lines"] if line["tenant"] == "gd-jyt")
    assert jyt["metered"]["cpu"] == 1 * 180 * 12 and jyt["metered"]["memory"] == 2 * 45 * 12
    assert jyt["metered"]["buckets"] == jyt["cost"]["buckets"]
    assert {lv["level"] for lv in data["cost"]["levels"]} == {"province", "city", "county"}
    assert data["access"]["offboarding"][0]["retention_ends"] == "2029-08-31"


def _svgs(page: str) -> list[str]:
    return [
        base64.b64decode(m).decode()
        for m in re.findall(r'src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"', page)
    ]


def test_html_is_self_contained_with_one_svg_per_chart(report: BureauReport) -> None:
    page = render_html(report)
    assert page.startswith("<!DOCTYPE html>") and '<meta charset="utf-8">' in page
    assert not re.search(r'(src|href)="(https?:)?//', page)  # nothing fetched at view time
    assert "<script" not in page
    charts = re.findall(r'<figure class="chart" data-chart="(\w+)">', page)
    assert charts == ["capacity", "cities", "cost", "usage", "sharing"]
    svgs = _svgs(page)
    assert len(svgs) == len(charts)
    for svg in svgs:
        assert svg.lstrip().startswith("<?xml") and "<path" in svg
        assert "<text" not in svg  # glyphs are outlines: no font needed to view


def test_chinese_labels_are_drawn_with_the_packaged_cjk_font() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)"
        svg = bar_chart([Bar("广东省人力资源和社会保障厅", 0.5)])
    assert svg.count("<path") > 20
    from matplotlib import font_manager

    found = Path(font_manager.findfont(cjk_font(), fallback_to_default=False))
    package = Path(str(resources.files("noto_cjk_sans_otc")))
    assert found.is_relative_to(package)  # never a copy the machine happens to have


# A fresh machine: matplotlib's cache directory is empty and it knows no font but its own
# (DejaVu); the report is rendered in Chinese and every glyph warning is collected. The same
# chart drawn with matplotlib's own fonts only must warn, or the check proves nothing.
_FRESH_MACHINE = """
import sys, warnings, matplotlib, matplotlib.font_manager as fm
own = matplotlib.get_data_path()
fm.fontManager.ttflist = [f for f in fm.fontManager.ttflist if f.fname.startswith(own)]
fm.fontManager._findfont_cached.cache_clear()
assert not [f.name for f in fm.fontManager.ttflist if "CJK" in f.name]
from infra.cli.main import main
with warnings.catch_warnings(record=True) as seen:
    warnings.simplefilter("always")
    code = main(["--lang", "zh", "report", "--today", "2026-11-28", "--format", "html",
                 "--output", sys.argv[1]])
    glyphs = [str(w.message) for w in seen if "missing from font" in str(w.message)]
    from matplotlib import rc_context
    from infra.bureau.charts import Bar, bar_figure
    with rc_context({"font.family": ["DejaVu Sans"]}):
        bar_figure([Bar("广州市", 0.5)]).savefig(sys.argv[1] + ".svg", format="svg")
    control = [str(w.message) for w in seen if "missing from font" in str(w.message)]
print(code, len(glyphs), len(control) - len(glyphs))
print(*glyphs[:5], sep=chr(10))
"""


def test_a_fresh_machine_draws_every_chinese_glyph(tmp_path: Path) -> None:
    cache = tmp_path / "mplconfig"
    cache.mkdir()
    env = {**os.environ, "MPLCONFIGDIR": str(cache)}
    page = tmp_path / "report.html"
    result = subprocess.run(
        [sys.executable, "-c", _FRESH_MACHINE, str(page)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stderr
    code, missing, control = result.stdout.split("\n", 1)[0].split()
    assert code == "0", result.stderr
    assert missing == "0", result.stdout
    assert int(control) > 0  # without the packaged font the same check does warn
    svgs = _svgs(page.read_text())
    assert len(svgs) == 4 and all("<text" not in svg for svg in svgs)


def _texts_overlap(bars: list[Bar], title: str = "", **options: Any) -> list[tuple[str, str]]:
    from matplotlib import rc_context
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text as Label

    with rc_context(chart_style()):
        fig = bar_figure(bars, **options)
        if title:  # how the charts were drawn before: the title inside the drawing
            fig.axes[0].set_title(title, loc="left", fontsize=11)
        canvas = FigureCanvasAgg(fig)
        canvas.draw()
        renderer = canvas.get_renderer()
        labels = [
            t
            for t in fig.findobj(Label)
            if t.get_visible() and t.get_text().strip() and t.get_figure() is not None
        ]
        boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in labels]
    return [
        (a, b)
        for i, (a, box_a) in enumerate(boxes)
        for b, box_b in boxes[i + 1 :]
        if box_a.overlaps(box_b)
    ]


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"limit": 0.3, "limit_label": "低于此值建议缩减"},
        {"limit_label": "预算"},
        {"limit": None},
    ],
)
def test_no_label_of_a_chart_overlaps_another(options: dict[str, Any]) -> None:
    bars = [Bar(f"广东省第{i}个部门", v) for i, v in enumerate([0.02, 0.3, 0.99, 1.0, 1.6])]
    assert _texts_overlap(bars, **options) == []


def test_an_overlap_would_be_caught() -> None:
    # the reported defect: a chart title drawn above the axes, where the limit's label is
    # (the use chart: its threshold's label sits at 30 %, under the left-aligned title)
    title = "Peak use of CPU/memory quota 配额使用率 (red: right-sizing candidate)"
    bars = [Bar("广东省教育厅", 0.1), Bar("广东省公安厅", 0.8)]
    overlaps = _texts_overlap(bars, title=title, limit=0.3, limit_label="right-size below")
    assert {frozenset(pair) for pair in overlaps} == {frozenset((title, "right-size below"))}


def test_charts_are_deterministic() -> None:
    bars = [Bar("广州市", 0.4), Bar("深圳市", 1.2, alert=True)]
    assert bar_chart(bars) == bar_chart(bars)
