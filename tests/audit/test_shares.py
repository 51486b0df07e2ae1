"""Data shares judged from the bucket policy (the local endpoint does not enforce IAM):
the planned policy lets the requester read exactly its prefix; a hand-widened one is
found; the key's planned share statement is not a stranger's use of the key."""

from __future__ import annotations

import json
from typing import Any

from infra.audit.cloud import TenantCloud, _key, _shares
from infra.audit.shares import beyond_share, planned_shares, share_readable
from infra.plan import render_tenant
from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import TenantSpec

from .conftest import TODAY

ROLE = "arn:aws-cn:iam::123456789012:role/govcloud-local-gz-zwsjj"


def _plan(env: EnvironmentSpec, fleet: dict[str, TenantSpec]) -> Any:
    return render_tenant(fleet["gd-rst"], env, fleet=fleet, today=TODAY)


def _policy(plan: Any, kind: str) -> str:
    return str(next(o.props["policy"] for o in plan.cloud if o.kind == kind))


def _widen(policy: str, sid: str, **change: Any) -> str:
    doc = json.loads(policy)
    for stmt in doc["Statement"]:
        if stmt.get("Sid") == sid:
            stmt.update(change)
    return json.dumps(doc)


def test_the_planned_policy_reads_exactly_each_prefix(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    policy = _policy(_plan(env, fleet), "bucket")
    shares = planned_shares(policy)
    assert sorted(s.prefix for s in shares) == ["catalogue/employers/", "catalogue/insured-stats/"]
    assert {s.requester_role for s in shares} == {ROLE}
    for share in shares:
        assert share_readable(policy, share)
        assert beyond_share(policy, share) == []


def test_a_widened_share_is_found(env: EnvironmentSpec, fleet: dict[str, TenantSpec]) -> None:
    policy = _policy(_plan(env, fleet), "bucket")
    share = next(s for s in planned_shares(policy) if "insured-stats" in s.prefix)
    bucket = "arn:aws-cn:s3:::govcloud-local-gd-rst"
    wider = _widen(policy, f"{share.dataset}Read", Resource=f"{bucket}/*")
    assert any("not-shared" in b for b in beyond_share(wider, share))
    # a write slipped in: the read-only Deny still refuses it ...
    writes = _widen(policy, f"{share.dataset}Read", Action=["s3:GetObject", "s3:PutObject"])
    assert beyond_share(writes, share) == []
    # ... unless the Deny goes too
    doc = json.loads(writes)
    doc["Statement"] = [s for s in doc["Statement"] if s["Sid"] != "SharesReadOnly"]
    assert any(b.startswith("s3:PutObject") for b in beyond_share(json.dumps(doc), share))


def test_the_audit_accepts_the_planned_share_and_nothing_else_on_the_key(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    plan = _plan(env, fleet)
    t = TenantCloud(
        "gd-rst",
        "govcloud-local-gd-rst",
        "arn:aws-cn:s3:::govcloud-local-gd-rst",
        "alias/govcloud/local/gd-rst",
        True,
        "govcloud-local-gd-rst",
        "arn:aws-cn:iam::123456789012:role/govcloud-local-gd-rst",
        ("g", "v"),
        ("s", "v"),
        tuple(plan.cloud),
    )
    requester = TenantCloud(
        "gz-zwsjj",
        "b",
        "arn:aws-cn:s3:::b",
        "alias/x",
        True,
        "govcloud-local-gz-zwsjj",
        ROLE,
        ("g", "v"),
        ("s", "v"),
    )
    key = _policy(plan, "kms-key")
    tags = {"tenant": "gd-rst", "managed-by": "govcloud"}
    assert _key(t, {"policy": key, "tags": tags}, [requester]) == []
    wider = _widen(key, "ShareInsuredStatsToGzZwsjjDecrypt", Condition={})
    found = _key(t, {"policy": wider, "tags": tags}, [requester])
    assert [f.request for f in found] == [
        f"key policy statement ShareInsuredStatsToGzZwsjjDecrypt to {ROLE}"
    ]
    bucket = {
        "policy": _widen(
            _policy(plan, "bucket"),
            "ShareEmployersToGzZwsjjRead",
            Resource="arn:aws-cn:s3:::govcloud-local-gd-rst/*",
        )
    }
    found = _shares(t, bucket)
    assert found and {f.kind for f in found} == {"leak"}
    assert any("not-shared" in f.request for f in found)
