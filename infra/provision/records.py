"""`govcloud records verify`: each destruction record's signature, and the cloud's word.

A record passes when (1) its stored digest is the SHA-256 of its canonical JSON, (2) KMS
Verify accepts the signature with the key it names, (3) the signature verifies offline with
that key's public key (where the algorithm can be checked offline: ECDSA P-256), and (4) the
cloud agrees with it today: the tenant's key is pending deletion or gone, and its bucket holds
no object version (or is gone).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from infra.plan.destruction import Check
from infra.plan.names import bucket_name
from infra.plan.signing import digest_of, signature_of, verify_offline
from infra.spec.environment import EnvironmentSpec

__all__ = ["Verification", "verify_records"]


@dataclass
class Verification:
    name: str
    tenant: str = ""
    finished: str = ""
    algorithm: str = ""
    key: str = ""
    digest: bool = False  # the stored digest matches the record
    kms: bool = False  # KMS Verify accepted the signature
    offline: bool | None = None  # None: the algorithm cannot be checked offline here
    cloud: list[Check] = field(default_factory=list)
    error: str = ""

    @property
    def ok(self) -> bool:
        return (
            not self.error
            and self.digest
            and self.kms
            and self.offline is not False
            and all(c.ok for c in self.cloud)
        )

    def as_data(self) -> dict[str, Any]:
        return {
            "record": self.name,
            "tenant": self.tenant,
            "finished": self.finished,
            "algorithm": self.algorithm,
            "key": self.key,
            "digest": self.digest,
            "kms_verify": self.kms,
            "offline_verify": self.offline,
            "cloud": [c.as_data() for c in self.cloud],
            "error": self.error,
            "ok": self.ok,
        }


def _cloud_agrees(record: dict[str, Any]) -> list[Check]:
    from infra.drivers.cloud.destruction import bucket_facts, key_facts

    media = record.get("media") or {}
    checks: list[Check] = []
    key = media.get("key") or {}
    if key and not key.get("shared"):
        facts = key_facts(str(key.get("id", "")))
        checks.append(
            Check(
                f"key {key.get('id')}", "PendingDeletion or gone", facts.state if facts else "gone"
            )
        )
    name = str(media.get("bucket", ""))
    if name:
        bucket, _ = bucket_facts(name)
        checks.append(
            Check(
                f"bucket {name}: object versions and delete markers",
                "0",
                str(bucket.versions + bucket.delete_markers),
            )
        )
    return checks


def _verify_one(name: str, body: bytes) -> Verification:
    from infra.drivers.cloud.destruction import public_key, verify
    from infra.errors import DriverError

    out = Verification(name)
    try:
        stored = json.loads(body)
        signature, key, algo = signature_of(stored)
    except (ValueError, KeyError, TypeError) as exc:
        out.error = f"not a signed record: {exc}"
        return out
    record = stored["record"]
    out.tenant = str((record.get("tenant") or {}).get("id", ""))
    out.finished = str((record.get("performed") or {}).get("finished", ""))
    out.algorithm, out.key = algo.algorithm, key
    out.digest = stored["signature"].get("digest_sha256") == digest_of(record).hex()
    try:
        out.kms = verify(
            key,
            digest_of(record),
            signature,
            algorithm=algo.algorithm,
            message_type=algo.message_type,
        )
        out.offline = verify_offline(public_key(key), record, signature, algo)
        out.cloud = _cloud_agrees(record)
    # Why: one record the cloud cannot check is a failed verification, not a stop.
    except DriverError as exc:
        out.error = str(exc).splitlines()[0][:300]
    return out


def verify_records(env: EnvironmentSpec, tenant: str | None = None) -> list[Verification]:
    """Every stored record (of one tenant), verified."""
    from infra.drivers.cloud.destruction import stored_records

    return [
        _verify_one(name, body)
        for name, body in stored_records(bucket_name(env.name, "audit"), tenant)
    ]
