"""S3 buckets, found by name: SSE-KMS, versioning, public-access blocks, policy, lifecycle."""

from __future__ import annotations

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
from infra.drivers.cloud.kms import key_arn
from infra.errors import NotFoundError, PermanentError
from infra.plan.objects import BucketProps

__all__ = ["BucketOutputs", "delete_bucket", "ensure_bucket", "has_objects", "list_buckets",
           "read_bucket", "read_bucket_grantees", "read_public_access_block"]

RETENTION_RULE = "govcloud-retention"
ACCESS_LOG_PREFIX = "access-logs/"
_BLOCK_ALL = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
              "RestrictPublicBuckets": True}


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
    if not _exists(s3, name):
        try:
            call(f"s3:CreateBucket {name}", s3.create_bucket, Bucket=name,
                 CreateBucketConfiguration={"LocationConstraint": region()})
        # Why: a retried create whose first attempt succeeded answers "already owned by you".
        except PermanentError as exc:
            if exc.code != "BucketAlreadyOwnedByYou":
                raise
    arn = key_arn(props["kms_key_alias"])
    call(f"s3:PutBucketEncryption {name}", s3.put_bucket_encryption, Bucket=name,
         ServerSideEncryptionConfiguration={"Rules": [{
             "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms",
                                                    "KMSMasterKeyID": arn},
             "BucketKeyEnabled": True}]})
    call(f"s3:PutBucketVersioning {name}", s3.put_bucket_versioning, Bucket=name,
         VersioningConfiguration={"Status": "Enabled" if props["versioning"] else "Suspended"})
    if props["public_access_block"]:
        call(f"s3:PutPublicAccessBlock {name}", s3.put_public_access_block, Bucket=name,
             PublicAccessBlockConfiguration=_BLOCK_ALL)
    else:
        call(f"s3:DeletePublicAccessBlock {name}", s3.delete_public_access_block, Bucket=name)
    if props["policy"]:
        call(f"s3:PutBucketPolicy {name}", s3.put_bucket_policy, Bucket=name,
             Policy=props["policy"])
    else:
        call(f"s3:DeleteBucketPolicy {name}", s3.delete_bucket_policy, Bucket=name)
    _set_lifecycle(s3, name, props["expiration_days"])
    _set_ownership_and_logging(s3, name, props.get("ownership", ""),
                               props.get("access_log_bucket", ""))
    _set_object_lock(s3, name, props.get("object_lock_days", 0))
    call(f"s3:PutBucketTagging {name}", s3.put_bucket_tagging, Bucket=name,
         Tagging={"TagSet": tag_list(props["tags"])})
    return {"name": name, "arn": f"arn:{partition()}:s3:::{name}"}


def _set_lifecycle(s3: Any, name: str, days: int | None) -> None:
    if days is None:
        call(f"s3:DeleteBucketLifecycle {name}", s3.delete_bucket_lifecycle, Bucket=name)
        return
    # Noncurrent versions expire too: with versioning on, expiry alone only hides the data.
    call(f"s3:PutBucketLifecycleConfiguration {name}", s3.put_bucket_lifecycle_configuration,
         Bucket=name, LifecycleConfiguration={"Rules": [{
             "ID": RETENTION_RULE, "Status": "Enabled", "Filter": {"Prefix": ""},
             "Expiration": {"Days": days},
             "NoncurrentVersionExpiration": {"NoncurrentDays": days}}]})


def _set_ownership_and_logging(s3: Any, name: str, ownership: str, log_bucket: str) -> None:
    if ownership:
        call(f"s3:PutBucketOwnershipControls {name}", s3.put_bucket_ownership_controls,
             Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": ownership}]})
    status: dict[str, Any] = {}
    if log_bucket:
        status = {"LoggingEnabled": {"TargetBucket": log_bucket,
                                     "TargetPrefix": f"{ACCESS_LOG_PREFIX}{name}/"}}
    call(f"s3:PutBucketLogging {name}", s3.put_bucket_logging, Bucket=name,
         BucketLoggingStatus=status)


def _object_lock_days(s3: Any, name: str) -> int:
    got = _optional(f"s3:GetObjectLockConfiguration {name}", s3.get_object_lock_configuration,
                    Bucket=name)
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
    call(f"s3:PutObjectLockConfiguration {name}", s3.put_object_lock_configuration,
         Bucket=name, ObjectLockConfiguration={
             "ObjectLockEnabled": "Enabled",
             "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": days}}})


def _optional(operation: str, method: Any, **kwargs: Any) -> Any:
    """A read whose "not configured" answer is a NotFound code (NoSuchBucketPolicy, ...)."""
    try:
        return call(operation, method, **kwargs)
    except NotFoundError:
        return None


def _alias_of(key_ref: str, kms: Any = None) -> str:
    if key_ref.startswith("alias/"):
        return key_ref
    kms = kms or client("kms")
    key_id = key_ref.rsplit("/", 1)[-1]
    aliases = call("kms:ListAliases", kms.list_aliases, KeyId=key_id).get("Aliases", [])
    names = sorted(a["AliasName"] for a in aliases if not a["AliasName"].startswith("alias/aws/"))
    return names[0] if names else key_ref


