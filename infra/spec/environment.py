"""The environment spec: one deployment of the provincial cloud, `stacks/<env>.yaml`."""

from __future__ import annotations

import ipaddress
import re
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, Field, field_validator, model_validator

from .quantity import parse_quantity
from .tenant import Classification
from .types import STRICT, DnsLabel, Network, Quantity

__all__ = [
    "Capacity",
    "CloudEndpoint",
    "Cryptography",
    "Destruction",
    "EmergencyAccess",
    "EnvironmentSpec",
    "KubernetesTarget",
    "LevelCeilings",
    "NetworkPool",
    "Prices",
    "RegionCapacity",
    "RegionKind",
    "RegionNetwork",
    "RegionSpec",
    "SharedService",
    "division_prefix",
]


class CloudEndpoint(BaseModel):
    model_config = STRICT
    endpoint: str | None = Field(
        default=None,
        description="AWS-compatible API endpoint; null means taken from AWS_ENDPOINT_URL",
    )
    region: str = "cn-northwest-1"
    partition: str = "aws-cn"
    account_id: str = Field(
        default="123456789012",
        pattern=r"^[0-9]{12}$",
        description="Account that owns the tenant resources (ARNs in key and bucket policies)",
    )
    tls: bool | None = Field(
        default=None,
        description="Whether the endpoint speaks TLS (bucket policies then refuse plain "
        "HTTP); null: from the endpoint's scheme",
    )
    workload_issuer: str = Field(
        default="kubernetes.default.svc.cluster.local",
        pattern=r"^[a-z0-9.-]+(/[A-Za-z0-9._-]+)*$",
        description="Issuer of the cluster's service-account tokens as the cloud's IAM knows "
        "it (an OIDC provider, without https://): a tenant's role trusts exactly "
        "its namespace's service accounts through it",
    )


class Capacity(BaseModel):
    model_config = STRICT
    cpu: Quantity
    memory: Quantity
    storage: Quantity
    overcommit: float = Field(ge=1.0, le=10.0, description="CPU and memory overcommit ratio")


class NetworkPool(BaseModel):
    model_config = STRICT
    pool: Network
    tenant_prefix: int = Field(ge=16, le=28, description="Prefix length of every tenant CIDR")
    reserved: list[Network] = Field(default_factory=list)

    @model_validator(mode="after")
    def _fits(self) -> NetworkPool:
        _pool_fits(self.pool, self.tenant_prefix, self.reserved)
        return self


def _pool_fits(pool_text: str, prefix: int | None, reserved: list[str]) -> None:
    """A pool holds at least one tenant and its reserved ranges (ValueError otherwise)."""
    pool = ipaddress.IPv4Network(pool_text)
    if prefix is not None and prefix < pool.prefixlen:
        raise ValueError(f"tenant_prefix /{prefix} is larger than the pool")
    for cidr in reserved:
        if not ipaddress.IPv4Network(cidr).subnet_of(pool):
            raise ValueError(f"reserved range {cidr} is outside the pool {pool_text}")


def _named_levels(value: dict[str, LevelCeilings]) -> dict[str, LevelCeilings]:
    """Ceilings name exactly the three levels (ValueError otherwise)."""
    levels = {"province", "city", "county"}
    if set(value) != levels:
        raise ValueError(f"ceilings must name exactly the levels {sorted(levels)}")
    return value


class SharedService(BaseModel):
    """A platform service tenants may reach (unified identity, electronic seal, ...)."""

    model_config = STRICT
    id: DnsLabel
    name: str
    namespace: DnsLabel = "shared-services"
    port: int = Field(default=443, ge=1, le=65535)


