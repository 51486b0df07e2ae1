"""Certificates and keys for the local control plane: a CA, the API server's serving
certificate, client certificates for the admin, the deploy identity and the controller
manager, the service-account signing key, and etcd's separate CA with etcd's serving and peer
certificates and the API server's etcd client certificate. Generated once per state
directory, private keys mode 0600."""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from infra.errors import LocalCloudError

from .hardening import private_dir, write_private

__all__ = ["DEPLOY_GROUP", "DEPLOY_USER", "ETCD_CLIENT_CN", "Pki", "ensure_pki"]

_VALIDITY = dt.timedelta(days=365)
_SERVICE_IP = "10.0.0.1"
ETCD_CLIENT_CN = "kube-apiserver-etcd-client"
# Who `govcloud deploy` runs as on the local cloud: not a cluster administrator (no
# system:masters); its ClusterRole and the govcloud-deployer-confined admission policy say
# what it may do. The group exempts it from the tenant guardrails meant for departments.
DEPLOY_USER = "govcloud-deploy"
DEPLOY_GROUP = "govcloud:platform"


@dataclass(frozen=True)
class Pki:
    directory: Path

    def path(self, name: str) -> Path:
        return self.directory / name

    @property
    def ca(self) -> Path:
        return self.path("ca.crt")


def _key_pem(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _name(common: str, org: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common)]
    if org:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, org))
    return x509.Name(attrs)


def _issue(
    *,
    subject: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name,
    issuer_key: ec.EllipticCurvePrivateKey,
    ca: bool = False,
    server_names: tuple[str, ...] = (),
    client: bool = False,
) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + _VALIDITY)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
    else:
        usages = [ExtendedKeyUsageOID.CLIENT_AUTH] if client else []
        if server_names:
            usages.append(ExtendedKeyUsageOID.SERVER_AUTH)
        builder = builder.add_extension(x509.ExtendedKeyUsage(usages), critical=False)
    if server_names:
        alt: list[x509.GeneralName] = []
        for name in server_names:
            try:
                alt.append(x509.IPAddress(ipaddress.ip_address(name)))
            except ValueError:
                alt.append(x509.DNSName(name))
        builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write_cert(
    pki: Pki, name: str, cert: x509.Certificate, key: ec.EllipticCurvePrivateKey
) -> None:
    pki.path(f"{name}.crt").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    write_private(pki.path(f"{name}.key"), _key_pem(key))


def _new_ca(pki: Pki, name: str, common: str) -> tuple[x509.Name, ec.EllipticCurvePrivateKey]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(common)
    _write_cert(
        pki, name, _issue(subject=subject, key=key, issuer=subject, issuer_key=key, ca=True), key
    )
    return subject, key


def _issue_leaves(
    pki: Pki,
    ca: tuple[x509.Name, ec.EllipticCurvePrivateKey],
    leaves: dict[str, tuple[x509.Name, tuple[str, ...], bool]],
) -> None:
    for name, (subject, sans, client) in leaves.items():
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _issue(
            subject=subject,
            key=key,
            issuer=ca[0],
            issuer_key=ca[1],
            server_names=sans,
            client=client,
        )
        _write_cert(pki, name, cert, key)


def _control_plane(pki: Pki) -> None:
    ca = _new_ca(pki, "ca", "govcloud-local-ca")
    _issue_leaves(
        pki,
        ca,
        {
            "apiserver": (
                _name("kube-apiserver"),
                (
                    "127.0.0.1",
                    "localhost",
                    _SERVICE_IP,
                    "kubernetes",
                    "kubernetes.default",
                    "kubernetes.default.svc",
                    "kubernetes.default.svc.cluster.local",
                ),
                False,
            ),
            "controller-manager-serving": (_name("kube-controller-manager"), ("127.0.0.1",), False),
            "admin": (_name("govcloud-admin", "system:masters"), (), True),
            "deploy": (_name(DEPLOY_USER, DEPLOY_GROUP), (), True),
            "controller-manager": (_name("system:kube-controller-manager"), (), True),
        },
    )
    sa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    write_private(pki.path("sa.key"), _key_pem(sa_key))
    pki.path("sa.pub").write_bytes(
        sa_key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


def _deploy_identity(pki: Pki) -> None:
    ca = x509.load_pem_x509_certificate(pki.ca.read_bytes())
    key = serialization.load_pem_private_key(pki.path("ca.key").read_bytes(), password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise LocalCloudError(f"{pki.path('ca.key')}: not the local CA's key")
    _issue_leaves(pki, (ca.subject, key), {"deploy": (_name(DEPLOY_USER, DEPLOY_GROUP), (), True)})


def _etcd(pki: Pki) -> None:
    """etcd's own CA: it signs etcd's serving and peer certificates and one client
    certificate, the API server's. No other certificate (not even the admin's) is accepted.
    etcd's serving certificate is a client one too: its JSON gateway calls etcd's gRPC with it
    (as kubeadm issues it); only etcd holds its key."""
    ca = _new_ca(pki, "etcd-ca", "govcloud-local-etcd-ca")
    _issue_leaves(
        pki,
        ca,
        {
            "etcd-server": (_name("etcd"), ("127.0.0.1", "localhost"), True),
            "etcd-peer": (_name("etcd-peer"), ("127.0.0.1", "localhost"), True),
            "apiserver-etcd-client": (_name(ETCD_CLIENT_CN), (), True),
        },
    )


def ensure_pki(directory: Path) -> Pki:
    """Create whichever set of certificates is missing (older state dirs gain etcd's)."""
    pki = Pki(directory)
    private_dir(directory)
    if not (pki.ca.exists() and pki.path("sa.key").exists()):
        _control_plane(pki)
    if not (pki.path("etcd-ca.crt").exists() and pki.path("apiserver-etcd-client.key").exists()):
        _etcd(pki)
    if not pki.path("deploy.key").exists():  # state dirs from before the deploy identity
        _deploy_identity(pki)
    return pki
