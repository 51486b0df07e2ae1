"""The policy pack's validation functions, called directly (the pack itself blocks in
``PolicyPack(...)``, so the end-to-end tests run it through a real preview)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest

from infra.provision.policy import validate_resource, validate_stack


@dataclass
class _Args:
    resource_type: str
    props: dict[str, Any]


@dataclass
class _StackArgs:
    resources: list[_Args] = field(default_factory=list)


def _violations(args: Any, fn: Any) -> list[str]:
    found: list[str] = []
    fn(args, lambda message, *_: found.append(message))
    return found


GOOD_BUCKET = {
    "name": "b",
    "kms_key_alias": "alias/k",
    "public_access_block": True,
    "versioning": True,
}


def test_encrypted_private_bucket_passes() -> None:
    args = _Args("pulumi-python:dynamic/cloud:Bucket", GOOD_BUCKET)
    assert _violations(args, validate_resource) == []


def test_unencrypted_or_public_bucket_is_named() -> None:
    args = _Args(
        "pulumi-python:dynamic/cloud:Bucket",
        {**GOOD_BUCKET, "kms_key_alias": "", "public_access_block": False},
    )
    found = _violations(args, validate_resource)
    assert any("not encrypted" in m and "bucket b" in m for m in found)
    assert any("public access" in m for m in found)


def test_world_open_security_group_and_boundaryless_role_are_refused() -> None:
    group = _Args(
        "pulumi-python:dynamic/cloud:SecurityGroup",
        {"name": "sg", "ingress": [{"cidr": "0.0.0.0/0"}]},
    )
    assert _violations(group, validate_resource) == [
        "security group sg allows ingress from 0.0.0.0/0 (the whole internet)"
    ]
    role = _Args("pulumi-python:dynamic/cloud:Role", {"name": "r", "boundary_name": ""})
    assert _violations(role, validate_resource) == ["role r has no permissions boundary"]


def _k8s(kind: str, name: str, namespace: str | None = None, **body: Any) -> _Args:
    meta: dict[str, Any] = {"name": name, "labels": {"govcloud.gd.gov.cn/tenant": "t"}}
    if namespace:
        meta["namespace"] = namespace
    return _Args(
        f"pulumi-python:dynamic/k8s:{kind}", {"manifest": {"kind": kind, "metadata": meta, **body}}
    )


def test_namespace_without_quota_or_default_deny_is_refused() -> None:
    stack = _StackArgs([_k8s("Namespace", "t")])
    assert _violations(stack, validate_stack) == [
        "namespace t has no ResourceQuota",
        "namespace t has no default-deny NetworkPolicy",
    ]
    stack.resources += [
        _k8s("ResourceQuota", "q", "t", spec={"hard": {}}),
        _k8s(
            "NetworkPolicy",
            "d",
            "t",
            spec={"podSelector": {}, "policyTypes": ["Ingress", "Egress"]},
        ),
    ]
    assert _violations(stack, validate_stack) == []


def _tenant_args(cpu: str) -> _Args:
    import datetime as dt
    from pathlib import Path

    from infra.plan import render_tenant
    from infra.plan.lifecycle import PROVINCE_TZ
    from infra.spec.load import load_environment, load_tenants
    from infra.spec.tenant import TenantSpec

    root = Path(__file__).resolve().parents[2]
    env = load_environment("local", root / "stacks")
    fleet = {t.spec.id: t.spec for t in load_tenants([root / "tenants"])}
    data = fleet["gz-wjw"].model_dump(mode="json")
    data["quotas"]["cpu"] = cpu
    spec = TenantSpec.model_validate(data)
    plan = render_tenant(spec, env, fleet=fleet, today=dt.datetime.now(PROVINCE_TZ).date())
    tenant = next(o for o in plan.kube if o.kind == "Tenant")
    return _Args("pulumi-python:dynamic/k8s:Tenant", {"manifest": _Proxy(tenant.manifest)})


class _Proxy:
    """What the analyzer hands a policy: read-only proxies of dicts and lists, not Mappings
    (``pulumi_policy.proxy``), all the way down."""

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def get(self, key: str, default: Any = None) -> Any:
        return _wrap(self._data.get(key, default))

    def items(self) -> Any:
        return [(k, _wrap(v)) for k, v in self._data.items()]


class _ListProxy:
    def __init__(self, data: list[Any]) -> None:
        self._data = data

    def __iter__(self) -> Any:
        return (_wrap(v) for v in self._data)


def _wrap(value: Any) -> Any:
    if isinstance(value, dict):
        return _Proxy(value)
    if isinstance(value, list):
        return _ListProxy(value)
    return value


def test_the_pack_runs_the_full_rule_set_on_the_tenant_spec() -> None:
    """A plain `pulumi up --policy-pack` refuses what `govcloud check` refuses."""
    from infra.provision.policy import validate_tenant

    assert _violations(_tenant_args("16"), validate_tenant) == []
    found = _violations(_tenant_args("5000"), validate_tenant)
    assert found and any("quotas.cpu" in m for m in found)


def test_the_pack_accepts_exactly_the_rules_an_override_recorded(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from infra.provision.policy import validate_tenant
    from infra.provision.settings import ENV_OVERRIDE_RULES

    refused = _violations(_tenant_args("5000"), validate_tenant)
    rules = sorted({m.split()[0] for m in refused})
    monkeypatch.setenv(ENV_OVERRIDE_RULES, ",".join(rules))
    assert _violations(_tenant_args("5000"), validate_tenant) == []
    monkeypatch.setenv(ENV_OVERRIDE_RULES, "GC999")
    assert _violations(_tenant_args("5000"), validate_tenant) == refused
