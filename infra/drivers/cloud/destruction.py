"""What destroying a tenant's data needs of the cloud: every object version of its bucket
with Object Lock state, the versions deleted, its key's state, and the signed records and
orders kept in the platform's audit bucket under Object Lock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

from infra.drivers.cloud._session import call, client
from infra.drivers.cloud.keypin import describe
from infra.errors import NotFoundError, PermanentError
from infra.plan.destruction import RECORDS_PREFIX, BucketFacts, HeldVersion, KeyFacts

__all__ = [
    "bucket_facts",
    "caller_arn",
    "delete_versions",
    "get_object",
    "key_facts",
    "list_names",
    "public_key",
    "put_locked",
    "sign",
    "stored_records",
    "verify",
]

_BATCH = 1000  # DeleteObjects takes at most 1,000 keys
_DENIED = ("403", "AccessDenied", "Forbidden")


class _Unreadable(Exception):
    """A version whose Object Lock state this identity may not read."""


def _pages(s3: Any, name: str) -> Iterator[dict[str, Any]]:
    kwargs: dict[str, Any] = {"Bucket": name}
    while True:
        page = call(f"s3:ListObjectVersions {name}", s3.list_object_versions, **kwargs)
        yield page
        if not page.get("IsTruncated"):
            return
        kwargs = {
            "Bucket": name,
            "KeyMarker": page.get("NextKeyMarker"),
            "VersionIdMarker": page.get("NextVersionIdMarker"),
        }


def _lock_enabled(s3: Any, name: str) -> bool:
    try:
        got = call(
            f"s3:GetObjectLockConfiguration {name}", s3.get_object_lock_configuration, Bucket=name
        )
    # Why: "no lock configuration" is a NotFound code: no version can be locked.
    except NotFoundError:
        return False
    return bool(got.get("ObjectLockConfiguration", {}).get("ObjectLockEnabled") == "Enabled")


def _held(s3: Any, name: str, key: str, version: str, now: dt.datetime) -> HeldVersion | None:
    """One HeadObject: S3 reports a version's legal hold and retention in its headers."""
    where = f"{name}/{key}@{version}"
    try:
        head = call(
            f"s3:HeadObject {where}", s3.head_object, Bucket=name, Key=key, VersionId=version
        )
    # Why: a bucket policy that does not let this identity read the version hides its lock
    # state; the caller counts it as unknown (which blocks: it may be held).
    except PermanentError as exc:
        if exc.code in _DENIED:
            raise _Unreadable(str(exc).splitlines()[0][:200]) from None
        raise
    on = head.get("ObjectLockLegalHoldStatus") == "ON"
    until = head.get("ObjectLockRetainUntilDate")
    if isinstance(until, str):
        until = dt.datetime.fromisoformat(until.replace("Z", "+00:00"))
    retained = isinstance(until, dt.datetime) and until > now
    if not on and not retained:
        return None
    return HeldVersion(
        key=key,
        version_id=version,
        legal_hold=on,
        retain_until=until.isoformat() if retained and isinstance(until, dt.datetime) else "",
        mode=str(head.get("ObjectLockMode", "")) if retained else "",
    )


def bucket_facts(
    name: str, *, now: dt.datetime | None = None
) -> tuple[BucketFacts, list[dict[str, str]]]:
    """The bucket as it is: counts, bytes, top-level prefixes and the versions Object Lock
    keeps (asked per version only where the bucket has Object Lock enabled); and every
    version and delete marker as ``{"Key", "VersionId"}``, for the delete."""
    s3 = client("s3")
    try:
        call(f"s3:HeadBucket {name}", s3.head_bucket, Bucket=name)
    except NotFoundError:
        return BucketFacts(name=name, exists=False), []
    now = now or dt.datetime.now(dt.UTC)
    locked = _lock_enabled(s3, name)
    objects = versions = markers = size = 0
    prefixes: set[str] = set()
    entries: list[dict[str, str]] = []
    held: list[HeldVersion] = []
    unreadable, why = 0, ""
    for page in _pages(s3, name):
        for v in page.get("Versions", []):
            versions += 1
            size += int(v.get("Size") or 0)
            objects += 1 if v.get("IsLatest") else 0
            version = str(v.get("VersionId") or "null")
            entries.append({"Key": v["Key"], "VersionId": version})
            head, sep, _ = str(v["Key"]).partition("/")
            prefixes.add(f"{head}/" if sep else "")
            if locked and not unreadable:
                try:
                    found = _held(s3, name, v["Key"], version, now)
                except _Unreadable as exc:
                    unreadable, why = 1, str(exc)
                    continue
                if found is not None:
                    held.append(found)
            elif locked:  # one refusal is enough: the same policy refuses every version
                unreadable += 1
        for m in page.get("DeleteMarkers", []):
            markers += 1
            entries.append({"Key": m["Key"], "VersionId": str(m.get("VersionId") or "null")})
    facts = BucketFacts(
        name=name,
        exists=True,
        objects=objects,
        versions=versions,
        delete_markers=markers,
        bytes=size,
        prefixes=tuple(sorted(p for p in prefixes if p)),
        lock_enabled=locked,
        held=tuple(held),
        unreadable=unreadable,
        unreadable_why=why,
    )
    return facts, entries


