"""Commercial cryptography (商用密码) for the assessment (密评): which algorithms are SM2, SM3
or SM4, how a KMS key spec is named on this cloud, and GC042.

On a China-region cloud (partition ``aws-cn``) a ``SYMMETRIC_DEFAULT`` KMS key is an SM4-128
key; elsewhere it is AES-256-GCM. ``SM2`` keys sign with ``SM2DSA`` (SM2 with SM3).

GC042 judges, with ``cryptography.require_commercial``, every important and core tenant: the
algorithms the environment itself chooses for its data (the partition's symmetric keys, the
record-signing key, transport to the cloud endpoint), and, when given, what the cryptography
inventory read live (``govcloud report --cryptography --format json``, passed to
``govcloud check --crypto-file``) flagged for it. The live reading wins over the declaration:
it is what protects the data.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from infra.i18n import N_, _
from infra.spec import TenantSpec
from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import Classification

from .context import Context, Issue

__all__ = [
    "PLAINTEXT",
    "check_cryptography",
    "commercial",
    "declared_flags",
    "inventory_flags",
    "judged",
    "key_algorithms",
]

PLAINTEXT = N_("plaintext")  # no encryption at all (plain HTTP, an identity provider)
_COMMERCIAL = ("SM2", "SM3", "SM4")
_KEY_SPECS = {
    "ECC_NIST_P256": "ECC P-256",
    "ECC_NIST_P384": "ECC P-384",
    "ECC_NIST_P521": "ECC P-521",
    "ECC_SECG_P256K1": "ECC secp256k1",
    "RSA_2048": "RSA-2048",
    "RSA_3072": "RSA-3072",
    "RSA_4096": "RSA-4096",
    "HMAC_224": "HMAC-SHA-224",
    "HMAC_256": "HMAC-SHA-256",
    "HMAC_384": "HMAC-SHA-384",
    "HMAC_512": "HMAC-SHA-512",
    "SM2": "SM2",
}


def _commercial(name: str) -> bool:
    upper = name.upper()
    # A TLS cipher suite is commercial when it is SM4 with SM3 (TLS_SM4_GCM_SM3, ECC-SM4-SM3).
    return upper.startswith(_COMMERCIAL) or ("SM4" in upper and "SM3" in upper)


def commercial(algorithms: Sequence[str]) -> bool:
    """All of ``algorithms`` are commercial cryptography (SM2, SM3, SM4); none is no proof."""
    return bool(algorithms) and all(_commercial(a) for a in algorithms)


def judged(spec: TenantSpec) -> bool:
    """Whether the tenant's data must be protected by commercial cryptography when the
    environment requires it: important and core data."""
    return spec.data.classification in (Classification.important, Classification.core)


def key_algorithms(key_spec: str, algorithms: Sequence[str], *, partition: str) -> list[str]:
    """The algorithms of a KMS key as the assessment names them: the key itself (SM4-128 for a
    symmetric key in ``aws-cn``), then the signing or encryption algorithms it allows."""
    if key_spec in ("", "SYMMETRIC_DEFAULT"):
        return ["SM4-128" if partition == "aws-cn" else "AES-256-GCM"]
    named = _KEY_SPECS.get(key_spec, key_spec)
    return [named, *(a for a in algorithms if a != named)]


def declared_flags(env: EnvironmentSpec) -> list[str]:
    """What the environment itself chooses for every tenant's data that is not commercial
    cryptography (empty when all is)."""
    out = []
    if env.cloud.partition != "aws-cn":
        out.append(
            _("its KMS key: AES-256-GCM (cloud.partition {partition})").format(
                partition=env.cloud.partition
            )
        )
    if env.destruction.signing != "sm2":
        out.append(
            _("its destruction record's signature: ECDSA P-256 (destruction.signing {how})").format(
                how=env.destruction.signing
            )
        )
    tls = env.cloud.tls
    if tls is False or (tls is None and (env.cloud.endpoint or "").startswith("http://")):
        out.append(_("the cloud endpoint's transport: plaintext HTTP (cloud.tls)"))
    return out


def inventory_flags(data: Any) -> dict[str, list[str]]:
    """The flagged items by tenant, from the JSON ``govcloud report --cryptography --format
    json`` wrote (the whole report, or its ``cryptography`` object); ValueError naming what is
    wrong."""
    section = data.get("cryptography", data) if isinstance(data, Mapping) else None
    tenants = section.get("tenants") if isinstance(section, Mapping) else None
    if not isinstance(section, Mapping) or not section.get("read") or not isinstance(tenants, list):
        raise ValueError(
            _(
                "expected the JSON `govcloud report --cryptography --format json` writes "
                "(a report whose cryptography inventory was read)"
            )
        )
    out: dict[str, list[str]] = {}
    for i, row in enumerate(tenants):
        if not isinstance(row, Mapping) or not isinstance(row.get("tenant"), str):
            raise ValueError(_("tenants[{index}]: `tenant` is missing").format(index=i))
        flagged = row.get("flagged") or []
        if not isinstance(flagged, list):
            raise ValueError(_("tenants[{index}]: `flagged` is not a list").format(index=i))
        out[row["tenant"]] = [str(f) for f in flagged]
    return out


def check_cryptography(spec: TenantSpec, ctx: Context) -> Iterator[Issue]:
    if not ctx.env.cryptography.require_commercial or not judged(spec):
        return
    observed = ctx.cryptography.get(spec.id)
    for what in observed if observed is not None else declared_flags(ctx.env):
        yield Issue(
            "GC042",
            ("data", "classification"),
            _(
                "{classification} data is protected by {what}, not commercial cryptography "
                "(SM2, SM3, SM4)"
            ).format(classification=spec.data.classification.value, what=what),
        )
