"""The environment spec: one deployment of the provincial cloud, `stacks/<env>.yaml`."""

from __future__ import annotations

import ipaddress
import re
from typing import Literal

from pydantic import BaseModel, Field, field_validator, model_validator

from .quantity import parse_quantity
from .types import STRICT, DnsLabel, Network, Quantity

__all__ = [
    "Capacity",
    "CloudEndpoint",
    "Destruction",
    "EnvironmentSpec",
    "LevelCeilings",
    "NetworkPool",
    "Prices",
    "SharedService",
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
        pool = ipaddress.IPv4Network(self.pool)
        if self.tenant_prefix < pool.prefixlen:
            raise ValueError(f"tenant_prefix /{self.tenant_prefix} is larger than the pool")
        for cidr in self.reserved:
            if not ipaddress.IPv4Network(cidr).subnet_of(pool):
                raise ValueError(f"reserved range {cidr} is outside the pool {self.pool}")
        return self


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
    destruction: Destruction = Field(
        default_factory=Destruction,
        description="Waiting period, key pending window and record signing of destructions",
    )
    gpu_resource: str = Field(
        default="nvidia.com/gpu",
        pattern=r"^[a-z0-9]([a-z0-9.-]*[a-z0-9])?/[A-Za-z0-9._-]+$",
        description="The extended resource a tenant's quotas.gpus grants",
    )

    @field_validator("ceilings")
    @classmethod
    def _every_level(cls, value: dict[str, LevelCeilings]) -> dict[str, LevelCeilings]:
        levels = {"province", "city", "county"}
        if set(value) != levels:
            raise ValueError(f"ceilings must name exactly the levels {sorted(levels)}")
        return value

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
    def _unique_services(self) -> EnvironmentSpec:
        ids = [s.id for s in self.shared_services]
        if len(ids) != len(set(ids)):
            raise ValueError("shared service ids must be unique")
        return self
