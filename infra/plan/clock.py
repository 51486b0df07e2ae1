"""One clock: the instant a run stands for, and the province's date of it.

Every consumer that asks "how old is it" or "has it expired" reads the same clock: deploy
hands its stacks one instant per run (``GOVCLOUD_NOW``, ISO 8601 with its offset), a
rehearsal's date-only ``GOVCLOUD_TODAY`` stands for noon of that day, and otherwise it is
the moment of the call. Dates are taken in the province's time zone (Beijing time), never
the machine's: a CI runner in UTC at 20:00 is already tomorrow in the province.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from infra.errors import InputError

from .lifecycle import PROVINCE_TZ, moment_of

__all__ = ["ENV_NOW", "ENV_TODAY", "now_from", "province_today"]

ENV_NOW = "GOVCLOUD_NOW"
ENV_TODAY = "GOVCLOUD_TODAY"


def now_from(environ: Mapping[str, str]) -> dt.datetime:
    """The instant of this run: ``GOVCLOUD_NOW``, else noon of ``GOVCLOUD_TODAY``, else now."""
    instant, day = environ.get(ENV_NOW), environ.get(ENV_TODAY)
    try:
        if instant:
            parsed = dt.datetime.fromisoformat(instant)
            if parsed.tzinfo is None:
                raise ValueError(instant)
            return parsed
        if day:
            return moment_of(dt.date.fromisoformat(day))
    except ValueError:
        name, wanted = (ENV_NOW, "instant with an offset") if instant else (ENV_TODAY, "date")
        raise InputError(f"{name}={instant or day!r} is not an ISO {wanted}", field=name) from None
    return dt.datetime.now(PROVINCE_TZ)


def province_today(environ: Mapping[str, str]) -> dt.date:
    """The province's date (Beijing time) of this run's instant."""
    return now_from(environ).astimezone(PROVINCE_TZ).date()
