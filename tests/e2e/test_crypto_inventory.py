"""The cryptography inventory (密评) read from the live local cloud: the tenant's real key,
its spec (SM4-128 in aws-cn) and rotation, the Secrets' encryption at rest of the running API
server, the TLS the API server presents in a real handshake and the cloud endpoint's plain
HTTP — and a change on the live key shows in the next reading. GC042 refuses what it flagged
where the environment requires commercial cryptography."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import boto3
import pytest
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from infra.cli.main import main
from infra.localcloud import LocalCloud
from infra.plan.names import bucket_name, key_alias

from .conftest import Workspace

pytestmark = pytest.mark.e2e
TENANT = "e2e-crypto"


def _add_tenant(workspace: Workspace) -> None:
    """A department like gd-wjw (important data, its own key)."""
    workspace.add_department(TENANT, cidr="10.66.254.0/24", serial=905)
    workspace.edit(TENANT, lambda data: data.update(data_requests=[]))


def _inventory(tmp: Path, capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    out = tmp / "report.json"
    capsys.readouterr()
    code = main(
        [
            "--lang",
            "en",
            "report",
            "--env",
            "local",
            "--cryptography",
            "--format",
            "json",
            "--output",
            str(out),
        ]
    )
    assert code == 0, capsys.readouterr().err
    data: dict[str, Any] = json.loads(out.read_text())["cryptography"]
    assert data["read"] is True
    return data


def _items(data: dict[str, Any], tenant: str) -> dict[str, dict[str, Any]]:
    row = next(t for t in data["tenants"] if t["tenant"] == tenant)
    return {i["protects"]: i for i in row["items"]}


def test_the_inventory_is_read_live(
    workspace: Workspace,
    local_cloud: LocalCloud,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    monkeypatch.chdir(workspace.root)  # the report reads this checkout's specs
    _add_tenant(workspace)
    assert not workspace.deploy([TENANT])[f"local.{TENANT}"].failed
    kms = boto3.client("kms")
    live = kms.describe_key(KeyId=key_alias("local", TENANT))["KeyMetadata"]

    data = _inventory(tmp_path, capsys)
    mine = _items(data, TENANT)
    bucket = mine["bucket"]
    assert bucket["resource"] == bucket_name("local", TENANT)
    assert bucket["key"] == live["Arn"]  # the tenant's real key, as the bucket names it
    assert (bucket["spec"], bucket["algorithms"], bucket["commercial"]) == (
        "SYMMETRIC_DEFAULT",
        ["SM4-128"],  # a symmetric key in aws-cn
        True,
    )
    assert bucket["rotation"] is True
    assert bucket["administrators"] == ["root"] and bucket["users"]
    # the running API server's encryption at rest (its own config file)
    assert (mine["secrets"]["spec"], mine["secrets"]["algorithms"]) == (
        "secretbox",
        ["XSalsa20-Poly1305"],
    )
    platform = {i["protects"]: i for i in data["platform"]}
    cert = x509.load_pem_x509_certificate(
        local_cloud.layout().pki.path("apiserver.crt").read_bytes()
    )
    api = platform["tls-apiserver"]
    public = cert.public_key()
    assert isinstance(public, ec.EllipticCurvePublicKey)
    assert api["algorithms"][:2] == [f"EC {public.curve.name}", "ecdsa-with-SHA256"]
    assert api["algorithms"][2].startswith("TLS_") and api["key"] == cert.subject.rfc4514_string()
    assert platform["tls-cloud"]["algorithms"] == ["plaintext"]  # the local endpoint: HTTP
    assert platform["records"]["spec"] == "ECC_NIST_P256"
    flagged = next(t for t in data["tenants"] if t["tenant"] == TENANT)["flagged"]
    assert any("TLS of the cloud endpoint" in f for f in flagged)
    assert not any(f.startswith("objects (bucket)") for f in flagged)

    # Proof that it is live: rotation turned off on the key shows in the next reading.
    kms.disable_key_rotation(KeyId=live["KeyId"])
    try:
        assert _items(_inventory(tmp_path, capsys), TENANT)["bucket"]["rotation"] is False
    finally:
        kms.enable_key_rotation(KeyId=live["KeyId"])

    # The environment requiring commercial cryptography refuses what the inventory flagged.
    stacks = workspace.root / "stacks" / "local.yaml"
    original = stacks.read_text()
    stacks.write_text(original + "cryptography:\n  require_commercial: true\n")
    try:
        capsys.readouterr()
        code = main(
            [
                "--lang",
                "en",
                "check",
                f"tenants/{TENANT}.yaml",
                "--format",
                "json",
                "--crypto-file",
                str(tmp_path / "report.json"),
            ]
        )
        found = json.loads(capsys.readouterr().out)
    finally:
        stacks.write_text(original)
    assert code == 1
    rules = [f for f in found["findings"] if f["rule"] == "GC042"]
    assert rules and any("TLS of the cloud endpoint" in f["message"] for f in rules)
