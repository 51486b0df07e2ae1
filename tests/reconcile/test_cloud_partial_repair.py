"""A cloud repair cut short by an error still reports what it did, above all a lost bucket.

Change events make cloud checks start while an attacker is still at work: a bucket found
missing may be re-created, then its encryption fail because the key's alias went a moment
later. The next check finds a bucket (no longer missing), so the data-loss warning has to
come from this one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from infra.errors import NotFoundError, TransientError
from infra.plan import PROVINCE_TZ, render_tenant
from infra.reconcile import make_context
from infra.reconcile.sync_cloud import check_cloud
from infra.spec.load import load_environment, load_tenants

from ..plan.conftest import ROOT
from .fakes import FakeCloud, FakeKube

NOW = dt.datetime(2026, 11, 28, 10, 0, tzinfo=PROVINCE_TZ)


class AliasGone(FakeCloud):
    """Creates the bucket, then cannot encrypt it: the key's alias no longer exists."""

    def ensure(self, kind: str, props: Mapping[str, Any]) -> Mapping[str, Any]:
        if kind == "bucket":
            self.writes.append(("ensure", kind))
            self.resources[(kind, self._handle(props))] = {"name": props["name"]}
            raise NotFoundError(
                "no KMS key has alias", operation="kms:DescribeKey", code="NotFoundException"
            )
        return super().ensure(kind, props)


def test_a_missing_bucket_is_reported_as_possible_data_loss_even_when_recreating_fails() -> None:
    env = load_environment("local", ROOT / "stacks")
    fleet = {t.spec.id: t.spec for t in load_tenants([ROOT / "tenants"])}
    plan = render_tenant(fleet["gz-wjw"], env, fleet=fleet, today=NOW.date(), now=NOW)
    cloud = AliasGone()
    for obj in plan.cloud:
        if obj.kind != "bucket":
            FakeCloud.ensure(cloud, obj.kind, obj.props)
    ctx = make_context(FakeKube(), cloud, env)
    found, repairs = check_cloud(ctx, "gz-wjw", plan.cloud)
    assert [(r.key, r.action, r.warning) for r in repairs] == [
        ("bucket/gz-wjw-bucket", "recreated", True)
    ]
    assert repairs[0].after.startswith("re-created EMPTY: its data may be lost")
    assert "no KMS key has alias" in ctx.cloud_seen["gz-wjw"].error  # unknown, not True
    assert found == []


class EndpointDown(FakeCloud):
    def ensure(self, kind: str, props: Mapping[str, Any]) -> Mapping[str, Any]:
        raise TransientError("connection refused", code="Unreachable")


def test_a_missing_bucket_not_recreated_is_left_to_the_next_check() -> None:
    env = load_environment("local", ROOT / "stacks")
    fleet = {t.spec.id: t.spec for t in load_tenants([ROOT / "tenants"])}
    plan = render_tenant(fleet["gz-wjw"], env, fleet=fleet, today=NOW.date(), now=NOW)
    cloud = EndpointDown()
    for obj in plan.cloud:
        if obj.kind != "bucket":
            FakeCloud.ensure(cloud, obj.kind, obj.props)
    ctx = make_context(FakeKube(), cloud, env)
    _, repairs = check_cloud(ctx, "gz-wjw", plan.cloud)
    assert repairs == []  # still missing: the next check finds it so, and says so
    assert "connection refused" in ctx.cloud_seen["gz-wjw"].error
