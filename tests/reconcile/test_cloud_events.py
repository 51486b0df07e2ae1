"""Cloud change events to cloud checks: which tenant an event names, the id table, the loop
(against a fake of our EventSource Protocol)."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest

from infra.drivers.cloud.events import CloudEvent, EventPage
from infra.errors import PermanentError, TransientError
from infra.plan import render_tenant
from infra.plan.names import bucket_name, cloud_name, key_alias
from infra.reconcile import make_context, make_controller
from infra.reconcile.cloud_events import CloudEventFollower, tenant_handles
from infra.reconcile.context import CloudDown
from infra.reconcile.endpoints import Endpoint, EndpointWatch
from infra.reconcile.queue import WorkQueue
from infra.spec.load import load_environment, load_tenants

from ..plan.conftest import ROOT
from .fakes import FakeCloud, FakeKube

TENANTS = ("gz-wjw", "sz-gaj", "gd-zwfwsjj")
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"
GROUP_ID = "sg-0123456789abcdef0"
ACCOUNT = "arn:aws-cn:iam::123456789012"


class FakeEvents:
    """Pages scripted in order (an exception is raised); the id table is a dict."""

    def __init__(
        self, pages: list[EventPage | Exception] | None = None, ids: dict[str, str] | None = None
    ) -> None:
        self.pages = list(pages or [])
        self.ids = dict(ids or {})
        self.reads: list[tuple[str | None, float]] = []
        self.id_reads = 0

    def read(self, after: str | None, *, wait: float = 0.0) -> EventPage:
        self.reads.append((after, wait))
        if not self.pages:
            raise PermanentError("script ended", code="NoEventFeed")
        page = self.pages.pop(0)
        if isinstance(page, Exception):
            raise page
        return page

    def identifiers(self) -> dict[str, str]:
        self.id_reads += 1
        return dict(self.ids)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _event(name: str, **parameters: Any) -> CloudEvent:
    return CloudEvent(
        id=f"id-{name}",
        time="2026-12-07T10:00:00Z",
        source="x.amazonaws.com",
        name=name,
        region="cn-northwest-1",
        parameters=parameters,
    )


def _follower(
    kube: FakeKube,
    source: FakeEvents,
    *,
    owned: Callable[[str], bool] = lambda t: True,
    clock: Clock | None = None,
) -> tuple[CloudEventFollower, list[str], list[str]]:
    env = load_environment("local", ROOT / "stacks")
    ctx = make_context(kube, FakeCloud(), env)
    ctx.caches["Tenant"].list_once()
    queued: list[str] = []
    counted: list[str] = []

    def queue(tenant: str) -> bool:
        if owned(tenant):
            queued.append(tenant)
        return owned(tenant)

    follower = CloudEventFollower(
        ctx,
        source,
        queue=queue,
        queue_all=lambda: queued.append("*"),
        count=counted.append,
        clock=clock or Clock(),
    )
    return follower, queued, counted


def _kube(*tenants: str) -> FakeKube:
    kube = FakeKube()
    for tenant in tenants:
        kube.apply(
            {
                "apiVersion": "govcloud.gd.gov.cn/v1alpha1",
                "kind": "Tenant",
                "metadata": {"name": tenant},
                "spec": {},
            }
        )
    return kube


@pytest.mark.parametrize(
    "event",
    [
        _event("DeleteBucketPublicAccessBlock", bucketName=bucket_name("local", "sz-gaj")),
        _event("PutBucketVersioning", bucketName=bucket_name("local", "sz-gaj"), versioning=""),
        _event("UpdateAlias", aliasName=key_alias("local", "sz-gaj"), targetKeyId="other"),
        _event(
            "DisableKey",
            keyId=f"arn:aws-cn:kms:cn-northwest-1:123456789012:{key_alias('local', 'sz-gaj')}",
        ),
        _event(
            "PutRolePolicy",
            roleName=cloud_name("local", "sz-gaj"),
            policyName="extra",
            policyDocument='{"Statement": []}',
        ),
        _event(
            "CreatePolicyVersion",
            policyArn=f"{ACCOUNT}:policy/{cloud_name('local', 'sz-gaj', 'boundary')}",
        ),
        _event("CreateSecurityGroup", groupName=cloud_name("local", "sz-gaj"), vpcId="vpc-0a1b"),
    ],
    ids=lambda e: e.name,
)
def test_an_event_queues_the_cloud_check_of_the_tenant_whose_resource_it_names(
    event: CloudEvent,
) -> None:
    source = FakeEvents()
    follower, queued, counted = _follower(_kube(*TENANTS), source)
    assert follower.handle([event]) == ["sz-gaj"]
    assert queued == ["sz-gaj"] and counted == ["placed"]
    assert source.id_reads == 0  # named by handle: no id table needed


@pytest.mark.parametrize(
    "event",
    [
        _event("PutBucketVersioning", bucketName=bucket_name("local", "audit")),  # the platform's
        _event("CreateBucket", bucketName="someone-elses-bucket"),
        _event("CreateVpc", cidrBlock="10.200.0.0/16"),
        _event("PutBucketPolicy", bucketName=bucket_name("local", "not-a-tenant")),
    ],
    ids=lambda e: e.name + str(sorted(e.parameters.values())),
)
def test_an_event_naming_no_tenant_resource_queues_nothing(event: CloudEvent) -> None:
    follower, queued, counted = _follower(_kube(*TENANTS), FakeEvents())
    assert follower.handle([event]) == []
    assert queued == [] and counted == ["unrelated"]


def test_an_event_naming_an_unknown_id_reads_the_id_table_then_queues_its_tenant() -> None:
    source = FakeEvents(
        ids={GROUP_ID: cloud_name("local", "gz-wjw"), KEY_ID: key_alias("local", "gd-zwfwsjj")}
    )
    follower, queued, _ = _follower(_kube(*TENANTS), source)
    revoke = _event(
        "RevokeSecurityGroupEgress", groupId=GROUP_ID, **{"ipPermissions.1.ipProtocol": "-1"}
    )
    assert follower.handle([revoke]) == ["gz-wjw"]
    disable = _event(
        "ScheduleKeyDeletion", keyId=f"arn:aws-cn:kms:cn-northwest-1:123456789012:key/{KEY_ID}"
    )
    assert follower.handle([disable, revoke]) == ["gd-zwfwsjj", "gz-wjw"]
    assert source.id_reads == 1  # both ids known after the first read
    assert queued == ["gz-wjw", "gd-zwfwsjj", "gz-wjw"]


def test_the_id_table_is_read_at_most_once_per_interval_and_late_ids_still_get_placed() -> None:
    clock = Clock()
    source = FakeEvents(ids={})
    follower, queued, counted = _follower(_kube(*TENANTS), source, clock=clock)
    assert follower.handle([_event("DeleteSecurityGroup", groupId="sg-00000000deadbeef0")]) == []
    assert counted == ["unplaced"] and source.id_reads == 1
    # A group re-created a moment ago, not yet in the table, touched right away:
    source.ids = {GROUP_ID: cloud_name("local", "sz-gaj")}
    clock.now += 0.5
    assert follower.handle([_event("AuthorizeSecurityGroupIngress", groupId=GROUP_ID)]) == []
    assert source.id_reads == 1  # too soon to read the table again: the event waits
    assert 0 < follower._wait() <= 1.5  # ... and the next read of the feed is short
    clock.now += 2.0
    assert follower.handle([]) == ["sz-gaj"]
    assert source.id_reads == 2 and queued == ["sz-gaj"]


def test_an_event_naming_one_tenant_by_name_and_another_by_an_unknown_id_queues_both() -> None:
    clock = Clock()
    source = FakeEvents(ids={})
    follower, queued, _ = _follower(_kube(*TENANTS), source, clock=clock)
    follower.handle([_event("DisableKey", keyId="00000000-0000-0000-0000-000000000000")])
    assert source.id_reads == 1
    grant = _event(
        "CreateGrant",
        keyId=KEY_ID,
        granteePrincipal=f"{ACCOUNT}:role/{cloud_name('local', 'sz-gaj')}",
    )
    source.ids = {KEY_ID: key_alias("local", "gz-wjw")}
    assert follower.handle([grant]) == ["sz-gaj"]  # named: at once; the key id: after a read
    clock.now += 2.0
    assert follower.handle([]) == ["gz-wjw"]
    assert queued == ["sz-gaj", "gz-wjw"]


def test_tenants_not_in_this_replicas_shard_are_not_queued() -> None:
    follower, queued, counted = _follower(
        _kube(*TENANTS), FakeEvents(), owned=lambda t: t != "sz-gaj"
    )
    event = _event("PutBucketAcl", bucketName=bucket_name("local", "sz-gaj"))
    assert follower.handle([event]) == []
    assert queued == [] and counted == ["placed"]


def test_a_tenant_created_after_the_follower_started_is_placed() -> None:
    kube = _kube("gz-wjw")
    follower, _, _ = _follower(kube, FakeEvents())
    event = _event("PutBucketLifecycle", bucketName=bucket_name("local", "sz-gaj"))
    assert follower.handle([event]) == []
    kube.apply(
        {
            "apiVersion": "govcloud.gd.gov.cn/v1alpha1",
            "kind": "Tenant",
            "metadata": {"name": "sz-gaj"},
            "spec": {},
        }
    )
    follower.ctx.caches["Tenant"].list_once()
    assert follower.handle([event]) == ["sz-gaj"]


def test_tenant_handles_are_the_names_the_plan_gives_its_cloud_resources() -> None:
    env = load_environment("local", ROOT / "stacks")
    fleet = {t.spec.id: t.spec for t in load_tenants([ROOT / "tenants"])}
    for spec in fleet.values():
        plan = render_tenant(spec, env, fleet=fleet, today=dt.date(2026, 12, 7))
        named = {str(o.props.get("alias") or o.props["name"]) for o in plan.cloud}
        named |= {str(o.props["boundary_name"]) for o in plan.cloud if o.kind == "role"}
        assert len(named) >= 2  # bucket, role, subnet and group share one name
        assert named <= set(tenant_handles(env.name, spec.id)), spec.id


def test_the_loop_starts_from_now_follows_the_cursor_and_checks_everything_after_a_reset() -> None:
    bucket = bucket_name("local", "gz-wjw")
    source = FakeEvents(
        [
            EventPage((), "run.5"),
            EventPage((_event("PutBucketVersioning", bucketName=bucket),), "run.6"),
            EventPage((), "new.0", reset=True),
            EventPage((_event("DeleteBucketPolicy", bucketName=bucket),), "new.1"),
        ]
    )
    follower, queued, counted = _follower(_kube(*TENANTS), source)
    follower.run(threading.Event())  # ends when the script does (a permanent error)
    assert [after for after, _ in source.reads] == [None, "run.5", "run.6", "new.0", "new.1"]
    assert source.reads[0][1] == 0.0 and source.reads[1][1] == 20.0
    assert queued == ["gz-wjw", "*", "gz-wjw"]
    assert counted == ["placed", "lost", "placed"]


def test_the_loop_reads_again_after_an_unreachable_endpoint() -> None:
    bucket = bucket_name("local", "gz-wjw")
    source = FakeEvents(
        [
            EventPage((), "run.1"),
            TransientError("connection refused", code="Unreachable"),
            EventPage((_event("PutBucketEncryption", bucketName=bucket),), "run.2"),
        ]
    )
    follower, queued, _ = _follower(_kube(*TENANTS), source)
    follower.run(threading.Event())
    assert [after for after, _ in source.reads] == [None, "run.1", "run.1", "run.2"]
    assert queued == ["gz-wjw"]


def test_the_loop_stops_when_asked_while_waiting_to_retry() -> None:
    source = FakeEvents([TransientError("down", code="Unreachable")] * 100)
    follower, _, _ = _follower(_kube(*TENANTS), source)
    stop = threading.Event()
    thread = threading.Thread(target=follower.run, args=(stop,))
    thread.start()
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive() and len(source.reads) <= 2


def test_a_tenant_named_by_an_event_is_checked_ahead_of_a_waiting_backstop_batch() -> None:
    queue = WorkQueue()
    for tenant in ("a", "b", "c", "d"):
        queue.add(tenant)  # the poll's batch
    queue.add_first("c")  # an event names c: it moves to the front
    queue.add_first("e")  # and e, not waiting yet: ahead of everything
    assert [queue.get(timeout=0) for _ in range(2)] == ["e", "c"]
    queue.add_first("e")  # named again while being checked: once more, first, when done
    queue.done("c")
    queue.done("e")
    assert [queue.get(timeout=0) for _ in range(4)] == ["e", "a", "b", "d"]
    for tenant in ("e", "a", "b", "d"):
        queue.done(tenant)
    assert queue.get(timeout=0) is None


def test_without_an_event_feed_the_controller_polls_as_often_as_before_events() -> None:
    env = load_environment("local", ROOT / "stacks")
    ctx = make_context(_kube(*TENANTS), FakeCloud(), env, cloud_interval=300.0)
    no_feed = FakeEvents([])  # its first read: a permanent error (NoEventFeed)
    controller = make_controller(ctx, events=no_feed, poll_alone=30.0)
    controller._follow(
        CloudEventFollower(ctx, no_feed, queue=lambda t: True, queue_all=lambda: None)
    )
    assert ctx.cloud_interval == 30.0
    explicit = make_controller(
        make_context(_kube(), FakeCloud(), env, cloud_interval=300.0),
        events=no_feed,
        poll_alone=None,
    )  # --cloud-interval given
    explicit._follow(
        CloudEventFollower(explicit.ctx, no_feed, queue=lambda t: True, queue_all=lambda: None)
    )
    assert explicit.ctx.cloud_interval == 300.0


def test_a_loss_learnt_by_a_check_ends_as_soon_as_the_probe_finds_the_endpoint_answering() -> None:
    env = load_environment("local", ROOT / "stacks")
    ctx = make_context(_kube(*TENANTS), FakeCloud(), env, cloud_interval=300.0)
    # What a check that failed to connect leaves: the loss, learnt until the next poll.
    ctx.cloud_down = CloudDown("cannot reach the cloud endpoint", ctx.monotonic() + 300.0)
    back: list[str] = []
    watch = EndpointWatch(
        ctx,
        [Endpoint("cloud", "cloud endpoint", "http://127.0.0.1:1")],
        probe=lambda url, service: None,
        on_cloud_lost=lambda: None,
        on_cloud_back=lambda: back.append("back"),
    )
    watch.check_once()
    assert ctx.cloud_unreachable() == "" and back == ["back"]
    watch.check_once()
    assert back == ["back"]  # once
