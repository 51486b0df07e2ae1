"""Deterministic names, labels and tags: the same tenant always gets the same handles."""

from __future__ import annotations

import functools
import hashlib
import ipaddress

__all__ = [
    "CRD_GROUP",
    "CRD_VERSION",
    "DEPLOY_WRITER",
    "DOMAIN",
    "ENVIRONMENT_ANNOTATION",
    "FIELD_MANAGER",
    "LABEL_CLASSIFICATION",
    "LABEL_MANAGED_BY",
    "LABEL_SERVICE",
    "LABEL_TENANT",
    "MANAGED_BY",
    "OVERRIDE_ANNOTATION",
    "PLATFORM_TENANT",
    "RECONCILER_WRITER",
    "RESERVED_NAMESPACES",
    "SHARED_NAMESPACE",
    "TAG_CLASSIFICATION",
    "TAG_ENV",
    "TAG_MANAGED_BY",
    "TAG_TENANT",
    "bucket_name",
    "cloud_name",
    "digest",
    "k8s_name",
    "key_alias",
    "platform_key_alias",
    "signing_key_alias",
    "tags",
    "vpc_blocks",
    "vpc_for",
    "vpc_name",
]

DOMAIN = "govcloud.gd.gov.cn"
CRD_GROUP = DOMAIN
CRD_VERSION = "v1alpha1"
FIELD_MANAGER = "govcloud"  # read-only tools; the writers below name themselves
# One field manager per writing process (server-side apply's ownership): deploy (the Pulumi
# providers and deploy's own status writes) and the reconciler never share a name, so the
# API server's managedFields say who wrote what.
DEPLOY_WRITER = "govcloud-deploy"
RECONCILER_WRITER = "govcloud-reconciler"
MANAGED_BY = "govcloud"
LABEL_MANAGED_BY = "app.kubernetes.io/managed-by"
LABEL_TENANT = f"{DOMAIN}/tenant"
LABEL_CLASSIFICATION = f"{DOMAIN}/classification"
LABEL_SERVICE = f"{DOMAIN}/service"
# On a Tenant: the compliance rules an emergency deploy overrode (comma-separated rule ids),
# written by deploy only; the reconciler accepts exactly these.
OVERRIDE_ANNOTATION = f"{DOMAIN}/compliance-override"
ENVIRONMENT_ANNOTATION = f"{DOMAIN}/environment"  # on a Tenant: the environment it is in
SHARED_NAMESPACE = "shared-services"
# Cloud tags: the only spelling of each key. Every tagged resource carries all four
# (``tags``); the platform's carry ``TAG_TENANT = PLATFORM_TENANT``.
TAG_MANAGED_BY = "managed-by"
TAG_ENV = "govcloud-env"
TAG_TENANT = "tenant"
TAG_CLASSIFICATION = "classification"
PLATFORM_TENANT = "platform"
RESERVED_NAMESPACES = frozenset(
    {"default", "kube-system", "kube-public", "kube-node-lease", SHARED_NAMESPACE, "govcloud"}
)


def _fit(name: str, limit: int) -> str:
    """Keep a name within a length limit, stably: cut and add a short digest."""
    if len(name) <= limit:
        return name
    return f"{name[: limit - 9].rstrip('-')}-{digest(name)}"


def digest(text: str, length: int = 8) -> str:
    """A short, stable hex digest: tells apart names that would otherwise collide."""
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def k8s_name(*parts: str) -> str:
    """A Kubernetes object name from parts joined by '-': at most 63 characters (DNS label).

    A longer name is cut and ends in an 8-hex digest of the whole, so two long names that
    share a prefix never collide, and the same parts always give the same name.
    """
    return _fit("-".join(p for p in parts if p), 63)


def cloud_name(env: str, tenant: str, suffix: str = "") -> str:
    """Role, subnet and security-group names: `govcloud-<env>-<tenant>[-suffix]`."""
    base = f"govcloud-{env}-{tenant}" + (f"-{suffix}" if suffix else "")
    return _fit(base, 64)


def bucket_name(env: str, tenant: str) -> str:
    return _fit(f"govcloud-{env}-{tenant}", 63)


def key_alias(env: str, tenant: str) -> str:
    return f"alias/govcloud/{env}/{tenant}"


def platform_key_alias(env: str) -> str:
    return f"alias/govcloud/{env}/platform"


def signing_key_alias(env: str) -> str:
    """The platform's asymmetric key that signs destruction records."""
    return f"alias/govcloud/{env}/platform-signing"


def vpc_blocks(pool: str) -> list[str]:
    """The cloud API caps a VPC at /16, so a larger pool is served by one VPC per /16."""
    return list(_vpc_blocks(pool))


@functools.lru_cache(maxsize=16)
def _vpc_blocks(pool: str) -> tuple[str, ...]:
    net = ipaddress.IPv4Network(pool)
    if net.prefixlen >= 16:
        return (str(net),)
    return tuple(str(block) for block in net.subnets(new_prefix=16))


@functools.lru_cache(maxsize=16384)  # every pass renders every tenant: once per tenant
def vpc_for(pool: str, cidr: str) -> str:
    """The VPC block of ``pool`` that holds ``cidr``."""
    inner = ipaddress.IPv4Network(cidr)
    for block in _vpc_blocks(pool):
        if inner.subnet_of(ipaddress.IPv4Network(block)):
            return block
    return _vpc_blocks(pool)[0]


def vpc_name(env: str, block: str) -> str:
    return f"govcloud-{env}-" + block.split("/")[0].replace(".", "-")


def tags(env: str, tenant: str, classification: str) -> dict[str, str]:
    return {
        TAG_MANAGED_BY: MANAGED_BY,
        TAG_ENV: env,
        TAG_TENANT: tenant,
        TAG_CLASSIFICATION: classification,
    }
