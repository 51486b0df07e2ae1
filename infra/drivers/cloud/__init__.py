"""The cloud driver: one module per service; clients are built per call from the
environment (``AWS_ENDPOINT_URL``, ``AWS_REGION`` and credentials)."""

from infra.drivers.cloud._session import canonical_json
from infra.drivers.cloud._session import prepare as prepare_clients
from infra.drivers.cloud.ec2 import (
    SecurityGroupOutputs,
    SubnetOutputs,
    VpcOutputs,
    delete_security_group,
    delete_subnet,
    delete_vpc,
    ensure_security_group,
    ensure_subnet,
    ensure_vpc,
    read_security_group,
    read_subnet,
    read_vpc,
)
from infra.drivers.cloud.events import (
    CloudEvent,
    EndpointEvents,
    EventPage,
    EventSource,
    mentioned_handles,
    mentioned_ids,
)
from infra.drivers.cloud.iam import RoleOutputs, delete_role, ensure_role, read_role
from infra.drivers.cloud.inventory import ManagedResource, list_managed
from infra.drivers.cloud.kms import (
    ALIAS_TAG,
    KeyOutputs,
    delete_key,
    ensure_key,
    key_arn,
    read_key,
    write_key_policy,
)
from infra.drivers.cloud.s3 import (
    BucketOutputs,
    delete_bucket,
    ensure_bucket,
    has_objects,
    read_bucket,
    read_public_access_block,
    write_bucket_policy,
)

__all__ = [
    "ALIAS_TAG",
    "BucketOutputs",
    "CloudEvent",
    "EndpointEvents",
    "EventPage",
    "EventSource",
    "KeyOutputs",
    "ManagedResource",
    "RoleOutputs",
    "SecurityGroupOutputs",
    "SubnetOutputs",
    "VpcOutputs",
    "canonical_json",
    "delete_bucket",
    "delete_key",
    "delete_role",
    "delete_security_group",
    "delete_subnet",
    "delete_vpc",
    "ensure_bucket",
    "ensure_key",
    "ensure_role",
    "ensure_security_group",
    "ensure_subnet",
    "ensure_vpc",
    "has_objects",
    "key_arn",
    "list_managed",
    "mentioned_handles",
    "mentioned_ids",
    "prepare_clients",
    "read_bucket",
    "read_key",
    "read_public_access_block",
    "read_role",
    "read_security_group",
    "read_subnet",
    "read_vpc",
    "write_bucket_policy",
    "write_key_policy",
]
