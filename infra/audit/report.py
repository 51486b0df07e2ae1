"""The audit report as text, JSON, Markdown (a pull-request comment, an evidence file) or
SARIF. Every leak carries the exact request or path that succeeded."""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any

from infra import __version__
from infra.i18n import _, ngettext

from .crosscheck import NOTE_PREFIX
from .model import AuditResult, Finding
from .reasons import reading

__all__ = ["FORMATS", "render"]

FORMATS = ("text", "json", "markdown", "sarif")
_MATRIX_COLUMNS = 20  # wider fleets: only rows and columns with something to show


def _summary(r: AuditResult) -> list[tuple[str, str]]:
    t = r.tally
    return [
        (_("requests made"), str(t.requests)),
        (_("checks"), str(t.checks)),
        (_("denied as they must be"), str(t.denied)),
        (_("allowed as documented"), str(t.allowed_expected)),
        (_("matrix cells by equivalence"), str(t.covered_by_equivalence)),
        (_("leaks"), str(len(r.leaks))),
        (_("deviations"), str(len(r.deviations))),
        (_("seconds"), f"{r.seconds:.1f}"),
    ]


def _phase_labels() -> dict[str, str]:
    """Each phase of ``AuditResult.phases``, in the reader's language."""
    return {
        "load": _("plans and namespaces"),
        "namespaces": _("namespace labels"),
        "rbac": _("Kubernetes RBAC matrix"),
        "probes": _("workload probes"),
        "workloads": _("live workloads"),
        "network": _("network analysis"),
        "managed": _("managed objects"),
        "cloud": _("cloud"),
        "prowler": _("prowler (alongside)"),
        "prowler_wait": _("waiting for prowler"),
    }


def _phases(r: AuditResult) -> list[tuple[str, str]]:
    """(phase, seconds) in the order they ran; prowler ran alongside the others."""
    labels = _phase_labels()
    return [(labels.get(k, k), f"{v:.1f}") for k, v in r.phases.items()]


def _sample_line(r: AuditResult) -> str:
    if not r.cloud_sample:
        return ""
    return _(
        "cloud: each kind of resource listed once and every tenant judged from the listings; "
        "{count} tenant(s) also read object by object and judged from those reads: {tenants}"
    ).format(count=len(r.cloud_sample), tenants=", ".join(r.cloud_sample))


def _cross_check(r: AuditResult) -> tuple[str, list[str]]:
    """The network cross-check's line (netpol-analyzer's version and agreement), and the
    other notes."""
    line = next((n[len(NOTE_PREFIX) :] for n in r.notes if n.startswith(NOTE_PREFIX)), "")
    return line, [n for n in r.notes if not n.startswith(NOTE_PREFIX)]


def _head(r: AuditResult) -> str:
    head = (
        _("no leaks")
        if not r.findings
        else _("{leaks} leak(s), {deviations} deviation(s)").format(
            leaks=len(r.leaks), deviations=len(r.deviations)
        )
    )
    if r.not_checked:
        head += _("; incomplete: {count} part(s) could not be checked").format(
            count=len(r.not_checked)
        )
    return head


def _gaps(r: AuditResult) -> list[str]:
    """What could not be checked, and the tenants not deployed yet: one line each."""
    lines = [_("not checked: {what}").format(what=what) for what in r.not_checked]
    if r.not_deployed:
        lines.append(
            _(
                "not deployed (approved in tenants/, no namespace or Tenant object yet): {tenants}"
            ).format(tenants=", ".join(r.not_deployed))
        )
    return lines


