"""The report as a sequence of blocks (the summary first, then one section per subject) that
the Markdown and HTML renderers both walk, so the two formats always say the same thing.

Prose and headers are in the current language (``infra.i18n``): Chinese by default for the
report, English with ``--lang en``.
"""

from __future__ import annotations

from infra.i18n import N_, _
from infra.policy.emergency import PROVINCE_TZ

from .blocks import Block, Chart, Heading, Summary, Table, Text
from .capacity import PROVINCE, RESOURCES, CapacityView
from .charts import Bar
from .cities import city_label
from .crypto_blocks import cryptography
from .metering import percentile_note
from .report import BureauReport, UsageView
from .summary import summary
from .text import alloc_row, cny, date, days, pct, rate_row, shown

__all__ = ["Block", "Chart", "Heading", "Summary", "Table", "Text", "blocks", "title"]

LEVELS = {"province": N_("province"), "city": N_("city"), "county": N_("county")}
_RESOURCE_NAMES = {
    "cpu": "CPU",  # the same word in both languages
    "memory": N_("memory"),
    "storage": N_("storage"),
    "pods": N_("pods"),
}


def _resources() -> list[str]:
    return [_(_RESOURCE_NAMES[r]) for r in RESOURCES]


def _city(code: str) -> str:
    return _("province level") if code == PROVINCE else city_label(code)


def title(report: BureauReport) -> str:
    return _("govcloud report — {env}, {today}").format(env=report.env, today=report.today)


