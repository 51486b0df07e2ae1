"""Component structure under Pulumi mocks: the plan's objects become typed children."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pulumi
import pytest

from infra.plan import render_platform, render_tenant
from infra.spec.load import load_environment, load_tenants

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 11, 28)


class _Mocks(pulumi.runtime.Mocks):
    def __init__(self) -> None:
        self.created: list[tuple[str, str, dict[str, Any]]] = []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict[str, Any]]:
        self.created.append((args.typ, args.name, dict(args.inputs)))
        return f"{args.name}-id", dict(args.inputs)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], None]:
        return {}, None


@pytest.fixture
def mocks() -> _Mocks:
    m = _Mocks()
    pulumi.runtime.set_mocks(m, project="govcloud", stack="local.gz-wjw", preview=False)
    return m


def _all(component: Any) -> pulumi.Output[Any]:
    children = [*component.kube.values(), *component.cloud.values()]
    return pulumi.Output.all(component.urn, *[c.urn for c in children])


@pulumi.runtime.test
def test_tenant_environment_children_follow_the_plan(mocks: _Mocks) -> Any:
    from infra.provision.components import StackArgs, TenantEnvironment

    env = load_environment("local", ROOT / "stacks")
    fleet = {t.spec.id: t.spec for t in load_tenants([ROOT / "tenants"])}
    plan = render_tenant(fleet["gz-wjw"], env, fleet=fleet, today=TODAY)
    component = TenantEnvironment("gz-wjw", StackArgs(plan))

    def check(_: Any) -> None:
        types = [t for t, _, _ in mocks.created]
        assert "govcloud:tenant:TenantEnvironment" in types
        assert "pulumi-python:dynamic/k8s:ResourceQuota" in types
        assert "pulumi-python:dynamic/cloud:Bucket" in types
        dynamic = [c for c in mocks.created if c[0].startswith("pulumi-python:dynamic/")]
        assert len(dynamic) == len(plan.kube) + len(plan.cloud)
        names = {n for _, n, _ in dynamic}
        assert "gz-wjw-resourcequota-gz-wjw-govcloud-quota" in names
        bucket = next(i for t, _, i in dynamic if t.endswith("cloud:Bucket"))
        assert bucket["force_destroy"] is False
        assert bucket["kms_key_alias"] == "alias/govcloud/local/gz-wjw"

    return _all(component).apply(check)


@pulumi.runtime.test
def test_platform_stack_has_crd_policies_and_platform_key(mocks: _Mocks) -> Any:
    from infra.provision.components import PlatformStack, StackArgs

    env = load_environment("local", ROOT / "stacks")
    component = PlatformStack("platform-local", StackArgs(render_platform(env)))

    def check(_: Any) -> None:
        types = [t for t, _, _ in mocks.created]
        assert "govcloud:platform:Platform" in types
        assert types.count("pulumi-python:dynamic/k8s:CustomResourceDefinition") == 2
        assert types.count("pulumi-python:dynamic/k8s:ValidatingAdmissionPolicy") == 10
        assert "pulumi-python:dynamic/cloud:Key" in types
        assert "pulumi-python:dynamic/cloud:Vpc" in types

    return _all(component).apply(check)
