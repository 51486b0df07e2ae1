"""Read, live, what protects data: a KMS key's spec, algorithms, rotation and policy; a
bucket's default encryption; the certificate and cipher an endpoint presents in a real TLS
handshake; the encryption-at-rest provider the running API server was started with.

Facts only: naming algorithms and judging them is ``infra.policy.crypto`` and
``infra.bureau.crypto``.
"""

from __future__ import annotations

import socket
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import yaml
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

from infra.drivers.cloud._session import call, client
from infra.drivers.cloud.keypin import describe
from infra.errors import NotFoundError, PermanentError

__all__ = [
    "AtRest",
    "BucketKey",
    "KeyFacts",
    "LiveCrypto",
    "TlsFacts",
    "at_rest",
    "bucket_key",
    "key_facts",
    "tls",
]

# Certificate algorithms by OID where the library has no name (the SM2 ones).
_OID_NAMES = {
    "1.2.156.10197.1.501": "SM2-with-SM3",
    "1.2.156.10197.1.301": "SM2",
}


@dataclass(frozen=True)
class KeyFacts:
    key_id: str
    arn: str
    spec: str  # KeySpec
    usage: str  # KeyUsage
    algorithms: tuple[str, ...]  # EncryptionAlgorithms, or SigningAlgorithms
    rotation: bool | None  # None: the key cannot rotate (asymmetric) or rotation is unknown
    state: str
    policy: str  # the key policy, JSON


@dataclass(frozen=True)
class BucketKey:
    bucket: str
    exists: bool
    sse: str  # "aws:kms", "AES256" (S3-managed), "" none
    key: KeyFacts | None


@dataclass(frozen=True)
class TlsFacts:
    url: str
    tls: bool  # False: the endpoint is plain HTTP
    version: str = ""  # TLSv1.3
    cipher: str = ""  # TLS_AES_256_GCM_SHA384
    public_key: str = ""  # "EC secp256r1", "RSA 2048", "SM2"
    signature: str = ""  # "ecdsa-with-SHA256"
    subject: str = ""
    error: str = ""  # why the handshake failed ("" when it did not)


@dataclass(frozen=True)
class AtRest:
    """The first provider of the API server's EncryptionConfiguration for Secrets (what it
    writes with): ``secretbox``, ``aescbc``, ``aesgcm``, ``kms``, ``identity``; ``""`` when
    the server was started without one."""

    provider: str
    keys: tuple[str, ...]  # the provider's key names (never the key material)
    config: str  # the file the running server reads


def key_facts(key: str, *, kms: Any = None) -> KeyFacts | None:
    """A key by id, ARN or alias (``None`` when there is none)."""
    kms = kms or client("kms")
    meta = describe(kms, key)
    if meta is None:
        return None
    key_id = str(meta["KeyId"])
    spec = str(meta.get("KeySpec") or meta.get("CustomerMasterKeySpec") or "SYMMETRIC_DEFAULT")
    usage = str(meta.get("KeyUsage") or "")
    algorithms = meta.get("SigningAlgorithms") if usage == "SIGN_VERIFY" else None
    algorithms = algorithms or meta.get("EncryptionAlgorithms") or meta.get("MacAlgorithms") or []
    rotation: bool | None = None
    if spec == "SYMMETRIC_DEFAULT":
        try:
            rotation = bool(
                call(
                    f"kms:GetKeyRotationStatus {key}",
                    kms.get_key_rotation_status,
                    KeyId=key_id,
                )["KeyRotationEnabled"]
            )
        # Why: an endpoint without rotation support gives no status; None says "unknown".
        except PermanentError:
            rotation = None
    policy = call(
        f"kms:GetKeyPolicy {key}", kms.get_key_policy, KeyId=key_id, PolicyName="default"
    )["Policy"]
    return KeyFacts(
        key_id=key_id,
        arn=str(meta.get("Arn", "")),
        spec=spec,
        usage=usage,
        algorithms=tuple(str(a) for a in algorithms),
        rotation=rotation,
        state=str(meta.get("KeyState", "")),
        policy=str(policy),
    )


def bucket_key(bucket: str, *, s3: Any = None, kms: Any = None) -> BucketKey:
    """The bucket's default encryption and the key behind it."""
    s3, kms = s3 or client("s3"), kms or client("kms")
    try:
        got = call(f"s3:GetBucketEncryption {bucket}", s3.get_bucket_encryption, Bucket=bucket)
    # Why: "no such bucket" and "no default encryption" are both NotFound codes: tell apart.
    except NotFoundError as exc:
        exists = exc.code != "NoSuchBucket"
        return BucketKey(bucket, exists, "", None)
    for rule in got.get("ServerSideEncryptionConfiguration", {}).get("Rules", []):
        default = rule.get("ApplyServerSideEncryptionByDefault", {})
        sse = str(default.get("SSEAlgorithm") or "")
        ref = str(default.get("KMSMasterKeyID") or "")
        if sse:
            return BucketKey(bucket, True, sse, key_facts(ref, kms=kms) if ref else None)
    return BucketKey(bucket, True, "", None)


