"""Leader election on a coordination.k8s.io Lease, with compare-and-swap updates.

Each candidate tries every ``retry`` seconds: it takes the Lease when it is free or its
holder stopped renewing for ``duration`` seconds, and renews it while it holds it. Writes
carry the Lease's resourceVersion, so of two candidates only one can win a round. A
leader that cannot renew before its lease runs out stops acting.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from collections.abc import Callable

from infra.drivers.table import KubeDriver
from infra.errors import DriverError

__all__ = ["LeaderElector"]

_log = logging.getLogger("govcloud.reconcile")


def _micro(now: dt.datetime) -> str:
    return now.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _parse(text: str | None) -> dt.datetime | None:
    if not text:
        return None
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


class LeaderElector:
    def __init__(
        self,
        kube: KubeDriver,
        *,
        name: str,
        namespace: str,
        identity: str,
        duration: float = 10.0,
        retry: float = 2.0,
        clock: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC),
        on_change: Callable[[bool], None] = lambda _: None,
    ) -> None:
        self._kube, self.name, self.namespace = kube, name, namespace
        self.identity, self.duration, self.retry = identity, duration, retry
        self._clock, self._on_change = clock, on_change
        self._leading = threading.Event()
        self._renewed: dt.datetime | None = None
        self._stop = threading.Event()

    @property
    def leading(self) -> bool:
        if not self._leading.is_set() or self._renewed is None:
            return False
        return (self._clock() - self._renewed).total_seconds() < self.duration

    def try_once(self) -> bool:
        """One round: acquire or renew. True if this candidate holds the lease after it."""
        now = self._clock()
        lease = self._kube.get("coordination.k8s.io/v1", "Lease", self.name, self.namespace)
        spec_new = {
            "holderIdentity": self.identity,
            "leaseDurationSeconds": int(self.duration),
            "renewTime": _micro(now),
        }
        if lease is None:
            self._kube.create(
                {
                    "apiVersion": "coordination.k8s.io/v1",
                    "kind": "Lease",
                    "metadata": {"name": self.name, "namespace": self.namespace},
                    "spec": {**spec_new, "acquireTime": _micro(now), "leaseTransitions": 0},
                }
            )
            return self._won(now)
        spec = dict(lease.get("spec") or {})
        holder = spec.get("holderIdentity")
        renewed = _parse(spec.get("renewTime")) or dt.datetime.min.replace(tzinfo=dt.UTC)
        expired = (now - renewed).total_seconds() > float(
            spec.get("leaseDurationSeconds") or self.duration
        )
        if holder not in (None, "", self.identity) and not expired:
            self._lost()
            return False
        if holder != self.identity:
            spec_new["acquireTime"] = _micro(now)
            spec_new["leaseTransitions"] = int(spec.get("leaseTransitions") or 0) + 1
        lease["spec"] = {**spec, **spec_new}
        lease["metadata"] = {k: v for k, v in lease["metadata"].items() if k != "managedFields"}
        self._kube.replace(lease)  # carries resourceVersion: a concurrent win → Conflict
        return self._won(now)

    def _won(self, now: dt.datetime) -> bool:
        self._renewed = now
        if not self._leading.is_set():
            self._leading.set()
            _log.info("leader election: %s now leads %s", self.identity, self.name)
            self._on_change(True)
        return True

    def _lost(self) -> None:
        if self._leading.is_set():
            self._leading.clear()
            _log.warning("leader election: %s lost %s", self.identity, self.name)
            self._on_change(False)

    def run(self) -> None:
        """Keep trying until stopped (a thread's target)."""
        while not self._stop.is_set():
            try:
                self.try_once()
            # Why: a conflict means another candidate won this round; an unreachable API
            # server means we cannot renew. Either way, stop acting once the lease runs out.
            except DriverError as exc:
                _log.info("leader election round failed: %s", exc)
                if not self.leading:
                    self._lost()
            self._stop.wait(self.retry)

    def stop(self) -> None:
        self._stop.set()