def delete_versions(name: str, entries: list[dict[str, str]]) -> tuple[int, list[str]]:
    """Delete these versions and delete markers, 1,000 a request. Returns how many went
    and, for each that did not, ``key@version: code message`` (Object Lock refusals)."""
    s3 = client("s3")
    deleted, errors = 0, []
    for start in range(0, len(entries), _BATCH):
        batch = entries[start : start + _BATCH]
        got = call(
            f"s3:DeleteObjects {name}",
            s3.delete_objects,
            Bucket=name,
            Delete={"Objects": batch, "Quiet": True},
        )
        failed = got.get("Errors") or []
        deleted += len(batch) - len(failed)
        errors += [
            f"{e.get('Key')}@{e.get('VersionId')}: {e.get('Code')} {e.get('Message', '')}".strip()
            for e in failed
        ]
    return deleted, errors


def key_facts(alias_or_id: str, *, shared: bool = False) -> KeyFacts | None:
    """The key (by alias, id or ARN) and its state, pending deletion included; ``None`` if
    the endpoint knows no such key."""
    kms = client("kms")
    meta = describe(kms, alias_or_id)
    if meta is None:
        return None
    replicas = (meta.get("MultiRegionConfiguration") or {}).get("ReplicaKeys") or []
    when = meta.get("DeletionDate")
    return KeyFacts(
        alias=alias_or_id if alias_or_id.startswith("alias/") else "",
        key_id=str(meta["KeyId"]),
        arn=str(meta["Arn"]),
        state=str(meta.get("KeyState", "")),
        deletion_date=when.isoformat() if isinstance(when, dt.datetime) else str(when or ""),
        shared=shared,
        replicas=tuple(str(r.get("Arn", "")) for r in replicas),
    )


def sign(alias: str, message: bytes, *, algorithm: str, message_type: str) -> tuple[bytes, str]:
    """KMS Sign with the key behind ``alias``: the signature and the key's ARN."""
    kms = client("kms")
    got = call(
        f"kms:Sign {alias}",
        kms.sign,
        KeyId=alias,
        Message=message,
        MessageType=message_type,
        SigningAlgorithm=algorithm,
    )
    return bytes(got["Signature"]), str(got["KeyId"])


def verify(
    key: str, message: bytes, signature: bytes, *, algorithm: str, message_type: str
) -> bool:
    """KMS Verify: ``False`` for a signature that does not match (the endpoint answers
    KMSInvalidSignatureException), an error for anything else."""
    kms = client("kms")
    try:
        got = call(
            f"kms:Verify {key}",
            kms.verify,
            KeyId=key,
            Message=message,
            MessageType=message_type,
            Signature=signature,
            SigningAlgorithm=algorithm,
        )
    # Why: an invalid signature is an answer, not a failure.
    except PermanentError as exc:
        if exc.code == "KMSInvalidSignatureException":
            return False
        raise
    return bool(got.get("SignatureValid"))


def public_key(key: str) -> bytes:
    """The DER public key of an asymmetric key, for offline verification."""
    kms = client("kms")
    return bytes(call(f"kms:GetPublicKey {key}", kms.get_public_key, KeyId=key)["PublicKey"])


def put_locked(bucket: str, name: str, body: bytes, *, retain_until: dt.datetime) -> str:
    """Store an object under Object Lock in compliance mode until ``retain_until``; its
    version id."""
    s3 = client("s3")
    got = call(
        f"s3:PutObject {bucket}/{name}",
        s3.put_object,
        Bucket=bucket,
        Key=name,
        Body=body,
        ContentType="application/json",
        ObjectLockMode="COMPLIANCE",
        ObjectLockRetainUntilDate=retain_until,
    )
    return str(got.get("VersionId") or "")


def get_object(bucket: str, name: str) -> bytes | None:
    """The current version's bytes, or ``None`` when there is none."""
    s3 = client("s3")
    try:
        got = call(f"s3:GetObject {bucket}/{name}", s3.get_object, Bucket=bucket, Key=name)
    except NotFoundError:
        return None
    return bytes(got["Body"].read())


def list_names(bucket: str, prefix: str) -> list[str]:
    """Every current object's key under ``prefix``, sorted."""
    s3 = client("s3")
    out: list[str] = []
    kwargs: dict[str, Any] = {"Bucket": bucket, "Prefix": prefix}
    while True:
        page = call(f"s3:ListObjectsV2 {bucket}/{prefix}", s3.list_objects_v2, **kwargs)
        out += [str(o["Key"]) for o in page.get("Contents", [])]
        if not page.get("IsTruncated"):
            return sorted(out)
        kwargs["ContinuationToken"] = page["NextContinuationToken"]


def caller_arn() -> str:
    """Who the cloud says is calling (STS GetCallerIdentity): the performer of record."""
    sts = client("sts")
    return str(call("sts:GetCallerIdentity", sts.get_caller_identity)["Arn"])


def stored_records(bucket: str, tenant: str | None = None) -> list[tuple[str, bytes]]:
    """Every destruction record in the audit bucket (of one tenant), by name: the current
    version of each, as stored."""
    prefix = RECORDS_PREFIX + (f"{tenant}/" if tenant else "")
    out = []
    for name in list_names(bucket, prefix):
        body = get_object(bucket, name)
        if body is not None:
            out.append((name, body))
    return out
