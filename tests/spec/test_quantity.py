"""Kubernetes quantities: the server's grammar, values and canonical strings.

The reference is the API server's Go parser; the Python client's ``parse_quantity`` is used as a
second opinion on values (it is looser about what it accepts and neither rounds nor caps).
"""

from __future__ import annotations

import decimal
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st
from kubernetes.utils import parse_quantity as client_parse

from infra.errors import SpecError
from infra.spec import load_tenants
from infra.spec.quantity import (
    canonical_quantity,
    parse,
    parse_quantity,
    parse_resource,
    quantity_hint,
)

from .quantities import quantity_strings

MAX_INT64 = Decimal(2**63 - 1)
NANO = Decimal("1e-9")
PRECISE = 400  # digits: enough for every generated quantity (exponents up to 99, Ei, 1n)

quantities = quantity_strings()


def _client(text: str) -> Decimal:
    with decimal.localcontext() as ctx:
        ctx.prec = PRECISE  # the client multiplies in the ambient context: room to be exact
        return Decimal(client_parse(text))


def _as_server_keeps_it(text: str, exact: Decimal) -> Decimal:
    """What the server does after the arithmetic: round up to 1n, cap binary values."""
    magnitude = abs(exact)
    if magnitude and int(magnitude.as_tuple().exponent) < -9:
        with decimal.localcontext() as ctx:
            ctx.prec = PRECISE
            magnitude = magnitude.quantize(NANO, rounding=decimal.ROUND_UP)
    if text.endswith("i") and magnitude > MAX_INT64:
        magnitude = MAX_INT64
    return -magnitude if exact < 0 else magnitude


@given(quantities)
@example("1.5Gi")
@example("-.000000000001Ki")
@example("9999999Ei")
def test_values_match_the_kubernetes_client_on_the_grammar(text: str) -> None:
    assert parse_quantity(text) == _as_server_keeps_it(text, _client(text))


@given(st.text("0123456789.+-eEinumkKMGTP_ ", max_size=10))
def test_whatever_both_accept_has_the_same_value(text: str) -> None:
    try:
        ours = parse_quantity(text)
    except ValueError:
        return
    try:
        theirs = _client(text)
    except (ValueError, decimal.InvalidOperation):
        # The server reads a number part without digits (".", "+", "-") as zero.
        assert ours == 0 and not any(c.isdigit() for c in text.split("e")[0].split("E")[0])
        return
    assert ours == _as_server_keeps_it(text, theirs)


@pytest.mark.parametrize(
    "text",
    [
        "1K",
        "1mi",
        "1e3k",
        " 1",
        "1 ",
        "1_000",
        "1ki",
        "NaN",
        "1.1.M",
        "1+1.0M",
        "0.1am",
        ".5i",
        "-3.01e-",
        "1e",
        "",
    ],
)
def test_the_server_refuses_what_the_grammar_excludes(text: str) -> None:
    with pytest.raises(ValueError, match="not a Kubernetes quantity"):
        parse(text)


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        # From k8s.io/apimachinery's TestQuantityParseEmit, plus the cases govcloud writes.
        ("1Ki", "1Ki"),
        ("1Mi", "1Mi"),
        ("1Gi", "1Gi"),
        ("1024Mi", "1Gi"),
        ("1000M", "1G"),
        (".001Ki", "1024m"),
        (".000001Ki", "1024u"),
        (".000000001Ki", "1024n"),
        (".000000000001Ki", "2n"),
        ("-1024Mi", "-1Gi"),
        ("0", "0"),
        ("0Gi", "0"),
        ("500m", "500m"),
        ("0.5", "500m"),
        ("1.5Gi", "1536Mi"),
        ("2000m", "2"),
        ("1e3", "1e3"),
        ("1000e0", "1e3"),
        ("1.5e-3", "1500e-6"),
        ("100Ei", "9223372036854775807"),
        ("1E", "1E"),
        ("0.1n", "1n"),
        # The server keeps what is written when its quick test finds it canonical.
        ("+1Ki", "+1Ki"),
        ("05", "05"),
        ("1.", "1."),
        ("1E3", "1E3"),
    ],
)
def test_canonical_form_is_what_the_server_stores(text: str, stored: str) -> None:
    assert canonical_quantity(text) == stored


@given(quantities)
def test_the_canonical_form_reads_back_as_the_same_value(text: str) -> None:
    parsed = parse(text)
    if parsed.format == "DecimalSI" and abs(parsed.value) >= Decimal("1e21"):
        return  # beyond exa the server prints digits without a suffix (its own quirk)
    again = parse(parsed.canonical)
    assert again.value == parsed.value
    assert again.canonical == parsed.canonical


@pytest.mark.parametrize(
    ("text", "meant"),
    [
        ("32GB", "32Gi"),
        ("32gb", "32Gi"),
        ("32GiB", "32Gi"),
        ("32 Gi", "32Gi"),
        ("512MB", "512Mi"),
        ("1.5TB", "1.5Ti"),
        ("64kb", "64Ki"),
    ],
)
def test_byte_units_get_a_did_you_mean(text: str, meant: str) -> None:
    assert quantity_hint(text) == meant
    with pytest.raises(ValueError, match=f"did you mean {meant}"):
        parse(text)


@pytest.mark.parametrize("text", ["32Gi", "500m", "32G", "abc", "1e"])
def test_no_hint_for_valid_or_unrecognisable_text(text: str) -> None:
    assert quantity_hint(text) is None


def test_a_spec_with_32GB_says_which_line_and_what_was_meant() -> None:
    fixture = Path(__file__).resolve().parents[1] / "fixtures" / "invalid" / "GC001-bad-quantity"
    with pytest.raises(SpecError) as caught:
        load_tenants([fixture])
    [problem] = caught.value.problems
    assert problem.field == "quotas.memory" and problem.line
    assert "did you mean 32Gi?" in problem.message


@pytest.mark.parametrize(
    ("text", "stored"),
    [
        (".000000000001Ki", "1m"),
        ("1n", "1m"),
        ("0.0001", "1m"),
        ("1.5e-3", "2e-3"),
        ("1e-3", "1e-3"),
        ("1.500", "1.500"),
        ("+1Ki", "+1Ki"),
        ("1536Mi", "1536Mi"),
    ],
)
def test_resource_lists_are_rounded_up_to_milli_units(text: str, stored: str) -> None:
    assert parse_resource(text).canonical == stored
    assert parse_resource(text).value >= parse(text).value


@given(quantities)
def test_milli_rounding_changes_nothing_already_in_milli_units(text: str) -> None:
    value = parse(text).value
    with decimal.localcontext() as ctx:
        ctx.prec = PRECISE
        whole_milli = value == value.quantize(Decimal("0.001"), rounding=decimal.ROUND_UP)
    if whole_milli:
        assert parse_resource(text).value == value
