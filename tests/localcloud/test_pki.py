"""etcd trusts its own CA only: the API server's etcd client certificate, nothing else."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec

from infra.localcloud.pki import ETCD_CLIENT_CN, ensure_pki


def _cert(path: Path) -> x509.Certificate:
    return x509.load_pem_x509_certificate(path.read_bytes())


def _signed_by(cert: x509.Certificate, ca: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(ca)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True


def test_only_the_api_servers_client_certificate_comes_from_etcds_ca(tmp_path: Path) -> None:
    pki = ensure_pki(tmp_path / "pki")
    etcd_ca = _cert(pki.path("etcd-ca.crt"))
    client = _cert(pki.path("apiserver-etcd-client.crt"))
    assert _signed_by(client, etcd_ca)
    assert client.subject.rfc4514_string() == f"CN={ETCD_CLIENT_CN}"
    usages = client.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    assert x509.oid.ExtendedKeyUsageOID.CLIENT_AUTH in usages
    for other in ("admin", "controller-manager"):
        assert not _signed_by(_cert(pki.path(f"{other}.crt")), etcd_ca)
    server = _cert(pki.path("etcd-server.crt"))
    assert _signed_by(server, etcd_ca)
    names = server.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert "127.0.0.1" in {str(ip) for ip in names.get_values_for_type(x509.IPAddress)}
    for key in pki.directory.glob("*.key"):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600, key.name
    assert stat.S_IMODE(pki.directory.stat().st_mode) == 0o700


def test_an_older_state_dir_gains_etcds_certificates_and_keeps_its_ca(tmp_path: Path) -> None:
    pki = ensure_pki(tmp_path / "pki")
    for name in ("etcd-ca", "etcd-server", "etcd-peer", "apiserver-etcd-client"):
        pki.path(f"{name}.crt").unlink()
        pki.path(f"{name}.key").unlink()
    ca_before = pki.ca.read_bytes()
    ensure_pki(pki.directory)
    assert pki.ca.read_bytes() == ca_before
    assert _signed_by(_cert(pki.path("apiserver-etcd-client.crt")), _cert(pki.path("etcd-ca.crt")))


@pytest.mark.parametrize("name", ["etcd-ca", "apiserver-etcd-client"])
def test_keys_are_not_regenerated_on_the_next_start(tmp_path: Path, name: str) -> None:
    pki = ensure_pki(tmp_path / "pki")
    before = pki.path(f"{name}.key").read_bytes()
    ensure_pki(pki.directory)
    assert pki.path(f"{name}.key").read_bytes() == before
    assert isinstance(_cert(pki.path(f"{name}.crt")).public_key(), ec.EllipticCurvePublicKey)
