"""Identity: credit code and division code (per tenant). Uniqueness is in ``fleet``."""

from __future__ import annotations

from collections.abc import Iterator

from infra.i18n import _
from infra.spec import TenantSpec
from infra.spec.codes import (
    credit_check_char,
    credit_code_problem,
    credit_division_problem,
    division_level_problem,
    division_unknown_problem,
)

from .context import Context, Issue

__all__ = ["check_identity", "credit_code_message"]


def check_identity(spec: TenantSpec, ctx: Context) -> Iterator[Issue]:
    credit = credit_code_message(spec.credit_code)
    if credit:
        yield Issue("GC004", ("credit_code",), credit)
    division = division_level_problem(spec.division_code, spec.level.value)
    if division:
        yield Issue("GC005", ("division_code",), division)
        return
    unknown = division_unknown_problem(spec.division_code)
    if unknown:
        yield Issue("GC026", ("division_code",), unknown)
    elif not credit:
        registered = credit_division_problem(spec.credit_code, spec.division_code)
        if registered:
            yield Issue("GC027", ("credit_code",), registered)


def credit_code_message(code: str) -> str | None:
    """Why ``code`` is not a credit code, in the user's language; None if it is one.

    A wrong check character means some character was mistyped: the message says to copy the
    code from the certificate, never which check character would make it pass.
    """
    problem = credit_code_problem(code)
    if problem is None:
        return None
    if len(code) != 18 or problem.startswith(repr(code)):
        return _("{code!r} is not 18 characters of digits and upper-case letters (I, O, Z, S "
                 "and V are not used)").format(code=code)
    if code[17] != credit_check_char(code[:17]):
        return _("{code!r} fails the GB 32100-2015 check: a character is mistyped; copy the "
                 "code from the department's registration certificate").format(code=code)
    return _("{code!r} has a wrong organization-code check digit (GB 11714): a character is "
             "mistyped; copy the code from the registration certificate").format(code=code)
