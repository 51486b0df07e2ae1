"""Data shares on the local provincial cloud: a provider publishes datasets, a requester's
approved request is deployed as a read-only share of one prefix, the reconciler records the
day it was verified live, repairs a share widened by hand and revokes it at its expiry.

The local endpoint does not enforce IAM (FACTS.md: moto's IAM authorization is off, and the
local cloud serves every tenant from one endpoint), so what the requester's role may do is
judged from the live policies with the audit's judge, not tried with real requests.

Two departments of this module's own (``e2e-share-*``), removed at the end: the other
end-to-end tests rely on the examples as they are.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from infra.audit.shares import beyond_share, planned_shares, share_readable
from infra.drivers import KubeClient
from infra.drivers import cloud as cloud_driver
from infra.plan import PROVINCE_TZ, render_tenant
from infra.plan.deployer import DEPLOY_KUBECONFIG
from infra.provision import StackResult

from .conftest import TODAY, Workspace, order_destruction, reconciler_kubeconfig, until
from .test_reconciler import Replica

pytestmark = pytest.mark.e2e

API = "govcloud.gd.gov.cn/v1alpha1"
GIVER, TAKER = "e2e-share-giver", "e2e-share-taker"
APPROVER = "zhanglihua@gd.gov.cn"  # an owner of gd-wjw, which both are copied from


def _until(check: Callable[[], Any], timeout: float, what: str, step: float = 0.1) -> Any:
    def status() -> str:
        return f"; {GIVER} status: {(KubeClient().get(API, 'Tenant', GIVER) or {}).get('status')}"

    return until(check, timeout, what, step=step, context=status)


def _publish(data: dict[str, Any]) -> None:
    data["data"]["datasets"] = [
        {
            "id": "stats",
            "name": "健康统计（去标识化）",
            "classification": "general",
            "personal_information": "personal",
            "prefix": "share/stats/",
            "desensitized": True,
        },
        {
            "id": "records",
            "name": "电子病历",
            "classification": "important",
            "personal_information": "sensitive",
            "prefix": "internal/records/",
        },
    ]


def _request(data: dict[str, Any]) -> None:
    data["data_requests"] = [
        {
            "from": GIVER,
            "dataset": "stats",
            "purpose": "辖区健康统计",
            "legal_basis": "《广东省公共数据管理办法》第二十二条",
            "requested": (TODAY - dt.timedelta(days=3)).isoformat(),
            "authorization": {
                "document": "粤政数授〔2026〕901号",
                "approved_by": APPROVER,
                "expires": "2027-06-30",
            },
        }
    ]


@pytest.fixture(scope="module")
def pair(deployed: dict[str, StackResult], workspace: Workspace) -> Iterator[dict[str, Any]]:
    workspace.add_department(GIVER, cidr="10.66.240.0/24", serial=911)
    workspace.add_department(TAKER, cidr="10.66.241.0/24", serial=912)
    workspace.edit(GIVER, _publish)
    workspace.edit(TAKER, _request)
    try:
        results = workspace.deploy([GIVER, TAKER])
        failed = {k: v.message for k, v in results.items() if v.failed}
        assert not failed, failed
        env, fleet = workspace.env(), workspace.fleet()
        plan = render_tenant(fleet[GIVER], env, fleet=fleet, today=TODAY)
        yield {o.kind: o.props for o in plan.cloud}
    finally:
        # The requester first, while the provider it names still exists; each destroyed
        # under an early destruction order (deploy destroys data only under an order).
        left: dict[str, str] = {}
        for tenant in (TAKER, GIVER):
            (workspace.root / "tenants" / f"{tenant}.yaml").unlink(missing_ok=True)
            order_destruction(workspace, tenant, early=True)  # data goes only under an order
            removed = workspace.deploy([tenant], destroy_data_before_retention_ends=True)
            mine = removed.get(f"local.{tenant}")
            if mine is None or mine.result != "destroyed":
                left[tenant] = mine.message if mine else "its stack did not run"
            left.update({k: v.message for k, v in removed.items() if v.failed})
        # Later test files count the cluster's tenants: none of ours may stay behind.
        assert not left, left
        live = KubeClient().list("govcloud.gd.gov.cn/v1alpha1", "Tenant")
        assert not [o for o in live if o["metadata"]["name"] in (TAKER, GIVER)]


def _live_policy(bucket: str) -> str:
    live = cloud_driver.read_bucket(bucket)
    assert live is not None
    return str(live["policy"])


def test_the_requester_role_may_read_exactly_the_dataset_prefix(pair: dict[str, Any]) -> None:
    bucket = pair["bucket"]["name"]
    shares = planned_shares(pair["bucket"]["policy"])
    assert [(s.prefix, s.requester_role.rsplit("/", 1)[1]) for s in shares] == [
        ("share/stats/", f"govcloud-local-{TAKER}")
    ]
    live = _live_policy(bucket)
    assert live == pair["bucket"]["policy"]  # deploy read it back as planned
    (share,) = shares
    assert share_readable(live, share)
    assert beyond_share(live, share) == []  # no other prefix, no neighbour, no write
    # the raw dataset is published, never shared
    records = type(share)("records", share.requester_role, share.bucket_arn, "internal/records/")
    assert not share_readable(live, records)
    key = cloud_driver.read_key(pair["kms-key"]["alias"])
    assert key is not None
    decrypt = [
        s for s in json.loads(key["policy"])["Statement"] if s["Sid"].startswith("ShareStats")
    ]
    assert [(s["Action"], s["Principal"]["AWS"]) for s in decrypt] == [
        ("kms:Decrypt", share.requester_role)
    ]
    assert decrypt[0]["Condition"]["StringEquals"]["kms:ViaService"].startswith("s3.")


@pytest.fixture(scope="module")
def reconciler(pair: dict[str, Any], workspace: Workspace) -> Iterator[Replica]:
    kubeconfig: Path = reconciler_kubeconfig(workspace, "reconciler")
    replica = Replica(workspace.root, kubeconfig, "shares")
    try:
        _until(replica.leading, 30, "the reconciler leads", step=0.5)
        yield replica
    finally:
        replica.stop()


def _shares_status() -> dict[str, str]:
    obj = KubeClient().get(API, "Tenant", GIVER) or {}
    return dict((obj.get("status") or {}).get("shares") or {})


def test_the_reconciler_records_the_day_the_share_was_verified_live(
    reconciler: Replica,
) -> None:
    recorded = _until(_shares_status, 120, "status.shares written", step=0.5)
    today = dt.datetime.now(PROVINCE_TZ).date().isoformat()
    assert recorded == {f"{TAKER}/stats": today}


def test_a_share_widened_by_hand_is_repaired(reconciler: Replica, pair: dict[str, Any]) -> None:
    bucket = pair["bucket"]["name"]
    doc = json.loads(_live_policy(bucket))
    for stmt in doc["Statement"]:
        if stmt.get("Sid") == "ShareStatsToE2eShareTakerRead":
            stmt["Resource"] = f"arn:aws-cn:s3:::{bucket}/*"  # the whole bucket
    cloud_driver._session.client("s3").put_bucket_policy(Bucket=bucket, Policy=json.dumps(doc))
    (share,) = planned_shares(pair["bucket"]["policy"])
    assert beyond_share(_live_policy(bucket), share)  # the judge sees the widening
    _until(lambda: _live_policy(bucket) == pair["bucket"]["policy"], 20, "repaired", step=0.2)
    assert beyond_share(_live_policy(bucket), share) == []


def test_an_expiring_share_is_revoked_at_its_expiry(
    reconciler: Replica, pair: dict[str, Any]
) -> None:
    kube = KubeClient()
    tenant = kube.get(API, "Tenant", TAKER)
    assert tenant is not None
    expiry = (dt.datetime.now(PROVINCE_TZ) + dt.timedelta(seconds=8)).replace(microsecond=0)
    request = tenant["spec"]["dataRequests"][0]
    request["authorization"]["expires"] = expiry.date().isoformat()
    request["authorization"]["expiresAt"] = expiry.isoformat()  # camelCase on the object
    tenant["metadata"].pop("managedFields", None)
    # only deploy's identity may write a Tenant object
    KubeClient(os.environ[DEPLOY_KUBECONFIG]).replace(tenant)

    bucket = pair["bucket"]["name"]

    s3, kms = boto3.client("s3"), boto3.client("kms")
    key_id = kms.describe_key(KeyId=pair["kms-key"]["alias"])["KeyMetadata"]["KeyId"]

    def shared() -> bool:  # one request: the bucket policy as the endpoint holds it now
        return "ShareStatsToE2eShareTaker" in str(s3.get_bucket_policy(Bucket=bucket)["Policy"])

    assert shared()
    gone = _until(lambda: time.time() if not shared() else None, 20, "revoked", step=0.05)
    # The goal: 2 s. At the end instant the reconciler writes the provider's narrowed bucket
    # policy first, then its key policy, before the full cloud check (infra.reconcile.share_end).
    assert gone - expiry.timestamp() <= 2.0, f"revoked {gone - expiry.timestamp():.2f}s late"
    assert gone >= expiry.timestamp(), "revoked before its expiry"
    # the key policy is narrowed right after the bucket's: within the same bound

    def decrypts() -> bool:
        return "ShareStats" in str(kms.get_key_policy(KeyId=key_id, PolicyName="default")["Policy"])

    narrowed = _until(lambda: time.time() if not decrypts() else None, 20, "key", step=0.05)
    assert narrowed - expiry.timestamp() <= 2.0, f"key {narrowed - expiry.timestamp():.2f}s late"
    key = cloud_driver.read_key(pair["kms-key"]["alias"])
    assert key is not None and "ShareStats" not in key["policy"]
    _until(lambda: _shares_status() == {}, 10, "the lapsed share's record dropped", step=0.2)
