"""Follow the cloud's change events: check a tenant's cloud side the moment it is touched.

The cloud endpoint has no watch; its management-event feed is the next best thing
(:mod:`infra.drivers.cloud.events`). Each event is mapped to the tenants whose resources it
names and their cloud checks are queued at once; the check itself re-reads everything
(level-triggered), so an event only says *when* to look, never *what* to believe.

An event names a resource by handle — a bucket, role, security-group or subnet name, a key
alias: the deterministic names of :mod:`infra.plan.names` — or by id (a key, security-group
or subnet id), looked up in the source's identifiers, read when the follower starts and
again when an event names an id not known yet, at most every ``refresh_every`` seconds; an
event still unplaced after that is left to the poll. The poll (``--cloud-interval``) stays
the backstop for whatever the feed misses; a feed that says events may have been lost
(``reset``) queues every tenant's check.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence

from infra.drivers.cloud.events import (
    MAX_WAIT,
    CloudEvent,
    EventSource,
    mentioned_handles,
    mentioned_ids,
)
from infra.errors import DriverError, PermanentError
from infra.i18n import _
from infra.plan.names import bucket_name, cloud_name, key_alias

from .context import Context

__all__ = [
    "BACKSTOP_INTERVAL",
    "POLL_INTERVAL",
    "CloudEventFollower",
    "TenantIndex",
    "tenant_handles",
]

_log = logging.getLogger("govcloud.reconcile")
# Seconds between two reads of a tenant's cloud side: while change events are followed the
# poll is a backstop (bench/bench_cloud_events.py: at 1,000 tenants a pass takes longer than
# 30 s, so a 30 s poll would keep the endpoint busy all the time); without them, the poll is
# the only check.
BACKSTOP_INTERVAL = 300.0
POLL_INTERVAL = 30.0


def tenant_handles(env: str, tenant: str) -> tuple[str, ...]:
    """The names a tenant's cloud resources have (``infra.plan.cloud`` uses these): bucket,
    key alias, role / subnet / security group, permissions boundary."""
    return (
        bucket_name(env, tenant),
        key_alias(env, tenant),
        cloud_name(env, tenant),
        cloud_name(env, tenant, "boundary"),
    )


class TenantIndex:
    """Which tenant a cloud resource belongs to, by name or by id."""

    def __init__(self, env: str) -> None:
        self.env = env
        self._tenants: frozenset[str] = frozenset()
        self._names: dict[str, str] = {}
        self._ids: dict[str, str] = {}

    def set_tenants(self, tenants: Iterable[str]) -> None:
        wanted = frozenset(tenants)
        if wanted != self._tenants:
            self._tenants = wanted
            self._names = {h: t for t in sorted(wanted) for h in tenant_handles(self.env, t)}

    def learn(self, ids: Mapping[str, str]) -> None:
        """Replace the id -> name table (ids of deleted resources go with it)."""
        self._ids = dict(ids)

    def tenants_of(self, event: CloudEvent) -> set[str]:
        found = set()
        for handle in mentioned_handles(event):
            tenant = self._names.get(self._ids.get(handle, handle))
            if tenant is not None:
                found.add(tenant)
        return found

    def unknown_ids(self, event: CloudEvent) -> frozenset[str]:
        return frozenset(i for i in mentioned_ids(event) if i not in self._ids)


class CloudEventFollower:
    """Reads the feed after a cursor, for as long as ``stop`` is not set.

    ``queue(tenant)`` queues one tenant's cloud check and says whether it did (the caller
    knows shards and leadership); ``queue_all()`` queues every tenant's; ``count(outcome)``
    counts events by outcome (placed: naming a tenant's resource; unrelated; unplaced: an
    id still unknown after a refresh; lost: the feed reset)."""

    def __init__(
        self,
        ctx: Context,
        source: EventSource,
        *,
        queue: Callable[[str], bool],
        queue_all: Callable[[], None],
        count: Callable[[str], None] = lambda _: None,
        wait: float = MAX_WAIT,
        refresh_every: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ctx, self.source = ctx, source
        self.queue, self.queue_all, self.count = queue, queue_all, count
        self.wait, self.refresh_every, self.clock = wait, refresh_every, clock
        self.index = TenantIndex(ctx.env.name)
        self._tenants_version = -1
        # Events naming ids not known yet, with the tenants already queued for them.
        self._pending: list[tuple[CloudEvent, frozenset[str]]] = []
        self._next_refresh = 0.0

    # -- the loop ------------------------------------------------------------------------
    def run(self, stop: threading.Event) -> None:
        cursor: str | None = None
        failures = 0
        self._refresh()  # the ids of what exists now: their events need no read of the table
        while not stop.is_set():
            try:
                page = self.source.read(cursor, wait=0.0 if cursor is None else self._wait())
            # Why: no feed at this endpoint (a provider without one, a refused read): the
            # poll alone keeps checking the cloud, as before events existed.
            except PermanentError as exc:
                _log.error(
                    json.dumps(
                        {
                            "msg": _(
                                "no cloud change events: the cloud side is "
                                "checked on the poll alone"
                            ),
                            "error": str(exc),
                            "code": exc.code,
                        },
                        ensure_ascii=False,
                    )
                )
                return
            # Why: the endpoint restarting or busy; read again after a pause. Whatever
            # happened meanwhile is still in the feed (or the feed says it may be lost).
            except DriverError as exc:
                failures += 1
                delay = min(30.0, 0.5 * 2 ** min(failures, 6))
                _log.warning(
                    json.dumps(
                        {
                            "msg": _("cannot read the cloud change events"),
                            "error": str(exc),
                            "retry_in": delay,
                        },
                        ensure_ascii=False,
                    )
                )
                stop.wait(delay)
                continue
            failures = 0
            if page.reset and cursor is not None:
                self.count("lost")
                _log.warning(
                    json.dumps(
                        {
                            "msg": _(
                                "cloud change events may have been lost: "
                                "every tenant's cloud side is checked"
                            )
                        },
                        ensure_ascii=False,
                    )
                )
                self.queue_all()
            cursor = page.cursor
            self.handle(page.events)

    def _wait(self) -> float:
        if not self._pending:
            return self.wait
        return max(0.05, min(self.wait, self._next_refresh - self.clock()))

    # -- one page ------------------------------------------------------------------------
    def handle(self, events: Sequence[CloudEvent]) -> list[str]:
        """Queue the checks the events call for; returns the tenants queued."""
        self._sync_tenants()
        queued: list[str] = []
        for event in events:
            tenants = self.index.tenants_of(event)
            queued += self._queue(event, tenants)
            if self.index.unknown_ids(event):
                self._pending.append((event, frozenset(tenants)))  # placed again after a refresh
            elif not tenants:
                self.count("unrelated")
        if self._pending and self.clock() >= self._next_refresh:
            self._refresh()
            waiting, self._pending = self._pending, []
            for event, before in waiting:
                tenants = self.index.tenants_of(event)
                queued += self._queue(event, tenants - before)
                if not tenants:
                    self.count("unplaced" if self.index.unknown_ids(event) else "unrelated")
        return queued

    def _queue(self, event: CloudEvent, tenants: Collection[str]) -> list[str]:
        queued = [t for t in sorted(tenants) if self.queue(t)]
        if queued or tenants:
            self.count("placed")
        for tenant in queued:
            _log.info(
                json.dumps(
                    {
                        "tenant": tenant,
                        "msg": _("cloud change event: the cloud side is checked now"),
                        "cloud_event": event.name,
                        "event_id": event.id,
                        "event_time": event.time,
                    },
                    ensure_ascii=False,
                )
            )
        return queued

    def _sync_tenants(self) -> None:
        tenants = self.ctx.caches["Tenant"]
        if tenants.content_version != self._tenants_version:  # names: not status writes
            self._tenants_version = tenants.content_version
            self.index.set_tenants(
                str((o.get("metadata") or {}).get("name")) for o in tenants.all()
            )

    def _refresh(self) -> None:
        self._next_refresh = self.clock() + self.refresh_every
        try:
            self.index.learn(self.source.identifiers())
        # Why: without the id table, events naming ids wait for the poll; those naming
        # resources by name are still placed.
        except DriverError as exc:
            _log.warning(
                json.dumps(
                    {"msg": _("cannot read the cloud's resource ids"), "error": str(exc)},
                    ensure_ascii=False,
                )
            )
