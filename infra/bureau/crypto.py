"""The cryptography inventory for the commercial-cryptography assessment (密评): which key
protects which data, its spec and algorithms, its rotation and its custodian — per tenant and
for the platform, read from the live cloud and cluster (``govcloud report --cryptography``).

Per tenant: the bucket's default encryption key, and the Secrets of its namespace (the API
server's encryption at rest). For the platform: the audit bucket, the Pulumi state and stack
secrets, the destruction records' signing key, and the TLS of the API server and the cloud
endpoint, as their live handshakes present it. An item whose algorithms are not all SM2, SM3
or SM4 is flagged for every important and core tenant whose data it protects.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from infra.i18n import N_, _
from infra.plan.names import bucket_name, signing_key_alias
from infra.policy.crypto import PLAINTEXT, commercial, judged, key_algorithms
from infra.spec import EnvironmentSpec, TenantSpec

if TYPE_CHECKING:
    from infra.drivers.crypto import AtRest, BucketKey, KeyFacts, TlsFacts

__all__ = [
    "KINDS",
    "CryptoItem",
    "CryptoReader",
    "CryptoView",
    "Endpoints",
    "TenantCrypto",
    "crypto_view",
    "custodians",
    "not_read",
]

# What an item protects, as the report names it.
KINDS = {
    "bucket": N_("objects (bucket)"),
    "secrets": N_("Kubernetes Secrets at rest"),
    "audit-bucket": N_("audit bucket and destruction records"),
    "pulumi-state": N_("Pulumi state"),
    "pulumi-secrets": N_("Pulumi stack secrets"),
    "records": N_("destruction record signatures"),
    "tls-apiserver": N_("TLS of the API server"),
    "tls-cloud": N_("TLS of the cloud endpoint"),
}
# Who holds a key that is not a KMS key (the principals of a key policy are named as read).
OPERATOR = "operator"  # the operating company: files on the control-plane or deploy host
CLOUD = "cloud"  # the cloud provider: the endpoint's certificate key
_AT_REST = {
    "secretbox": "XSalsa20-Poly1305",
    "aescbc": "AES-256-CBC",
    "aesgcm": "AES-GCM",
    "identity": PLAINTEXT,
    "": PLAINTEXT,
}
_ADMIN = {"kms:*", "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion"}
_USE = {"kms:*", "kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey", "kms:Sign"}


class CryptoReader(Protocol):
    """What the inventory reads live (``infra.drivers.crypto.LiveCrypto``; fakes in tests)."""

    def key(self, ref: str) -> KeyFacts | None: ...

    def bucket(self, name: str) -> BucketKey: ...

    def tls(self, url: str) -> TlsFacts: ...

    def at_rest(self) -> AtRest | None: ...


@dataclass(frozen=True)
class Endpoints:
    """Where the live inventory reads: the API server and cloud endpoint URLs, and where the
    Pulumi state lives (``PULUMI_BACKEND_URL``)."""

    apiserver: str
    cloud: str
    state: str


@dataclass(frozen=True)
class CryptoItem:
    protects: str  # a key of KINDS
    resource: str  # the bucket, namespace, endpoint or state location
    key: str  # the KMS key's ARN, the at-rest key names, the certificate's subject; "" none
    spec: str  # KMS KeySpec, the certificate's public key, the at-rest provider
    algorithms: list[str]
    rotation: bool | None  # None: the key does not rotate automatically (or cannot tell)
    administrators: list[str]  # who holds it: may change or delete it
    users: list[str]  # who may use it
    note: str = ""  # why something is missing ("" when all was read)

    @property
    def commercial(self) -> bool:
        return commercial(self.algorithms)

    def describe(self) -> str:
        algorithms = ", ".join(_(PLAINTEXT) if a == PLAINTEXT else a for a in self.algorithms)
        return f"{_(KINDS[self.protects])} {self.resource}: {algorithms or self.note}"


@dataclass(frozen=True)
class TenantCrypto:
    tenant: str
    classification: str
    items: list[CryptoItem]
    # important and core data: every item protecting it (its own and the platform's) that is
    # not commercial cryptography
    flagged: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class CryptoView:
    read: bool  # read live (`report --cryptography`)
    platform: list[CryptoItem] = field(default_factory=list)
    tenants: list[TenantCrypto] = field(default_factory=list)
    require_commercial: bool = False


def not_read(env: EnvironmentSpec) -> CryptoView:
    return CryptoView(False, require_commercial=env.cryptography.require_commercial)


def _principal(arn: str) -> str:
    """``root`` for the account, ``role/NAME`` for a role, else as written."""
    if arn.startswith("arn:") and ":iam::" in arn:
        return arn.rsplit(":", 1)[-1]
    return arn


def custodians(policy: str) -> tuple[list[str], list[str]]:
    """Who administers a key (may change its policy or delete it) and who may use it, from
    its key policy's Allow statements; a principal allowed only under conditions is marked."""
    try:
        statements = json.loads(policy).get("Statement") or []
    # Why: a policy that cannot be read names nobody; the item still shows the key.
    except (ValueError, AttributeError):
        return [], []
    admins: dict[str, None] = {}
    users: dict[str, None] = {}
    for st in statements if isinstance(statements, list) else [statements]:
        if not isinstance(st, dict) or st.get("Effect") != "Allow":
            continue
        actions = st.get("Action") or []
        actions = {actions} if isinstance(actions, str) else set(actions)
        principal = st.get("Principal")
        names = principal.get("AWS", []) if isinstance(principal, dict) else principal or []
        names = [names] if isinstance(names, str) else names
        for who in (_principal(str(n)) for n in names):
            shown = _("{who} (with conditions)").format(who=who) if st.get("Condition") else who
            if actions & _ADMIN:
                admins.setdefault(shown)
            if actions & _USE:
                users.setdefault(shown)
    return list(admins), list(users)


