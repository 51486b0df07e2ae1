"""Kubernetes quantities ("500m", "2Gi", "1.5", "1e3") parsed exactly as the API server does.

The grammar (k8s.io/apimachinery ``resource.ParseQuantity``)::

    <quantity>        ::= <signedNumber><suffix>
    <signedNumber>    ::= <number> | "+" <number> | "-" <number>
    <number>          ::= <digits> | <digits> "." <digits> | <digits> "." | "." <digits>
    <suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI>
    <binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei
    <decimalSI>       ::= n | u | m | "" | k | M | G | T | P | E
    <decimalExponent> ::= "e" <signedNumber> | "E" <signedNumber>   (an integer exponent)

Values below one nano-unit are rounded up (away from zero) to 1n, binary quantities are capped
at 2^63-1, and the server stores a canonical string: the text as written when it already is
canonical by the server's quick test, otherwise the value re-rendered in the same family of
suffixes (see :func:`parse`). Only the Go server is the reference: the Python client's
``kubernetes.utils.parse_quantity`` is looser (it accepts ``1K``, ``1mi``, ``1e3k``), so this
module follows the Go code. ``infra.spec`` stays pure: nothing here imports the client.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from decimal import Decimal

__all__ = [
    "Quantity",
    "canonical_quantity",
    "format_quantity",
    "parse",
    "parse_quantity",
    "parse_resource",
    "quantity_hint",
]

DECIMAL_SI, BINARY_SI, DECIMAL_EXPONENT = "DecimalSI", "BinarySI", "DecimalExponent"
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_BINARY = {"Ki": 10, "Mi": 20, "Gi": 30, "Ti": 40, "Pi": 50, "Ei": 60}
_DECIMAL_BY_EXPONENT = {e: s for s, e in _DECIMAL.items()}
_BINARY_BY_POWER = {e // 10: s for s, e in _BINARY.items()}
_MAX_INT64 = 2**63 - 1
_INT32 = 2**31
# The server's scanner: sign, leading zeros, digits, optional fraction, then a suffix made of
# these letters, an optional sign and digits. What the suffix means is decided afterwards.
_SCAN = re.compile(r"([+-]?)0*([0-9]*)(?:\.([0-9]*))?([eEinumkKMGTP]*[+-]?[0-9]*)")
_EXAMPLES = "examples: 500m, 4, 16Gi, 2Ti, 1e3"
_LOOKS_LIKE_BYTES = re.compile(r"\s*([0-9]*\.?[0-9]+)\s*([kKmMgGtTpPeE])(i?)([bB]?)\s*")


@dataclass(frozen=True)
class Quantity:
    """A parsed quantity: its exact value, suffix family and the string the server stores."""

    value: Decimal
    format: str
    canonical: str
    # The int64 fast path's scale (None after the exact path): decides what survives rounding.
    quick_scale: int | None = field(default=None, repr=False, compare=False)


def parse(text: str) -> Quantity:
    """Parse like ``resource.ParseQuantity``; raise ValueError saying why (and a likely fix)."""
    if not isinstance(text, str) or not text:
        raise ValueError(f"{text!r} is not a Kubernetes quantity ({_EXAMPLES})")
    return _parse(text)


@functools.lru_cache(maxsize=4096)  # a fleet repeats a few dozen spellings thousands of times
def _parse(text: str) -> Quantity:
    if text == "0":
        return Quantity(Decimal(0), DECIMAL_SI, "0")
    scanned = _SCAN.fullmatch(text)
    suffix = _interpret(scanned.group(4)) if scanned else None
    if scanned is None or suffix is None:
        hint = _hint(text)
        reason = f"did you mean {hint}?" if hint else _EXAMPLES
        raise ValueError(f"{text!r} is not a Kubernetes quantity ({reason})")
    negative = scanned.group(1) == "-"
    num, denom = scanned.group(2) or "0", scanned.group(3) or ""
    base, exponent, fmt = suffix
    quick = _quick(text, negative, num, denom, base, exponent, fmt)
    if quick is not None:
        return quick
    return _exact(negative, num, denom, base, exponent, fmt)


def parse_quantity(text: str) -> Decimal:
    """The value of a Kubernetes quantity; ValueError with a readable reason otherwise."""
    return parse(text).value


def parse_resource(text: str) -> Quantity:
    """A quantity as stored in a resource list (quota ``hard``, limit-range defaults, container
    resources): the server rounds every such value up to a milli-unit before storing it
    (``SetDefaults_ResourceList``), so ``.0001`` is kept as ``1m``."""
    quantity = parse(text)
    if quantity.quick_scale is not None and quantity.quick_scale >= -3:
        return quantity  # already whole milli-units: the server keeps it, text and all
    sign, digits, exponent = quantity.value.as_tuple()
    mantissa, scale = int("".join(map(str, digits)) or "0"), int(exponent)
    if mantissa and scale < -3:
        mantissa, scale = _round_up(mantissa, -3 - scale), -3
    if sign:
        mantissa = -mantissa
    return Quantity(
        _decimal(mantissa, scale), quantity.format, _canonical(mantissa, scale, quantity.format)
    )


def canonical_quantity(text: str) -> str:
    """The string the API server stores for ``text`` (e.g. ``1024Mi`` → ``1Gi``)."""
    return parse(text).canonical


def quantity_hint(text: str) -> str | None:
    """A likely meant quantity for a common mistake: ``32GB`` → ``32Gi``, ``1 Gi`` → ``1Gi``."""
    try:
        parse(text)
    except ValueError:
        return _hint(text)
    return None


def _hint(text: str) -> str | None:
    match = _LOOKS_LIKE_BYTES.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        return None
    number, letter, binary, unit = match.groups()
    if letter in "eE" and not (binary or unit):
        return None  # 1e or 1E… is an exponent gone wrong, not a unit
    return f"{number}{'K' if letter in 'kK' else letter.upper()}i"


def _interpret(suffix: str) -> tuple[int, int, str] | None:
    """(base, exponent, format) of a suffix, or None when the server refuses it."""
    if suffix in _DECIMAL:
        return 10, _DECIMAL[suffix], DECIMAL_SI
    if suffix in _BINARY:
        return 2, _BINARY[suffix], BINARY_SI
    if len(suffix) > 1 and suffix[0] in "eE" and re.fullmatch(r"[+-]?[0-9]+", suffix[1:]):
        exponent = int(suffix[1:])
        if not -_INT32 <= exponent < _INT32:
            return None  # Go would wrap it to 32 bits; refuse rather than silently differ
        return 10, exponent, DECIMAL_EXPONENT
    return None


def _quick(
    text: str, negative: bool, num: str, denom: str, base: int, exponent: int, fmt: str
) -> Quantity | None:
    """The server's int64 fast path, which keeps the text as written when it looks canonical."""
    if base == 10:
        scale, multiplier = exponent, 1
        precision = 18 - (len(num) + len(denom))
    elif not denom:
        scale, multiplier = 0, 1 << exponent
        precision = 15 - len(num) - (exponent * 3) // 10 - 1
    else:
        return None
    scale -= len(denom)
    if precision < 0 or scale < -9:
        return None
    shifted = num + denom
    amount = int(shifted)
    result = amount * multiplier
    if result > _MAX_INT64:
        return None
    if negative:
        result = -result
    if fmt == BINARY_SI:
        keep = exponent % 10 == 0 and amount & 7 != 0
    else:
        keep = scale % 3 == 0 and not shifted.endswith("000") and shifted[0] != "0"
    canonical = text if keep else _canonical(result, scale, fmt)
    return Quantity(_decimal(result, scale), fmt, canonical, scale)


