"""The inventory's live reads: a KMS key's spec, algorithms, rotation and policy; a bucket's
default encryption; the certificate and cipher of a real TLS handshake; the encryption at rest
a running process was started with."""

from __future__ import annotations

import datetime as dt
import socket
import ssl
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from moto import mock_aws

from infra.drivers.crypto import at_rest, bucket_key, key_facts, tls
from infra.localcloud.hardening import ensure_encryption_config

REGION = "cn-northwest-1"


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in ("AWS_ENDPOINT_URL", "AWS_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_REGION", REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    with mock_aws():
        yield


def test_a_key_reads_with_its_spec_algorithms_rotation_and_policy(aws: None) -> None:
    kms = boto3.client("kms", region_name=REGION)
    key = kms.create_key(Description="data")["KeyMetadata"]["KeyId"]
    kms.create_alias(AliasName="alias/t/data", TargetKeyId=key)
    kms.enable_key_rotation(KeyId=key)
    found = key_facts("alias/t/data")
    assert found is not None and found.key_id == key and found.arn.startswith("arn:aws-cn:kms:")
    # KeyUsage as the endpoint answers it (moto leaves it out unless it was given)
    assert (found.spec, found.algorithms) == ("SYMMETRIC_DEFAULT", ("SYMMETRIC_DEFAULT",))
    assert found.rotation is True and '"Statement"' in found.policy
    kms.disable_key_rotation(KeyId=key)
    assert key_facts(key).rotation is False  # type: ignore[union-attr]
    signing = kms.create_key(KeySpec="ECC_NIST_P256", KeyUsage="SIGN_VERIFY")["KeyMetadata"]
    facts = key_facts(signing["KeyId"])
    assert facts is not None and facts.algorithms == ("ECDSA_SHA_256",) and facts.rotation is None
    assert key_facts("alias/t/none") is None


def test_a_bucket_names_the_key_of_its_default_encryption(aws: None) -> None:
    kms, s3 = boto3.client("kms", region_name=REGION), boto3.client("s3", region_name=REGION)
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    for name in ("enc", "plain"):
        s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_encryption(
        Bucket="enc",
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {
                        "SSEAlgorithm": "aws:kms",
                        "KMSMasterKeyID": key,
                    }
                }
            ]
        },
    )
    enc = bucket_key("enc")
    assert enc.exists and enc.sse == "aws:kms" and enc.key is not None and enc.key.key_id == key
    plain = bucket_key("plain")
    assert plain.exists and plain.sse == "" and plain.key is None
    assert not bucket_key("missing").exists


def _certificate(tmp: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test-endpoint")])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    (tmp / "c.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp / "c.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return tmp / "c.crt", tmp / "c.key"


def test_the_tls_handshake_names_the_certificate_and_cipher(tmp_path: Path) -> None:
    crt, key = _certificate(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(crt), str(key))
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]

    def serve() -> None:
        conn, _addr = server.accept()
        try:
            with context.wrap_socket(conn, server_side=True):
                pass
        except (OSError, ssl.SSLError):
            pass

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        found = tls(f"https://127.0.0.1:{port}/")
    finally:
        thread.join(5)
        server.close()
    assert found.tls and not found.error
    assert (found.public_key, found.signature) == ("EC secp256r1", "ecdsa-with-SHA256")
    assert found.version.startswith("TLS") and found.cipher.startswith("TLS_")
    assert found.subject == "CN=test-endpoint"
    assert not tls("http://127.0.0.1:1/").tls
    closed = socket.create_server(("127.0.0.1", 0))
    gone = closed.getsockname()[1]
    closed.close()
    assert tls(f"https://127.0.0.1:{gone}").error


def test_encryption_at_rest_is_read_from_the_running_process(tmp_path: Path) -> None:
    config = ensure_encryption_config(tmp_path / "encryption-config.yaml")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import time; time.sleep(30)",
            f"--encryption-provider-config={config}",
        ]
    )
    bare = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        found = at_rest(proc.pid)
        assert found is not None
        assert (found.provider, found.keys, found.config) == ("secretbox", ("key1",), str(config))
        assert at_rest(bare.pid) == type(found)("", (), "")  # started without one: plaintext
    finally:
        for p in (proc, bare):
            p.kill()
            p.wait()
    assert at_rest(proc.pid) is None  # gone: cannot be read
