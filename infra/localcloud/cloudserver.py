"""The cloud endpoint process: moto's server in this process, its resources kept in a file.

    python -m infra.localcloud.cloudserver --port PORT --state FILE

At start the backends are restored from FILE (if it exists). After writes (batched for half a
second) and on SIGTERM/SIGINT they are pickled back, atomically, mode 0600. Requests are served
one at a time: moto is not built for concurrent writers, and a snapshot needs a quiet moment.
Each successful write is also recorded in the change-event feed served at /_govcloud/events
(an emulation of the provider's management events: :mod:`infra.localcloud.cloudevents`).
"""

from __future__ import annotations

import argparse
import importlib
import io
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from .cloudevents import READ_ACTION, EventFeed, EventLog
from .cloudstate import UnreadableState, load_state, snapshot
from .hardening import write_private

__all__ = ["main"]

_BATCH_SECONDS = 0.5
_FORM = "application/x-www-form-urlencoded"
_PEEK_LIMIT = 1 << 20

StartResponse = Callable[..., Any]
App = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def _action(environ: dict[str, Any]) -> str | None:
    """The API action of a JSON (X-Amz-Target) or query (Action=) request, if it names one."""
    target = environ.get("HTTP_X_AMZ_TARGET")
    if target:
        return str(target).rsplit(".", 1)[-1]
    if not str(environ.get("CONTENT_TYPE", "")).startswith(_FORM):
        return None
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if not 0 < length <= _PEEK_LIMIT:
        return None
    body = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    found = re.search(rb"(?:^|&)Action=([A-Za-z0-9]+)", body)
    return found.group(1).decode() if found else None


def is_write(environ: dict[str, Any]) -> bool:
    """Whether a request may change state (reads are GET/HEAD or a Describe/List/Get action)."""
    if environ.get("REQUEST_METHOD") in ("GET", "HEAD", "OPTIONS"):
        return False
    action = _action(environ)
    return action is None or not READ_ACTION.match(action)


class Persisted:
    """Wraps moto's WSGI app: one request at a time, a save soon after each write."""

    def __init__(self, app: App, path: Path) -> None:
        self.app = app
        self.path = path
        self.lock = threading.Lock()
        self.dirty = threading.Event()
        self.stopping = threading.Event()

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        write = is_write(environ)
        with self.lock:
            result = self.app(environ, start_response)
            try:
                body = b"".join(result)
            finally:
                close = getattr(result, "close", None)
                if close is not None:
                    close()
        if write:
            self.dirty.set()
        return [body]

    def save(self) -> float:
        """Snapshot (requests wait meanwhile) and write; return the seconds requests waited."""
        with self.lock:
            started = time.monotonic()
            self.dirty.clear()
            data = snapshot()
            held = time.monotonic() - started
        write_private(self.path, data)
        return held

    def saver(self) -> None:
        busy = 0.0
        while not self.stopping.is_set():
            if self.dirty.wait(timeout=1.0) and not self.stopping.is_set():
                # Let a burst of writes finish first; with a large state, save less often so
                # that saving (the snapshot, which holds requests up, then writing the file)
                # takes at most a fifth of the time: 1,000 stacks' checkpoints are 190 MB.
                time.sleep(max(_BATCH_SECONDS, 4 * busy))
                started = time.monotonic()
                self.save()
                busy = time.monotonic() - started

    def stop(self) -> None:
        """Stop the saver (waking it) and save one last time."""
        self.stopping.set()
        self.dirty.set()


def _moto_app() -> tuple[App, type[Any]]:
    # Imported by name: moto's type hints pull in every service, which mypy need not read.
    werkzeug_app = importlib.import_module("moto.moto_server.werkzeug_app")
    app = werkzeug_app.DomainDispatcherApplication(werkzeug_app.create_backend_app)
    return app, werkzeug_app.MotoRequestHandler


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.localcloud.cloudserver")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--state", type=Path, required=True, help="file the resources live in")
    args = parser.parse_args(argv)

    try:
        restored = load_state(args.state)
    except UnreadableState as exc:
        print(
            f"cloud: cannot restore {args.state}: {exc}. Move the file away to start with an "
            "empty cloud (its resources are then lost).",
            file=sys.stderr,
            flush=True,
        )
        return 3
    print(f"cloud: restored {restored} services from {args.state}", file=sys.stderr, flush=True)

    from werkzeug.serving import make_server

    app, handler = _moto_app()
    persisted = Persisted(app, args.state)
    # Outermost: the change-event feed (an emulation of the provider's; see cloudevents.py)
    # records successful writes and serves its reads without waiting on moto's lock.
    server = make_server(
        args.host,
        args.port,
        EventFeed(persisted, EventLog()),
        threaded=True,
        request_handler=handler,
    )
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="serve", daemon=True
    ).start()
    saver = threading.Thread(target=persisted.saver, name="save", daemon=True)
    saver.start()
    while not stop.wait(timeout=1.0):
        pass
    server.shutdown()
    persisted.stop()
    saver.join(timeout=5.0)
    persisted.save()
    print(f"cloud: saved to {args.state}", file=sys.stderr, flush=True)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stdout.flush()
    sys.stderr.flush()
    # Skip tearing down thousands of moto objects: the state is saved and synced already.
    os._exit(code)
