"""The metrics-query client against a small Prometheus-API server of the test's own: values,
and errors a user reads."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
import urllib.parse
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, ClassVar

import pytest

from infra.drivers.metrics import MetricsClient
from infra.errors import PermanentError, UnreachableError

AT = dt.datetime(2026, 12, 7, 18, tzinfo=dt.UTC)


class _Api(BaseHTTPRequestHandler):
    asked: ClassVar[list[dict[str, list[str]]]] = []

    def do_GET(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        params = urllib.parse.parse_qs(url.query)
        _Api.asked.append(params)
        query = params["query"][0]
        body: dict[str, Any]
        if query == "bad(":
            code, body = 400, {"status": "error", "error": "unparsable query: bad("}
        elif url.path == "/api/v1/query":
            code, body = (
                200,
                {
                    "status": "success",
                    "data": {
                        "resultType": "vector",
                        "result": [{"metric": {"tenant": "gd-jyt"}, "value": [1.0, "2.5"]}],
                    },
                },
            )
        else:
            code, body = (
                200,
                {
                    "status": "success",
                    "data": {
                        "resultType": "matrix",
                        "result": [{"metric": {}, "values": [[1.0, "1"], [61.0, "NaN"]]}],
                    },
                },
            )
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def store() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Api)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_an_instant_query_at_an_instant(store: str) -> None:
    samples = MetricsClient(store).query("up", AT)
    assert [(s.labels, s.value) for s in samples] == [({"tenant": "gd-jyt"}, 2.5)]
    assert _Api.asked[-1]["time"] == [f"{AT.timestamp():.3f}"]


def test_a_range_query(store: str) -> None:
    series = MetricsClient(store + "/").query_range("up", AT, AT, dt.timedelta(minutes=1))
    assert series[0].points[0] == (1.0, 1.0) and series[0].points[1][1] != series[0].points[1][1]
    assert _Api.asked[-1]["step"] == ["60s"]


def test_a_bad_query_says_what_the_store_said(store: str) -> None:
    with pytest.raises(PermanentError, match="unparsable query: bad"):
        MetricsClient(store).query("bad(", AT)


def test_nothing_listening_is_unreachable_naming_the_store() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(UnreachableError) as caught:
        MetricsClient(f"http://127.0.0.1:{port}").query("up", AT)
    assert caught.value.service == "metrics store"
    assert caught.value.cause == "connection refused (nothing listens there)"
