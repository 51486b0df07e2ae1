"""KMS keys, found by alias (``alias/govcloud/<env>/<tenant>``) and pinned by key id.

A key whose props name a ``pin_bucket`` is govcloud's key as recorded on that bucket
(``keypin``): its alias is put back on it when moved, never followed.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any, TypedDict

from infra.drivers.cloud._session import call, canonical_json, client, pages, tag_dict, tag_list
from infra.drivers.cloud.keypin import KeyPin, describe, resolve_pin
from infra.errors import NotFoundError, PermanentError
from infra.plan.objects import KeyProps
from infra.plan.reach import alias_key_view, unknown_key

__all__ = [
    "ALIAS_TAG",
    "KeyOutputs",
    "delete_key",
    "ensure_key",
    "key_arn",
    "read_key",
    "write_key_policy",
]

PENDING_WINDOW_DAYS = 7
# Set on a key when it is created, removed once its alias is attached: a key whose creator
# was killed between CreateKey and CreateAlias is found by it and adopted, not left behind.
ALIAS_TAG = "govcloud-alias"


class KeyOutputs(TypedDict):
    key_id: str
    arn: str
    alias: str


def key_arn(alias: str, *, kms: Any = None) -> str:
    """The ARN of the key behind ``alias`` (``NotFoundError`` if there is none)."""
    meta = describe(kms or client("kms"), alias)
    if meta is None:
        raise NotFoundError(f"no KMS key has alias {alias}", operation="kms:DescribeKey")
    return str(meta["Arn"])


def _pin(kms: Any, props: KeyProps) -> KeyPin | None:
    bucket = props.get("pin_bucket")
    return resolve_pin(props["alias"], bucket, kms=kms) if bucket else None


def ensure_key(props: KeyProps) -> KeyOutputs:
    kms, alias = client("kms"), props["alias"]
    pin = _pin(kms, props)
    if pin is not None and pin.pinned is None:
        raise PermanentError(
            unknown_key(
                str(props.get("pin_bucket")),
                alias,
                alias_target=pin.alias_target,
                encrypted_with=pin.encrypted_with,
            ),
            operation=f"kms:UpdateAlias {alias}",
        )
    meta = describe(kms, pin.pinned if pin and pin.pinned else alias)
    if meta is None:
        shape = {"KeySpec": props["key_spec"]} if "key_spec" in props else {}
        if "key_usage" in props:
            shape["KeyUsage"] = props["key_usage"]
        meta = (
            _unattached(kms, alias)
            or call(
                f"kms:CreateKey {alias}",
                kms.create_key,
                Description=props["description"],
                Policy=props["policy"],
                Tags=tag_list({**props["tags"], ALIAS_TAG: alias}, "TagKey", "TagValue"),
                **shape,
            )["KeyMetadata"]
        )
        call(
            f"kms:CreateAlias {alias}", kms.create_alias, AliasName=alias, TargetKeyId=meta["KeyId"]
        )
    elif pin is not None and pin.alias_target != meta["KeyId"]:
        _put_alias_back(kms, alias, str(meta["KeyId"]), pin.alias_target)
    key_id = str(meta["KeyId"])
    if meta.get("KeyState") == "PendingDeletion":  # re-created within the pending window
        call(f"kms:CancelKeyDeletion {alias}", kms.cancel_key_deletion, KeyId=key_id)
        call(f"kms:EnableKey {alias}", kms.enable_key, KeyId=key_id)
    elif meta.get("KeyState") == "Disabled" and props.get("enabled", True):
        call(f"kms:EnableKey {alias}", kms.enable_key, KeyId=key_id)
    if meta.get("Description", "") != props["description"]:
        call(
            f"kms:UpdateKeyDescription {alias}",
            kms.update_key_description,
            KeyId=key_id,
            Description=props["description"],
        )
    call(
        f"kms:PutKeyPolicy {alias}",
        kms.put_key_policy,
        KeyId=key_id,
        PolicyName="default",
        Policy=props["policy"],
    )
    if props.get("key_spec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT":  # asymmetric: none
        _set_rotation(kms, key_id, alias, props["rotation"])
    _sync_tags(kms, key_id, alias, props["tags"])
    if "grants" in props:
        _revoke_grants(kms, key_id, alias, props["grants"])
    return {"key_id": key_id, "arn": str(meta["Arn"]), "alias": alias}


def write_key_policy(props: KeyProps) -> None:
    """The planned key policy alone, on govcloud's key for the alias (as recorded on its
    bucket; nothing when it cannot be told or does not exist: the full check says why)."""
    kms, alias = client("kms"), props["alias"]
    pin = _pin(kms, props)
    if pin is not None and not pin.pinned:
        return
    meta = describe(kms, pin.pinned if pin and pin.pinned else alias)
    if meta is None:
        return
    call(
        f"kms:PutKeyPolicy {alias}",
        kms.put_key_policy,
        KeyId=str(meta["KeyId"]),
        PolicyName="default",
        Policy=props["policy"],
    )


def _put_alias_back(kms: Any, alias: str, key_id: str, moved_to: str) -> None:
    """The alias names another key (or none): point it at govcloud's key again."""
    if moved_to:
        call(f"kms:UpdateAlias {alias}", kms.update_alias, AliasName=alias, TargetKeyId=key_id)
    else:
        call(f"kms:CreateAlias {alias}", kms.create_alias, AliasName=alias, TargetKeyId=key_id)


