"""S3 buckets, found by name: SSE-KMS with govcloud's key (pinned: ``keypin``), versioning,
public-access blocks, policy, ownership and ACLs, lifecycle rules, replication, notifications."""

from __future__ import annotations

import json
from typing import Any, TypedDict

from infra.drivers.cloud._session import (
    call,
    canonical_json,
    client,
    partition,
    region,
    tag_dict,
    tag_list,
)
from infra.drivers.cloud.keypin import decide, describe, encryption_key, recorded_pin
from infra.drivers.cloud.kms import key_arn
from infra.errors import NotFoundError, PermanentError
from infra.plan.objects import BucketProps
from infra.plan.reach import (
    KEY_PIN_TAG,
    RETENTION_RULE,
    encryption_view,
    key_id_of,
    pin_record,
    retention_rules,
    unknown_key,
)

__all__ = [
    "BucketOutputs",
    "delete_bucket",
    "ensure_bucket",
    "has_objects",
    "list_buckets",
    "read_bucket",
    "read_public_access_block",
    "write_bucket_policy",
]

ACCESS_LOG_PREFIX = "access-logs/"
_BLOCK_ALL = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


class BucketOutputs(TypedDict):
    name: str
    arn: str


def _exists(s3: Any, name: str) -> bool:
    try:
        call(f"s3:HeadBucket {name}", s3.head_bucket, Bucket=name)
    except NotFoundError:
        return False
    return True


def ensure_bucket(props: BucketProps) -> BucketOutputs:
    s3, name = client("s3"), props["name"]
    created = not _exists(s3, name)
    if created:
        try:
            call(
                f"s3:CreateBucket {name}",
                s3.create_bucket,
                Bucket=name,
                CreateBucketConfiguration={"LocationConstraint": region()},
            )
        # Why: a retried create whose first attempt succeeded answers "already owned by you".
        except PermanentError as exc:
            if exc.code != "BucketAlreadyOwnedByYou":
                raise
    key_id = _encrypt(s3, name, props["kms_key_alias"], fresh=created)
    call(
        f"s3:PutBucketVersioning {name}",
        s3.put_bucket_versioning,
        Bucket=name,
        VersioningConfiguration={"Status": "Enabled" if props["versioning"] else "Suspended"},
    )
    if props["public_access_block"]:
        call(
            f"s3:PutPublicAccessBlock {name}",
            s3.put_public_access_block,
            Bucket=name,
            PublicAccessBlockConfiguration=_BLOCK_ALL,
        )
    else:
        call(f"s3:DeletePublicAccessBlock {name}", s3.delete_public_access_block, Bucket=name)
    if props["policy"]:
        call(
            f"s3:PutBucketPolicy {name}", s3.put_bucket_policy, Bucket=name, Policy=props["policy"]
        )
    else:
        call(f"s3:DeleteBucketPolicy {name}", s3.delete_bucket_policy, Bucket=name)
    _set_lifecycle(
        s3, name, props.get("lifecycle_rules", retention_rules(props["expiration_days"]))
    )
    _set_ownership_and_logging(
        s3, name, props.get("ownership", ""), props.get("access_log_bucket", "")
    )
    _set_object_lock(s3, name, props.get("object_lock_days", 0))
    if "acl_grants" in props:
        _close_acl(s3, name, props["acl_grants"])
    if "replication" in props:
        _set_replication(s3, name, props["replication"])
    if "notifications" in props:
        _set_notifications(s3, name, props["notifications"])
    # The tag records which key the bucket was given: the alias's key from now on.
    pin = {KEY_PIN_TAG: pin_record(props["kms_key_alias"], key_id)} if key_id else {}
    call(
        f"s3:PutBucketTagging {name}",
        s3.put_bucket_tagging,
        Bucket=name,
        Tagging={"TagSet": tag_list({**props["tags"], **pin})},
    )
    return {"name": name, "arn": f"arn:{partition()}:s3:::{name}"}


def write_bucket_policy(props: BucketProps) -> None:
    """The planned bucket policy alone (a share's end narrows it at once; the full check
    follows): put, or deleted when the plan has none."""
    s3, name = client("s3"), props["name"]
    if props["policy"]:
        call(
            f"s3:PutBucketPolicy {name}", s3.put_bucket_policy, Bucket=name, Policy=props["policy"]
        )
    else:
        call(f"s3:DeleteBucketPolicy {name}", s3.delete_bucket_policy, Bucket=name)


