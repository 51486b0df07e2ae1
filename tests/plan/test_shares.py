"""infra.plan.shares: an approved request renders as exactly a read-only share of one
prefix on the provider's bucket and key, as of one clock; pure."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from infra.plan import PROVINCE_TZ, next_change, render_tenant
from infra.plan.lifecycle import next_share_end
from infra.plan.shares import shares_given, verified_record
from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import TenantSpec

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=PROVINCE_TZ)
ROLE = "arn:aws-cn:iam::123456789012:role/govcloud-local-gz-zwsjj"
BUCKET = "arn:aws-cn:s3:::govcloud-local-gd-rst"


def _cloud(plan: Any, kind: str) -> dict[str, Any]:
    return next(o.props for o in plan.cloud if o.kind == kind)


def _statements(doc: str) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in json.loads(doc)["Statement"]}


def _expiring(fleet: dict[str, TenantSpec], at: str) -> dict[str, TenantSpec]:
    """gz-zwsjj's approval of insured-stats ending at ``at`` (Beijing time)."""
    requester = fleet["gz-zwsjj"]
    requests = []
    for r in requester.data_requests:
        if r.dataset == "insured-stats" and r.authorization is not None:
            moment = dt.datetime.fromisoformat(at)
            auth = r.authorization.model_copy(
                update={"expires": moment.date(), "expires_at": moment}
            )
            r = r.model_copy(update={"authorization": auth})
        requests.append(r)
    return {**fleet, "gz-zwsjj": requester.model_copy(update={"data_requests": requests})}


def test_the_provider_bucket_grants_exactly_get_and_list_of_the_prefix(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    plan = render_tenant(fleet["gd-rst"], env, fleet=fleet, today=NOW.date(), now=NOW)
    stmts = _statements(_cloud(plan, "bucket")["policy"])
    read = stmts["ShareInsuredStatsToGzZwsjjRead"]
    assert (read["Effect"], read["Principal"], read["Action"], read["Resource"]) == (
        "Allow",
        {"AWS": ROLE},
        "s3:GetObject",
        f"{BUCKET}/catalogue/insured-stats/*",
    )
    listing = stmts["ShareInsuredStatsToGzZwsjjList"]
    assert listing["Action"] == "s3:ListBucket" and listing["Resource"] == BUCKET
    assert listing["Condition"] == {"StringLike": {"s3:prefix": "catalogue/insured-stats/*"}}
    deny = stmts["SharesReadOnly"]
    assert deny["Effect"] == "Deny" and deny["NotAction"] == ["s3:GetObject", "s3:ListBucket"]
    assert deny["Condition"] == {"ArnLike": {"aws:PrincipalArn": [ROLE]}}
    # the raw personal dataset is published but not requested: nothing shares it
    assert not any("InsuredRecords" in sid for sid in stmts)


def test_the_provider_key_lets_the_requester_decrypt_only_through_s3_for_its_bucket(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    plan = render_tenant(fleet["gd-rst"], env, fleet=fleet, today=NOW.date(), now=NOW)
    stmt = _statements(_cloud(plan, "kms-key")["policy"])["ShareInsuredStatsToGzZwsjjDecrypt"]
    assert stmt["Principal"] == {"AWS": ROLE} and stmt["Action"] == "kms:Decrypt"
    assert stmt["Condition"]["StringEquals"] == {
        "kms:ViaService": "s3.cn-northwest-1.amazonaws.com.cn"
    }
    assert stmt["Condition"]["StringLike"]["kms:EncryptionContext:aws:s3:arn"] == [
        BUCKET,
        f"{BUCKET}/catalogue/insured-stats/*",
    ]
    assert _cloud(plan, "kms-key")["grants"] == []  # the reach model: still no KMS grant


def test_the_requester_boundary_carries_the_same_reads(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    plan = render_tenant(fleet["gz-zwsjj"], env, fleet=fleet, today=NOW.date(), now=NOW)
    role = _cloud(plan, "role")
    boundary = _statements(role["boundary_policy"])
    assert boundary["ShareEmployersToGzZwsjjRead"]["Resource"] == (
        f"{BUCKET}/catalogue/employers/*"
    )
    decrypt = boundary["ShareEmployersToGzZwsjjDecrypt"]["Condition"]
    assert decrypt["ForAnyValue:StringEquals"] == {
        "kms:ResourceAliases": ["alias/govcloud/local/gd-rst"]
    }
    # the role's own policy is unchanged: the share is the provider's to give
    assert "Share" not in role["inline_policy"]


def test_an_expired_share_renders_nothing_from_its_second(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    ends = "2026-12-01T12:00:05+08:00"
    changed = _expiring(fleet, ends)
    before = NOW + dt.timedelta(seconds=4)
    after = NOW + dt.timedelta(seconds=5)
    assert [s.dataset for s in shares_given(changed["gd-rst"], changed, before)] == [
        "employers",
        "insured-stats",
    ]
    assert [s.dataset for s in shares_given(changed["gd-rst"], changed, after)] == ["employers"]
    plan = render_tenant(changed["gd-rst"], env, fleet=changed, today=after.date(), now=after)
    assert "InsuredStats" not in _cloud(plan, "bucket")["policy"]
    assert "InsuredStats" not in _cloud(plan, "kms-key")["policy"]


def test_both_sides_are_looked_at_again_at_the_share_end(fleet: dict[str, TenantSpec]) -> None:
    ends = dt.datetime.fromisoformat("2026-12-01T12:00:05+08:00")
    changed = _expiring(fleet, ends.isoformat())
    for tenant in ("gd-rst", "gz-zwsjj"):
        upcoming = next_change(changed[tenant], NOW, fleet=changed.values())
        assert upcoming == ends, tenant
        # both sides' cloud checks are due then, whichever side's pass learns it
        assert next_share_end(changed[tenant], changed.values(), NOW) == (
            ends,
            frozenset({"gd-rst", "gz-zwsjj"}),
        )
    # a department neither giving nor receiving that share is not woken for it
    assert next_change(changed["gd-jyt"], NOW, fleet=changed.values()) != ends


def test_a_share_of_a_decommissioning_department_renders_nothing(
    fleet: dict[str, TenantSpec],
) -> None:
    provider = fleet["gd-rst"]
    gone = provider.model_copy(
        update={"lifecycle": provider.lifecycle.model_copy(update={"state": "decommissioning"})}
    )
    assert shares_given(gone, {**fleet, "gd-rst": gone}, NOW) == []


def test_the_verified_day_is_kept_set_once_and_dropped_at_lapse(
    fleet: dict[str, TenantSpec],
) -> None:
    live = shares_given(fleet["gd-rst"], fleet, NOW)
    today = NOW.date()
    assert verified_record({}, live, verified_now=False, today=today) == {}
    first = verified_record({}, live, verified_now=True, today=today)
    assert first == {"gz-zwsjj/employers": "2026-12-01", "gz-zwsjj/insured-stats": "2026-12-01"}
    later = verified_record(first, live, verified_now=True, today=today + dt.timedelta(days=3))
    assert later == first  # the first day stands
    assert verified_record(first, live[:1], verified_now=True, today=today) == {
        "gz-zwsjj/employers": "2026-12-01"
    }
