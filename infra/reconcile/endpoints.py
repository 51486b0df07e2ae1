"""Watch the endpoints the reconciler depends on: the cloud endpoint and the API server.

One probe per endpoint every few seconds (a TCP connection), not one check per tenant: a
lost cloud endpoint is learnt once, within seconds of its loss, and every tenant's
CloudGuardrails becomes Unknown (``CloudUnreachable``) in the next pass, which is queued
at once; when the endpoint answers again, every tenant's cloud side is checked afresh. A
lost API server is logged once, and once more when it is back (nothing can be written to
it meanwhile; the caches relist by themselves).
"""

from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass

from infra.drivers.reach import probe as connect

from .context import CloudDown, Context

__all__ = ["Endpoint", "EndpointWatch", "probe"]

_log = logging.getLogger("govcloud.reconcile")
Probe = Callable[[str, str], str | None]  # (url, service) -> why it is unreachable, or None


def probe(url: str, service: str) -> str | None:
    """Why ``url`` cannot be reached ("cannot reach the cloud endpoint at ...: connection
    refused ..."), or None when a connection opens."""
    error = connect(url, service=service)
    return None if error is None else error.detail


@dataclass
class Endpoint:
    name: str  # "cloud", "api-server": the metric label
    service: str  # "cloud endpoint", "API server": the words of a message
    url: str
    lost: str = ""  # why it cannot be reached; "" while it can


class EndpointWatch:
    """Probes each endpoint every ``interval`` seconds and acts on a change only."""

    def __init__(
        self,
        ctx: Context,
        endpoints: list[Endpoint],
        *,
        probe: Probe = probe,
        on_cloud_lost: Callable[[], None],
        on_cloud_back: Callable[[], None],
        on_state: Callable[[str, bool], None] = lambda *_: None,
        interval: float = 2.0,
    ) -> None:
        self.ctx = ctx
        self.endpoints = [e for e in endpoints if e.url]
        self._probe = probe
        self._lost, self._back = on_cloud_lost, on_cloud_back
        self._state = on_state
        self.interval = interval
        for endpoint in self.endpoints:
            on_state(endpoint.name, True)

    def check_once(self) -> None:
        for endpoint in self.endpoints:
            why = self._probe(endpoint.url, endpoint.service) or ""
            if bool(why) == bool(endpoint.lost):  # no change: nothing to do
                endpoint.lost = why
                if not why and endpoint.name == "cloud" and self.ctx.cloud_unreachable():
                    # A check learnt a loss the probe never saw (a blip); it answers now. Not
                    # left until the learnt loss expires: that is the poll's interval, 300 s
                    # while change events are followed.
                    self._cloud("")
                continue
            endpoint.lost = why
            self._state(endpoint.name, not why)
            learnt = endpoint.name == "cloud" and self.ctx.cloud_unreachable()
            if why and not learnt:  # a check that failed to connect may have said it first
                _log.warning(
                    json.dumps({endpoint.name: "unreachable", "error": why}, ensure_ascii=False)
                )
            elif not why:
                _log.info(json.dumps({endpoint.name: "reachable again", "url": endpoint.url}))
            if endpoint.name == "cloud":
                self._cloud(why)

    def _cloud(self, why: str) -> None:
        if why:
            self.ctx.cloud_down = CloudDown(why, math.inf)  # until the probe succeeds
            self._lost()
        else:
            self.ctx.cloud_down = None
            self._back()

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            self.check_once()
            stop.wait(self.interval)
