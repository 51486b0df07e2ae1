"""Hypothesis strategy for strings in the Kubernetes quantity grammar (shared with e2e)."""

from __future__ import annotations

from hypothesis import strategies as st

__all__ = ["quantity_strings"]

SUFFIXES = ["", "n", "u", "m", "k", "M", "G", "T", "P", "E", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei"]


def quantity_strings(signs: tuple[str, ...] = ("", "+", "-")) -> st.SearchStrategy[str]:
    """<sign><number><suffix>: every number form (1, 1.5, 1., .5), SI, binary and exponents."""
    digits = st.text("0123456789", min_size=1, max_size=8)
    numbers = st.one_of(
        digits,
        st.tuples(digits, digits).map(".".join),
        digits.map(lambda d: d + "."),
        digits.map(lambda d: "." + d),
    )
    exponents = st.tuples(
        st.sampled_from("eE"),
        st.sampled_from(["", "+", "-"]),
        st.text("0123456789", min_size=1, max_size=2),
    ).map("".join)
    suffixes = st.one_of(st.sampled_from(SUFFIXES), exponents)
    return st.tuples(st.sampled_from(signs), numbers, suffixes).map("".join)
