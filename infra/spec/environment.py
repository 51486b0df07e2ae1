"""The environment spec: one deployment of the provincial cloud, `stacks/<env>.yaml`."""

from __future__ import annotations

from pydantic import BaseModel, Field

from .types import STRICT, DnsLabel, Network, Quantity

__all__ = [
    "Capacity",
    "CloudEndpoint",
    "EnvironmentSpec",
    "LevelCeilings",
    "NetworkPool",
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
    proxy_cidr: Network | None = Field(
        default=None, description="Where the platform egress proxy lives"
    )
