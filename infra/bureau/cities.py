"""Labels for prefecture-level cities from the GB/T 2260 table govcloud checks codes against."""

from __future__ import annotations

from infra.spec.codes import division_table

__all__ = ["city_label"]


def city_label(code: str) -> str:
    """ "广州市 (440100)"; the bare code for a city outside the table."""
    name = division_table().current.get(code)
    return f"{name} ({code})" if name else code
