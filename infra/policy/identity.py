"""Identity: credit code and division code (per tenant). Uniqueness is in ``fleet``."""

from __future__ import annotations

from collections.abc import Iterator

from infra.spec import TenantSpec
from infra.spec.codes import credit_code_problem, division_problem

from .context import Context, Issue

__all__ = ["check_identity"]


def check_identity(spec: TenantSpec, ctx: Context) -> Iterator[Issue]:
    problem = credit_code_problem(spec.credit_code)
    if problem:
        yield Issue("GC004", ("credit_code",), problem)
    problem = division_problem(spec.division_code, spec.level.value)
    if problem:
        yield Issue("GC005", ("division_code",), problem)