def _text(r: AuditResult) -> str:
    lines = [_("govcloud audit of {env}: {head}").format(env=r.env, head=_head(r))]
    lines += [f"  {k}: {v}" for k, v in _summary(r)]
    if r.phases:
        lines.append(
            "  "
            + _("time per phase: {phases}").format(
                phases=", ".join(
                    _("{phase} {seconds} s").format(phase=k, seconds=v) for k, v in _phases(r)
                )
            )
        )
    if r.cloud_sample:
        lines.append("  " + _sample_line(r))
    cross, notes = _cross_check(r)
    if cross:
        lines.append("  " + _("network cross-check: {line}").format(line=cross))
    for f in r.findings:
        lines.append(f"{_kind(f)} {f.line(reading)}")
    lines += _gaps(r)
    lines += [_("note: {note}").format(note=n) for n in notes]
    return "\n".join(lines) + "\n"


def _kind(f: Finding) -> str:
    """LEAK or DEVIATION, the finding's first word on its line."""
    return _("LEAK") if f.kind == "leak" else _("DEVIATION")


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _matrix_md(r: AuditResult) -> list[str]:
    if not r.matrix:
        return []
    columns = sorted({ns for row in r.matrix.values() for ns in row})
    rows = sorted(r.matrix)
    if len(columns) > _MATRIX_COLUMNS:
        bad = {
            ns
            for row in r.matrix.values()
            for ns, c in row.items()
            if c.startswith(("LEAK", "missing"))
        }
        rows = [
            i
            for i in rows
            if any(r.matrix[i].get(ns, "").startswith(("LEAK", "missing")) for ns in columns)
        ]
        columns = sorted(bad)
        if not rows:
            return [
                "",
                _(
                    "RBAC matrix: {identities} identities x {namespaces} namespaces, "
                    "every cell as documented."
                ).format(
                    identities=len(r.matrix),
                    namespaces=len({ns for row in r.matrix.values() for ns in row}),
                ),
            ]
    out = [
        "",
        "### " + _("RBAC matrix"),
        "",
        _(
            "Each cell: what the identity may do in the namespace (allowed N = N requests of "
            "the documented subset; ≡ = decided by an equivalent review)."
        ),
        "",
        "| " + _("identity") + " | " + " | ".join(columns) + " |",
        "|---|" + "---|" * len(columns),
    ]
    for identity in rows:
        cells = [r.matrix[identity].get(ns, "") for ns in columns]
        out.append(
            f"| {_cell(identity)} | "
            + " | ".join(f"**{c}**" if c.startswith(("LEAK", "missing")) else c for c in cells)
            + " |"
        )
    return out


def _probes_md(r: AuditResult) -> list[str]:
    if not r.probes:
        return []
    refused: dict[str, int] = defaultdict(int)
    admitted: dict[str, list[str]] = defaultdict(list)
    for p in r.probes:
        if p.refused:
            refused[p.name] += 1
        else:
            admitted[p.name].append(p.namespace)
    out = [
        "",
        "### " + _("Workload and quota probes (real create attempts as the owners)"),
        "",
        "| " + " | ".join((_("probe"), _("refused in"), _("admitted in"))) + " |",
        "|---|---|---|",
    ]
    for name in sorted({p.name for p in r.probes}):
        where = ", ".join(admitted[name]) or _("none")
        namespaces = ngettext("{count} namespace", "{count} namespaces", refused[name]).format(
            count=refused[name]
        )
        out.append(f"| {name} | {namespaces} | {where} |")
    return out


