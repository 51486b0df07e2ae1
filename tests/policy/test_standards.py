"""Checks that match the standards they cite: current division codes, credit codes registered
in the tenant's division, peerings deploy would drop, duplicate authorizations, negative quotas.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from infra.policy import Severity, evaluate, exit_code
from infra.spec import LoadedTenant, load_environment, load_tenants
from infra.spec.codes import credit_check_char, org_check_char

ROOT = Path(__file__).resolve().parents[2]
INVALID = ROOT / "tests" / "fixtures" / "invalid"
TODAY = dt.date(2026, 11, 28)
ENV = load_environment("local", ROOT / "stacks")


def _organ_code(division: str, org: str = "MB2E1183") -> str:
    first17 = f"11{division}{org}{org_check_char(org)}"
    return first17 + credit_check_char(first17)


def _with(tenant: LoadedTenant, **changes: object) -> LoadedTenant:
    return LoadedTenant(
        path=tenant.path, spec=tenant.spec.model_copy(update=changes), text=tenant.text
    )


def _rules(tenants: list[LoadedTenant]) -> list[tuple[str, str, str]]:
    return [(f.rule, f.tenant or "", f.message) for f in evaluate(tenants, ENV, TODAY)]


def test_a_retired_division_code_is_refused_naming_its_successor() -> None:
    findings = evaluate(load_tenants([INVALID / "GC026-retired-division"]), ENV, TODAY)
    [retired] = [f for f in findings if f.rule == "GC026"]
    assert retired.severity is Severity.error and exit_code(findings) == 1
    assert "440183" in retired.message and "2014" in retired.message
    assert "440118 (增城区)" in retired.message


def test_a_well_shaped_code_not_in_the_table_is_refused() -> None:
    tenant = load_tenants([ROOT / "tenants" / "th-zwsjj.yaml"])[0]
    messages = [
        m for rule, _, m in _rules([_with(tenant, division_code="440199")]) if rule == "GC026"
    ]
    assert messages and "not in the current GB/T 2260 table" in messages[0]


def test_every_example_division_code_is_current() -> None:
    assert not [r for r in _rules(load_tenants([ROOT / "tenants"])) if r[0] == "GC026"]


def test_organ_credit_code_registered_elsewhere_is_a_warning() -> None:
    tenant = load_tenants([ROOT / "tenants" / "th-zwsjj.yaml"])[0]  # 440106 天河区
    elsewhere = _with(tenant, credit_code=_organ_code("440300"))
    findings = evaluate([elsewhere], ENV, TODAY)
    [warning] = [f for f in findings if f.rule == "GC027"]
    assert warning.severity is Severity.warning and warning.field == "credit_code"
    assert "440300 (深圳市)" in warning.message
    assert exit_code(findings) == 0 and exit_code(findings, strict=True) == 1


def test_organ_credit_code_from_a_parent_or_a_predecessor_is_accepted() -> None:
    tenant = load_tenants([ROOT / "tenants" / "th-zwsjj.yaml"])[0]
    for registered in ("440106", "440100", "440000"):
        assert "GC027" not in [
            r[0] for r in _rules([_with(tenant, credit_code=_organ_code(registered))])
        ]
    # Registered in 增城市 before it became 增城区 (2014): the code keeps the old division.
    zengcheng = _with(tenant, division_code="440118", credit_code=_organ_code("440183"))
    assert "GC027" not in [r[0] for r in _rules([zengcheng])]


def test_non_organ_credit_codes_are_not_checked_for_the_division() -> None:
    tenant = load_tenants([ROOT / "tenants" / "th-zwsjj.yaml"])[0]
    first17 = "91440300MB2E1183" + org_check_char("MB2E1183")
    company = _with(tenant, credit_code=first17 + credit_check_char(first17))
    assert "GC027" not in [r[0] for r in _rules([company])]


def test_a_peering_with_a_decommissioning_tenant_is_reported_on_both_ends() -> None:
    findings = evaluate(load_tenants([INVALID / "GC028-peer-decommissioning"]), ENV, TODAY)
    ends = {f.tenant: f for f in findings if f.rule == "GC028"}
    assert set(ends) == {"th-peer", "th-zwsjj"}
    assert "this tenant is decommissioning" in ends["th-peer"].message
    assert "'th-peer' is decommissioning since 2026-10-01" in ends["th-zwsjj"].message
    assert ends["th-zwsjj"].related == (str(INVALID / "GC028-peer-decommissioning/th-peer.yaml"),)
    assert exit_code(findings) == 1  # CI does not pass a relation that deploy will drop


def test_a_peering_declared_only_by_the_decommissioning_side_is_still_reported() -> None:
    tenants = load_tenants([INVALID / "GC028-peer-decommissioning"])
    active = next(t for t in tenants if t.spec.id == "th-zwsjj")
    alone = _with(active, network=active.spec.network.model_copy(update={"peers": []}))
    others = [t for t in tenants if t.spec.id != "th-zwsjj"]
    assert [(r[0], r[1]) for r in _rules([*others, alone]) if r[0] == "GC028"] == [
        ("GC028", "th-peer")
    ]


def test_an_exact_duplicate_grant_is_refused_but_a_renewal_is_not() -> None:
    findings = evaluate(load_tenants([INVALID / "GC029-duplicate-grant"]), ENV, TODAY)
    assert [f.field for f in findings if f.rule == "GC029"] == ["access[1].document"]
    tenant = load_tenants([ROOT / "tenants" / "th-zwsjj.yaml"])[0]
    old = tenant.spec.access[0]
    renewal = old.model_copy(update={"document": "粤政数授〔2026〕64号", "granted": TODAY})
    assert "GC029" not in [r[0] for r in _rules([_with(tenant, access=[old, renewal])])]


def test_a_negative_quota_is_an_input_error() -> None:
    tenant = load_tenants([ROOT / "tenants" / "th-zwsjj.yaml"])[0]
    negative = _with(tenant, quotas=tenant.spec.quotas.model_copy(update={"cpu": "-8"}))
    findings = evaluate([negative], ENV, TODAY)
    assert [(f.rule, f.field) for f in findings if f.rule == "GC001"] == [("GC001", "quotas.cpu")]
    assert exit_code(findings) == 2


def test_amounts_the_server_would_change_are_input_errors() -> None:
    tenant = load_tenants([ROOT / "tenants" / "th-zwsjj.yaml"])[0]
    for field, text, stored in (("storage", "1000E", "'1'"), ("cpu", "0.0001", "'1m'")):
        odd = _with(tenant, quotas=tenant.spec.quotas.model_copy(update={field: text}))
        findings = [f for f in evaluate([odd], ENV, TODAY) if f.rule == "GC001"]
        assert [f.field for f in findings] == [f"quotas.{field}"]
        assert f"stored by the API server as {stored}" in findings[0].message