class LevelCeilings(BaseModel):
    """The most one tenant of a level may ask for."""

    model_config = STRICT
    cpu: Quantity
    memory: Quantity
    storage: Quantity
    pods: int = Field(ge=0)
    ephemeral_storage: Quantity = Field(
        default="500Gi",
        description="Node-local scratch space (emptyDir volumes, container "
        "logs, writable layers) one tenant may ask for",
    )
    default_ephemeral_storage: Quantity = Field(
        default="300Gi", description="A tenant's ephemeral-storage quota when its spec states none"
    )
    gpus: int = Field(default=0, ge=0, description="GPUs one tenant may be granted")

    def ephemeral_quota(self, asked: str | None) -> str:
        """A tenant's ephemeral-storage quota: what it asked for, else the level's default."""
        return asked or self.default_ephemeral_storage

    @model_validator(mode="after")
    def _default_within(self) -> LevelCeilings:
        if parse_quantity(self.default_ephemeral_storage) > parse_quantity(self.ephemeral_storage):
            raise ValueError(
                f"default_ephemeral_storage {self.default_ephemeral_storage} is "
                f"above the ceiling ephemeral_storage {self.ephemeral_storage}"
            )
        return self


class Prices(BaseModel):
    """The priced service catalogue: monthly list prices in CNY."""

    model_config = STRICT
    vcpu_month: float = Field(ge=0, description="CNY per vCPU of quota per month")
    memory_gib_month: float = Field(ge=0, description="CNY per GiB of memory quota per month")
    storage_tib_month: float = Field(ge=0, description="CNY per TiB of storage quota per month")
    key_month: float = Field(ge=0, description="CNY per dedicated KMS key per month")
    bucket_month: float = Field(ge=0, description="CNY per object-storage bucket per month")


class RegionKind(StrEnum):
    province = "province"
    city = "city"
    sector = "sector"


def division_prefix(code: str) -> str:
    """A GB/T 2260 prefix as written (44, 4401, 440106) or as a whole code with trailing
    zero pairs (440000 → 44, 440100 → 4401)."""
    if not (code.isascii() and code.isdigit() and len(code) in (2, 4, 6)):
        raise ValueError(
            f"{code!r} is not a GB/T 2260 division prefix (2, 4 or 6 digits, e.g. 4401 or 440100)"
        )
    while len(code) > 2 and code.endswith("00"):
        code = code[:-2]
    return code


DivisionPrefix = Annotated[str, AfterValidator(division_prefix)]


class KubernetesTarget(BaseModel):
    """Where a region's Kubernetes API is: a kubeconfig context (the reconciler of a region
    connects through it, see ``infra.drivers.regional``)."""

    model_config = STRICT
    api: str | None = Field(
        default=None,
        pattern=r"^https://[^\s/]+(/\S*)?$",
        description="The API server's URL; null: the kubeconfig's",
    )
    context: str | None = Field(
        default=None, min_length=1, max_length=253, description="kubeconfig context name"
    )


class RegionNetwork(BaseModel):
    model_config = STRICT
    pool: Network = Field(description="This region's tenant pool, inside network.pool")
    tenant_prefix: int | None = Field(
        default=None, ge=16, le=28, description="default: network.tenant_prefix"
    )
    reserved: list[Network] = Field(default_factory=list)

    @model_validator(mode="after")
    def _fits(self) -> RegionNetwork:
        _pool_fits(self.pool, self.tenant_prefix, self.reserved)
        return self


class RegionCapacity(BaseModel):
    model_config = STRICT
    cpu: Quantity
    memory: Quantity
    storage: Quantity
    overcommit: float | None = Field(
        default=None, ge=1.0, le=10.0, description="default: capacity.overcommit"
    )


