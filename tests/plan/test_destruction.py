"""infra.plan.destruction: what blocks a destruction, the read-back, the record; pure."""

from __future__ import annotations

import datetime as dt

from infra.plan.destruction import (
    BucketFacts,
    Check,
    HeldVersion,
    Inventory,
    KeyFacts,
    Order,
    Resource,
    blockers,
    build_record,
    destroy_after,
    notes,
    read_back,
    record_name,
)
from infra.spec.environment import EnvironmentSpec
from infra.spec.tenant import TenantSpec

NOW = dt.datetime(2030, 1, 10, 4, 0, tzinfo=dt.UTC)  # after st-wglj's retention (2029-08-31)


def _inventory(
    *, held: tuple[HeldVersion, ...] = (), key: KeyFacts | None = None, tenant: str = "st-wglj"
) -> Inventory:
    return Inventory(
        tenant,
        BucketFacts(
            name=f"govcloud-local-{tenant}",
            exists=True,
            objects=2,
            versions=5,
            delete_markers=1,
            bytes=1234,
            prefixes=("cases/", "reports/"),
            lock_enabled=bool(held),
            held=held,
        ),
        key,
        (
            Resource("namespace", tenant, "present"),
            Resource("role", f"govcloud-local-{tenant}", "present"),
        ),
    )


def _order(at: dt.datetime, state: str = "ordered", *, early: bool = True) -> Order:
    return Order.from_data(
        {
            "tenant": "st-wglj",
            "document": "粤政数授〔2029〕9号",
            "ordered_by": "linzekai@shantou.gov.cn",
            "ordered_at": at.isoformat(),
            "state": state,
            "early": early,
            "changed_by": "chenshaohua@shantou.gov.cn" if state == "cancelled" else "",
            "changed_at": at.isoformat() if state == "cancelled" else "",
        }
    )


def _codes(
    spec: TenantSpec, env: EnvironmentSpec, fleet: dict[str, TenantSpec], **kw: object
) -> set[str]:
    args: dict[str, object] = {
        "fleet": fleet,
        "inventory": _inventory(),
        "order": _order(NOW - dt.timedelta(days=30)),
        "now": NOW,
    }
    args.update(kw)
    return {f.code for f in blockers(spec, env, **args)}  # type: ignore[arg-type]


