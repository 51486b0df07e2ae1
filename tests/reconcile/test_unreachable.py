"""An endpoint that cannot be reached is Unknown, never drift and never True, and the
reconciler learns it once for every tenant, not tenant by tenant."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import Any

import pytest

from infra.errors import PermanentError, TransientError, UnreachableError
from infra.plan.drift import Difference
from infra.reconcile import Outcome, drift_exit_code, render_drift, run_once
from infra.reconcile.endpoints import Endpoint, EndpointWatch
from infra.reconcile.tenant import reconcile_tenant

from .fakes import FakeCloud
from .test_tenant_pass import TENANT, _conditions, _ctx

ENDPOINT = "http://127.0.0.1:4566"
WHY = f"cannot reach the cloud endpoint at {ENDPOINT}: connection refused (nothing listens there)"


class DownCloud(FakeCloud):
    """The cloud endpoint of the world, which can stop answering."""

    def __init__(self, resources: Mapping[tuple[str, str], Mapping[str, Any]]) -> None:
        super().__init__()
        self.resources = dict(resources)
        self.error: Exception | None = None
        self.reads = 0

    def read(self, kind: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
        self.reads += 1
        if self.error is not None:
            raise self.error
        return super().read(kind, props)


def _tenants(outcomes: list[Outcome]) -> list[Outcome]:
    """The tenants' outcomes (the platform pass has no cloud side)."""
    return [o for o in outcomes if o.tenant != "@platform"]


def _refused() -> UnreachableError:
    return UnreachableError(
        WHY,
        operation="s3:HeadBucket",
        service="cloud endpoint",
        endpoint=ENDPOINT,
        cause="connection refused (nothing listens there)",
    )


@pytest.fixture()
def down(world: Any) -> tuple[Any, DownCloud]:
    kube, cloud, env, fleet = world
    replaced = DownCloud(cloud.resources)
    return (kube, replaced, env, fleet), replaced


def test_a_refusing_cloud_endpoint_makes_every_tenant_unknown_learnt_once(
    down: tuple[Any, DownCloud],
) -> None:
    world_, cloud = down
    kube = world_[0]
    run_once(_ctx(world_))  # all as planned first
    cloud.error, cloud.reads = _refused(), 0
    outcomes = _tenants(run_once(_ctx(world_)))
    assert cloud.reads == 1  # the first check learnt it; nobody asked again
    for out in outcomes:
        assert out.found == [] and out.remaining == [] and out.errors == {}  # not drift
        assert out.unknown == {"cloud": ("CloudUnreachable", WHY)}
        conditions = _conditions(kube, out.tenant)
        cloud_condition = conditions["CloudGuardrails"]
        assert (
            cloud_condition["status"],
            cloud_condition["reason"],
            cloud_condition["message"],
        ) == ("Unknown", "CloudUnreachable", WHY)
        assert (conditions["Ready"]["status"], conditions["Ready"]["reason"]) == (
            "Unknown",
            "CloudUnreachable",
        )
        assert conditions["QuotaEnforced"]["status"] == "True"  # observed: still True


def test_an_unanswered_cloud_endpoint_is_learnt_once_too(down: tuple[Any, DownCloud]) -> None:
    world_, cloud = down
    cloud.error = TransientError(
        f"cannot reach the cloud endpoint at {ENDPOINT}: no answer (timed out)",
        operation="kms:DescribeKey",
        code="NoAnswer",
    )
    outcomes = _tenants(run_once(_ctx(world_)))
    assert cloud.reads == 1
    assert {out.unknown["cloud"][0] for out in outcomes} == {"CloudUnreachable"}


def test_ready_follows_the_drift_not_the_unknown_cloud(down: tuple[Any, DownCloud]) -> None:
    world_, cloud = down
    kube = world_[0]
    cloud.error = _refused()
    kube.objects[("ResourceQuota", TENANT, "govcloud-quota")]["spec"]["hard"]["pods"] = "9999"
    ctx = _ctx(world_)
    ctx.kube.replace = ctx.kube.apply = _refuse_writes  # no repair: the quota stays off
    run_once(ctx)
    conditions = _conditions(kube, TENANT)
    assert conditions["QuotaEnforced"]["status"] == "False"
    assert conditions["CloudGuardrails"]["status"] == "Unknown"
    assert conditions["Ready"]["status"] == "False"  # something observed is off


def _refuse_writes(manifest: dict[str, Any]) -> dict[str, Any]:
    raise PermanentError("forbidden", code="Forbidden")