class RegionSpec(BaseModel):
    """One node of the provincial cloud as ``stacks/<env>.yaml`` declares it."""

    model_config = STRICT
    id: DnsLabel
    kind: RegionKind = Field(strict=False, description="province, city or sector")
    name: str = Field(min_length=1, max_length=64, description="e.g. 省级节点, 广州节点")
    divisions: list[DivisionPrefix] = Field(
        default_factory=list,
        max_length=400,
        description="GB/T 2260 prefixes this node serves (4401 or 440100: Guangzhou)",
    )
    kubernetes: KubernetesTarget | None = None
    cloud: CloudEndpoint | None = Field(default=None, description="default: the top-level cloud")
    capacity: RegionCapacity
    ceilings: dict[str, LevelCeilings] | None = Field(
        default=None, description="default: the top-level ceilings"
    )
    network: RegionNetwork
    certified: list[Classification] = Field(
        min_length=1,
        description="Data classifications this node is certified to hold",
    )
    peers_with: list[DnsLabel] = Field(
        default_factory=list,
        description="Regions whose tenants this region's tenants may peer with "
        "(both regions must list each other)",
    )

    @field_validator("certified", mode="before")
    @classmethod
    def _classifications(cls, value: object) -> object:
        # YAML gives strings; the enum is strict elsewhere in the model.
        if isinstance(value, list):
            return [Classification(v) if v in set(Classification) else v for v in value]
        return value

    @field_validator("ceilings")
    @classmethod
    def _every_level(
        cls, value: dict[str, LevelCeilings] | None
    ) -> dict[str, LevelCeilings] | None:
        return None if value is None else _named_levels(value)


MAX_EMERGENCY_MINUTES = 240


class EmergencyAccess(BaseModel):
    """Break-glass: an operator's emergency access to a tenant, approved by a second person
    of the bureau (``govcloud access``)."""

    model_config = STRICT
    approver_groups: list[DnsLabel] = Field(
        default_factory=list,
        description="The bureau's groups whose members approve emergency access (never an "
        "operator group); empty: nobody can approve",
    )
    max_minutes: int = Field(
        default=MAX_EMERGENCY_MINUTES,
        ge=1,
        le=MAX_EMERGENCY_MINUTES,
        description="The longest emergency access one approval gives, in minutes",
    )
    approval_window_minutes: int = Field(
        default=60,
        ge=1,
        le=1440,
        description="A request not approved within this many minutes of being made lapses: "
        "an approval after that grants nothing (a new request is needed)",
    )
    warn_above: int = Field(
        default=3,
        ge=0,
        description="`govcloud check` warns a tenant with more emergency accesses than this "
        "within `period_days`",
    )
    period_days: int = Field(
        default=30, ge=1, le=366, description="The window `warn_above` counts over, in days"
    )


class Destruction(BaseModel):
    """How a decommissioned tenant's data is destroyed (`govcloud destroy`)."""

    model_config = STRICT
    waiting_days: int = Field(
        default=7,
        ge=0,
        le=90,
        description="Days between a destruction order and the earliest destruction, during "
        "which the order can be cancelled (0: at once)",
    )
    key_pending_days: int = Field(
        default=30,
        ge=7,
        le=30,
        description="The KMS pending window of a destroyed tenant's key (7-30 days): until "
        "then the key deletion can still be cancelled",
    )
    signing: Literal["sm2", "ecc-p256"] = Field(
        default="sm2",
        description="The platform's record-signing key: sm2 (SM2DSA, commercial cryptography, "
        "where the cloud offers it) or ecc-p256 (ECDSA P-256 with SHA-256)",
    )


class Cryptography(BaseModel):
    """What the commercial-cryptography assessment (密评) requires of the environment."""

    model_config = STRICT
    require_commercial: bool = Field(
        default=False,
        description="`govcloud check` refuses (GC042) an important or core tenant whose data "
        "is protected by an algorithm that is not commercial cryptography (SM2, SM3, SM4): "
        "as the environment declares it, and as `govcloud report --cryptography` read it "
        "live (`govcloud check --crypto-file`)",
    )


