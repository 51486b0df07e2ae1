"""The cryptography inventory (密评 evidence): which key protects which data, named as the
assessment names it, with rotation and custodian, flagged where important or core data is
protected by anything but SM2, SM3 and SM4 — built from fakes of the live reads."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace

import pytest

from infra.bureau import build_report
from infra.bureau.crypto import CryptoView, Endpoints, TenantCrypto, crypto_view
from infra.bureau.render_json import render_json
from infra.bureau.render_md import render_markdown
from infra.drivers.crypto import AtRest, BucketKey, KeyFacts, TlsFacts
from infra.i18n import set_language
from infra.plan.names import bucket_name
from infra.policy import evaluate
from infra.policy.crypto import inventory_flags
from infra.spec import EnvironmentSpec, LoadedTenant, TenantSpec
from infra.spec.git import SharingHistory

from .conftest import TODAY

ACCOUNT = "arn:aws-cn:iam::123456789012:root"
APISERVER = "https://127.0.0.1:6443"
CLOUD = "http://127.0.0.1:5000"


def _policy(*statements: dict[str, object]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _data_key(tenant: str, *, partition: str = "aws-cn", rotation: bool = True) -> KeyFacts:
    role = f"arn:{partition}:iam::123456789012:role/govcloud-local-{tenant}"
    return KeyFacts(
        key_id=f"key-{tenant}",
        arn=f"arn:{partition}:kms:cn-northwest-1:123456789012:key/key-{tenant}",
        spec="SYMMETRIC_DEFAULT",
        usage="ENCRYPT_DECRYPT",
        algorithms=("SYMMETRIC_DEFAULT",),
        rotation=rotation,
        state="Enabled",
        policy=_policy(
            {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": ["kms:PutKeyPolicy"]},
            {"Effect": "Allow", "Principal": {"AWS": [role]}, "Action": ["kms:Decrypt"]},
        ),
    )


SIGNING = KeyFacts(
    key_id="key-signing",
    arn="arn:aws-cn:kms:cn-northwest-1:123456789012:key/key-signing",
    spec="ECC_NIST_P256",
    usage="SIGN_VERIFY",
    algorithms=("ECDSA_SHA_256",),
    rotation=None,
    state="Enabled",
    policy=_policy(
        {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": ["kms:ScheduleKeyDeletion"]},
        {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": ["kms:Sign"]},
    ),
)


class FakeCrypto:
    """The live reads, as a local cloud in aws-cn answers them."""

    def __init__(self, *, partition: str = "aws-cn", rotation: bool = True) -> None:
        self.partition, self.rotation = partition, rotation
        self.asked: list[str] = []

    def key(self, ref: str) -> KeyFacts | None:
        self.asked.append(ref)
        if ref.endswith("platform-signing"):
            return SIGNING
        if ref.endswith("pulumi-state"):
            return _data_key("state", partition=self.partition)
        return None

    def bucket(self, name: str) -> BucketKey:
        self.asked.append(name)
        if name.endswith("pulumi-state") or name.endswith("-st-wglj"):
            return BucketKey(name, False, "", None)
        tenant = name.removeprefix("govcloud-local-")
        key = _data_key(tenant, partition=self.partition, rotation=self.rotation)
        return BucketKey(name, True, "aws:kms", key)

    def tls(self, url: str) -> TlsFacts:
        self.asked.append(url)
        if url.startswith("http://"):
            return TlsFacts(url, tls=False)
        return TlsFacts(
            url,
            tls=True,
            version="TLSv1.3",
            cipher="TLS_AES_128_GCM_SHA256",
            public_key="EC secp256r1",
            signature="ecdsa-with-SHA256",
            subject="CN=kube-apiserver",
        )

    def at_rest(self) -> AtRest | None:
        return AtRest("secretbox", ("key1",), "/state/encryption-config.yaml")


WHERE = Endpoints(apiserver=APISERVER, cloud=CLOUD, state="file:///state/pulumi-state")


@pytest.fixture
def english() -> Iterator[None]:
    set_language("en")
    yield
    set_language(None)


def _tenant(view: CryptoView, tenant: str) -> TenantCrypto:
    return next(t for t in view.tenants if t.tenant == tenant)


def test_each_tenant_bucket_names_its_live_key_its_spec_rotation_and_custodian(
    specs: list[TenantSpec], env: EnvironmentSpec, english: None
) -> None:
    reader = FakeCrypto()
    view = crypto_view(specs, env, reader, WHERE)
    gat = _tenant(view, "gd-gat")
    bucket, secrets = gat.items
    assert bucket.resource == bucket_name("local", "gd-gat") and bucket.protects == "bucket"
    assert bucket.key == "arn:aws-cn:kms:cn-northwest-1:123456789012:key/key-gd-gat"
    # a China-region symmetric key is SM4-128: commercial cryptography
    assert (bucket.spec, bucket.algorithms, bucket.commercial) == (
        "SYMMETRIC_DEFAULT",
        ["SM4-128"],
        True,
    )
    assert bucket.rotation is True
    assert (bucket.administrators, bucket.users) == (["root"], ["role/govcloud-local-gd-gat"])
    assert (secrets.spec, secrets.algorithms, secrets.key) == (
        "secretbox",
        ["XSalsa20-Poly1305"],
        "key1",
    )
    # every bucket of the fleet was read, each once
    assert sum(1 for a in reader.asked if a == bucket_name("local", "gd-gat")) == 1
    assert _tenant(view, "st-wglj").items[0].note == "no such bucket"


def test_important_data_is_flagged_for_every_non_commercial_item_protecting_it(
    specs: list[TenantSpec], env: EnvironmentSpec, english: None
) -> None:
    view = crypto_view(specs, env, FakeCrypto(), WHERE)
    gat = _tenant(view, "gd-gat")  # core data
    assert sorted(gat.flagged) == sorted(
        [
            "Kubernetes Secrets at rest gd-gat: XSalsa20-Poly1305",
            "Pulumi state file:///state/pulumi-state: plaintext",
            "destruction record signatures alias/govcloud/local/platform-signing: "
            "ECC P-256, ECDSA_SHA_256",
            f"TLS of the API server {APISERVER}: EC secp256r1, ecdsa-with-SHA256, "
            "TLS_AES_128_GCM_SHA256",
            f"TLS of the cloud endpoint {CLOUD}: plaintext",
        ]
    )
    assert _tenant(view, "gd-jyt").flagged == []  # general data: listed, not flagged


def test_outside_china_regions_a_symmetric_key_is_aes_and_is_flagged(
    specs: list[TenantSpec], env: EnvironmentSpec, english: None
) -> None:
    view = crypto_view(specs, env, FakeCrypto(partition="aws"), WHERE)
    gat = _tenant(view, "gd-gat")
    assert gat.items[0].algorithms == ["AES-256-GCM"] and not gat.items[0].commercial
    assert any(
        f.startswith("objects (bucket) govcloud-local-gd-gat: AES-256-GCM") for f in gat.flagged
    )


def test_rotation_is_what_the_key_says_now(specs: list[TenantSpec], env: EnvironmentSpec) -> None:
    off = crypto_view(specs, env, FakeCrypto(rotation=False), WHERE)
    assert _tenant(off, "gd-gat").items[0].rotation is False


def test_markdown_and_json_show_the_inventory(
    specs: list[TenantSpec], env: EnvironmentSpec, english: None
) -> None:
    view = crypto_view(specs, env, FakeCrypto(), WHERE)
    report = build_report(specs, env, today=TODAY, history=SharingHistory(), cryptography=view)
    md = render_markdown(report)
    assert "## Cryptography inventory (密评)" in md
    assert (
        "| gd-gat | core | objects (bucket) | "
        "arn:aws-cn:kms:cn-northwest-1:123456789012:key/key-gd-gat | SYMMETRIC_DEFAULT | "
        "SM4-128 | on | administers: platform account (root); uses: role/govcloud-local-gd-gat "
        "| yes |"
    ) in md
    assert "| TLS of the cloud endpoint | http://127.0.0.1:5000 | — | — | plaintext |" in md
    data = json.loads(render_json(report))["cryptography"]
    gat = next(t for t in data["tenants"] if t["tenant"] == "gd-gat")
    assert gat["items"][0]["commercial"] is True and gat["items"][0]["rotation"] is True
    assert len(gat["flagged"]) == 5


def test_not_read_says_how_to_read_it(specs: list[TenantSpec], env: EnvironmentSpec) -> None:
    set_language("zh")
    try:
        md = render_markdown(build_report(specs, env, today=TODAY, history=SharingHistory()))
    finally:
        set_language(None)
    assert "--cryptography" in md and "密码" in md


def _loaded(specs: list[TenantSpec]) -> list[LoadedTenant]:
    from pathlib import Path

    return [LoadedTenant(Path("tenants") / f"{s.id}.yaml", s, "") for s in specs]


def test_the_environment_makes_flagged_items_a_check_finding(
    specs: list[TenantSpec], env: EnvironmentSpec, english: None
) -> None:
    view = crypto_view(specs, env, FakeCrypto(), WHERE)
    report = build_report(specs, env, today=TODAY, history=SharingHistory(), cryptography=view)
    observed = inventory_flags(json.loads(render_json(report)))
    strict = env.model_copy(
        update={"cryptography": env.cryptography.model_copy(update={"require_commercial": True})}
    )
    found = [
        f
        for f in evaluate(_loaded(specs), strict, TODAY, cryptography=observed)
        if f.rule == "GC042"
    ]
    assert {f.tenant for f in found} == {
        s.id for s in specs if s.data.classification.value in ("important", "core")
    }
    gat = [f.message for f in found if f.tenant == "gd-gat"]
    assert len(gat) == 5 and any("TLS of the cloud endpoint" in m for m in gat)
    assert all(f.field == "data.classification" for f in found)
    # not required: no finding, whatever was flagged
    assert not [
        f for f in evaluate(_loaded(specs), env, TODAY, cryptography=observed) if f.rule == "GC042"
    ]
    # all commercial: nothing to refuse
    clean: dict[str, list[str]] = {t: [] for t in observed}
    assert not [
        f for f in evaluate(_loaded(specs), strict, TODAY, cryptography=clean) if f.rule == "GC042"
    ]
    assert replace(view, read=True).read
