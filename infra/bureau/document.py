"""The report as a sequence of blocks (headings, text, tables, charts) that the Markdown
and HTML renderers both walk, so the two formats always say the same thing."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .capacity import PROVINCE, RESOURCES
from .charts import Bar
from .cities import city_label
from .report import BureauReport, UsageView
from .text import alloc_row, cny, date, days, pct, rate_row, shown

__all__ = ["Block", "Chart", "Heading", "Table", "Text", "blocks"]

LEVELS = {"province": "省级 province", "city": "市级 city", "county": "县级 county"}


@dataclass(frozen=True)
class Heading:
    level: int
    text: str


@dataclass(frozen=True)
class Text:
    text: str  # **bold** and `code` are the only markup


@dataclass(frozen=True)
class Table:
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    more: int = 0


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    bars: Sequence[Bar]
    limit: float | None = 1.0
    limit_label: str = "100%"
    pie: Sequence[tuple[str, float]] = field(default_factory=tuple)  # Markdown: a pie chart


Block = Heading | Text | Table | Chart


def _city(code: str) -> str:
    return code if code == PROVINCE else city_label(code)


def _capacity(r: BureauReport) -> list[Block]:
    cap = r.capacity
    header = ["", *RESOURCES]
    out: list[Block] = [
        Heading(2, "Capacity 容量"),
        Text(
            "Allocated quotas against capacity × overcommit (storage is not overcommitted; "
            "pods have no cluster-wide cap)."
        ),
        Table(
            header,
            [
                alloc_row("Province-wide 全省", cap.total),
                ["Headroom 余量"] + [a.amount(a.headroom) for a in cap.total],
            ],
        ),
        Chart(
            "capacity",
            "Capacity allocated 容量分配率",
            [
                Bar(a.resource, a.fraction or 0.0, (a.fraction or 0.0) > 1.0)
                for a in cap.total
                if a.available
            ],
        ),
        Heading(3, "By level 按层级"),
        Table(header, [alloc_row(LEVELS.get(k, k), v) for k, v in cap.by_level.items()]),
        Heading(3, "By prefecture-level city 按地级市"),
        Table(header, [alloc_row(_city(k), v) for k, v in cap.by_city.items()]),
        Chart(
            "cities",
            "CPU allocated by city 各市CPU分配（占全省容量）",
            [Bar(_city(k), v[0].fraction or 0.0) for k, v in cap.by_city.items()],
            limit=None,
            pie=[(_city(k), float(v[0].allocated)) for k, v in cap.by_city.items()],
        ),
        Heading(3, "Ten largest consumers 资源占用前十"),
        Table(
            ["tenant", "name", "largest share", *RESOURCES],
            [
                [
                    c.tenant,
                    c.name,
                    pct(c.share),
                    *(a.amount(c.allocated[a.resource]) for a in cap.total),
                ]
                for c in cap.largest
            ],
        ),
    ]
    return out


def _cost(r: BureauReport) -> list[Block]:
    cost = r.cost
    out: list[Block] = [Heading(2, "Cost against budget 费用与预算")]
    if not cost.priced:
        return [*out, Text(f"No price catalogue (`prices:`) in stacks/{r.env}.yaml.")]
    lines, more = shown(cost.lines, 20)
    metered = cost.metered_period is not None
    return [
        *out,
        Text(
            f"Annual cost of all quotas at list prices: **{cny(cost.total)} CNY** against "
            f"approved budgets of {cny(cost.budget)} CNY. "
            f"Over budget: **{len(cost.over)}**."
        ),
        *_metered_summary(r),
        Table(
            [
                "tenant",
                "name",
                "annual cost (CNY)",
                *(["metered 按用量计费 (CNY/yr)"] if metered else []),
                "budget (CNY)",
                "share",
                "",
            ],
            [
                [
                    c.tenant,
                    c.name,
                    cny(c.cost.total),
                    *([cny(c.metered.total) if c.metered else "-"] if metered else []),
                    cny(c.budget),
                    pct(c.share),
                    "**over budget**" if c.over else "",
                ]
                for c in lines
            ],
            more,
        ),
        Chart(
            "cost",
            "Quota cost as a share of budget 配额年费用占预算比例",
            [Bar(c.name, c.share or 0.0, c.over) for c in lines[:15]],
            limit_label="budget",
        ),
    ]


def _metered_summary(r: BureauReport) -> list[Block]:
    """Metered cost (mean recorded use at the same prices, annualized) by level."""
    cost = r.cost
    if cost.metered_period is None or cost.metered_total is None:
        return []
    days_ = cost.metered_period.total_seconds() / 86400
    return [
        Text(
            f"Metered cost 按用量计费: mean recorded use over the last {days_:g} days at the "
            f"same list prices, annualized: **{cny(cost.metered_total)} CNY**."
        ),
        Table(
            ["level 级别", "allocated 按配额 (CNY/yr)", "metered 按用量 (CNY/yr)", "budget (CNY)"],
            [
                [
                    LEVELS.get(lv.level, lv.level),
                    cny(lv.allocated),
                    cny(lv.metered) if lv.metered is not None else "-",
                    cny(lv.budget),
                ]
                for lv in cost.levels
            ],
        ),
    ]


def _not_judged(use: UsageView) -> list[Block]:
    """Why tenants got no proposal: one reading only, or too little recorded history."""
    if use.window is None:
        return [
            Text(
                "One reading of the quotas: nothing is proposed. Proposals stand on recorded "
                "use (`--live`, from the metrics store)."
            )
        ]
    if not use.short:
        return []
    need = use.window.total_seconds() / 86400
    listed = ", ".join(
        f"{s.tenant} ({s.observed.total_seconds() / 86400:.1f} d)" for s in use.short[:30]
    )
    more = f" and {len(use.short) - 30} more" if len(use.short) > 30 else ""
    return [
        Text(
            f"Not judged yet 记录不足 (less than {need:g} days of recorded use, no proposal): "
            f"{listed}{more}."
        )
    ]


def _usage(r: BureauReport) -> list[Block]:
    use = r.usage
    if use is None:
        return [
            Heading(2, "Use against allocation 实际使用"),
            Text("Not read: run with `--live` to compare ResourceQuota use with quotas."),
        ]
    rows, more = shown(use.tenants)
    out: list[Block] = [
        Heading(2, "Use against allocation 实际使用 (live)"),
        Table(
            ["tenant", "cpu used", "memory used", "pods used", "peak (window)"],
            [
                [
                    u.tenant,
                    pct(u.fraction("cpu")),
                    pct(u.fraction("memory")),
                    pct(u.fraction("pods")),
                    pct(u.peak()),
                ]
                for u in rows
            ],
            more,
        ),
        Chart(
            "usage",
            "Peak use of CPU/memory quota 配额使用率 (red: right-sizing candidate)",
            [
                Bar(r.names.get(u.tenant, u.tenant), u.peak(), u.peak() < use.threshold)
                for u in rows[:30]
            ],
            limit=use.threshold,
            limit_label="right-size below",
        ),
    ]
    if use.missing:
        out.append(Text("No quota object in the cluster (not deployed): " + ", ".join(use.missing)))
    out.append(
        Heading(
            3, f"Right-sizing candidates 建议缩减 (under {use.threshold:.0%} of CPU and memory)"
        )
    )
    out += _not_judged(use)
    if not use.candidates:
        return [*out, Text("None.")]
    return [
        *out,
        Table(
            ["tenant", "resource", "quota", "proposed", "use"],
            [
                [c.tenant, c.resource, c.current, c.proposed, pct(c.fraction)]
                for c in use.candidates
            ],
        ),
        Text(
            f"`govcloud rightsize --env {r.env} --write` writes these into "
            "tenants/*.yaml for a pull request."
        ),
    ]


def _access(r: BureauReport) -> list[Block]:
    a = r.access
    out: list[Block] = [Heading(2, "Access and lifecycle 授权与生命周期")]
    for title, grants in (
        ("Grants expiring within 30 days 30天内到期授权", a.expiring_30),
        ("Grants expiring in 31–90 days 31–90天内到期授权", a.expiring_90),
        ("Expired grants still in specs 已过期仍在配置中的授权", a.expired),
    ):
        out.append(Heading(3, title))
        rows, more = shown(grants)
        out.append(
            Table(
                ["tenant", "group", "scope", "document", "granted by", "expires", "days left"],
                [
                    [
                        g.tenant,
                        g.group,
                        g.scope,
                        g.document,
                        g.granted_by,
                        g.expires.isoformat(),
                        str(g.days_left),
                    ]
                    for g in rows
                ],
                more,
            )
            if grants
            else Text("None.")
        )
    out.append(Heading(3, "Decommissioning 下线中"))
    out.append(
        Table(
            ["tenant", "name", "since", "data kept until"],
            [[o.tenant, o.name, date(o.since), date(o.retention_ends)] for o in a.offboarding],
        )
        if a.offboarding
        else Text("None.")
    )
    return out


def _sharing(r: BureauReport) -> list[Block]:
    s = r.sharing
    source = (
        f"{s.commits} commit(s) of tenants/ history"
        if s.commits
        else "the specs' `requested` dates (no git history found)"
    )
    rows, more = shown(s.providers)
    out: list[Block] = [
        Heading(2, "数据需求满足率 Data-sharing requests satisfied"),
        Text(
            f"Requests received {s.since} – {s.until}, dated from {source}. Province-wide: "
            f"**{pct(s.province.rate)}** ({s.province.satisfied} of {s.province.received}), "
            f"median {days(s.province.median_days)} days to satisfy."
        ),
        Table(
            ["providing department", "received", "satisfied", "rate", "median days", "pending"],
            [rate_row(p, f"{p.provider} {r.names.get(p.provider, '')}".strip()) for p in rows],
            more,
        ),
        Chart(
            "sharing",
            "Satisfaction rate by providing department 各部门数据需求满足率",
            [
                Bar(r.names.get(p.provider, p.provider), p.rate or 0.0, (p.rate or 0.0) < 0.5)
                for p in rows[:20]
            ],
        ),
    ]
    pending = sorted(
        (x for x in s.requests if x.status.value == "pending"), key=lambda x: x.received
    )
    if pending:
        shown_pending, more_pending = shown(pending)
        out += [
            Heading(3, "Pending requests 待满足的数据需求"),
            Table(
                ["provider", "requester", "data", "received", "age (days)"],
                [
                    [x.provider, x.requester, x.data, x.received.isoformat(), str(x.age(s.until))]
                    for x in shown_pending
                ],
                more_pending,
            ),
        ]
    return out


def blocks(report: BureauReport) -> list[Block]:
    out: list[Block] = [
        Heading(1, f"govcloud report — {report.env}, {report.today}"),
        Text(f"{report.tenants} department(s)."),
    ]
    for section in (_capacity, _cost, _usage, _access, _sharing):
        out += section(report)
    return out
