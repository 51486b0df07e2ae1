"""A pass over a provider of data shares: the verified day recorded on its status (the
reconciler's field), and the cloud checks of both sides queued for the share's end."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from infra.plan.names import bucket_name, key_alias
from infra.reconcile import make_context, run_once

from .conftest import NOW
from .fakes import FakeCloud
from .test_tenant_pass import _ctx


def test_the_provider_records_its_live_shares_and_both_sides_are_queued_for_the_end(
    world: Any,
) -> None:
    kube, _, _, _ = world
    outs = {o.tenant: o for o in run_once(_ctx(world))}
    status = kube.objects[("Tenant", None, "gd-rst")]["status"]
    today = NOW.date().isoformat()
    assert status["shares"] == {
        "gz-zwsjj/employers": today,
        "gz-zwsjj/insured-stats": today,
    }
    ends = dt.datetime(2027, 7, 1, tzinfo=NOW.tzinfo)  # the end of `expires: 2027-06-30`
    due = (ends - NOW).total_seconds()
    assert outs["gd-rst"].cloud_requeue == {"gd-rst": due, "gz-zwsjj": due}
    assert outs["gz-zwsjj"].cloud_requeue == {"gd-rst": due, "gz-zwsjj": due}
    assert "shares" not in kube.objects[("Tenant", None, "gz-zwsjj")]["status"]
    # a later pass keeps the first day
    later = NOW + dt.timedelta(days=2)
    run_once(_ctx(world, now=later))
    assert kube.objects[("Tenant", None, "gd-rst")]["status"]["shares"]["gz-zwsjj/employers"] == (
        today
    )


def test_a_lapsed_share_leaves_the_record(world: Any) -> None:
    kube, _, _, _ = world
    run_once(_ctx(world))
    after = dt.datetime(2027, 7, 1, 0, 0, 1, tzinfo=NOW.tzinfo)
    run_once(_ctx(world, now=after))
    assert "shares" not in kube.objects[("Tenant", None, "gd-rst")]["status"]


class _Recording(FakeCloud):
    """The cloud as the passes use it, every read and write in order, by resource."""

    def __init__(self, inner: FakeCloud) -> None:
        super().__init__()
        self.resources = inner.resources
        self.calls: list[tuple[str, str, str]] = []

    def read(self, kind: str, props: Mapping[str, Any]) -> Mapping[str, Any] | None:
        self.calls.append(("read", kind, self._handle(props)))
        return super().read(kind, props)

    def ensure(self, kind: str, props: Mapping[str, Any]) -> Mapping[str, Any]:
        self.calls.append(("ensure", kind, self._handle(props)))
        return super().ensure(kind, props)

    def write_policy(self, kind: str, props: Mapping[str, Any]) -> bool:
        self.calls.append(("policy", kind, self._handle(props)))
        return super().write_policy(kind, props)


def test_at_a_share_end_the_narrowed_policies_are_written_before_any_wider_check(
    world: Any,
) -> None:
    kube, cloud, env, _ = world
    recording = _Recording(cloud)
    ctx = make_context(kube, recording, env)
    ctx.clock = lambda: NOW
    run_once(ctx)  # learns the end of gd-rst's shares (2027-07-01, Beijing time)
    bucket = bucket_name("local", "gd-rst")
    taker = "govcloud-local-gz-zwsjj"
    assert taker in str(recording.resources[("bucket", bucket)]["policy"])
    recording.calls.clear()
    after = dt.datetime(2027, 7, 1, 0, 0, 1, tzinfo=NOW.tzinfo)
    ctx.clock = lambda: after
    run_once(ctx)
    mine = [c for c in recording.calls if c[2] in (bucket, key_alias("local", "gd-rst"))]
    # the provider's bucket policy, then its key policy, before it is read at all
    assert mine[:2] == [
        ("policy", "bucket", bucket),
        ("policy", "kms-key", key_alias("local", "gd-rst")),
    ]
    assert all(c[0] != "policy" for c in mine[2:])  # once
    for kind, handle in (("bucket", bucket), ("kms-key", key_alias("local", "gd-rst"))):
        assert taker not in str(recording.resources[(kind, handle)]["policy"]), kind
    # the requester publishes nothing: no policy of its own is written for the end
    assert not [c for c in recording.calls if c[0] == "policy" and "gz-zwsjj" in c[2]]
    # and a pass before the end writes no policy
    recording.calls.clear()
    ctx.share_ends["gd-rst"] = dt.datetime(2028, 1, 1, tzinfo=NOW.tzinfo)
    run_once(ctx)
    assert not [c for c in recording.calls if c[0] == "policy"]
