"""Identity: credit code and division code (per tenant). Uniqueness is in ``fleet``."""

from __future__ import annotations

from collections.abc import Iterator

from infra.spec import TenantSpec
from infra.spec.codes import (
    credit_division_problem,
    division_level_problem,
    division_unknown_problem,
)
from infra.spec.validate import credit_code_message, said_again

from .context import Context, Issue

__all__ = ["check_identity"]


def check_identity(spec: TenantSpec, ctx: Context) -> Iterator[Issue]:
    credit = credit_code_message(spec.credit_code)
    if credit:
        yield Issue("GC004", ("credit_code",), credit)
    division = division_level_problem(spec.division_code, spec.level.value)
    if division:
        yield Issue("GC005", ("division_code",), said_again(division))
        return
    unknown = division_unknown_problem(spec.division_code)
    if unknown:
        yield Issue("GC026", ("division_code",), said_again(unknown))
    elif not credit:
        registered = credit_division_problem(spec.credit_code, spec.division_code)
        if registered:
            yield Issue("GC027", ("credit_code",), said_again(registered))