def _encrypt(s3: Any, name: str, alias: str, *, fresh: bool) -> str:
    """Default encryption with govcloud's key for ``alias``: the key recorded on the bucket,
    not whatever the alias names now (a moved alias is put back by the key's own repair).
    A ``fresh`` bucket, just created, holds no data and has no record yet: it takes the key
    the alias names (the key's repair ran first). Returns the key id used ("" for a key
    given as something else than an alias)."""
    kms = client("kms")
    if not alias.startswith("alias/"):
        arn = key_arn(alias, kms=kms)
        key_id = ""
    else:
        # Why not read a fresh bucket's record: the local endpoint (moto 5.2.5) gives a bucket
        # re-created under a deleted one's name that bucket's old tags.
        pin = decide(
            kms,
            alias,
            recorded=None if fresh else recorded_pin(s3, name),
            encrypted_with="" if fresh else encryption_key(s3, kms, name),
        )
        if pin.pinned is None:
            raise PermanentError(
                unknown_key(
                    name, alias, alias_target=pin.alias_target, encrypted_with=pin.encrypted_with
                ),
                operation=f"s3:PutBucketEncryption {name}",
            )
        meta = describe(kms, pin.pinned) if pin.pinned else None
        arn = str(meta["Arn"]) if meta else key_arn(alias, kms=kms)
        key_id = key_id_of(arn)
    call(
        f"s3:PutBucketEncryption {name}",
        s3.put_bucket_encryption,
        Bucket=name,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": arn,
                    },
                    "BucketKeyEnabled": True,
                }
            ]
        },
    )
    return key_id


def _set_lifecycle(s3: Any, name: str, rules: list[dict[str, Any]]) -> None:
    """Exactly these rules (PutBucketLifecycleConfiguration replaces every rule)."""
    if not rules:
        call(f"s3:DeleteBucketLifecycle {name}", s3.delete_bucket_lifecycle, Bucket=name)
        return
    call(
        f"s3:PutBucketLifecycleConfiguration {name}",
        s3.put_bucket_lifecycle_configuration,
        Bucket=name,
        LifecycleConfiguration={"Rules": rules},
    )


def _close_acl(s3: Any, name: str, planned: list[str]) -> None:
    """No ACL grant beyond the owner's own unless planned (the plan grants none: with
    ownership enforced, the policy alone decides access)."""
    if not set(_acl_grants(s3, name)) - set(planned):
        return
    try:
        call(f"s3:PutBucketAcl {name}", s3.put_bucket_acl, Bucket=name, ACL="private")
    # Why: with ACLs disabled (BucketOwnerEnforced) an endpoint may refuse any ACL write;
    # then no grant can take effect either, and the read-back shows what remains.
    except PermanentError as exc:
        if exc.code != "AccessControlListNotSupported":
            raise


def _set_replication(s3: Any, name: str, planned: str) -> None:
    if _replication(s3, name) == canonical_json(planned):
        return
    if planned:
        call(
            f"s3:PutBucketReplication {name}",
            s3.put_bucket_replication,
            Bucket=name,
            ReplicationConfiguration=json.loads(planned),
        )
    else:
        call(f"s3:DeleteBucketReplication {name}", s3.delete_bucket_replication, Bucket=name)


def _set_notifications(s3: Any, name: str, planned: str) -> None:
    if _notifications(s3, name) == canonical_json(planned):
        return
    call(
        f"s3:PutBucketNotificationConfiguration {name}",
        s3.put_bucket_notification_configuration,
        Bucket=name,
        NotificationConfiguration=json.loads(planned) if planned else {},
    )


def _set_ownership_and_logging(s3: Any, name: str, ownership: str, log_bucket: str) -> None:
    if ownership:
        call(
            f"s3:PutBucketOwnershipControls {name}",
            s3.put_bucket_ownership_controls,
            Bucket=name,
            OwnershipControls={"Rules": [{"ObjectOwnership": ownership}]},
        )
    status: dict[str, Any] = {}
    if log_bucket:
        status = {
            "LoggingEnabled": {
                "TargetBucket": log_bucket,
                "TargetPrefix": f"{ACCESS_LOG_PREFIX}{name}/",
            }
        }
    call(
        f"s3:PutBucketLogging {name}",
        s3.put_bucket_logging,
        Bucket=name,
        BucketLoggingStatus=status,
    )


def _object_lock_days(s3: Any, name: str) -> int:
    got = _optional(
        f"s3:GetObjectLockConfiguration {name}", s3.get_object_lock_configuration, Bucket=name
    )
    config = (got or {}).get("ObjectLockConfiguration", {})
    retention = config.get("Rule", {}).get("DefaultRetention", {})
    if config.get("ObjectLockEnabled") != "Enabled" or retention.get("Mode") != "COMPLIANCE":
        return 0
    return int(retention.get("Days") or 0)