def read_bucket(name: str, *, s3: Any = None, kms: Any = None) -> BucketProps | None:
    """The bucket's actual properties, or ``None`` if it does not exist (``s3`` and ``kms``:
    clients to reuse when reading many buckets)."""
    s3 = s3 or client("s3")
    if not _exists(s3, name):
        return None
    alias = ""
    enc = _optional(f"s3:GetBucketEncryption {name}", s3.get_bucket_encryption, Bucket=name)
    for rule in (enc or {}).get("ServerSideEncryptionConfiguration", {}).get("Rules", []):
        default = rule.get("ApplyServerSideEncryptionByDefault", {})
        if default.get("SSEAlgorithm") == "aws:kms" and default.get("KMSMasterKeyID"):
            alias = _alias_of(default["KMSMasterKeyID"], kms)
    versioning = call(f"s3:GetBucketVersioning {name}", s3.get_bucket_versioning, Bucket=name)
    policy = _optional(f"s3:GetBucketPolicy {name}", s3.get_bucket_policy, Bucket=name)
    lifecycle = _optional(f"s3:GetBucketLifecycleConfiguration {name}",
                          s3.get_bucket_lifecycle_configuration, Bucket=name)
    days = None
    for rule in (lifecycle or {}).get("Rules", []):
        if rule.get("ID") == RETENTION_RULE and rule.get("Status") == "Enabled":
            days = rule.get("Expiration", {}).get("Days")
    tags = _optional(f"s3:GetBucketTagging {name}", s3.get_bucket_tagging, Bucket=name)
    owner = _optional(f"s3:GetBucketOwnershipControls {name}",
                      s3.get_bucket_ownership_controls, Bucket=name)
    ownership = "".join(r.get("ObjectOwnership", "") for r in
                        (owner or {}).get("OwnershipControls", {}).get("Rules", [])[:1])
    logging = call(f"s3:GetBucketLogging {name}", s3.get_bucket_logging, Bucket=name)
    actual: BucketProps = {
        "name": name, "kms_key_alias": alias,
        "versioning": versioning.get("Status") == "Enabled",
        "public_access_block": all(read_public_access_block(name, s3=s3).values()),
        "ownership": ownership,
        "access_log_bucket": str(logging.get("LoggingEnabled", {}).get("TargetBucket", "")),
        "policy": canonical_json((policy or {}).get("Policy")),
        "expiration_days": int(days) if days is not None else None,
        "tags": tag_dict((tags or {}).get("TagSet"))}
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
        kwargs = {"Bucket": name, "KeyMarker": page.get("NextKeyMarker"),
                  "VersionIdMarker": page.get("NextVersionIdMarker")}


def delete_bucket(name: str, *, force: bool = False) -> bool:
    """Delete the bucket; ``True`` if it existed. A bucket holding data (any object version)
    is refused with ``PermanentError`` unless ``force`` is set, which empties it first."""
    s3 = client("s3")
    if not _exists(s3, name):
        return False
    if _versions(s3, name, limit=1):
        if not force:
            raise PermanentError(f"bucket {name} holds data; refusing to delete it "
                                 "(force=True empties it first)", operation="s3:DeleteBucket")
        versions = _versions(s3, name)
        for start in range(0, len(versions), 1000):
            call(f"s3:DeleteObjects {name}", s3.delete_objects, Bucket=name,
                 Delete={"Objects": versions[start:start + 1000], "Quiet": True})
    try:
        call(f"s3:DeleteBucket {name}", s3.delete_bucket, Bucket=name)
    except NotFoundError:
        return False
    return True


def has_objects(bucket: str, prefix: str) -> bool:
    """Whether any object's key in ``bucket`` starts with ``prefix`` (one request)."""
    page = call(f"s3:ListObjectsV2 {bucket}/{prefix}", client("s3").list_objects_v2,
                Bucket=bucket, Prefix=prefix, MaxKeys=1)
    return bool(page.get("KeyCount") or page.get("Contents"))


def list_buckets() -> list[str]:
    s3 = client("s3")
    return sorted(b["Name"] for b in call("s3:ListBuckets", s3.list_buckets).get("Buckets", []))


def read_bucket_grantees(name: str, *, s3: Any = None) -> list[str]:
    """Who the bucket's ACL grants anything to: group URIs, canonical ids or e-mails."""
    s3 = s3 or client("s3")
    acl = call(f"s3:GetBucketAcl {name}", s3.get_bucket_acl, Bucket=name)
    out = []
    for grant in acl.get("Grants", []):
        grantee = grant.get("Grantee") or {}
        who = grantee.get("URI") or grantee.get("ID") or grantee.get("EmailAddress") or "?"
        out.append(f"{who}:{grant.get('Permission', '?')}")
    return sorted(out)
