"""Which KMS key an alias must name: the one govcloud recorded on the bucket it encrypts.

The decision is ``infra.plan.reach.pinned_key``; this module reads what it decides from (the
bucket's pin tag and default encryption, the alias's current key) and checks that the pinned
key still exists. Kept apart from ``kms`` and ``s3`` so both can use it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from infra.drivers.cloud._session import call, client, tag_dict
from infra.errors import NotFoundError
from infra.plan.reach import KEY_PIN_TAG, key_id_of, pinned_key

__all__ = ["KeyPin", "decide", "describe", "encryption_key", "recorded_pin", "resolve_pin"]


@dataclass(frozen=True)
class KeyPin:
    """What was read and decided for one alias."""

    alias_target: str  # the key id the alias names now ("" if none)
    encrypted_with: str  # the key id of the bucket's default encryption ("" if none)
    pinned: str | None  # govcloud's key id ("" none yet; None: cannot tell)


def describe(kms: Any, key: str) -> dict[str, Any] | None:
    """The key's metadata (by id, ARN or alias), or ``None`` if there is no such key."""
    try:
        meta: dict[str, Any] = call(f"kms:DescribeKey {key}", kms.describe_key, KeyId=key)[
            "KeyMetadata"
        ]
    except NotFoundError:
        return None
    return meta


def _optional(operation: str, method: Any, **kwargs: Any) -> Any:
    try:
        return call(operation, method, **kwargs)
    # Why: "not configured" and "no such bucket" are NotFound codes; both mean no evidence.
    except NotFoundError:
        return None


def encryption_key(s3: Any, kms: Any, bucket: str) -> str:
    """The key id of the bucket's default SSE-KMS encryption ("" if none). A key named by
    alias is resolved: what counts is the key, not the name."""
    got = _optional(f"s3:GetBucketEncryption {bucket}", s3.get_bucket_encryption, Bucket=bucket)
    for rule in (got or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules", []):
        default = rule.get("ApplyServerSideEncryptionByDefault", {})
        ref = str(default.get("KMSMasterKeyID") or "")
        if default.get("SSEAlgorithm") != "aws:kms" or not ref:
            continue
        if "alias/" in ref:
            meta = describe(kms, ref)
            return str(meta["KeyId"]) if meta else ref
        return key_id_of(ref)
    return ""


def recorded_pin(s3: Any, bucket: str) -> str | None:
    """The bucket's pin tag, if any."""
    got = _optional(f"s3:GetBucketTagging {bucket}", s3.get_bucket_tagging, Bucket=bucket)
    return tag_dict((got or {}).get("TagSet")).get(KEY_PIN_TAG)


def decide(kms: Any, alias: str, *, recorded: str | None, encrypted_with: str) -> KeyPin:
    """Which key is govcloud's for ``alias``, from the bucket's evidence (already read) and
    where the alias points now. A pinned key that no longer exists at all (past its deletion
    window) pins nothing."""
    target = describe(kms, alias)
    alias_target = str(target["KeyId"]) if target else ""
    pinned = pinned_key(
        alias, recorded=recorded, encrypted_with=encrypted_with, alias_target=alias_target
    )
    if pinned and pinned != alias_target and describe(kms, pinned) is None:
        pinned = alias_target
    return KeyPin(alias_target, encrypted_with, pinned)


def resolve_pin(alias: str, bucket: str, *, kms: Any = None, s3: Any = None) -> KeyPin:
    """Read the evidence for ``alias`` on ``bucket`` and decide which key is govcloud's."""
    kms, s3 = kms or client("kms"), s3 or client("s3")
    return decide(
        kms,
        alias,
        recorded=recorded_pin(s3, bucket),
        encrypted_with=encryption_key(s3, kms, bucket),
    )