def _set_object_lock(s3: Any, name: str, days: int) -> None:
    """Compliance-mode retention; set only when it differs (it cannot be turned off, and
    the endpoint refuses to change it on a bucket that already holds objects)."""
    if days <= 0 or _object_lock_days(s3, name) == days:
        return
    call(
        f"s3:PutObjectLockConfiguration {name}",
        s3.put_object_lock_configuration,
        Bucket=name,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": days}},
        },
    )


def _optional(operation: str, method: Any, **kwargs: Any) -> Any:
    """A read whose "not configured" answer is a NotFound code (NoSuchBucketPolicy, ...)."""
    try:
        return call(operation, method, **kwargs)
    except NotFoundError:
        return None


def _alias_of(key_id: str, kms: Any) -> str:
    aliases = call("kms:ListAliases", kms.list_aliases, KeyId=key_id).get("Aliases", [])
    names = sorted(a["AliasName"] for a in aliases if not a["AliasName"].startswith("alias/aws/"))
    return names[0] if names else key_id


def _acl_grants(s3: Any, name: str) -> list[str]:
    """The ACL's grants other than the owner's own full control (``who:PERMISSION``)."""
    acl = call(f"s3:GetBucketAcl {name}", s3.get_bucket_acl, Bucket=name)
    owner = (acl.get("Owner") or {}).get("ID")
    return sorted(
        _grantee(g)
        for g in acl.get("Grants", [])
        if not (
            (g.get("Grantee") or {}).get("ID") == owner and g.get("Permission") == "FULL_CONTROL"
        )
    )


def _grantee(grant: dict[str, Any]) -> str:
    grantee = grant.get("Grantee") or {}
    who = grantee.get("URI") or grantee.get("ID") or grantee.get("EmailAddress") or "?"
    return f"{who}:{grant.get('Permission', '?')}"


def _replication(s3: Any, name: str) -> str:
    got = _optional(f"s3:GetBucketReplication {name}", s3.get_bucket_replication, Bucket=name)
    return canonical_json((got or {}).get("ReplicationConfiguration"))


def _notifications(s3: Any, name: str) -> str:
    """Every event notification target (queues, topics, functions, EventBridge), or ""."""
    got = call(
        f"s3:GetBucketNotificationConfiguration {name}",
        s3.get_bucket_notification_configuration,
        Bucket=name,
    )
    config = {k: v for k, v in got.items() if k != "ResponseMetadata" and v not in ({}, [], None)}
    if "EventBridgeConfiguration" in got:  # present, even empty, means enabled
        config["EventBridgeConfiguration"] = got["EventBridgeConfiguration"]
    return canonical_json(config) if config else ""


def _encryption_seen(s3: Any, kms: Any, name: str, alias: str | None, recorded: str | None) -> str:
    """``kms_key_alias`` as read: with the planned ``alias``, whether the bucket is encrypted
    with govcloud's key for it (``infra.plan.reach.encryption_view``); without, the alias of
    whatever key it is encrypted with."""
    kms = kms or client("kms")
    encrypted_with = encryption_key(s3, kms, name)
    if alias is None or not alias.startswith("alias/"):
        return _alias_of(encrypted_with, kms) if encrypted_with else ""
    pin = decide(kms, alias, recorded=recorded, encrypted_with=encrypted_with)
    return encryption_view(alias, encrypted_with, pin.pinned)