class EnvironmentSpec(BaseModel):
    model_config = STRICT
    name: DnsLabel
    cloud: CloudEndpoint = Field(default_factory=CloudEndpoint)
    capacity: Capacity
    network: NetworkPool
    shared_services: list[SharedService] = Field(default_factory=list)
    ceilings: dict[str, LevelCeilings] = Field(description="Keyed by level: province/city/county")
    owner_domains: list[str] = Field(min_length=1)
    operator_groups: list[DnsLabel] = Field(default_factory=list)
    operator_domains: list[str] = Field(
        default_factory=list, description="E-mail domains of the operating company"
    )
    authorization_pattern: str = Field(description="Regular expression for grant documents")
    emergency_access: EmergencyAccess = Field(default_factory=EmergencyAccess)
    committee_threshold_cny: int = Field(default=30_000_000, ge=0)
    platform_admin_role: str = "govcloud-platform-admin"
    deploy_users: list[str] = Field(
        default_factory=lambda: ["govcloud-deploy"],
        min_length=1,
        description="Kubernetes users deploy runs as: the only writers of Tenant objects, "
        "confined to tenant namespaces and the platform objects govcloud plans (never a "
        "cluster administrator's own user)",
    )
    proxy_cidr: Network | None = Field(
        default=None, description="Where the platform egress proxy lives"
    )
    prices: Prices | None = Field(
        default=None, description="Priced service catalogue; without it no cost is reported"
    )
    language: Literal["zh", "en"] = Field(
        default="zh",
        description="Language of what departments and the bureau read from CI for this "
        "environment (`govcloud check --lang env`): zh (default) or en",
    )
    metrics_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^\s/]+(/\S*)?$",
        description="Prometheus-compatible query API (the province's metrics store) holding "
        "the recorded quota use that right-sizing and metered cost stand on; null means "
        "taken from GOVCLOUD_METRICS_URL (the local cloud's store)",
    )
    regions: list[RegionSpec] = Field(
        default_factory=list,
        max_length=100,
        description="The nodes of the provincial cloud (provincial node, city nodes, sector "
        "clouds); none: one implicit region built from the top-level fields",
    )
    targets: str | None = Field(
        default=None,
        min_length=1,
        max_length=4096,
        description="A generated file of each region's connection values (kubeconfig, context, "
        "API server, cloud endpoint), e.g. the one `govcloud localcloud up` writes; relative "
        "to the repository root. Its values override the regions' kubernetes and cloud "
        "endpoints; null: the spec's own",
    )
    destruction: Destruction = Field(
        default_factory=Destruction,
        description="Waiting period, key pending window and record signing of destructions",
    )
    cryptography: Cryptography = Field(
        default_factory=Cryptography,
        description="Commercial-cryptography requirements (the 密评 evidence of the report)",
    )
    gpu_resource: str = Field(
        default="nvidia.com/gpu",
        pattern=r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?/[A-Za-z0-9._-]+$",
        description="The extended resource a tenant's quotas.gpus grants",
    )

    @field_validator("ceilings")
    @classmethod
    def _every_level(cls, value: dict[str, LevelCeilings]) -> dict[str, LevelCeilings]:
        return _named_levels(value)

    @field_validator("authorization_pattern")
    @classmethod
    def _compiles(cls, value: str) -> str:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"not a regular expression: {exc}") from None
        return value

    @field_validator("owner_domains", "operator_domains")
    @classmethod
    def _domains(cls, value: list[str]) -> list[str]:
        for domain in value:
            if not re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", domain):
                raise ValueError(f"{domain!r} is not a lower-case DNS domain")
        return value

    @model_validator(mode="after")
    def _approvers_not_operators(self) -> EnvironmentSpec:
        both = set(self.emergency_access.approver_groups) & set(self.operator_groups)
        if both:
            raise ValueError(
                f"emergency_access.approver_groups {sorted(both)} are operator groups: the "
                "operating company never approves its own emergency access"
            )
        return self

    @model_validator(mode="after")
    def _unique_services(self) -> EnvironmentSpec:
        ids = [s.id for s in self.shared_services]
        if len(ids) != len(set(ids)):
            raise ValueError("shared service ids must be unique")
        return self