def _key_item(
    protects: str, resource: str, key: KeyFacts | None, env: EnvironmentSpec
) -> CryptoItem:
    if key is None:
        return CryptoItem(protects, resource, "", "", [], None, [], [], _("no such key"))
    partition = key.arn.split(":")[1] if key.arn.count(":") > 2 else env.cloud.partition
    admins, users = custodians(key.policy)
    return CryptoItem(
        protects,
        resource,
        key.arn or key.key_id,
        key.spec,
        key_algorithms(key.spec, key.algorithms, partition=partition),
        key.rotation,
        admins,
        users,
        "" if key.state == "Enabled" else key.state,
    )


def _bucket_item(
    protects: str, bucket: BucketKey, env: EnvironmentSpec, holder: str = OPERATOR
) -> CryptoItem:
    name = bucket.bucket
    if not bucket.exists:
        return CryptoItem(protects, name, "", "", [], None, [], [], _("no such bucket"))
    if bucket.sse == "aws:kms":
        return _key_item(protects, name, bucket.key, env)
    if bucket.sse:  # S3-managed keys: AES-256, held by the cloud
        return CryptoItem(protects, name, bucket.sse, bucket.sse, ["AES-256"], None, [CLOUD], [])
    return CryptoItem(protects, name, "", "", [PLAINTEXT], None, [holder], [])


def _secrets_item(resource: str, found: AtRest | None) -> CryptoItem:
    if found is None:
        return CryptoItem(
            "secrets", resource, "", "", [], None, [], [], _("the API server could not be read")
        )
    algorithm = _AT_REST.get(found.provider, found.provider)
    if found.provider == "kms":
        algorithm = "KMS envelope"
    return CryptoItem(
        "secrets",
        resource,
        ", ".join(found.keys),
        found.provider or "identity",
        [algorithm],
        None,
        [OPERATOR],
        [OPERATOR],
        found.config,
    )


def _tls_item(protects: str, reader: CryptoReader, url: str, holder: str) -> CryptoItem:
    if not url:
        return CryptoItem(protects, "", "", "", [], None, [], [], _("no endpoint known"))
    found = reader.tls(url)
    if not found.tls:
        return CryptoItem(protects, found.url, "", "", [PLAINTEXT], None, [], [])
    if found.error:
        return CryptoItem(protects, found.url, "", "", [], None, [], [], found.error)
    return CryptoItem(
        protects,
        found.url,
        found.subject,
        found.public_key,
        [found.public_key, found.signature, found.cipher],
        None,
        [holder],
        [holder],
        found.version,
    )


def _state_items(env: EnvironmentSpec, reader: CryptoReader, where: str) -> list[CryptoItem]:
    """The stack secrets' key, and the state itself: the shared state bucket when it exists,
    else the file backend's directory (no encryption but the file system's)."""
    secrets = _key_item(
        "pulumi-secrets",
        f"alias/govcloud/{env.name}/pulumi-state",
        reader.key(f"alias/govcloud/{env.name}/pulumi-state"),
        env,
    )
    if where.startswith("file://"):
        state = CryptoItem("pulumi-state", where, "", "", [PLAINTEXT], None, [OPERATOR], [])
    else:
        state = _bucket_item(
            "pulumi-state", reader.bucket(f"govcloud-{env.name}-pulumi-state"), env
        )
    return [state, secrets]


def crypto_view(
    specs: Sequence[TenantSpec],
    env: EnvironmentSpec,
    reader: CryptoReader,
    where: Endpoints,
) -> CryptoView:
    at_rest = reader.at_rest()
    platform = [
        _bucket_item("audit-bucket", reader.bucket(bucket_name(env.name, "audit")), env),
        *_state_items(env, reader, where.state),
        _key_item(
            "records", signing_key_alias(env.name), reader.key(signing_key_alias(env.name)), env
        ),
        _secrets_item(_("every namespace"), at_rest),
        _tls_item("tls-apiserver", reader, where.apiserver, OPERATOR),
        _tls_item("tls-cloud", reader, where.cloud, CLOUD),
    ]
    shared = [p for p in platform if p.protects != "secrets" and _judgeable(p)]
    tenants = []
    for spec in sorted(specs, key=lambda s: s.id):
        items = [
            _bucket_item("bucket", reader.bucket(bucket_name(env.name, spec.id)), env),
            _secrets_item(spec.id, at_rest),
        ]
        flagged = (
            [i.describe() for i in [*items, *shared] if _judgeable(i) and not i.commercial]
            if judged(spec)
            else []
        )
        tenants.append(TenantCrypto(spec.id, spec.data.classification.value, items, flagged))
    return CryptoView(True, platform, tenants, env.cryptography.require_commercial)


def _judgeable(item: CryptoItem) -> bool:
    """An item that was read (a missing bucket or an unreadable endpoint protects nothing
    that can be judged here; the report shows why)."""
    return bool(item.algorithms)