def _markdown(r: AuditResult) -> str:
    icon = "❌" if r.findings else "⚠️" if r.not_checked else "✅"
    out = [
        f"## {icon} " + _("govcloud audit: {env}: {head}").format(env=f"`{r.env}`", head=_head(r)),
        "",
        _(
            "Tenants audited: {count}. Every verdict comes from the live cluster and "
            "cloud endpoint (reviews, real requests, live policies)."
        ).format(count=len(r.tenants)),
        "",
        "| " + " | ".join(k for k, _v in _summary(r)) + " |",
        "|" + "---|" * len(_summary(r)),
        "| " + " | ".join(v for _k, v in _summary(r)) + " |",
    ]
    if r.phases:
        out += [
            "",
            "| " + _("phase") + " | " + _("seconds") + " |",
            "|---|---|",
            *(f"| {k} | {v} |" for k, v in _phases(r)),
        ]
    if r.cloud_sample:
        out += ["", _sample_line(r)]
    cross, notes = _cross_check(r)
    if cross:
        out += ["", _("Network cross-check: {line}.").format(line=cross)]
    for title, items in ((_("Leaks"), r.leaks), (_("Deviations"), r.deviations)):
        if items:
            header = (
                _("category"),
                _("who / what"),
                _("where"),
                _("request or path"),
                _("why"),
            )
            out += [
                "",
                f"### {title}",
                "",
                "| # | " + " | ".join(header) + " |",
                "|---|---|---|---|---|---|",
            ]
            out += [
                f"| {i} | {f.category} | {_cell(f.subject)} | {_cell(f.target)} | "
                f"`{_cell(f.request)}` | {_cell(reading(f.reason))} |"
                for i, f in enumerate(items, 1)
            ]
    gaps = _gaps(r)
    if gaps:
        out += ["", "### " + _("Not checked, not deployed"), ""] + [f"- {g}" for g in gaps]
    out += _matrix_md(r) + _probes_md(r)
    if notes:
        out += ["", "### " + _("Notes"), ""] + [f"- {n}" for n in notes]
    return "\n".join(out) + "\n"


def _finding_json(f: Finding) -> dict[str, Any]:
    return {
        "kind": f.kind,
        "category": f.category,
        "subject": f.subject,
        "target": f.target,
        "request": f.request,
        "reason": f.reason,
    }


def _json(r: AuditResult) -> str:
    t = r.tally
    data = {
        "env": r.env,
        "tenants": r.tenants,
        "clean": not r.findings and not r.not_checked,
        "complete": not r.not_checked,
        "not_checked": r.not_checked,
        "not_deployed": r.not_deployed,
        "exit_code": r.exit_code,
        "summary": {
            "requests": t.requests,
            "checks": t.checks,
            "denied": t.denied,
            "allowed_as_documented": t.allowed_expected,
            "by_equivalence": t.covered_by_equivalence,
            "leaks": len(r.leaks),
            "deviations": len(r.deviations),
            "seconds": round(r.seconds, 2),
        },
        "phases": {k: round(v, 2) for k, v in r.phases.items()},
        "cloud_sample": r.cloud_sample,
        "findings": [_finding_json(f) for f in r.findings],
        "matrix": r.matrix,
        "probes": [
            {"probe": p.name, "namespace": p.namespace, "refused": p.refused, "message": p.message}
            for p in r.probes
        ],
        "network_cross_check": _cross_check(r)[0] or None,
        "notes": r.notes,
    }
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def _sarif(r: AuditResult) -> str:
    categories = sorted({f.category for f in r.findings} | {"rbac"})
    rules = [
        {
            "id": f"audit-{c}",
            "name": f"isolation-{c}",
            "shortDescription": {"text": f"Tenant isolation ({c})"},
        }
        for c in categories
    ]
    results = []
    for f in r.findings:
        path = f"tenants/{f.target}.yaml" if f.target in r.tenants else f"stacks/{r.env}.yaml"
        results.append(
            {
                "ruleId": f"audit-{f.category}",
                "level": "error" if f.kind == "leak" else "warning",
                "message": {"text": f"{f.subject} -> {f.target}: {f.request} ({f.reason})"},
                "locations": [
                    {
                        "physicalLocation": {
                            "artifactLocation": {"uri": path},
                            "region": {"startLine": 1},
                        }
                    }
                ],
            }
        )
    doc = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {"name": "govcloud-audit", "version": __version__, "rules": rules}
                },
                "results": results,
            }
        ],
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def render(result: AuditResult, fmt: str) -> str:
    return {"text": _text, "json": _json, "markdown": _markdown, "sarif": _sarif}[fmt](result)