def _grants(kms: Any, key_id: str, alias: str) -> list[dict[str, Any]]:
    """Every grant on the key: ``{"id", "grantee", "operations"}``, by grantee and id."""
    out: list[dict[str, Any]] = []
    kwargs: dict[str, Any] = {"KeyId": key_id}
    while True:
        page = call(f"kms:ListGrants {alias}", kms.list_grants, **kwargs)
        out += [
            {
                "id": str(g.get("GrantId", "")),
                "grantee": str(g.get("GranteePrincipal", "")),
                "operations": sorted(g.get("Operations") or []),
            }
            for g in page.get("Grants", [])
        ]
        if not page.get("Truncated"):
            return sorted(out, key=lambda g: (g["grantee"], g["id"]))
        kwargs["Marker"] = page["NextMarker"]


def _grant_text(grant: dict[str, Any]) -> str:
    """A grant as ``KeyProps.grants`` lists it."""
    return f"{grant['grantee']}: {','.join(grant['operations'])} (grant {grant['id']})"


def _revoke_grants(kms: Any, key_id: str, alias: str, planned: list[str]) -> None:
    for grant in _grants(kms, key_id, alias):
        if _grant_text(grant) not in planned:
            with suppress(NotFoundError):  # retired or revoked meanwhile: gone either way
                call(
                    f"kms:RevokeGrant {alias}", kms.revoke_grant, KeyId=key_id, GrantId=grant["id"]
                )


def _unattached(kms: Any, alias: str) -> dict[str, Any] | None:
    """A key created for ``alias`` that never got it (its creator was killed in between).
    Costs a list of aliases and keys, and one call per key without an alias (rare)."""
    aliased = {a.get("TargetKeyId") for a in pages("kms:ListAliases", kms.list_aliases, "Aliases")}
    for key in pages("kms:ListKeys", kms.list_keys, "Keys"):
        if key["KeyId"] in aliased:
            continue
        tags = tag_dict(
            call(
                f"kms:ListResourceTags {key['KeyId']}", kms.list_resource_tags, KeyId=key["KeyId"]
            ).get("Tags"),
            "TagKey",
            "TagValue",
        )
        if tags.get(ALIAS_TAG) == alias:
            meta: dict[str, Any] = call(
                f"kms:DescribeKey {key['KeyId']}", kms.describe_key, KeyId=key["KeyId"]
            )["KeyMetadata"]
            return meta
    return None