def _capacity(r: BureauReport) -> list[Block]:
    cap = r.capacity
    header = [_("scope"), *_resources()]
    return [
        Heading(2, _("Capacity"), "capacity"),
        Text(
            _(
                "Allocated quotas against capacity × overcommit (storage is not overcommitted; "
                "pods have no cluster-wide cap)."
            )
        ),
        Table(
            header,
            [
                alloc_row(_("Province-wide"), cap.total),
                [_("Headroom")] + [a.amount(a.headroom) for a in cap.total],
            ],
        ),
        Chart(
            "capacity",
            _("Capacity allocated"),
            [
                Bar(_(_RESOURCE_NAMES[a.resource]), a.fraction or 0.0, (a.fraction or 0.0) > 1.0)
                for a in cap.total
                if a.available
            ],
        ),
        *_regions(cap, header),
        Heading(3, _("By level")),
        Table(header, [alloc_row(_(LEVELS.get(k, k)), v) for k, v in cap.by_level.items()]),
        Heading(3, _("By prefecture-level city")),
        Table(header, [alloc_row(_city(k), v) for k, v in cap.by_city.items()]),
        Chart(
            "cities",
            _("CPU allocated by city (share of the province's capacity)"),
            [Bar(_city(k), v[0].fraction or 0.0) for k, v in cap.by_city.items()],
            limit=None,
            pie=[(_city(k), float(v[0].allocated)) for k, v in cap.by_city.items()],
        ),
        Heading(3, _("Ten largest consumers")),
        Table(
            [_("tenant"), _("name"), _("largest share"), *_resources()],
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


def _regions(cap: CapacityView, header: list[str]) -> list[Block]:
    """Each region's tenants against the region's own capacity (with regions only), and the
    peerings that cross regions."""
    if not cap.by_region:
        return []
    peerings: list[Block] = (
        [
            Heading(3, _("Peerings across regions")),
            Table(
                [_("tenants"), _("regions"), _("agreement")],
                [
                    [" ↔ ".join(p.tenants), " ↔ ".join(p.regions), p.agreement]
                    for p in cap.cross_region
                ],
            ),
        ]
        if cap.cross_region
        else []
    )
    return [
        Heading(3, _("By region")),
        Text(
            _(
                "Each node's allocated quotas against its own capacity × overcommit; tenants "
                "are counted where their specs place them."
            )
        ),
        Table(
            [*header, _("headroom (CPU)")],
            [
                [
                    *alloc_row(f"{k} ({cap.region_names.get(k, k)})", v),
                    v[0].amount(v[0].headroom),
                ]
                for k, v in cap.by_region.items()
            ],
        ),
        *peerings,
    ]


def _cost(r: BureauReport) -> list[Block]:
    cost = r.cost
    out: list[Block] = [Heading(2, _("Cost against budget"), "cost")]
    if not cost.priced:
        return [
            *out,
            Text(_("No price catalogue (`prices:`) in stacks/{env}.yaml.").format(env=r.env)),
        ]
    lines, more = shown(cost.lines, 20)
    metered = cost.metered_period is not None
    return [
        *out,
        Text(
            _(
                "Annual cost of all quotas at list prices: **{cost} CNY** against approved "
                "budgets of {budget} CNY. Over budget: **{over}**."
            ).format(cost=cny(cost.total), budget=cny(cost.budget), over=len(cost.over))
        ),
        *_metered_summary(r),
        Table(
            [
                _("tenant"),
                _("name"),
                _("annual cost (CNY)"),
                *([_("metered cost (CNY/yr)")] if metered else []),
                _("budget (CNY)"),
                _("share"),
            ],
            [
                [
                    c.tenant,
                    c.name,
                    cny(c.cost.total),
                    *([cny(c.metered.total) if c.metered else "-"] if metered else []),
                    cny(c.budget),
                    pct(c.share) + (" **" + _("over budget") + "**" if c.over else ""),
                ]
                for c in lines
            ],
            more,
        ),
        Chart(
            "cost",
            _("Quota cost as a share of budget"),
            [Bar(c.name, c.share or 0.0, c.over) for c in lines[:15]],
            limit_label=_("budget"),
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
            _(
                "Metered cost: mean recorded use over the last {days} days at the same list "
                "prices, annualized: **{cost} CNY**."
            ).format(days=f"{days_:g}", cost=cny(cost.metered_total))
        ),
        Table(
            [
                _("level"),
                _("allocated cost (CNY/yr)"),
                _("metered cost (CNY/yr)"),
                _("budget (CNY)"),
            ],
            [
                [
                    _(LEVELS[lv.level]) if lv.level in LEVELS else lv.level,
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
                _(
                    "One reading of the quotas: nothing is proposed. Proposals stand on "
                    "recorded use (`--live`, from the metrics store)."
                )
            )
        ]
    if not use.short:
        return []
    need = use.window.total_seconds() / 86400
    listed = ", ".join(
        f"{s.tenant} ({s.observed.total_seconds() / 86400:.1f} d)" for s in use.short[:30]
    )
    more = _(" and {count} more").format(count=len(use.short) - 30) if len(use.short) > 30 else ""
    return [
        Text(
            _(
                "Not judged yet (less than {days} days of recorded use, no proposal): "
                "{tenants}{more}."
            ).format(days=f"{need:g}", tenants=listed, more=more)
        )
    ]


def _usage(r: BureauReport) -> list[Block]:
    use = r.usage
    heading = Heading(2, _("Use against allocation"), "usage")
    if use is None:
        return [
            heading,
            Text(_("Not read: run with `--live` to compare ResourceQuota use with quotas.")),
        ]
    rows, more = shown(use.tenants)
    out: list[Block] = [
        heading,
        Table(
            [_("tenant"), _("CPU used"), _("memory used"), _("pods used"), _("peak (window)")],
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
            _("Peak use of the CPU/memory quota (red: right-sizing candidate)"),
            [
                Bar(r.names.get(u.tenant, u.tenant), u.peak(), u.peak() < use.threshold)
                for u in rows[:30]
            ],
            limit=use.threshold,
            limit_label=_("right-size below"),
        ),
    ]
    if use.missing:
        out.append(
            Text(
                _("No quota object in the cluster (not deployed): {tenants}").format(
                    tenants=", ".join(use.missing)
                )
            )
        )
    out.append(
        Heading(
            3,
            _("Right-sizing candidates (under {threshold} of CPU and memory)").format(
                threshold=pct(use.threshold)
            ),
        )
    )
    out += _not_judged(use)
    if use.hourly_peaks:
        out.append(Text(percentile_note()))
    if not use.candidates:
        return [*out, Text(_("None."))]
    return [
        *out,
        Table(
            [_("tenant"), _("resource"), _("quota"), _("proposed"), _("use")],
            [
                [c.tenant, _(_RESOURCE_NAMES[c.resource]), c.current, c.proposed, pct(c.fraction)]
                for c in use.candidates
            ],
        ),
        Text(
            _(
                "`govcloud rightsize --env {env} --write` writes these into tenants/*.yaml "
                "for a pull request."
            ).format(env=r.env)
        ),
    ]


def _access(r: BureauReport) -> list[Block]:
    a = r.access
    out: list[Block] = [Heading(2, _("Access and lifecycle"), "access")]
    for heading, grants in (
        (_("Grants expiring within 30 days"), a.expiring_30),
        (_("Grants expiring in 31–90 days"), a.expiring_90),
        (_("Expired grants still in specs"), a.expired),
    ):
        out.append(Heading(3, heading))
        rows, more = shown(grants)
        header = [
            _("tenant"),
            _("group"),
            _("scope"),
            _("document"),
            _("granted by"),
            _("expires"),
            _("days left"),
        ]
        out.append(
            Table(
                header,
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
            else Text(_("None."))
        )
    out += _emergency(r)
    out.append(Heading(3, _("Decommissioning")))
    out.append(
        Table(
            [_("tenant"), _("name"), _("since"), _("data kept until")],
            [[o.tenant, o.name, date(o.since), date(o.retention_ends)] for o in a.offboarding],
        )
        if a.offboarding
        else Text(_("None."))
    )
    return out + _destructions(r)


def _destructions(r: BureauReport) -> list[Block]:
    d = r.destructions
    out: list[Block] = [Heading(3, _("Destructions"))]
    if not d.read:
        out.append(
            Text(
                _(
                    "Not read: pass `--records` to list the signed destruction records of "
                    "the audit bucket (`govcloud records verify` checks them)."
                ),
            )
        )
    elif d.done:
        out.append(
            Table(
                [
                    _("tenant"),
                    _("destroyed"),
                    _("document"),
                    _("method"),
                    _("versions"),
                    _("bytes"),
                    _("verification"),
                ],
                [
                    [
                        x.tenant,
                        x.finished[:19],
                        x.document,
                        x.method,
                        str(x.versions),
                        str(x.bytes),
                        x.verification,
                    ]
                    for x in d.done
                ],
            )
        )
    else:
        out.append(Text(_("None.")))
    out.append(Heading(3, _("Retention ended, not yet destroyed")))
    out.append(
        Text(", ".join(d.due) + ("" if d.read else " " + _("(records not read)")))
        if d.due
        else Text(_("None."))
    )
    return out


def _emergency(r: BureauReport) -> list[Block]:
    out: list[Block] = [Heading(3, _("Emergency access (break-glass)"))]
    e = r.emergency
    if e is None:
        out.append(
            Text(_("Not available: give `--access-file` (`govcloud access list --format json`)."))
        )
        return out
    out.append(
        Text(
            _("{n} emergency access(es) from {since} to {until} (from {source}).").format(
                n=len(e.lines),
                since=e.since.isoformat(),
                until=e.until.isoformat(),
                source=e.source,
            )
        )
    )
    if not e.lines:
        return out
    out.append(
        Table(
            [_("tenant"), _("accesses"), _("above the threshold")],
            [
                [t, str(n), _("yes") if n > e.warn_above else ""]
                for t, n in sorted(e.per_tenant.items(), key=lambda kv: (-kv[1], kv[0]))
            ],
        )
    )
    rows, more = shown(e.lines)
    out.append(
        Table(
            [
                _("tenant"),
                _("request"),
                _("scope"),
                _("granted"),
                _("minutes"),
                _("requested by"),
                _("approved by"),
                _("reason"),
            ],
            [
                [
                    x.tenant,
                    x.id,
                    x.scope,
                    x.granted.astimezone(PROVINCE_TZ).strftime("%Y-%m-%d %H:%M"),
                    str(x.minutes),
                    x.requester,
                    x.approver,
                    x.reason,
                ]
                for x in rows
            ],
            more,
        )
    )
    return out


def _sharing(r: BureauReport) -> list[Block]:
    s = r.sharing
    source = (
        _("{n} commit(s) of tenants/ history").format(n=s.commits)
        if s.commits
        else _("the specs' `requested` dates (no git history found)")
    )
    rows, more = shown(s.providers)
    out: list[Block] = [
        Heading(2, _("数据需求满足率 (data requests satisfied)"), "sharing"),
        Text(
            _(
                "Requests received {since} – {until}, dated from {source}. Province-wide: "
                "**{rate}** ({satisfied} of {received}), median {days} days to satisfy."
            ).format(
                since=s.since,
                until=s.until,
                source=source,
                rate=pct(s.province.rate),
                satisfied=s.province.satisfied,
                received=s.province.received,
                days=days(s.province.median_days),
            )
        ),
        Text(
            _(
                "Requests naming a published dataset ({n}) count as satisfied from the day "
                "their share was first verified live, until it lapses; requests without a "
                "dataset are the history before the catalogue, counted by the old proxy (a "
                "mutual peering)."
            ).format(n=s.catalogue)
            + (
                ""
                if s.live or not s.catalogue
                else " "
                + _("Shares were not read live (run with --live): these requests count as pending.")
            )
        ),
        Table(
            [
                _("providing department"),
                _("received"),
                _("satisfied"),
                _("rate"),
                _("median days"),
                _("pending"),
            ],
            [rate_row(p, f"{p.provider} {r.names.get(p.provider, '')}".strip()) for p in rows],
            more,
        ),
        Chart(
            "sharing",
            _("Satisfaction rate by providing department"),
            [
                Bar(r.names.get(p.provider, p.provider), p.rate or 0.0, (p.rate or 0.0) < 0.5)
                for p in rows[:20]
            ],
        ),
    ]
    pending = sorted(
        (x for x in s.requests if x.status.value == "pending"),
        key=lambda x: (x.requested, x.provider, x.requester),
    )
    if pending:
        shown_pending, more_pending = shown(pending)
        out += [
            Heading(3, _("Pending requests")),
            Table(
                [_("provider"), _("requester"), _("data"), _("requested"), _("age (days)")],
                [
                    [x.provider, x.requester, x.data, x.requested.isoformat(), str(x.age(r.today))]
                    for x in shown_pending
                ],
                more_pending,
            ),
        ]
    return out


def blocks(report: BureauReport) -> list[Block]:
    out: list[Block] = [
        Heading(1, title(report)),
        Text(_("{n} department(s).").format(n=report.tenants)),
        *summary(report),
    ]
    for section in (_capacity, _cost, _usage, _access, _sharing, cryptography):
        out += section(report)
    return out
