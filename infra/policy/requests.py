"""Data-sharing requests (数据需求): who asks whom for what, and which are still pending.

A request in the requesting department's spec is *satisfied* once both departments declare
the mutual peering citing the same data-sharing agreement; until then it is *pending*. A
pending request never becomes a network path: only ``network.peers`` does.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum

from infra.i18n import _
from infra.spec import TenantSpec
from infra.spec.tenant import Classification, DataRequest, LifecycleState

from .context import Context, Issue
from .datasets import check_share
from .findings import Severity

__all__ = [
    "PendingGroup",
    "RequestState",
    "check_requests",
    "pending_groups",
    "request_age",
    "request_state",
]


def request_age(requested: dt.date, today: dt.date) -> int:
    """The age of a data request, the one definition every page uses (the pull-request
    check and the bureau's report): whole days from the ``requested`` date in the
    requesting department's spec to ``today``, the province's date (Beijing time) of the
    run's one clock (``infra.plan.clock``)."""
    return (today - requested).days


class RequestState(StrEnum):
    pending = "pending"
    satisfied = "satisfied"


def agreement_between(requester: TenantSpec, provider: TenantSpec | None) -> str | None:
    """The agreement both sides cite for their mutual peering, if they do."""
    if provider is None:
        return None
    theirs = next((p.agreement for p in provider.network.peers if p.tenant == requester.id), None)
    mine = next((p.agreement for p in requester.network.peers if p.tenant == provider.id), None)
    return theirs if theirs is not None and theirs == mine else None


def request_state(
    requester: TenantSpec, request: DataRequest, fleet: Mapping[str, TenantSpec]
) -> RequestState:
    if request.dataset is not None:  # a catalogue request: satisfied once approved
        return RequestState.pending if request.authorization is None else RequestState.satisfied
    provider = fleet.get(request.provider)
    if agreement_between(requester, provider) is None:
        return RequestState.pending
    return RequestState.satisfied


def check_requests(spec: TenantSpec, ctx: Context) -> Iterator[Issue]:
    if spec.lifecycle.state is LifecycleState.decommissioning:
        return
    seen: set[tuple[str, str]] = set()
    for i, request in enumerate(spec.data_requests):
        at = ("data_requests", i)
        provider = ctx.tenants.get(request.provider)
        what = request.dataset or request.data or ""
        key = (request.provider, what)
        if request.provider == spec.id:
            yield Issue("GC030", (*at, "from"), _("a department cannot request data from itself"))
            continue
        if key in seen:
            yield Issue(
                "GC030",
                (*at, "dataset" if request.dataset else "data"),
                _("{data!r} from {provider!r} is requested twice").format(
                    data=what, provider=request.provider
                ),
            )
        seen.add(key)
        if request.requested > ctx.today:
            yield Issue(
                "GC030",
                (*at, "requested"),
                _("{date} is in the future").format(date=request.requested),
            )
        if provider is None:
            yield Issue(
                "GC030",
                (*at, "from"),
                _("no tenant {provider!r}").format(provider=request.provider),
            )
            continue
        if provider.lifecycle.state is LifecycleState.decommissioning:
            yield Issue(
                "GC030",
                (*at, "from"),
                _("{provider!r} is decommissioning and will not share data").format(
                    provider=request.provider
                ),
                Severity.warning,
            )
        if request.dataset is not None:
            yield from check_share(spec, request, at, ctx)
        theirs = provider.data.classification
        if theirs is Classification.core and request.justification is None:
            yield Issue(
                "GC031",
                (*at, "justification"),
                _("{provider!r} holds core data; a request needs a justification").format(
                    provider=request.provider
                ),
            )
        if request.dataset is None and theirs.rank > spec.data.classification.rank:
            yield Issue(
                "GC032",
                (*at, "from"),
                _(
                    "{theirs} data of {provider!r} may not flow to {me!r}, which is "
                    "classified {mine}"
                ).format(
                    theirs=theirs.value,
                    provider=request.provider,
                    me=spec.id,
                    mine=spec.data.classification.value,
                ),
            )


@dataclass(frozen=True)
class PendingGroup:
    """The pending requests one department has from another."""

    provider: str
    requester: str
    count: int
    oldest: dt.date

    def render(self, today: dt.date) -> str:
        noun = "request" if self.count == 1 else "requests"
        days = request_age(self.oldest, today)
        return (
            f"{self.provider} has {self.count} pending {noun} from {self.requester}, "
            f"oldest {days} day{'' if days == 1 else 's'}"
        )


def pending_groups(specs: Iterable[TenantSpec]) -> list[PendingGroup]:
    """Pending requests grouped by (provider, requester), oldest first within a provider."""
    fleet = {s.id: s for s in specs}
    groups: dict[tuple[str, str], list[dt.date]] = {}
    for spec in fleet.values():
        for request in spec.data_requests:
            if request_state(spec, request, fleet) is RequestState.pending:
                groups.setdefault((request.provider, spec.id), []).append(request.requested)
    return [PendingGroup(p, r, len(dates), min(dates)) for (p, r), dates in sorted(groups.items())]
