"""Dynamic resource classes with readable type tokens.

``pulumi preview`` shows ``pulumi-python:dynamic/k8s:ResourceQuota`` and
``pulumi-python:dynamic/cloud:Bucket``, so the preview reads like the plan.
"""

from __future__ import annotations

import types
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from infra.plan import CloudObject, KubeObject

from .providers import CloudProvider, DeployReportProvider, KubeProvider

__all__ = ["cloud_resource", "deploy_report", "kube_resource"]

_CLOUD_TYPES = {
    "kms-key": "Key",
    "bucket": "Bucket",
    "role": "Role",
    "vpc": "Vpc",
    "subnet": "Subnet",
    "security-group": "SecurityGroup",
}
_classes: dict[tuple[str, str], type[Resource]] = {}
_KUBE = KubeProvider()
_CLOUD = CloudProvider()
_REPORT = DeployReportProvider()


def _resource_class(module: str, name: str) -> type[Resource]:
    key = (module, name)
    if key not in _classes:
        _classes[key] = types.new_class(name, (Resource,), {"module": module, "name": name})
    return _classes[key]


def kube_resource(name: str, obj: KubeObject, opts: pulumi.ResourceOptions) -> Resource:
    cls = _resource_class("k8s", obj.kind)
    props: dict[str, Any] = {"manifest": obj.manifest, "uid": None}
    return cls(_KUBE, name, props, opts)


def cloud_resource(
    name: str, obj: CloudObject, opts: pulumi.ResourceOptions, *, force_destroy: bool = False
) -> Resource:
    cls = _resource_class("cloud", _CLOUD_TYPES[obj.kind])
    props: dict[str, Any] = {**obj.props, "kind": obj.kind}
    if obj.kind == "bucket":
        props["force_destroy"] = force_destroy
    return cls(_CLOUD, name, props, opts)


def deploy_report(
    name: str, tenant: str, plan_digest: str, opts: pulumi.ResourceOptions
) -> Resource:
    """Runs after everything else in the stack, when the plan changed (see the provider)."""
    cls = _resource_class("govcloud", "DeployReport")
    return cls(_REPORT, name, {"tenant": tenant, "digest": plan_digest}, opts)
