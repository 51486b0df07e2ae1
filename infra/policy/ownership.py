"""Ownership: two government owners, and management separated from operation."""

from __future__ import annotations

from collections.abc import Iterator

from infra.i18n import _
from infra.spec import TenantSpec

from .context import Context, Issue, in_domains

__all__ = ["check_ownership"]


def check_ownership(spec: TenantSpec, ctx: Context) -> Iterator[Issue]:
    env = ctx.env
    contacts = spec.owners.contacts
    government = {c.email for c in contacts if in_domains(c.email, env.owner_domains)}
    if len(government) < 2:
        yield Issue(
            "GC006",
            ("owners", "contacts"),
            _(
                "{count} distinct owner(s) with an e-mail in {domains}; at least 2 are required"
            ).format(count=len(government), domains=", ".join(env.owner_domains)),
        )
    for i, contact in enumerate(contacts):
        if in_domains(contact.email, env.operator_domains):
            yield Issue(
                "GC007",
                ("owners", "contacts", i, "email"),
                _("{email} belongs to the operating company and cannot be an owner").format(
                    email=contact.email
                ),
            )
        elif not in_domains(contact.email, env.owner_domains):
            yield Issue(
                "GC006",
                ("owners", "contacts", i, "email"),
                _("{email} is not in an allowed owner domain").format(email=contact.email),
            )
    if spec.owners.group in env.operator_groups:
        yield Issue(
            "GC007",
            ("owners", "group"),
            _("{group!r} is an operator group and cannot own a tenant").format(
                group=spec.owners.group
            ),
        )