def _set_rotation(kms: Any, key_id: str, alias: str, enabled: bool) -> None:
    method = kms.enable_key_rotation if enabled else kms.disable_key_rotation
    try:
        call(f"kms:{'Enable' if enabled else 'Disable'}KeyRotation {alias}", method, KeyId=key_id)
    # Why: an AWS-compatible endpoint may not implement rotation; the key is still usable and
    # read_key reports the real rotation status, so the difference stays visible.
    except PermanentError as exc:
        if exc.code not in (
            "NotImplemented",
            "UnsupportedOperationException",
            "UnsupportedOperation",
        ):
            raise


def _sync_tags(kms: Any, key_id: str, alias: str, tags: dict[str, str]) -> None:
    actual = tag_dict(
        call(f"kms:ListResourceTags {alias}", kms.list_resource_tags, KeyId=key_id).get("Tags"),
        "TagKey",
        "TagValue",
    )
    extra = sorted(set(actual) - set(tags))
    if extra:
        call(f"kms:UntagResource {alias}", kms.untag_resource, KeyId=key_id, TagKeys=extra)
    if {k: v for k, v in actual.items() if k not in extra} != tags:
        call(
            f"kms:TagResource {alias}",
            kms.tag_resource,
            KeyId=key_id,
            Tags=tag_list(tags, "TagKey", "TagValue"),
        )


def read_key(
    alias: str, *, pin_bucket: str | None = None, kms: Any = None, s3: Any = None
) -> KeyProps | None:
    """The key's actual properties, or ``None`` if absent. Without ``pin_bucket``: the key
    the alias names (``None`` too if scheduled for deletion). With it: govcloud's key as
    recorded on that bucket, pending deletion or not, where the alias points, its grants."""
    kms = kms or client("kms")
    pin = resolve_pin(alias, pin_bucket, kms=kms, s3=s3) if pin_bucket else None
    meta = describe(kms, pin.pinned if pin and pin.pinned else alias)
    if meta is None or (pin is None and meta.get("KeyState") == "PendingDeletion"):
        return None
    key_id = meta["KeyId"]
    policy = call(
        f"kms:GetKeyPolicy {alias}", kms.get_key_policy, KeyId=key_id, PolicyName="default"
    )["Policy"]
    try:
        rotation = bool(
            call(f"kms:GetKeyRotationStatus {alias}", kms.get_key_rotation_status, KeyId=key_id)[
                "KeyRotationEnabled"
            ]
        )
    # Why: see _set_rotation; no rotation support means rotation is off.
    except PermanentError:
        rotation = False
    tags = call(f"kms:ListResourceTags {alias}", kms.list_resource_tags, KeyId=key_id)
    actual: KeyProps = {
        "alias": alias,
        "description": str(meta.get("Description", "")),
        "policy": canonical_json(policy),
        "rotation": rotation,
        "enabled": meta.get("KeyState") == "Enabled",
        "tags": tag_dict(tags.get("Tags"), "TagKey", "TagValue"),
        "state": str(meta.get("KeyState", "")),
        "grants": [_grant_text(g) for g in _grants(kms, key_id, alias)],
    }
    if meta.get("KeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT":
        actual["key_spec"] = str(meta["KeySpec"])
        actual["key_usage"] = str(meta.get("KeyUsage", ""))
    if pin is not None:
        actual["pin_bucket"] = str(pin_bucket)
        actual["alias_key"] = alias_key_view(pin.alias_target, pin.pinned)
    return actual


def delete_key(alias: str, *, pending_days: int | None = None) -> bool:
    """Remove the alias and schedule the key's deletion (after ``pending_days``, 7-30;
    default 7). ``True`` if it existed."""
    kms = client("kms")
    meta = describe(kms, alias)
    if meta is None:
        return False
    with suppress(NotFoundError):
        call(f"kms:DeleteAlias {alias}", kms.delete_alias, AliasName=alias)
    if meta.get("KeyState") != "PendingDeletion":
        call(
            f"kms:ScheduleKeyDeletion {alias}",
            kms.schedule_key_deletion,
            KeyId=meta["KeyId"],
            PendingWindowInDays=pending_days or PENDING_WINDOW_DAYS,
        )
    return True