def test_a_decommissioned_tenant_past_retention_with_an_order_past_its_wait_may_go(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    assert _codes(fleet["st-wglj"], env, fleet) == set()


def test_retention_blocks_unless_the_early_flag_is_given(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    before = dt.datetime(2029, 8, 30, 4, 0, tzinfo=dt.UTC)
    order = _order(before - dt.timedelta(days=30))
    spec = fleet["st-wglj"]
    assert _codes(spec, env, fleet, now=before, order=order) == {"retention"}
    assert _codes(spec, env, fleet, now=before, order=order, early=True) == set()
    # Early only when the order itself said so.
    plain = _order(before - dt.timedelta(days=30), early=False)
    assert _codes(spec, env, fleet, now=before, order=plain, early=True) == {"order-not-early"}
    assert _codes(spec, env, fleet, order=_order(NOW - dt.timedelta(days=30), early=False)) == set()


def test_an_active_tenant_is_never_destroyed(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    assert "active" in _codes(fleet["gd-wjw"], env, fleet, early=True)


def test_no_order_a_cancelled_order_and_the_waiting_period_block(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    spec = fleet["st-wglj"]
    waiting = env.model_copy(
        update={"destruction": env.destruction.model_copy(update={"waiting_days": 7})}
    )
    assert _codes(spec, env, fleet, order=None) == {"no-order"}
    assert _codes(spec, env, fleet, order=_order(NOW, "cancelled")) == {"order-cancelled"}
    fresh = _order(NOW - dt.timedelta(days=6, hours=23))
    assert _codes(spec, waiting, fleet, order=fresh) == {"waiting"}
    assert destroy_after(fresh, waiting) == fresh.ordered_at + dt.timedelta(days=7)
    assert _codes(spec, waiting, fleet, order=_order(NOW - dt.timedelta(days=7))) == set()


def test_legal_hold_and_object_lock_retention_block_even_early(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    held = (
        HeldVersion("cases/a.csv", "v1", True, "", ""),
        HeldVersion("cases/b.csv", "v2", False, "2031-01-01T00:00:00+00:00", "COMPLIANCE"),
    )
    found = blockers(
        fleet["st-wglj"],
        env,
        fleet=fleet,
        inventory=_inventory(held=held),
        order=_order(NOW - dt.timedelta(days=30)),
        now=NOW,
        early=True,
    )
    by_code = {f.code: f for f in found}
    assert set(by_code) == {"legal-hold", "object-lock"}
    assert "cases/a.csv@v1" in by_code["legal-hold"].text()
    assert "2031-01-01" in by_code["object-lock"].text()


def test_departments_that_still_use_the_data_block(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    asking = fleet["gd-zsj"]
    request = asking.data_requests[0].model_copy(update={"provider": "st-wglj"})
    other = asking.model_copy(update={"data_requests": [*asking.data_requests, request]})
    found = blockers(
        fleet["st-wglj"],
        env,
        fleet={**fleet, "gd-zsj": other},
        inventory=_inventory(),
        order=_order(NOW - dt.timedelta(days=30)),
        now=NOW,
    )
    assert [(f.code, f.parts["other"]) for f in found] == [("data-request", "gd-zsj")]


def test_replica_keys_block_the_primary_key(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    key = KeyFacts("alias/govcloud/local/st-wglj", "k1", "arn:k1", "Enabled", replicas=("arn:r",))
    assert _codes(fleet["st-wglj"], env, fleet, inventory=_inventory(key=key)) == {"replica-keys"}


def test_a_shared_key_is_said_not_to_be_erased(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    shared = KeyFacts("alias/govcloud/local/platform", "p", "arn:p", "Enabled", shared=True)
    own = KeyFacts("alias/govcloud/local/st-wglj", "k1", "arn:k1", "Enabled")
    assert [n.code for n in notes(fleet["st-wglj"], env, _inventory(key=shared))] == ["shared-key"]
    [erase] = notes(fleet["st-wglj"], env, _inventory(key=own))
    assert erase.code == "crypto-erase" and "7-day" in erase.text()


def test_read_back_passes_only_when_everything_is_gone_or_pending_deletion() -> None:
    gone = Inventory(
        "t",
        BucketFacts("b", exists=False),
        KeyFacts("", "k1", "arn:k1", "PendingDeletion"),
        (Resource("namespace", "t", "terminating"), Resource("role", "r", "gone")),
    )
    assert all(c.ok for c in read_back(gone))
    left = Inventory(
        "t",
        BucketFacts("b", exists=True, versions=1),
        KeyFacts("", "k1", "arn:k1", "Enabled"),
        (Resource("role", "r", "present"),),
    )
    assert [c.what for c in read_back(left) if not c.ok] == [
        "bucket b: object versions and delete markers",
        "bucket b",
        "key k1",
        "role r",
    ]


def test_record_names_the_certificate_fields(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    own = KeyFacts("alias/govcloud/local/st-wglj", "k1", "arn:k1", "Enabled")
    before = _inventory(key=own)
    checks = [Check("bucket b", "gone", "gone")]
    record = build_record(
        spec=fleet["st-wglj"],
        env=env,
        order=_order(NOW - dt.timedelta(days=30)),
        before=before,
        checks=checks,
        deleted=6,
        started=NOW,
        finished=NOW + dt.timedelta(seconds=5),
        performed_by="arn:aws-cn:iam::123456789012:user/ops",
        tool_version="0.1.0",
        early=False,
    )
    assert record["tenant"]["id"] == "st-wglj"
    assert record["tenant"]["personal_information"] == "personal"
    assert record["authorization"]["document"] == "粤政数授〔2029〕9号"
    assert record["media"]["datasets"] == ["cases/", "reports/"]
    assert (record["media"]["objects"], record["media"]["versions"]) == (2, 5)
    assert record["media"]["bytes"] == 1234
    assert record["sanitization"]["category"] == "purge"
    assert record["sanitization"]["method"] == "cryptographic erase + deletion"
    assert record["sanitization"]["tool"] == {"name": "govcloud", "version": "0.1.0"}
    assert record["verification"]["result"] == "passed"
    assert record["performed"]["by"].endswith("user/ops")
    failed = build_record(
        spec=fleet["st-wglj"],
        env=env,
        order=_order(NOW),
        before=_inventory(),
        checks=[Check("bucket b", "gone", "present")],
        deleted=0,
        started=NOW,
        finished=NOW,
        performed_by="x",
        tool_version="0.1.0",
        early=True,
    )
    assert failed["verification"]["result"] == "failed"
    assert failed["sanitization"]["method"] == "deletion"  # no key of its own: not erased


def test_record_names_are_per_tenant_and_instant() -> None:
    at = dt.datetime(2030, 1, 10, 12, 0, 5, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert record_name("st-wglj", at) == "destruction/records/st-wglj/20300110T040005Z.json"


def test_versions_whose_lock_state_cannot_be_read_block_even_early(
    env: EnvironmentSpec, fleet: dict[str, TenantSpec]
) -> None:
    hidden = Inventory(
        "st-wglj",
        BucketFacts(
            "b", exists=True, versions=3, lock_enabled=True, unreadable=3, unreadable_why="403"
        ),
        None,
        (),
    )
    found = blockers(
        fleet["st-wglj"],
        env,
        fleet=fleet,
        inventory=hidden,
        order=_order(NOW - dt.timedelta(days=30)),
        now=NOW,
        early=True,
    )
    assert [f.code for f in found] == ["lock-unknown"]
    assert "3 object version(s)" in found[0].text()
