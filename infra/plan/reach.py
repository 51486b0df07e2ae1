"""Deny by default within a tenant's reach, on the cloud side.

A plan states every cloud setting that can grant access to a tenant's data or change its
durability, so that anything else is drift: exactly the planned lifecycle rules, no ACL grant
beyond the owner, no replication, no event notification, no KMS grant, no role policy but
the planned one, one version of the boundary, the alias on the key govcloud created.

Which key that is is decided here from what the cloud shows (pure; the drivers read): when a
bucket is encrypted, govcloud records on it, as the tag ``KEY_PIN_TAG``, the alias and the id
of the key it used. From then on that key is the alias's key: a moved alias is put back,
never followed, and the bucket is never re-encrypted with whatever the alias names now.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ALIAS_PINNED",
    "INLINE_POLICY",
    "KEY_PIN_TAG",
    "RETENTION_RULE",
    "alias_key_view",
    "bucket_reach",
    "encryption_view",
    "key_id_of",
    "key_reach",
    "parse_pin",
    "pin_record",
    "pinned_key",
    "retention_rules",
    "role_reach",
    "unknown_key",
]

RETENTION_RULE = "govcloud-retention"
INLINE_POLICY = "govcloud-access"  # the one inline policy a govcloud role has
KEY_PIN_TAG = "govcloud-kms-key"  # on a bucket: "<alias>=<key id>" of the key it was given
ALIAS_PINNED = "govcloud's key"  # what a key's ``alias_key`` reads when all is well


def retention_rules(days: int | None) -> list[dict[str, Any]]:
    """A bucket's lifecycle rules, all of them: the retention rule (current and noncurrent
    versions expire after ``days``: with versioning on, expiry alone only hides the data), or
    none when the data is kept without end."""
    if days is None:
        return []
    return [
        {
            "ID": RETENTION_RULE,
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "Expiration": {"Days": days},
            "NoncurrentVersionExpiration": {"NoncurrentDays": days},
        }
    ]


def bucket_reach(expiration_days: int | None) -> dict[str, Any]:
    """The bucket props that close everything else: exactly the retention rules, no ACL
    grant, no replication, no notification."""
    return {
        "lifecycle_rules": retention_rules(expiration_days),
        "acl_grants": [],
        "replication": "",
        "notifications": "",
    }


def key_reach(pin_bucket: str) -> dict[str, Any]:
    """The key props that close everything else: the alias on govcloud's key (recorded on
    ``pin_bucket``), enabled and not pending deletion, no grant."""
    return {"pin_bucket": pin_bucket, "alias_key": ALIAS_PINNED, "state": "Enabled", "grants": []}


def role_reach() -> dict[str, Any]:
    """The role props that close everything else: the planned inline policy only, nothing
    attached, a boundary with one version (a second one could be made default)."""
    return {"inline_policies": [INLINE_POLICY], "attached_policies": [], "boundary_versions": 1}


def key_id_of(reference: str) -> str:
    """The key id in a key id or key ARN (``arn:...:key/<id>`` → ``<id>``)."""
    return reference.rsplit("key/", 1)[-1] if ":key/" in reference else reference


def pin_record(alias: str, key_id: str) -> str:
    return f"{alias}={key_id}"


def parse_pin(value: str | None) -> tuple[str, str] | None:
    """``(alias, key id)`` from a recorded pin; ``None`` when there is none (or it is not
    one: a tag value someone else wrote counts as no record)."""
    alias, sep, key_id = (value or "").rpartition("=")
    if not sep or not alias.startswith("alias/") or not key_id:
        return None
    return alias, key_id


def pinned_key(
    alias: str, *, recorded: str | None, encrypted_with: str, alias_target: str
) -> str | None:
    """The id of the key govcloud created for ``alias``; ``""`` when there is none yet (no
    record, no encryption, no alias), ``None`` when it cannot be told.

    ``recorded`` is the bucket's pin tag, ``encrypted_with`` the key id of its default
    encryption, ``alias_target`` the key id the alias names now. A pin for this alias wins.
    A pin for another alias is a planned change of key: the alias decides. Without a pin
    (a bucket from before pins, or the tag was removed) the bucket's key and the alias must
    agree; if they do not, nobody can tell which one is govcloud's, and nothing is moved."""
    pin = parse_pin(recorded)
    if pin is not None and pin[0] == alias:
        return pin[1]
    if pin is not None or not encrypted_with:
        return alias_target
    if alias_target and alias_target != encrypted_with:
        return None
    return encrypted_with


def alias_key_view(alias_target: str, pinned: str | None) -> str:
    """A key's ``alias_key`` as read: ``ALIAS_PINNED`` when the alias names govcloud's key."""
    if pinned is None:
        return (
            f"{alias_target or 'no key'}: cannot tell govcloud's key (no pin recorded; "
            "the bucket is encrypted with another key)"
        )
    if not alias_target:
        return f"no alias (govcloud's key is {pinned})"
    if pinned and alias_target != pinned:
        return f"moved to key {alias_target} (govcloud's key is {pinned})"
    return ALIAS_PINNED


def encryption_view(alias: str, encrypted_with: str, pinned: str | None) -> str:
    """A bucket's ``kms_key_alias`` as read: ``alias`` when its default encryption is the
    alias's pinned key; ``""`` when not encrypted with a KMS key; else what it is."""
    if not encrypted_with:
        return ""
    if pinned is None:
        return f"key {encrypted_with}: cannot tell govcloud's key for {alias}"
    if encrypted_with == pinned:
        return alias
    return f"key {encrypted_with}, not govcloud's key {pinned or '(none)'} for {alias}"


def unknown_key(bucket: str, alias: str, *, alias_target: str, encrypted_with: str) -> str:
    """Why nothing is moved when ``pinned_key`` cannot tell, and what a person does about it."""
    return (
        f"cannot tell govcloud's key for {alias}: bucket {bucket} is encrypted with key "
        f"{encrypted_with or '(none)'}, the alias names key {alias_target or '(none)'}, and "
        f"the bucket records no {KEY_PIN_TAG} tag; nothing is moved. Tag the bucket "
        f"{KEY_PIN_TAG}={pin_record(alias, '<id of the key that holds its data>')}"
    )
