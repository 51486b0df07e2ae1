"""Check characters and structure of Chinese official codes.

- Unified social credit code, GB 32100-2015: 18 characters over a 31-character alphabet
  (digits and upper-case letters without I, O, Z, S, V). Positions 1–17 are weighted by
  3^i mod 31; the 18th is the check character. Positions 9–17 are the organization code
  (GB 11714), whose own last character is a mod-11 check digit.
- Administrative division code, GB/T 2260: six digits, PPCCDD. A province ends in 0000,
  a prefecture-level city in 00 (CC ≠ 00), a county-level division has DD ≠ 00.
"""

from __future__ import annotations

import re

__all__ = [
    "CREDIT_ALPHABET",
    "credit_check_char",
    "credit_code_problem",
    "division_level",
    "division_problem",
    "org_check_char",
]

CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_CREDIT_FORMAT = re.compile(r"^[0-9A-HJ-NP-RTUWXY]{18}$")
_ORG_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
# GB/T 2260 first two digits: provinces, autonomous regions, municipalities, HK, MO, TW.
_PROVINCES = frozenset(str(n) for n in (
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46,
    50, 51, 52, 53, 54, 61, 62, 63, 64, 65, 71, 81, 82,
))


def credit_check_char(first17: str) -> str:
    """The GB 32100-2015 check character for the first 17 characters of a credit code."""
    total = sum(CREDIT_ALPHABET.index(c) * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_ALPHABET[(31 - total % 31) % 31]


def org_check_char(first8: str) -> str:
    """The GB 11714 check character for the first eight characters of an organization code."""
    total = sum(_ORG_ALPHABET.index(c) * w for c, w in zip(first8, _ORG_WEIGHTS, strict=True))
    check = (11 - total % 11) % 11
    return "X" if check == 10 else str(check)


def credit_code_problem(code: str) -> str | None:
    """Why ``code`` is not a valid unified social credit code, or None if it is."""
    if not _CREDIT_FORMAT.match(code):
        return (
            f"{code!r} is not 18 characters of digits and upper-case letters "
            "(I, O, Z, S and V are not used)"
        )
    expected = credit_check_char(code[:17])
    if code[17] != expected:
        return f"check character of {code!r} is {code[17]!r}, GB 32100-2015 gives {expected!r}"
    org = code[8:17]
    if all(c in _ORG_ALPHABET for c in org[:8]) and org[8] != org_check_char(org[:8]):
        return f"organization code {org!r} has a wrong GB 11714 check digit"
    return None


def division_level(code: str) -> str | None:
    """'province', 'city' or 'county' for a well-formed division code; None otherwise."""
    if not re.fullmatch(r"\d{6}", code) or code[:2] not in _PROVINCES:
        return None
    if code[2:] == "0000":
        return "province"
    if code[4:] == "00":
        return "city"
    return "county" if code[2:4] != "00" else None


def division_problem(code: str, level: str) -> str | None:
    """Why ``code`` does not fit ``level`` (GB/T 2260), or None if it does."""
    actual = division_level(code)
    if actual is None:
        return f"{code!r} is not a GB/T 2260 administrative division code (six digits, PPCCDD)"
    if actual != level:
        return f"{code!r} is a {actual}-level division code, but level is {level!r}"
    return None
