"""The catalogue's rules: datasets within their tenant, shares of personal data only
de-identified unless a law allows the raw data, approvals that name who and until when."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from infra.errors import SpecError
from infra.policy import evaluate
from infra.spec import load_environment, load_tenants

ROOT = Path(__file__).resolve().parents[2]
INVALID = ROOT / "tests" / "fixtures" / "invalid"
TODAY = dt.date(2026, 11, 28)


def _findings(case: str) -> list:
    return evaluate(
        load_tenants([INVALID / case]), load_environment("local", ROOT / "stacks"), TODAY
    )


def test_raw_personal_data_names_the_de_identified_alternatives() -> None:
    hit = next(f for f in _findings("GC040-raw-personal") if f.rule == "GC040")
    assert hit.field == "data_requests[0].dataset"
    assert "ehr-stats" in hit.message and "raw_basis" in hit.message
    assert hit.path is not None and hit.path.endswith("nh-wsjkj.yaml") and hit.line


def test_a_recorded_legal_basis_allows_the_raw_data(tmp_path: Path) -> None:
    for f in (INVALID / "GC040-raw-personal").iterdir():
        text = f.read_text()
        if f.name == "nh-wsjkj.yaml":
            text += "  raw_basis: 《个人信息保护法》第十三条第一款第（三）项\n"
        (tmp_path / f.name).write_text(text)
    env = load_environment("local", ROOT / "stacks")
    assert not [f for f in evaluate(load_tenants([tmp_path]), env, TODAY) if f.rule == "GC040"]


def test_an_expired_approval_is_a_warning_naming_the_revocation() -> None:
    hit = next(f for f in _findings("GC041-expired-share") if f.rule == "GC041")
    assert hit.severity.value == "warning" and "revoked" in hit.message


def test_an_unknown_dataset_lists_what_the_provider_publishes() -> None:
    hit = next(f for f in _findings("GC030-unknown-dataset") if f.rule == "GC030")
    assert "ehr-index, ehr-stats" in hit.message


def test_a_request_names_a_dataset_or_its_data(tmp_path: Path) -> None:
    src = INVALID / "GC030-unknown-dataset" / "nh-wsjkj.yaml"
    (tmp_path / "nh-wsjkj.yaml").write_text(src.read_text().replace("  dataset: ehr-archive\n", ""))
    with pytest.raises(SpecError) as caught:
        load_tenants([tmp_path])
    assert any("names a dataset" in p.message for p in caught.value.problems)


def test_requests_from_before_the_catalogue_stay_valid() -> None:
    specs = {t.spec.id: t.spec for t in load_tenants([ROOT / "tenants"])}
    old = [r for r in specs["gz-zwsjj"].data_requests if r.dataset is None]
    assert old and all(r.data and r.authorization is None for r in old)
