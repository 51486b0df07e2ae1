"""One reconcile pass against fakes of our driver Protocols: repairs, revocation, status."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from infra.errors import PermanentError
from infra.plan import PROVINCE_TZ
from infra.reconcile import make_context, run_once
from infra.reconcile.tenant import reconcile_tenant

from .conftest import NOW
from .fakes import FakeKube

TENANT = "gz-wjw"


def _ctx(world: Any, *, dry_run: bool = False, now: dt.datetime = NOW) -> Any:
    kube, cloud, env, _ = world
    ctx = make_context(kube, cloud, env, dry_run=dry_run)
    ctx.clock = lambda: now
    return ctx


def _conditions(kube: FakeKube, tenant: str) -> dict[str, dict[str, Any]]:
    obj = kube.objects[("Tenant", None, tenant)]
    return {c["type"]: c for c in obj["status"]["conditions"]}


def test_first_pass_writes_status_only_then_a_steady_pass_writes_nothing(world: Any) -> None:
    kube, cloud, _, fleet = world
    outcomes = run_once(_ctx(world))
    assert {o.tenant for o in outcomes} == {*fleet, "@platform"}
    assert all(not o.repairs for o in outcomes), [o.repairs for o in outcomes if o.repairs]
    assert {w for w in kube.writes} == {("status", "Tenant")}
    assert _conditions(kube, TENANT)["Ready"]["status"] == "True"
    kube.writes.clear()
    run_once(_ctx(world))
    assert kube.writes == [] and cloud.writes == []


def test_deleted_quota_is_recreated_reported_and_counted(world: Any) -> None:
    kube, _, _, _ = world
    run_once(_ctx(world))
    del kube.objects[("ResourceQuota", TENANT, "govcloud-quota")]
    (out,) = [o for o in run_once(_ctx(world)) if o.tenant == TENANT]
    assert [(r.key, r.action) for r in out.repairs] == [
        (f"ResourceQuota/{TENANT}/govcloud-quota", "recreated")
    ]
    assert ("ResourceQuota", TENANT, "govcloud-quota") in kube.objects
    events = [o for (k, _, _), o in kube.objects.items() if k == "Event"]
    assert any("govcloud-quota" in e["message"] for e in events)
    status = kube.objects[("Tenant", None, TENANT)]["status"]
    assert status["repairs"] == {"quota": 1, "total": 1}
    assert _conditions(kube, TENANT)["Ready"]["status"] == "True"  # read back after repair


def test_rule_added_to_default_deny_is_removed(world: Any) -> None:
    """Written as deploy writes it (``infra.drivers.exact``); that a rule another manager
    added goes too under real server-side apply is shown end to end (test_reconciler)."""
    kube, _, _, _ = world
    policy = kube.objects[("NetworkPolicy", TENANT, "govcloud-default-deny")]
    policy["spec"]["ingress"] = [{}]
    run_once(_ctx(world))
    assert "ingress" not in kube.objects[("NetworkPolicy", TENANT, "govcloud-default-deny")]["spec"]
    assert ("apply", "NetworkPolicy") in kube.writes


def test_rogue_policy_and_binding_are_removed_owners_binding_kept(world: Any) -> None:
    kube, _, _, _ = world
    kube.apply(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "allow-all", "namespace": TENANT},
            "spec": {"podSelector": {}, "ingress": [{}]},
        }
    )
    kube.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "RoleBinding",
            "metadata": {"name": "helpdesk", "namespace": TENANT},
            "roleRef": {"kind": "ClusterRole", "name": "admin"},
            "subjects": [{"kind": "User", "name": "mallory"}],
        }
    )
    (out,) = [o for o in run_once(_ctx(world)) if o.tenant == TENANT]
    assert {(r.key, r.action) for r in out.repairs} == {
        (f"NetworkPolicy/{TENANT}/allow-all", "removed"),
        (f"RoleBinding/{TENANT}/helpdesk", "removed"),
    }
    assert ("RoleBinding", TENANT, "govcloud-owners") in kube.objects


def test_expired_grant_binding_is_revoked_and_next_change_scheduled(world: Any) -> None:
    kube, _, _, fleet = world
    spec = next(s for s in fleet.values() if s.access and s.lifecycle.state == "active")
    grant = spec.access[0]
    after = dt.datetime.combine(grant.expires + dt.timedelta(days=1), dt.time(0, 0, 1), PROVINCE_TZ)
    bindings = [
        k for k in kube.objects if k[0] == "RoleBinding" and k[1] == spec.id and "operator" in k[2]
    ]
    assert bindings, "the examples bind at least one operator grant"
    outs = {o.tenant: o for o in run_once(_ctx(world, now=after))}
    revoked = [r for r in outs[spec.id].repairs if r.action == "revoked"]
    assert revoked, outs[spec.id].repairs
    before = {o.tenant: o for o in run_once(_ctx(world, dry_run=True))}
    assert before[spec.id].requeue_after is not None


def test_missing_bucket_is_recreated_and_reported_as_possible_data_loss(world: Any) -> None:
    kube, cloud, _, _ = world
    key = next(k for k in cloud.resources if k[0] == "bucket" and TENANT in k[1])
    del cloud.resources[key]
    (out,) = [o for o in run_once(_ctx(world)) if o.tenant == TENANT]
    (repair,) = out.repairs
    assert repair.warning and repair.action == "recreated"
    events = [o for (k, _, _), o in kube.objects.items() if k == "Event"]
    assert any(e["type"] == "Warning" and e["reason"] == "PossibleDataLoss" for e in events)


def test_dry_run_reports_and_changes_nothing(world: Any) -> None:
    kube, cloud, _, _ = world
    del kube.objects[("LimitRange", TENANT, "govcloud-limits")]
    kube.writes.clear()
    (out,) = [o for o in run_once(_ctx(world, dry_run=True)) if o.tenant == TENANT]
    assert [r.action for r in out.repairs] == ["would-repair"]
    assert kube.writes == [] and cloud.writes == []


def test_a_running_controller_defers_counter_only_status_writes(world: Any) -> None:
    kube, _, _, _ = world
    clock = [100.0]
    ctx = _ctx(world)
    ctx.monotonic = lambda: clock[0]
    ctx.coalesce_counters = True
    run_once(ctx)
    del kube.objects[("ResourceQuota", TENANT, "govcloud-quota")]
    kube.writes.clear()
    (out,) = [o for o in run_once(ctx) if o.tenant == TENANT]
    assert ("apply", "ResourceQuota") in kube.writes and ("create", "Event") in kube.writes
    assert ("status", "Tenant") not in kube.writes  # the repair is done; counting waits
    assert out.requeue_after is not None and out.requeue_after <= 1.0
    clock[0] += 1.0
    (later,) = [o for o in run_once(ctx) if o.tenant == TENANT]
    assert later.status_written
    assert kube.objects[("Tenant", None, TENANT)]["status"]["repairs"]["total"] == 1


def _restarted(world: Any) -> Any:
    """A reconciler process that has listed everything but not read the cloud side yet."""
    ctx = _ctx(world)
    for informer in ctx.caches.values():
        informer.list_once()
    return ctx


def test_a_restarted_reconciler_keeps_the_last_cloud_check_until_it_reads_the_cloud(
    world: Any,
) -> None:
    kube, _, _, _ = world
    run_once(_ctx(world))  # an earlier process checked the cloud: every aspect True
    before = _conditions(kube, TENANT)
    kube.writes.clear()
    out = reconcile_tenant(_restarted(world), TENANT, cloud_check=False)
    assert out.errors == {} and kube.writes == []  # nothing to say, nothing written
    assert _conditions(kube, TENANT) == before

    # A last check that found drift stands too (Ready stays False on its account).
    obj = kube.objects[("Tenant", None, TENANT)]
    obj["status"]["conditions"] = [
        {**c, "status": "False", "reason": "Drifted", "message": "bucket versioning off"}
        if c["type"] in ("Ready", "CloudGuardrails")
        else c
        for c in obj["status"]["conditions"]
    ]
    reconcile_tenant(_restarted(world), TENANT, cloud_check=False)
    after = _conditions(kube, TENANT)
    assert (after["CloudGuardrails"]["status"], after["CloudGuardrails"]["message"]) == (
        "False",
        "bucket versioning off",
    )
    assert after["Ready"]["status"] == "False" and "CloudGuardrails" in after["Ready"]["message"]


def test_a_tenant_never_checked_says_its_cloud_side_is_not_checked_yet(world: Any) -> None:
    kube, _, _, _ = world
    kube.objects[("Tenant", None, TENANT)].pop("status", None)
    reconcile_tenant(_restarted(world), TENANT, cloud_check=False)
    cloud = _conditions(kube, TENANT)["CloudGuardrails"]
    assert (cloud["status"], cloud["reason"], cloud["message"]) == (
        "Unknown",
        "NotCheckedYet",
        "not checked yet",
    )
    assert _conditions(kube, TENANT)["Ready"]["status"] == "Unknown"


# -- what reaches tenants from outside their namespaces -----------------------------------------


def _platform(world: Any, **changes: Any) -> Any:
    (out,) = [o for o in run_once(_ctx(world, **changes)) if o.tenant == "@platform"]
    return out


def test_a_cluster_role_binding_giving_owners_cluster_admin_is_revoked(world: Any) -> None:
    kube, _, _, fleet = world
    group = fleet[TENANT].owners.group
    kube.apply(
        {
            "apiVersion": "rbac.authorization.k8s.io/v1",
            "kind": "ClusterRoleBinding",
            "metadata": {"name": "helpdesk"},
            "roleRef": {
                "apiGroup": "rbac.authorization.k8s.io",
                "kind": "ClusterRole",
                "name": "cluster-admin",
            },
            "subjects": [{"apiGroup": "rbac.authorization.k8s.io", "kind": "Group", "name": group}],
        }
    )
    out = _platform(world)
    assert [(r.key, r.action) for r in out.repairs] == [("ClusterRoleBinding/helpdesk", "revoked")]
    assert ("ClusterRoleBinding", None, "helpdesk") not in kube.objects
    assert f"Group:{group}" in out.repairs[0].before


def test_an_allow_all_policy_in_shared_services_is_removed(world: Any) -> None:
    kube, _, _, _ = world
    kube.apply(
        {
            "apiVersion": "networking.k8s.io/v1",
            "kind": "NetworkPolicy",
            "metadata": {"name": "open", "namespace": "shared-services"},
            "spec": {"podSelector": {}, "ingress": [{}]},
        }
    )
    out = _platform(world)
    assert [(r.key, r.action) for r in out.repairs] == [
        ("NetworkPolicy/shared-services/open", "removed")
    ]
    # Its Event lives in the object's own namespace: the API refuses an Event whose
    # involvedObject is in another namespace than the Event.
    events = [o for (k, _, _), o in kube.objects.items() if k == "Event"]
    removed = [e for e in events if e["involvedObject"].get("name") == "open"]
    assert [e["metadata"]["namespace"] for e in removed] == ["shared-services"]
    assert removed[0]["involvedObject"]["namespace"] == "shared-services"


def test_platform_objects_only_deploy_writes_are_reported_not_written(world: Any) -> None:
    kube, _, _, _ = world
    binding = ("ValidatingAdmissionPolicyBinding", None, "govcloud-tenant-netpol-stays-inside")
    del kube.objects[binding]
    kube.writes.clear()
    out = _platform(world)
    assert out.repairs == []
    assert [d.key for d in out.remaining] == [
        "ValidatingAdmissionPolicyBinding/govcloud-tenant-netpol-stays-inside"
    ]
    events = [
        o
        for (k, _, _), o in kube.objects.items()
        if k == "Event" and o["reason"] == "PlatformDrift"
    ]
    assert len(events) == 1 and "govcloud deploy" in events[0]["message"]
    assert binding not in kube.objects
    for key in [k for k in kube.objects if k[0] == "Event"]:
        del kube.objects[key]
    ctx = _ctx(world)
    run_once(ctx)
    ctx.clock = lambda: NOW + dt.timedelta(minutes=5)  # another pass, later: same drift
    run_once(ctx)
    assert (
        len(
            [
                o
                for (k, _, _), o in kube.objects.items()
                if k == "Event" and o["reason"] == "PlatformDrift"
            ]
        )
        == 1
    )  # once per drift, not per pass


def test_a_cloud_object_that_cannot_be_repaired_does_not_stop_the_others(world: Any) -> None:
    """The key govcloud created cannot be told (no pin, the bucket and the alias disagree):
    the key is left as it is and the reason lands in status; the role is still repaired."""
    kube, cloud, _, _ = world
    key = next(k for k in cloud.resources if k[0] == "kms-key" and TENANT in k[1])
    role = next(k for k in cloud.resources if k[0] == "role" and TENANT in k[1])
    cloud.resources[key] = {**cloud.resources[key], "alias_key": "moved to key 2222"}
    cloud.resources[role] = {**cloud.resources[role], "attached_policies": ["arn:evil"]}
    ensure = cloud.ensure

    def refuse_keys(kind: str, props: Any) -> Any:
        if kind == "kms-key":
            raise PermanentError("cannot tell govcloud's key for alias/x", operation="test")
        return ensure(kind, props)

    cloud.ensure = refuse_keys
    (out,) = [o for o in run_once(_ctx(world)) if o.tenant == TENANT]
    assert [r.key for r in out.repairs] == [f"role/{TENANT}-role"]
    assert cloud.resources[role]["attached_policies"] == []
    guardrails = _conditions(kube, TENANT)["CloudGuardrails"]
    assert guardrails["status"] == "False"
    assert f"cannot repair kms-key/{TENANT}-key" in guardrails["message"]
    assert "cannot tell govcloud's key" in guardrails["message"]


def test_a_pass_over_every_tenant_judges_the_fleet_once(
    world: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """n tenants cost one evaluation of the rules, not n (each is O(n log n))."""
    import infra.policy.live as live
    from infra.policy.engine import evaluate

    calls: list[int] = []
    real = evaluate

    def counting(tenants: Any, *args: Any, **kwargs: Any) -> Any:
        calls.append(len(tenants))
        return real(tenants, *args, **kwargs)

    monkeypatch.setattr(live, "evaluate", counting)
    ctx = _ctx(world)
    outcomes = run_once(ctx)
    _, _, _, fleet = world
    assert len([o for o in outcomes if o.tenant != "@platform"]) == len(fleet) > 2
    assert calls == [len(fleet)]
    run_once(ctx)  # a steady pass: nothing changed, nothing judged again
    assert calls == [len(fleet)]
