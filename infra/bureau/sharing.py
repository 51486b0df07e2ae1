"""数据需求满足率: data requests satisfied / received per providing department.

A request naming a published dataset (a catalogue request) is satisfied from the day its
share was first verified live, as the reconciler records it on the providing Tenant's
status (``status.shares``, read with ``--live``), and stops counting when the share lapses
(the record goes with it). Without a live read, catalogue requests count as pending.

A request without a dataset is the history before the catalogue: it is judged by the old
proxy, a peering. It is received on the day it first appeared on the main line (its
``requested`` date when the history does not have it, e.g. outside a git checkout) and
satisfied on the day the later of the two peering declarations appeared (never before it
was received). A request removed before it was satisfied counts as withdrawn, in neither
the numerator nor the denominator.

The *age* of a pending request is counted from the ``requested`` date in the department's
spec, the same definition the pull-request check uses (``infra.policy.requests.request_age``):
the received date above only places a request in the reporting period.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from infra.policy.requests import RequestState, request_age, request_state
from infra.spec import TenantSpec
from infra.spec.git import SharingHistory

__all__ = ["Rate", "RequestLine", "SharingView", "Status", "sharing_view", "verified_shares"]


class Status(StrEnum):
    pending = "pending"
    satisfied = "satisfied"
    withdrawn = "withdrawn"


@dataclass(frozen=True)
class RequestLine:
    requester: str
    provider: str
    data: str
    received: dt.date
    status: Status
    satisfied: dt.date | None  # None when satisfied outside the recorded history
    from_history: bool
    requested: dt.date  # the spec's date (the received date for a request no spec holds)

    def age(self, today: dt.date) -> int:
        return request_age(self.requested, today)

    @property
    def days_to_satisfy(self) -> int | None:
        return None if self.satisfied is None else (self.satisfied - self.received).days


@dataclass(frozen=True)
class Rate:
    provider: str  # "" for the whole province
    received: int
    satisfied: int
    median_days: float | None
    pending: int

    @property
    def rate(self) -> float | None:
        return self.satisfied / self.received if self.received else None


@dataclass(frozen=True)
class SharingView:
    since: dt.date
    until: dt.date
    commits: int
    requests: list[RequestLine]
    providers: list[Rate]
    province: Rate
    live: bool = False  # the shares' verified days were read from the cluster
    catalogue: int = 0  # requests naming a dataset (the rest are the peering history)


Verified = Mapping[tuple[str, str, str], dt.date]  # (requester, provider, dataset) -> day


def _satisfied_on(
    history: SharingHistory, requester: str, provider: str, received: dt.date
) -> dt.date | None:
    one = history.peered.get((provider, requester))
    two = history.peered.get((requester, provider))
    if one is None or two is None:
        return None
    return max(one, two, received)


def _lines(
    specs: Sequence[TenantSpec], history: SharingHistory, verified: Verified
) -> list[RequestLine]:
    fleet = {s.id: s for s in specs}
    lines: list[RequestLine] = []
    current: set[tuple[str, str, str]] = set()
    for spec in specs:
        for request in spec.data_requests:
            what = request.dataset or request.data or ""
            key = (spec.id, request.provider, what)
            current.add(key)
            seen = history.requested.get(key)
            received = seen or request.requested
            done = None
            if request.dataset is not None:
                done = verified.get((spec.id, request.provider, request.dataset))
                state = RequestState.pending if done is None else RequestState.satisfied
            else:
                state = request_state(spec, request, fleet)
            if state is RequestState.satisfied and request.dataset is None:
                done = _satisfied_on(history, spec.id, request.provider, received)
            lines.append(
                RequestLine(
                    spec.id,
                    request.provider,
                    what,
                    received,
                    Status(state.value),
                    done,
                    seen is not None,
                    request.requested,
                )
            )
    for key, received in history.requested.items():
        if key in current:
            continue
        requester, provider, data = key
        gone = history.withdrawn.get(key)
        done = _satisfied_on(history, requester, provider, received)
        if done is not None and (gone is None or done <= gone):
            lines.append(
                RequestLine(
                    requester, provider, data, received, Status.satisfied, done, True, received
                )
            )
        else:
            lines.append(
                RequestLine(
                    requester, provider, data, received, Status.withdrawn, None, True, received
                )
            )
    lines.sort(key=lambda r: (r.provider, r.received, r.requester, r.data))
    return lines


def _rate(provider: str, lines: list[RequestLine], until: dt.date) -> Rate:
    received = [r for r in lines if r.status is not Status.withdrawn]
    done = [
        r
        for r in received
        if r.status is Status.satisfied and (r.satisfied is None or r.satisfied <= until)
    ]
    days = [d for r in done if (d := r.days_to_satisfy) is not None]
    return Rate(
        provider,
        len(received),
        len(done),
        statistics.median(days) if days else None,
        sum(1 for r in received if r.status is Status.pending),
    )


def sharing_view(
    specs: Sequence[TenantSpec],
    history: SharingHistory,
    *,
    since: dt.date,
    until: dt.date,
    verified: Verified | None = None,
) -> SharingView:
    """Rates over the requests received in [since, until]; every request is listed.
    ``verified``: the days the live shares were first verified (None: not read)."""
    lines = _lines(specs, history, verified or {})
    window = [r for r in lines if since <= r.received <= until]
    by_provider: dict[str, list[RequestLine]] = {}
    for line in window:
        by_provider.setdefault(line.provider, []).append(line)
    providers = [_rate(p, ls, until) for p, ls in sorted(by_provider.items())]
    providers.sort(key=lambda r: (r.rate if r.rate is not None else 2.0, r.provider))
    catalogue = sum(1 for s in specs for r in s.data_requests if r.dataset is not None)
    return SharingView(
        since,
        until,
        history.commits,
        lines,
        providers,
        _rate("", window, until),
        verified is not None,
        catalogue,
    )


def verified_shares(
    tenants: Mapping[str, Mapping[str, object]],
) -> dict[tuple[str, str, str], dt.date]:
    """The verified days recorded on live Tenant objects (``status.shares``:
    ``<requester>/<dataset>`` -> day), keyed (requester, provider, dataset)."""
    out: dict[tuple[str, str, str], dt.date] = {}
    for provider, obj in tenants.items():
        status = obj.get("status")
        shares = status.get("shares") if isinstance(status, Mapping) else None
        for key, day in (shares or {}).items() if isinstance(shares, Mapping) else ():
            requester, _, dataset = str(key).partition("/")
            try:
                out[requester, provider, dataset] = dt.date.fromisoformat(str(day))
            except ValueError:  # a value someone else wrote: not a verification
                continue
    return out
