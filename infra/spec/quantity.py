"""Kubernetes quantity syntax ("500m", "2Gi", "1.5", "10Ti") parsed to exact decimals."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

__all__ = ["format_quantity", "parse_quantity"]

_SUFFIXES: dict[str, Decimal] = {
    "": Decimal(1),
    "m": Decimal("0.001"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "P": Decimal(10) ** 15,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
    "Pi": Decimal(2) ** 50,
}
_PATTERN = re.compile(r"^([0-9]+(?:\.[0-9]+)?)(m|k|M|G|T|P|Ki|Mi|Gi|Ti|Pi)?$")


def parse_quantity(text: str) -> Decimal:
    """Return the value of a Kubernetes quantity; raise ValueError with a readable reason."""
    match = _PATTERN.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(
            f"{text!r} is not a Kubernetes quantity (examples: 500m, 4, 16Gi, 2Ti)"
        )
    number, suffix = match.group(1), match.group(2) or ""
    try:
        return Decimal(number) * _SUFFIXES[suffix]
    except InvalidOperation as exc:  # unreachable for the pattern above, kept for safety
        raise ValueError(f"{text!r} is not a number") from exc


def format_quantity(value: Decimal, *, binary: bool) -> str:
    """Render a value for people: binary units for bytes, plain or milli for CPU."""
    if binary:
        for suffix in ("Pi", "Ti", "Gi", "Mi", "Ki"):
            unit = _SUFFIXES[suffix]
            if value >= unit:
                return f"{(value / unit).quantize(Decimal('0.01')).normalize():f}{suffix}"
        return f"{value.normalize():f}"
    if value != value.to_integral_value():
        return f"{(value * 1000).to_integral_value():f}m"
    return f"{value.normalize():f}"
