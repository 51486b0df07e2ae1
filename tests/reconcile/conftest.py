"""The world a reconcile pass runs in: the example fleet and platform, as deploy wrote them,
in fakes of our driver Protocols."""

from __future__ import annotations

import datetime as dt

import pytest

from infra.plan import PROVINCE_TZ, render_platform, render_tenant
from infra.spec.environment import EnvironmentSpec
from infra.spec.load import load_environment, load_tenants
from infra.spec.tenant import TenantSpec

from ..plan.conftest import ROOT
from .fakes import FakeCloud, FakeKube

NOW = dt.datetime(2026, 11, 28, 10, 0, tzinfo=PROVINCE_TZ)


@pytest.fixture()
def world() -> tuple[FakeKube, FakeCloud, EnvironmentSpec, dict[str, TenantSpec]]:
    env = load_environment("local", ROOT / "stacks")
    fleet = {t.spec.id: t.spec for t in load_tenants([ROOT / "tenants"])}
    kube, cloud = FakeKube(), FakeCloud()
    for obj in render_platform(env).kube:
        kube.apply(obj.manifest)
    for spec in fleet.values():
        plan = render_tenant(spec, env, fleet=fleet, today=NOW.date(), now=NOW)
        for obj in plan.kube:
            kube.apply(obj.manifest)
        for res in plan.cloud:
            cloud.ensure(res.kind, res.props)
    kube.writes.clear()
    cloud.writes.clear()
    return kube, cloud, env, fleet