def _public_key(cert: x509.Certificate) -> str:
    try:
        key = cert.public_key()
    # Why: the library cannot load SM2 public keys; the certificate's OID still names them.
    except (UnsupportedAlgorithm, ValueError):
        oid = cert.public_key_algorithm_oid.dotted_string
        return _OID_NAMES.get(oid, oid)
    if isinstance(key, ec.EllipticCurvePublicKey):
        return f"EC {key.curve.name}"
    if isinstance(key, rsa.RSAPublicKey | dsa.DSAPublicKey):
        kind = "RSA" if isinstance(key, rsa.RSAPublicKey) else "DSA"
        return f"{kind} {key.key_size}"
    if isinstance(key, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
        return "Ed25519" if isinstance(key, ed25519.Ed25519PublicKey) else "Ed448"
    return type(key).__name__


def _signature(cert: x509.Certificate) -> str:
    oid = cert.signature_algorithm_oid
    return _OID_NAMES.get(oid.dotted_string) or getattr(oid, "_name", "") or oid.dotted_string


def tls(url: str, *, timeout: float = 5.0) -> TlsFacts:
    """One TLS handshake with the endpoint of ``url``: the certificate it presents (read, not
    trusted: this is an inventory, not a connection that sends anything) and the cipher
    negotiated. A plain ``http://`` endpoint has no TLS at all."""
    parsed = urlparse(url)
    if parsed.scheme != "https":
        return TlsFacts(url, tls=False)
    host, port = parsed.hostname or "", parsed.port or 443
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection((host, port), timeout=timeout) as raw,
            context.wrap_socket(raw, server_hostname=host) as conn,
        ):
            der = conn.getpeercert(binary_form=True)
            cipher = conn.cipher()
            version = conn.version() or ""
    # Why: an endpoint that does not answer is an inventory line saying so, not a crash.
    except (OSError, ssl.SSLError) as exc:
        return TlsFacts(url, tls=True, error=type(exc).__name__ + (f": {exc}" if str(exc) else ""))
    if not der:
        return TlsFacts(url, tls=True, version=version, error="no certificate presented")
    cert = x509.load_der_x509_certificate(der)
    return TlsFacts(
        url,
        tls=True,
        version=version,
        cipher=cipher[0] if cipher else "",
        public_key=_public_key(cert),
        signature=_signature(cert),
        subject=cert.subject.rfc4514_string(),
    )


def _flag(cmdline: list[str], name: str) -> str | None:
    for i, arg in enumerate(cmdline):
        if arg.startswith(f"{name}="):
            return arg.split("=", 1)[1]
        if arg == name and i + 1 < len(cmdline):
            return cmdline[i + 1]
    return None


def at_rest(pid: int, resource: str = "secrets") -> AtRest | None:
    """The provider the running API server (process ``pid``, on this host) encrypts
    ``resource`` with, from the configuration file its command line names. ``None``: the
    process cannot be read here."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except OSError:
        return None
    path = _flag(cmdline, "--encryption-provider-config")
    if path is None:
        return AtRest("", (), "")
    try:
        config = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return None
    for entry in config.get("resources") or []:
        if resource in (entry.get("resources") or []):
            providers = entry.get("providers") or [{}]
            first: dict[str, Any] = providers[0] or {}
            name, settings = next(iter(first.items()), ("", None))
            details: dict[str, Any] = settings if isinstance(settings, dict) else {}
            keys = details.get("keys") or []
            named = tuple(str(k.get("name", "")) for k in keys if isinstance(k, dict))
            if name == "kms":
                named = (str(details.get("name", "")),)
            return AtRest(str(name), named, path)
    return AtRest("identity", (), path)


class LiveCrypto:
    """The live reads of the inventory (``infra.bureau.crypto.CryptoReader``): the cloud's
    KMS and S3 from the environment, and the API server process ``apiserver_pid`` on this
    host (None: not readable from here)."""

    def __init__(self, apiserver_pid: int | None) -> None:
        self.apiserver_pid = apiserver_pid

    def key(self, ref: str) -> KeyFacts | None:
        return key_facts(ref)

    def bucket(self, name: str) -> BucketKey:
        return bucket_key(name)

    def tls(self, url: str) -> TlsFacts:
        return tls(url)

    def at_rest(self) -> AtRest | None:
        return None if self.apiserver_pid is None else at_rest(self.apiserver_pid)
