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
from decimal import Decimal
from pathlib import Path

import pytest

from infra.bureau import BureauReport, Metering, ObservedUse, build_report
from infra.bureau.charts import Bar, bar_chart, cjk_font
from infra.bureau.render_html import render_html
from infra.bureau.render_json import render_json
from infra.bureau.render_md import render_markdown
from infra.bureau.usage import TenantUsage
from infra.spec.environment import EnvironmentSpec
from infra.spec.git import SharingHistory
from infra.spec.tenant import TenantSpec

from ..system import INSTALL
from .conftest import TODAY

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
    )


def test_markdown_has_every_section_with_tables_and_mermaid(report: BureauReport) -> None:
    md = render_markdown(report)
    for heading in (
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
    assert "| Province-wide 全省 | 472 / 768 (61%) |" in md
    assert "| 广州市 (440100) | 128 / 768 (17%) |" in md
    assert "| gd-jyt | cpu | 24 | 2 | 4% |" in md  # right-sized to its default limit
    assert "gd-gat | cpu" not in md  # 78 % used: not a candidate
    assert "metered 按用量计费 (CNY/yr)" in md
    assert "Not judged yet 记录不足 (less than 14 days of recorded use" in md
    assert "| sz-zwfwsjj | cloud-ops | ops | 粤政数授〔2026〕9号 | 蔡明辉（处长）" in md
    assert "| st-wglj | 汕头市文化广电旅游体育局 | 2026-09-01 | 2029-08-31 |" in md
    assert "| gd-rst | gz-zwsjj | 社会保险参保缴费信息 | 2026-10-18 | 41 |" in md
    blocks = re.findall(r"```mermaid\n(.*?)```", md, re.S)
    assert any(b.startswith("pie showData title CPU allocated by city") for b in blocks)
    assert any(b.startswith("xychart-beta") for b in blocks)


def test_json_has_every_row_and_numbers(report: BureauReport) -> None:
    data = json.loads(render_json(report))
    assert data["tenants"] == 12 and data["today"] == "2026-11-28"
    cpu = data["capacity"]["total"][0]
    assert (cpu["resource"], cpu["allocated"], cpu["available"]) == ("cpu", 472, 768)
    assert len(data["cost"]["lines"]) == 12
    assert [c["tenant"] for c in data["usage"]["candidates"]] == ["gd-jyt", "gd-jyt"]
    assert data["sharing"]["province"]["received"] == 6
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


def test_chinese_labels_are_drawn_with_a_cjk_font() -> None:
    assert cjk_font() is not None, f"no CJK font (Noto Sans CJK): {INSTALL}"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # matplotlib warns "Glyph ... missing from font(s)"
        svg = bar_chart("各部门数据需求满足率", [Bar("广东省人力资源和社会保障厅", 0.5)])
    assert svg.count("<path") > 20


_STALE_CACHE = """
import json, pathlib, matplotlib, matplotlib.font_manager as fm
path = pathlib.Path(matplotlib.get_cachedir(), f"fontlist-v{fm.FontManager.__version__}.json")
data = json.loads(path.read_text())
data["ttflist"] = [f for f in data["ttflist"] if "CJK" not in f["name"]]
path.write_text(json.dumps(data))
"""


def test_a_font_installed_after_matplotlib_listed_the_fonts_is_found(tmp_path: Path) -> None:
    """matplotlib's font list is cached at its first use, e.g. by a first run before
    fonts-noto-cjk was installed: the chart still finds the font, and the cache learns it."""
    assert cjk_font() is not None, f"no CJK font (Noto Sans CJK): {INSTALL}"
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path)}

    def python(code: str) -> str:
        return subprocess.run(
            [sys.executable, "-c", code],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout.strip()

    python(_STALE_CACHE)  # a font list without the CJK fonts, as before they were installed
    find = "from infra.bureau.charts import cjk_font; print(cjk_font())"
    assert python(find) == cjk_font()
    cache = next(tmp_path.glob("fontlist-v*.json")).read_text()
    assert cjk_font() in {f["name"] for f in json.loads(cache)["ttflist"]}


def test_charts_are_deterministic() -> None:
    bars = [Bar("广州市", 0.4), Bar("深圳市", 1.2, alert=True)]
    assert bar_chart("容量", bars) == bar_chart("容量", bars)
