"""A pass over a provider of data shares: the verified day recorded on its status (the
reconciler's field), and the cloud checks of both sides queued for the share's end."""

from __future__ import annotations

import datetime as dt
from typing import Any

from infra.reconcile import run_once

from .conftest import NOW
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
