"""GB 32100-2015 credit codes and GB/T 2260 division codes."""

from __future__ import annotations

import pytest

from infra.spec.codes import (
    credit_check_char,
    credit_code_problem,
    division_level,
    division_problem,
    org_check_char,
)


def test_the_standard_example_code_is_valid() -> None:
    # The worked example printed in GB 32100-2015.
    assert credit_code_problem("91350100M000100Y43") is None
    assert credit_check_char("91350100M000100Y4") == "3"
    assert org_check_char("M000100Y") == "4"


@pytest.mark.parametrize(
    ("code", "reason"),
    [
        ("91350100M000100Y44", "check character"),
        ("91350100M000100Y4", "18 characters"),
        ("91350100M000100I43", "18 characters"),  # I is not in the alphabet
        ("91350100m000100Y43", "18 characters"),
    ],
)
def test_bad_credit_codes_say_why(code: str, reason: str) -> None:
    problem = credit_code_problem(code)
    assert problem is not None and reason in problem


def test_organization_code_check_digit_is_verified() -> None:
    first = "11440000MB2C9261" + "0"  # wrong GB 11714 digit
    code = first + credit_check_char(first)
    assert "GB 11714" in (credit_code_problem(code) or "")


@pytest.mark.parametrize(
    ("code", "level"),
    [
        ("440000", "province"),
        ("440100", "city"),
        ("440300", "city"),
        ("440106", "county"),
        ("110000", "province"),
        ("440605", "county"),
    ],
)
def test_division_levels(code: str, level: str) -> None:
    assert division_level(code) == level
    assert division_problem(code, level) is None


@pytest.mark.parametrize(
    ("code", "level", "reason"),
    [
        ("440100", "county", "city-level"),
        ("440000", "city", "province-level"),
        ("990000", "province", "not a GB/T 2260"),
        ("44010", "city", "not a GB/T 2260"),
        ("440001", "county", "not a GB/T 2260"),
    ],
)
def test_division_mismatch(code: str, level: str, reason: str) -> None:
    assert reason in (division_problem(code, level) or "")