def test_another_cloud_error_is_unknown_for_its_tenant_alone(down: tuple[Any, DownCloud]) -> None:
    world_, cloud = down
    cloud.error = PermanentError(
        "AccessDenied: no", operation="s3:GetBucketPolicy", code="AccessDenied"
    )
    outcomes = _tenants(run_once(_ctx(world_)))
    assert cloud.reads == len(outcomes)  # not the endpoint's state: every tenant is asked
    assert {out.unknown["cloud"][0] for out in outcomes} == {"CheckFailed"}


def test_the_endpoint_watch_learns_the_loss_once_and_the_return(
    down: tuple[Any, DownCloud],
) -> None:
    world_, cloud = down
    kube = world_[0]
    ctx = _ctx(world_)
    run_once(ctx)
    answers: list[str | None] = [None, WHY, WHY, None]
    probes: list[str] = []
    events: list[str] = []
    states: list[tuple[str, bool]] = []

    def probe(url: str, service: str) -> str | None:
        probes.append(f"{service} {url}")
        return answers.pop(0)

    watch = EndpointWatch(
        ctx,
        [Endpoint("cloud", "cloud endpoint", ENDPOINT)],
        probe=probe,
        on_cloud_lost=lambda: events.append("lost"),
        on_cloud_back=lambda: events.append("back"),
        on_state=lambda name, up: states.append((name, up)),
    )
    watch.check_once()
    assert ctx.cloud_down is None and events == []
    watch.check_once()  # lost: every tenant is queued, Kubernetes passes report Unknown
    assert events == ["lost"] and ctx.cloud_down is not None
    assert ctx.cloud_down.until == math.inf
    cloud.reads = 0
    reconcile_tenant(ctx, TENANT, cloud_check=False)
    assert _conditions(kube, TENANT)["CloudGuardrails"]["reason"] == "CloudUnreachable"
    reconcile_tenant(ctx, TENANT, cloud_check=True)  # a scheduled check does not ask either
    assert cloud.reads == 0
    watch.check_once()  # still lost: nothing new
    assert events == ["lost"]
    watch.check_once()  # back: every tenant's cloud side is checked afresh
    assert events == ["lost", "back"] and ctx.cloud_down is None
    reconcile_tenant(ctx, TENANT, cloud_check=True)
    assert _conditions(kube, TENANT)["CloudGuardrails"]["status"] == "True"
    assert probes == [f"cloud endpoint {ENDPOINT}"] * 4
    assert states == [("cloud", True), ("cloud", False), ("cloud", True)]


# -- the drift report: what could not be checked is not drift, and is named ----------------


def test_drift_exit_codes_are_distinct() -> None:
    clean, drifting, unknown = Outcome("a"), Outcome("b"), Outcome("c")
    drifting.found = [Difference("ResourceQuota/b/govcloud-quota", "quota", "missing")]
    unknown.unknown = {"cloud": ("CloudUnreachable", WHY)}
    assert drift_exit_code([clean]) == 0
    assert drift_exit_code([clean, unknown]) == 3
    assert drift_exit_code([clean, unknown, drifting]) == 1  # drift is drift, checked or not


def test_the_drift_report_names_what_was_not_checked_and_who_is_not_deployed(
    down: tuple[Any, DownCloud],
) -> None:
    world_, cloud = down
    cloud.error = _refused()
    everything = run_once(_ctx(world_, dry_run=True))  # the platform's outcome too
    outcomes = _tenants(everything)
    assert len(everything) == len(outcomes) + 1
    text = render_drift(everything, "text", not_deployed=["yx-zwsjj"]).splitlines()
    tenants = ", ".join(sorted(o.tenant for o in outcomes))
    assert text == [  # the platform is no tenant: it is not counted as one
        f"no drift in what could be checked ({len(outcomes)} tenants); the check is incomplete",
        f"not checked: cloud of {len(outcomes)} tenant(s) ({tenants}): {WHY}",
        "not deployed (no Tenant object yet): yx-zwsjj",
    ]
    data = json.loads(render_drift(everything, "json", not_deployed=["yx-zwsjj"]))
    assert data["tenants"] == len(outcomes)
    assert data["drifting"] == [] and data["complete"] is False
    assert {r["reason"] for r in data["not_checked"]} == {"CloudUnreachable"}
    assert data["not_deployed"] == ["yx-zwsjj"]
    assert "### Not checked, not deployed" in render_drift(outcomes, "markdown")