def read_bucket(
    name: str, *, alias: str | None = None, s3: Any = None, kms: Any = None
) -> BucketProps | None:
    """The bucket's actual properties, or ``None`` if it does not exist (``alias``: the key
    it should be encrypted with; ``s3`` and ``kms``: clients to reuse for many buckets)."""
    s3 = s3 or client("s3")
    if not _exists(s3, name):
        return None
    tags = _optional(f"s3:GetBucketTagging {name}", s3.get_bucket_tagging, Bucket=name)
    tagset = tag_dict((tags or {}).get("TagSet"))
    recorded = tagset.pop(KEY_PIN_TAG, None)
    versioning = call(f"s3:GetBucketVersioning {name}", s3.get_bucket_versioning, Bucket=name)
    policy = _optional(f"s3:GetBucketPolicy {name}", s3.get_bucket_policy, Bucket=name)
    lifecycle = _optional(
        f"s3:GetBucketLifecycleConfiguration {name}",
        s3.get_bucket_lifecycle_configuration,
        Bucket=name,
    )
    rules = sorted((lifecycle or {}).get("Rules", []), key=lambda r: str(r.get("ID", "")))
    days = None
    for rule in rules:
        if rule.get("ID") == RETENTION_RULE and rule.get("Status") == "Enabled":
            days = rule.get("Expiration", {}).get("Days")
    owner = _optional(
        f"s3:GetBucketOwnershipControls {name}", s3.get_bucket_ownership_controls, Bucket=name
    )
    ownership = "".join(
        r.get("ObjectOwnership", "")
        for r in (owner or {}).get("OwnershipControls", {}).get("Rules", [])[:1]
    )
    logging = call(f"s3:GetBucketLogging {name}", s3.get_bucket_logging, Bucket=name)
    actual: BucketProps = {
        "name": name,
        "kms_key_alias": _encryption_seen(s3, kms, name, alias, recorded),
        "versioning": versioning.get("Status") == "Enabled",
        "public_access_block": all(read_public_access_block(name, s3=s3).values()),
        "ownership": ownership,
        "access_log_bucket": str(logging.get("LoggingEnabled", {}).get("TargetBucket", "")),
        "policy": canonical_json((policy or {}).get("Policy")),
        "expiration_days": int(days) if days is not None else None,
        "tags": tagset,
        "lifecycle_rules": rules,
        "acl_grants": _acl_grants(s3, name),
        "replication": _replication(s3, name),
        "notifications": _notifications(s3, name),
    }
    lock = _object_lock_days(s3, name)
    if lock:  # absent when there is none, as in the props of a bucket without a lock
        actual["object_lock_days"] = lock
    return actual


def read_public_access_block(name: str, *, s3: Any = None) -> dict[str, bool]:
    """The four public-access-block settings (all ``False`` when none are configured)."""
    s3 = s3 or client("s3")
    got = _optional(f"s3:GetPublicAccessBlock {name}", s3.get_public_access_block, Bucket=name)
    config = (got or {}).get("PublicAccessBlockConfiguration", {})
    return {key: bool(config.get(key, False)) for key in _BLOCK_ALL}


def _versions(s3: Any, name: str, limit: int | None = None) -> list[dict[str, str]]:
    """Every object version and delete marker as ``{"Key", "VersionId"}`` (up to ``limit``)."""
    found: list[dict[str, str]] = []
    kwargs: dict[str, Any] = {"Bucket": name}
    while True:
        page = call(f"s3:ListObjectVersions {name}", s3.list_object_versions, **kwargs)
        for entry in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]:
            found.append({"Key": entry["Key"], "VersionId": entry.get("VersionId") or "null"})
            if limit is not None and len(found) >= limit:
                return found
        if not page.get("IsTruncated"):
            return found
        kwargs = {
            "Bucket": name,
            "KeyMarker": page.get("NextKeyMarker"),
            "VersionIdMarker": page.get("NextVersionIdMarker"),
        }


def delete_bucket(name: str, *, force: bool = False) -> bool:
    """Delete the bucket; ``True`` if it existed. A bucket holding data (any object version)
    is refused with ``PermanentError`` unless ``force`` is set, which empties it first."""
    s3 = client("s3")
    if not _exists(s3, name):
        return False
    if _versions(s3, name, limit=1):
        if not force:
            raise PermanentError(
                f"bucket {name} holds data; refusing to delete it (force=True empties it first)",
                operation="s3:DeleteBucket",
            )
        from infra.drivers.cloud.destruction import delete_versions

        _deleted, refused = delete_versions(name, _versions(s3, name))
        if refused:  # Object Lock (or a policy) keeps them: the bucket stays, and says why
            raise PermanentError(
                f"bucket {name}: {len(refused)} object version(s) refused, kept (Object Lock "
                f"or policy): {'; '.join(refused[:3])}",
                operation="s3:DeleteObjects",
            )
    try:
        call(f"s3:DeleteBucket {name}", s3.delete_bucket, Bucket=name)
    except NotFoundError:
        return False
    return True


def has_objects(bucket: str, prefix: str) -> bool:
    """Whether any object's key in ``bucket`` starts with ``prefix`` (one request)."""
    page = call(
        f"s3:ListObjectsV2 {bucket}/{prefix}",
        client("s3").list_objects_v2,
        Bucket=bucket,
        Prefix=prefix,
        MaxKeys=1,
    )
    return bool(page.get("KeyCount") or page.get("Contents"))


def list_buckets() -> list[str]:
    s3 = client("s3")
    return sorted(b["Name"] for b in call("s3:ListBuckets", s3.list_buckets).get("Buckets", []))