def _exact(negative: bool, num: str, denom: str, base: int, exponent: int, fmt: str) -> Quantity:
    """The server's arbitrary-precision path: scale, round up to 1n, cap binary values."""
    mantissa, scale = int(num + denom), -len(denom)
    if base == 10:
        scale += exponent
    else:
        mantissa <<= exponent
    if mantissa and scale < -9:
        mantissa, scale = _round_up(mantissa, -9 - scale), -9
    if fmt == BINARY_SI:
        if _decimal(mantissa, scale) > _MAX_INT64:
            mantissa, scale = _MAX_INT64, 0
        if mantissa and _decimal(mantissa, scale) < 1:
            fmt = DECIMAL_SI
    if negative:
        mantissa = -mantissa
    return Quantity(_decimal(mantissa, scale), fmt, _canonical(mantissa, scale, fmt))


def _round_up(mantissa: int, digits: int) -> int:
    """ceil(mantissa / 10**digits) for a positive mantissa, without huge powers of ten."""
    if len(str(mantissa)) <= digits:
        return 1
    whole, rest = divmod(mantissa, int(10**digits))
    return whole + (1 if rest else 0)


def _decimal(mantissa: int, scale: int) -> Decimal:
    return Decimal(f"{mantissa}E{scale}")


def _canonical(mantissa: int, scale: int, fmt: str) -> str:
    """``Quantity.String()`` for the value mantissa × 10^scale in format ``fmt``."""
    if mantissa == 0:
        return "0"
    value = _decimal(mantissa, scale)
    if fmt == BINARY_SI:
        whole = value == value.to_integral_value()
        if -1024 < value < 1024 or not whole:
            fmt = DECIMAL_SI
        else:
            number, power = int(value), 0
            while number % 1024 == 0:
                number, power = number // 1024, power + 1
            return f"{number}{_BINARY_BY_POWER.get(power, '')}"
    sign, digits = ("-" if mantissa < 0 else ""), abs(mantissa)
    while digits % 10 == 0:
        digits, scale = digits // 10, scale + 1
    shift = scale % 3
    digits, scale = digits * 10**shift, scale - shift
    if fmt == DECIMAL_EXPONENT:
        return f"{sign}{digits}" + (f"e{scale}" if scale else "")
    # Beyond exa the server has no suffix and prints the digits alone (a known quirk, kept).
    return f"{sign}{digits}{_DECIMAL_BY_EXPONENT.get(scale, '')}"


def format_quantity(value: Decimal, *, binary: bool) -> str:
    """Render a value for people: binary units for bytes, plain or milli for CPU."""
    units = {s: Decimal(2) ** e for s, e in _BINARY.items() if s != "Ei"}
    if binary:
        for suffix in ("Pi", "Ti", "Gi", "Mi", "Ki"):
            unit = units[suffix]
            if value >= unit:
                return f"{(value / unit).quantize(Decimal('0.01')).normalize():f}{suffix}"
        return f"{value.normalize():f}"
    if value != value.to_integral_value():
        return f"{(value * 1000).to_integral_value():f}m"
    return f"{value.normalize():f}"
