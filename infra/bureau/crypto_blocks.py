"""The report's cryptography inventory section (密评 evidence), as blocks both renderers walk."""

from __future__ import annotations

from infra.i18n import N_, _
from infra.policy.crypto import PLAINTEXT

from .blocks import Block, Heading, Table, Text
from .crypto import CLOUD, KINDS, OPERATOR, CryptoItem
from .report import BureauReport
from .text import shown

__all__ = ["cryptography"]

_HOLDERS = {
    "root": N_("platform account (root)"),
    OPERATOR: N_("operating company"),
    CLOUD: N_("cloud provider"),
}


def _who(names: list[str]) -> str:
    return ", ".join(_(_HOLDERS[n]) if n in _HOLDERS else n for n in names) or "—"


def _custodian(item: CryptoItem) -> str:
    if not item.administrators and not item.users:
        return "—"
    return _("administers: {admins}; uses: {users}").format(
        admins=_who(item.administrators), users=_who(item.users)
    )


def _rotation(item: CryptoItem) -> str:
    if item.rotation is None:
        return _("not automatic")
    return _("on") if item.rotation else _("off")


def _algorithms(item: CryptoItem) -> str:
    names = ", ".join(_(PLAINTEXT) if a == PLAINTEXT else a for a in item.algorithms)
    if not names:
        return item.note or "—"
    return f"{names} ({item.note})" if item.note else names


def _commercial(item: CryptoItem) -> str:
    if not item.algorithms:
        return "—"
    return _("yes") if item.commercial else "**" + _("no") + "**"


def _cells(item: CryptoItem) -> list[str]:
    return [
        item.key or "—",
        item.spec or "—",
        _algorithms(item),
        _rotation(item),
        _custodian(item),
        _commercial(item),
    ]


def _header() -> list[str]:
    return [
        _("key"),
        _("spec"),
        _("algorithms"),
        _("rotation"),
        _("custodian"),
        _("commercial (SM2/SM3/SM4)"),
    ]


def cryptography(r: BureauReport) -> list[Block]:
    view = r.cryptography
    out: list[Block] = [Heading(2, _("Cryptography inventory (密评)"), "cryptography")]
    if view is None or not view.read:
        return [
            *out,
            Text(
                _(
                    "Not read: pass `--cryptography` to read from the live cloud and cluster "
                    "which key protects which data, its algorithms, rotation and custodian."
                )
            ),
        ]
    required = (
        " "
        + _(
            "The environment requires commercial cryptography: `govcloud check --crypto-file` "
            "refuses a flagged item (GC042)."
        )
        if view.require_commercial
        else ""
    )
    rows = [(t, i) for t in view.tenants for i in t.items]
    tenant_rows, more = shown(rows, 100)
    flagged = [(t, f) for t in view.tenants for f in t.flagged]
    flagged_rows, more_flagged = shown(flagged, 100)
    return [
        *out,
        Text(
            _(
                "Read live from the cloud (KMS, S3), the API server's process and each "
                "endpoint's TLS handshake. Commercial cryptography is SM2, SM3 and SM4; an item "
                "that is not protects important or core data is flagged."
            )
            + required
        ),
        Heading(3, _("Platform")),
        Table(
            [_("protects"), _("resource"), *_header()],
            [[_(KINDS[i.protects]), i.resource, *_cells(i)] for i in view.platform],
        ),
        Heading(3, _("Departments")),
        Table(
            [_("tenant"), _("classification"), _("protects"), *_header()],
            [
                [t.tenant, t.classification, _(KINDS[i.protects]), *_cells(i)]
                for t, i in tenant_rows
            ],
            more,
        ),
        Heading(3, _("Important and core data under non-commercial cryptography")),
        Table(
            [_("tenant"), _("classification"), _("item")],
            [[t.tenant, t.classification, f] for t, f in flagged_rows],
            more_flagged,
        )
        if flagged
        else Text(_("None.")),
    ]
