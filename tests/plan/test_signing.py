"""infra.plan.signing: the canonical form, the signing key's plan, offline verification."""

from __future__ import annotations

import copy
import json

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from infra.plan.signing import (
    SIGNING,
    canonical,
    digest_of,
    envelope,
    signature_of,
    signing_key_props,
    verify_offline,
)
from infra.spec.environment import EnvironmentSpec

RECORD = {"tenant": {"id": "st-wglj", "name": "汕头市文化广电旅游体育局"}, "media": {"versions": 5}}


def test_canonical_form_is_the_same_whatever_the_key_order_or_spacing() -> None:
    shuffled = json.loads(json.dumps({"media": {"versions": 5}, "tenant": RECORD["tenant"]}))
    assert canonical(shuffled) == canonical(RECORD)
    assert (
        canonical(RECORD)
        == (
            '{"media":{"versions":5},"tenant":{"id":"st-wglj","name":"汕头市文化广电旅游体育局"}}'
        ).encode()
    )
    assert digest_of(RECORD) != digest_of({**RECORD, "media": {"versions": 4}})


def test_the_signing_key_is_asymmetric_as_the_environment_says(env: EnvironmentSpec) -> None:
    props = signing_key_props(env, {"managed-by": "govcloud"})
    assert (props["key_spec"], props["key_usage"]) == ("ECC_NIST_P256", "SIGN_VERIFY")
    assert props["alias"] == "alias/govcloud/local/platform-signing"
    policy = json.loads(props["policy"])
    actions = {a for s in policy["Statement"] for a in s["Action"]}
    assert "kms:Sign" in actions and "kms:Decrypt" not in actions and "kms:*" not in actions
    sm2 = env.model_copy(
        update={"destruction": env.destruction.model_copy(update={"signing": "sm2"})}
    )
    assert signing_key_props(sm2, {})["key_spec"] == "SM2"


def _signed(record: dict[str, object]) -> tuple[dict[str, object], bytes]:
    private = ec.generate_private_key(ec.SECP256R1())
    algo = SIGNING["ecc-p256"]
    # What KMS does with MessageType=RAW and ECDSA_SHA_256: hash the message (our digest).
    signature = private.sign(digest_of(record), ec.ECDSA(hashes.SHA256()))
    public = private.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return envelope(record, signature, key_arn="arn:k", alias="alias/s", algo=algo), public


def test_a_signed_record_verifies_offline_and_a_tampered_one_does_not() -> None:
    stored, public = _signed(copy.deepcopy(RECORD))
    signature, key, algo = signature_of(stored)
    assert key == "arn:k" and algo.algorithm == "ECDSA_SHA_256"
    assert verify_offline(public, stored["record"], signature, algo) is True
    tampered = copy.deepcopy(stored["record"])
    tampered["media"]["versions"] = 4  # type: ignore[index]
    assert verify_offline(public, tampered, signature, algo) is False


def test_sm2_cannot_be_checked_offline_here_and_says_so() -> None:
    stored, public = _signed(copy.deepcopy(RECORD))
    signature, _, _ = signature_of(stored)
    assert verify_offline(public, RECORD, signature, SIGNING["sm2"]) is None


def test_an_unsigned_or_unknown_algorithm_record_is_refused() -> None:
    import pytest

    with pytest.raises(ValueError):
        signature_of({"record": RECORD})
    stored, _ = _signed(copy.deepcopy(RECORD))
    stored["signature"]["algorithm"] = "RSASSA_PSS_SHA_256"  # type: ignore[index]
    with pytest.raises(ValueError):
        signature_of(stored)
