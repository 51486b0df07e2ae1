"""Spec models: what a department asks for and what an environment offers.

Public entry points: ``load_tenants(paths)`` and ``load_environment(name, stacks_dir)``.
"""

from .environment import EnvironmentSpec
from .load import (
    LoadedTenant,
    find_repo_root,
    load_environment,
    load_tenant,
    load_tenant_partly,
    load_tenants,
    load_tenants_partly,
)
from .tenant import TenantSpec
from .validate import dotted
from .yamlsafe import MAX_BYTES, MAX_DEPTH

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "EnvironmentSpec",
    "LoadedTenant",
    "TenantSpec",
    "dotted",
    "find_repo_root",
    "load_environment",
    "load_tenant",
    "load_tenant_partly",
    "load_tenants",
    "load_tenants_partly",
]
