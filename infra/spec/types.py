"""Shared field types for the spec models."""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, ConfigDict

from .quantity import parse_quantity

__all__ = ["STRICT", "Code", "Date", "DnsLabel", "Email", "Network", "Quantity"]

STRICT = ConfigDict(extra="forbid", strict=True, frozen=True, populate_by_name=False)

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_EMAIL = re.compile(r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")


def _quantity(value: Any) -> Any:
    # YAML turns `cpu: 8` into an int; a quantity is text, so accept whole numbers too.
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        value = str(value)
    if isinstance(value, str):
        parse_quantity(value)
    return value


def _date(value: Any) -> Any:
    # YAML gives a date for an unquoted 2026-03-01; accept the quoted ISO form too, but never a
    # number (lax pydantic would read it as a Unix timestamp) or a timestamp with a time.
    if isinstance(value, dt.datetime):
        raise ValueError("expected a date (YYYY-MM-DD), not a date and time")
    if isinstance(value, str):
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            raise ValueError(f"{value!r} is not a date (YYYY-MM-DD)")
        try:
            return dt.date.fromisoformat(value)
        except ValueError as exc:
            raise ValueError(f"{value!r} is not a valid date ({exc})") from exc
    return value


def _code(value: Any) -> Any:
    # An all-digit code such as 440100 is a number to YAML; say how to write it.
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ValueError(f'write the code as a quoted string, e.g. "{value}"')
    return value


def _dns_label(value: str) -> str:
    if not _DNS_LABEL.match(value):
        raise ValueError(
            f"{value!r} is not a DNS-1123 label (lower-case letters, digits and '-', "
            "at most 63 characters, starting and ending with a letter or digit)"
        )
    return value


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError(f"{value!r} is not an e-mail address")
    return value.lower()


def _network(value: str) -> str:
    try:
        net = ipaddress.IPv4Network(value, strict=True)
    except ValueError as exc:
        raise ValueError(f"{value!r} is not an IPv4 network in CIDR form ({exc})") from exc
    return str(net)


Code = Annotated[str, BeforeValidator(_code)]
Date = Annotated[dt.date, BeforeValidator(_date)]
Quantity = Annotated[str, BeforeValidator(_quantity)]
DnsLabel = Annotated[str, AfterValidator(_dns_label)]
Email = Annotated[str, AfterValidator(_email)]
Network = Annotated[str, AfterValidator(_network)]
