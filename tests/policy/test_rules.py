"""Every rule fires on its fixture, naming the field; the example tenants are clean."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from infra.errors import SpecError
from infra.policy import RULES, Severity, evaluate, exit_code
from infra.spec import load_environment, load_tenants

ROOT = Path(__file__).resolve().parents[2]
INVALID = ROOT / "tests" / "fixtures" / "invalid"
CASES = json.loads((INVALID / "cases.json").read_text())
TODAY = dt.date(2026, 11, 28)


def _evaluate(case: Path, today: dt.date = TODAY) -> list:
    stacks = case / "stacks" if (case / "stacks").is_dir() else ROOT / "stacks"
    return evaluate(load_tenants([case]), load_environment("local", stacks), today)


def test_every_rule_has_a_fixture() -> None:
    covered = {c["rule"] for c in CASES.values()}
    # GC025 is covered by the examples; GC038 counts emergency accesses, which no tenant file
    # holds: tests/cli/test_access.py gives them as `--access-file`.
    assert covered >= set(RULES) - {"GC025", "GC038"}


@pytest.mark.parametrize("name", sorted(n for n in CASES if not n.startswith("GC001")))
def test_rule_fires_and_names_the_field(name: str) -> None:
    expected = CASES[name]
    findings = _evaluate(INVALID / name)
    hits = [f for f in findings if f.rule == expected["rule"]]
    assert hits, f"{name}: no {expected['rule']} in {[f.rule for f in findings]}"
    assert any(f.field == expected["field"] and expected["field"] in f.message for f in hits)
    assert all(f.hint for f in hits)
    assert exit_code(findings, strict=True) == 1  # warning rules (GC033) fail with --strict


@pytest.mark.parametrize("name", sorted(n for n in CASES if n.startswith("GC001")))
def test_schema_fixtures_fail_to_load_naming_the_field(name: str) -> None:
    with pytest.raises(SpecError) as caught:
        load_tenants([INVALID / name])
    assert any(p.field == CASES[name]["field"] and p.line for p in caught.value.problems)


def test_findings_point_at_the_line_of_the_field() -> None:
    finding = next(f for f in _evaluate(INVALID / "GC011-outside-pool") if f.rule == "GC011")
    assert finding.path is not None and finding.line is not None
    line = Path(finding.path).read_text().splitlines()[finding.line - 1]
    assert line.strip().startswith("cidr:")


def test_examples_pass_with_one_expiring_grant() -> None:
    findings = _evaluate(ROOT / "tenants")
    assert [(f.rule, f.tenant) for f in findings] == [("GC025", "sz-zwfwsjj")]
    assert exit_code(findings, strict=True) == 0


def test_examples_exercise_every_feature() -> None:
    specs = [t.spec for t in load_tenants([ROOT / "tenants"])]
    assert len(specs) >= 10
    assert {s.level.value for s in specs} == {"province", "city", "county"}
    assert {s.data.classification.value for s in specs} == {"general", "important", "core"}
    assert {s.data.personal_information.value for s in specs} == {"none", "personal", "sensitive"}
    assert {s.network.egress.value for s in specs} == {"none", "proxy"}
    assert {g.scope.value for s in specs for g in s.access} == {"ops", "data"}
    assert any(s.budget.annual_cny > 30_000_000 and s.budget.review for s in specs)
    assert any(s.lifecycle.state.value == "decommissioning" for s in specs)
    assert all(s.network.peers for s in specs if s.id in {"gd-gat", "gz-gaj"})


def test_an_expired_grant_is_a_warning_that_fails_only_strict() -> None:
    later = dt.date(2026, 12, 21)
    findings = _evaluate(ROOT / "tenants", today=later)
    expired = [f for f in findings if f.rule == "GC021"]
    assert [f.severity for f in expired] == [Severity.warning]
    assert exit_code(findings) == 0 and exit_code(findings, strict=True) == 1


def test_fleet_rules_scale_linearithmically() -> None:
    # Overlap detection must not be pairwise: 3,500 disjoint tenants take well under a second.
    import time

    from infra.policy.fleet import _overlaps
    from infra.spec import LoadedTenant

    base = load_tenants([ROOT / "tenants" / "th-zwsjj.yaml"])[0]
    env = load_environment("local", ROOT / "stacks")
    fleet = []
    for i in range(3500):
        cidr = f"10.{65 + i // 256}.{i % 256}.0/24"
        spec = base.spec.model_copy(
            update={"network": base.spec.network.model_copy(update={"cidr": cidr})}
        )
        fleet.append(LoadedTenant(path=base.path, spec=spec, text=base.text))
    started = time.perf_counter()
    assert list(_overlaps(fleet, env)) == []
    assert time.perf_counter() - started < 1
