"""The platform's record-signing key and the signed form of a record.

A record is signed over its canonical JSON (keys sorted, no insignificant white space, UTF-8,
non-ASCII kept as is): the same bytes whoever serialises it. KMS signs the SHA-256 digest of
those bytes, handed over as the message (``MessageType=RAW``: 32 bytes, well under KMS's
4 KiB limit whatever the record's size); KMS then hashes them again as the algorithm says
(SHA-256 for ``ECDSA_SHA_256``, SM3 with the signer's identity for ``SM2DSA``), and an
offline check verifies the same way (the local endpoint treats ``DIGEST`` as ``RAW``, so a
digest message type would not verify offline against it).
"""

from __future__ import annotations

import base64
import hashlib
import json
from typing import Any, Literal, NamedTuple

from infra.spec.environment import EnvironmentSpec

from .cloud import KEY_ADMIN_ACTIONS, arn, policy_json
from .names import signing_key_alias
from .objects import KeyProps

__all__ = [
    "SIGNING",
    "SignAlgorithm",
    "canonical",
    "digest_of",
    "envelope",
    "signature_of",
    "signing_algorithm",
    "signing_key_props",
    "verify_offline",
]


class SignAlgorithm(NamedTuple):
    key_spec: str  # KMS KeySpec of the signing key
    algorithm: str  # KMS SigningAlgorithm
    message_type: Literal["RAW"]  # the record's digest is handed to KMS as the message


SIGNING: dict[str, SignAlgorithm] = {
    "sm2": SignAlgorithm("SM2", "SM2DSA", "RAW"),
    "ecc-p256": SignAlgorithm("ECC_NIST_P256", "ECDSA_SHA_256", "RAW"),
}
SIGN_ACTIONS = ["kms:DescribeKey", "kms:GetPublicKey", "kms:Sign", "kms:Verify"]


def signing_algorithm(env: EnvironmentSpec) -> SignAlgorithm:
    return SIGNING[env.destruction.signing]


def signing_key_props(env: EnvironmentSpec, tags: dict[str, str]) -> KeyProps:
    """An asymmetric SIGN_VERIFY key: the account administers it (listed actions) and signs
    and verifies with it; nothing can encrypt or decrypt with it."""
    account = arn(env, "iam", "root")
    props: KeyProps = {
        "alias": signing_key_alias(env.name),
        "description": f"govcloud {env.name} platform signing key (destruction records)",
        "policy": policy_json(
            [
                {
                    "Sid": "AccountAdministersKey",
                    "Effect": "Allow",
                    "Principal": {"AWS": account},
                    "Action": [a for a in KEY_ADMIN_ACTIONS if "Rotation" not in a],
                    "Resource": "*",
                },
                {
                    "Sid": "AccountSignsAndVerifies",
                    "Effect": "Allow",
                    "Principal": {"AWS": account},
                    "Action": SIGN_ACTIONS,
                    "Resource": "*",
                },
            ]
        ),
        "rotation": False,  # KMS rotates symmetric keys only
        "enabled": True,
        "tags": {**tags, "purpose": "record-signing"},
        "key_spec": signing_algorithm(env).key_spec,
        "key_usage": "SIGN_VERIFY",
        # Its reach: not disabled or pending deletion, and no grant lets anyone else sign.
        "state": "Enabled",
        "grants": [],
    }
    return props


def canonical(record: Any) -> bytes:
    """The one byte form of a record that is signed and verified."""
    return json.dumps(
        record, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode("utf-8")


def digest_of(record: Any) -> bytes:
    """SHA-256 of the canonical form: what KMS signs."""
    return hashlib.sha256(canonical(record)).digest()


def envelope(
    record: dict[str, Any], signature: bytes, *, key_arn: str, alias: str, algo: SignAlgorithm
) -> dict[str, Any]:
    """The stored form: the record and its signature, naming key and algorithm."""
    return {
        "record": record,
        "signature": {
            "algorithm": algo.algorithm,
            "key_spec": algo.key_spec,
            "key_id": key_arn,
            "key_alias": alias,
            "message": "SHA-256 of the record's canonical JSON (sorted keys, no spaces, UTF-8)",
            "message_type": algo.message_type,
            "digest_sha256": digest_of(record).hex(),
            "value": base64.b64encode(signature).decode("ascii"),
        },
    }


def signature_of(stored: dict[str, Any]) -> tuple[bytes, str, SignAlgorithm]:
    """The signature bytes, key and algorithm a stored envelope names (``ValueError`` when
    it names none, or an algorithm govcloud does not sign with)."""
    sig = stored.get("signature")
    if not isinstance(sig, dict) or not isinstance(stored.get("record"), dict):
        raise ValueError("not a signed record: no record or no signature")
    algo = next((a for a in SIGNING.values() if a.algorithm == sig.get("algorithm")), None)
    if algo is None:
        raise ValueError(f"unknown signing algorithm {sig.get('algorithm')!r}")
    return base64.b64decode(str(sig.get("value", "")), validate=True), str(sig["key_id"]), algo


def verify_offline(
    public_der: bytes, record: Any, signature: bytes, algo: SignAlgorithm
) -> bool | None:
    """The signature checked with the public key alone (no KMS): ``None`` where this
    machine cannot check the algorithm offline (SM2: not in the ``cryptography`` package)."""
    if algo.algorithm != "ECDSA_SHA_256":
        return None
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.serialization import load_der_public_key
    except ImportError:  # pragma: no cover - a dependency of govcloud
        return None
    key = load_der_public_key(public_der)
    if not isinstance(key, ec.EllipticCurvePublicKey):
        return False
    try:
        key.verify(signature, digest_of(record), ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True
