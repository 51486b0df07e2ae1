"""The tenant spec: one department's request, `tenants/<id>.yaml`."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from .types import STRICT, Code, Date, DnsLabel, Email, Network, Quantity

__all__ = [
    "AccessGrant",
    "Budget",
    "Classification",
    "CommitteeReview",
    "Contact",
    "ContainerDefaults",
    "ContainerResources",
    "DataPolicy",
    "DataRequest",
    "Dataset",
    "Egress",
    "Level",
    "Lifecycle",
    "LifecycleState",
    "NetworkSpec",
    "Owners",
    "Peer",
    "PersonalInformation",
    "Placement",
    "Quotas",
    "ReviewParticipant",
    "Scope",
    "ShareAuthorization",
    "TenantSpec",
]


class Level(StrEnum):
    province = "province"
    city = "city"
    county = "county"


class Classification(StrEnum):
    """GB/T 43697-2024 data classification, lowest first."""

    general = "general"
    important = "important"
    core = "core"

    @property
    def rank(self) -> int:
        return list(Classification).index(self)


class PersonalInformation(StrEnum):
    """PIPL: does the tenant process personal information, and is any of it sensitive."""

    none = "none"
    personal = "personal"
    sensitive = "sensitive"


class Egress(StrEnum):
    none = "none"
    proxy = "proxy"


class Scope(StrEnum):
    ops = "ops"
    data = "data"


class LifecycleState(StrEnum):
    active = "active"
    decommissioning = "decommissioning"


class Contact(BaseModel):
    model_config = STRICT
    name: str = Field(min_length=1, max_length=64)
    email: Email
    title: str = Field(default="", max_length=64)


class Owners(BaseModel):
    """Government owners: who approves changes and who signs in as namespace admins."""

    model_config = STRICT
    group: DnsLabel = Field(description="Identity-provider group the owners sign in with")
    contacts: list[Contact] = Field(min_length=1, max_length=20)


class Dataset(BaseModel):
    """A dataset the department publishes for others to request: a prefix of its bucket,
    encrypted with its key."""

    model_config = STRICT
    id: DnsLabel
    name: str = Field(min_length=1, max_length=128, description="What the data is (Chinese)")
    classification: Classification = Field(strict=False)
    personal_information: PersonalInformation = Field(strict=False)
    prefix: str = Field(
        pattern=r"^[a-z0-9][a-z0-9._-]*(/[a-z0-9][a-z0-9._-]*)*/$",
        max_length=256,
        description="The key prefix of the tenant's bucket holding this dataset, ending in '/'",
    )
    fields: list[Annotated[str, Field(min_length=1, max_length=64)]] = Field(
        default_factory=list, max_length=200, description="The fields (columns) it holds"
    )
    desensitized: bool = Field(
        default=False,
        description="A de-identified copy written by the provider: personal information "
        "removed or pseudonymised, so it may be shared without a legal basis for the raw data",
    )


class DataPolicy(BaseModel):
    model_config = STRICT
    classification: Classification = Field(strict=False)
    personal_information: PersonalInformation = Field(strict=False)
    retention_days: int | None = Field(default=None, ge=1, le=36500)
    dedicated_key: bool = Field(
        default=False, description="A KMS key used by this tenant only (always true for core)"
    )
    datasets: list[Dataset] = Field(
        default_factory=list,
        max_length=100,
        description="Datasets this department publishes to the data catalogue",
    )


# A container's ephemeral storage when neither it nor the spec's defaults state any.
DEFAULT_EPHEMERAL_REQUEST = "256Mi"
DEFAULT_EPHEMERAL_LIMIT = "1Gi"


class ContainerResources(BaseModel):
    model_config = STRICT
    cpu: Quantity
    memory: Quantity
    ephemeral_storage: Quantity | None = Field(
        default=None,
        description="Node-local scratch space (emptyDir, logs, writable layer); "
        "default: 256Mi requested, 1Gi limit",
    )


class ContainerDefaults(BaseModel):
    model_config = STRICT
    requests: ContainerResources
    limits: ContainerResources

    @property
    def ephemeral_request(self) -> str:
        """The default ephemeral-storage request of a container that states none."""
        return self.requests.ephemeral_storage or DEFAULT_EPHEMERAL_REQUEST

    @property
    def ephemeral_limit(self) -> str:
        """The default ephemeral-storage limit of a container that states none."""
        return self.limits.ephemeral_storage or DEFAULT_EPHEMERAL_LIMIT


class Quotas(BaseModel):
    model_config = STRICT
    cpu: Quantity
    memory: Quantity
    storage: Quantity
    pods: int = Field(ge=0, le=100000)
    services: int = Field(ge=0, le=10000)
    config_maps: int = Field(ge=0, le=100000)
    secrets: int = Field(ge=0, le=100000)
    persistent_volume_claims: int = Field(ge=0, le=10000)
    ephemeral_storage: Quantity | None = Field(
        default=None,
        description="Node-local scratch space of all containers together; "
        "default: the level's default in stacks/<env>.yaml",
    )
    gpus: int = Field(
        default=0,
        ge=0,
        le=1000,
        description="GPUs granted; every other extended resource stays at 0",
    )
    network_policies: int = Field(
        default=20,
        ge=0,
        le=200,
        description="NetworkPolicies the department may add besides govcloud's own",
    )
    defaults: ContainerDefaults


class Peer(BaseModel):
    """A peering with another tenant, allowed by a data-sharing agreement."""

    model_config = STRICT
    tenant: DnsLabel
    agreement: str = Field(min_length=1, max_length=128)
    ports: list[Annotated[int, Field(ge=1, le=65535)]] = Field(
        default_factory=lambda: [443],
        min_length=1,
        max_length=20,
        description="TCP ports this side opens to the peer and may reach on it (default 443); "
        "a path exists on the ports both sides declare",
    )


class NetworkSpec(BaseModel):
    model_config = STRICT
    cidr: Network
    shared_services: list[DnsLabel] = Field(default_factory=list, max_length=50)
    peers: list[Peer] = Field(default_factory=list, max_length=200)
    egress: Egress = Field(default=Egress.none, strict=False)


class AccessGrant(BaseModel):
    """A written, time-bound authorization for the operator to touch this tenant."""

    model_config = STRICT
    group: DnsLabel
    scope: Scope = Field(strict=False)
    document: str = Field(min_length=1, max_length=64)
    granted_by: Email
    countersigned_by: Email | None = None
    granted: Date
    expires: Date
    expires_at: AwareDatetime | None = Field(
        default=None,
        strict=False,
        description="The exact moment of expiry when the document names a time of day "
        "(ISO 8601 with a UTC offset, on the `expires` date in Beijing time); "
        "without it the grant ends at the end of `expires`",
    )

    @model_validator(mode="after")
    def _expiry_on_its_date(self) -> AccessGrant:
        _on_date(self.expires_at, self.expires)
        return self


def _on_date(expires_at: dt.datetime | None, expires: dt.date) -> None:
    if expires_at is not None:
        beijing = dt.timezone(dt.timedelta(hours=8))
        if expires_at.astimezone(beijing).date() != expires:
            raise ValueError(
                f"expires_at {expires_at.isoformat()} is not on the "
                f"expires date {expires.isoformat()} (Beijing time)"
            )


class ReviewParticipant(BaseModel):
    model_config = STRICT
    name: str = Field(min_length=1, max_length=64)
    role: str = Field(min_length=1, max_length=32, description="chair, vice-chair or member")


class CommitteeReview(BaseModel):
    model_config = STRICT
    reference: str = Field(min_length=1, max_length=64)
    date: Date
    participants: list[ReviewParticipant] = Field(min_length=1, max_length=50)


class ShareAuthorization(BaseModel):
    """The written approval that turns a data request into a share, until it expires."""

    model_config = STRICT
    document: str = Field(min_length=1, max_length=64, description="The approval's document number")
    approved_by: Email = Field(description="An owner of the providing department")
    expires: Date
    expires_at: AwareDatetime | None = Field(
        default=None,
        strict=False,
        description="The exact moment the share ends (ISO 8601 with a UTC offset, on the "
        "`expires` date in Beijing time); without it the share ends at the end of `expires`",
    )

    @model_validator(mode="after")
    def _expiry_on_its_date(self) -> ShareAuthorization:
        _on_date(self.expires_at, self.expires)
        return self


class DataRequest(BaseModel):
    """Data this department needs from another one (a 数据需求). A request naming a
    published ``dataset`` becomes a read-only share of that dataset once it carries an
    ``authorization``, until it expires. A request without a dataset (the history before
    the catalogue) names its data in words and is satisfied when the providing department
    declares the mutual peering with an agreement; a request never becomes a network path."""

    # `from` is a Python keyword: the field is `provider`, written and dumped as `from`.
    model_config = ConfigDict(**STRICT, serialize_by_alias=True)
    provider: DnsLabel = Field(alias="from", description="Tenant id of the providing department")
    dataset: DnsLabel | None = Field(
        default=None, description="Id of a dataset the provider publishes (data.datasets)"
    )
    data: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="What data is needed, in words (requests from before the catalogue)",
    )
    purpose: str = Field(min_length=1, max_length=256, description="What it is needed for")
    legal_basis: str = Field(
        min_length=1, max_length=128, description="The law, regulation or document that allows it"
    )
    requested: Date
    justification: str | None = Field(
        default=None,
        min_length=1,
        max_length=512,
        description="Why the need outweighs the risk; required for core data",
    )
    raw_basis: str | None = Field(
        default=None,
        min_length=1,
        max_length=128,
        description="The article of law that allows receiving the raw personal information; "
        "without it only de-identified (desensitized) datasets may be requested",
    )
    authorization: ShareAuthorization | None = Field(
        default=None, description="The approval, once granted: the share lives until it expires"
    )

    @model_validator(mode="after")
    def _names_its_data(self) -> DataRequest:
        if self.dataset is None and self.data is None:
            raise ValueError("a data request names a dataset (or, before the catalogue, data)")
        return self


class Budget(BaseModel):
    model_config = STRICT
    annual_cny: int = Field(ge=0, le=10**12)
    review: CommitteeReview | None = None


class Placement(BaseModel):
    """Where the department runs, when not where the rule puts it (``govcloud check`` says
    where the rule puts it), and where its data is copied for disaster recovery."""

    model_config = STRICT
    region: DnsLabel | None = Field(
        default=None,
        description="A region of stacks/<env>.yaml; default: by rule (the city's node, "
        "else the provincial node)",
    )
    dr_region: DnsLabel | None = Field(
        default=None,
        description="Disaster-recovery region, required for important and core data: another "
        "region certified for the tenant's classification",
    )


class Lifecycle(BaseModel):
    model_config = STRICT
    state: LifecycleState = Field(default=LifecycleState.active, strict=False)
    since: Date | None = Field(default=None, description="When the current state began")


class TenantSpec(BaseModel):
    """One department of the province, as requested in `tenants/<id>.yaml`."""

    model_config = STRICT
    id: DnsLabel
    name: str = Field(min_length=2, max_length=64, description="Official name (Chinese)")
    credit_code: Code = Field(description="Unified social credit code, GB 32100-2015")
    level: Level = Field(strict=False)
    division_code: Code = Field(description="Administrative division code, GB/T 2260")
    owners: Owners
    data: DataPolicy
    quotas: Quotas
    network: NetworkSpec
    access: list[AccessGrant] = Field(default_factory=list, max_length=50)
    data_requests: list[DataRequest] = Field(default_factory=list, max_length=200)
    budget: Budget
    placement: Placement | None = Field(
        default=None, description="Region override and disaster-recovery region"
    )
    lifecycle: Lifecycle = Field(default_factory=Lifecycle)
