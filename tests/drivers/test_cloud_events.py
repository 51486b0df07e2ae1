"""Reading the cloud's change events: the feed reader against the local endpoint's own feed
(served here by a plain WSGI server), its errors, and the handles an event mentions."""

from __future__ import annotations

import socket
import threading
import wsgiref.simple_server
from collections.abc import Iterator
from typing import Any

import pytest

from infra.drivers.cloud.events import (
    CloudEvent,
    EndpointEvents,
    mentioned_handles,
    mentioned_ids,
)
from infra.errors import PermanentError, TransientError
from infra.localcloud.cloudevents import Call, EventFeed, EventLog


class _Quiet(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return None


def _not_found(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    start_response("404 Not Found", [("Content-Type", "text/plain")])
    return [b"no such path"]


@pytest.fixture()
def served() -> Iterator[tuple[str, EventLog]]:
    log = EventLog()
    server = wsgiref.simple_server.make_server(
        "127.0.0.1", 0, EventFeed(_not_found, log), handler_class=_Quiet
    )
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}", log
    finally:
        server.shutdown()
        server.server_close()


def test_the_reader_starts_from_now_and_reads_each_event_once(served: tuple[str, EventLog]) -> None:
    url, log = served
    log.append(
        Call("s3", "cn-northwest-1", "PutBucketVersioning", {"bucketName": "before-we-started"}), {}
    )
    feed = EndpointEvents(url)
    start = feed.read(None)
    assert start.events == () and not start.reset
    log.append(
        Call(
            "s3",
            "cn-northwest-1",
            "DeleteBucketPublicAccessBlock",
            {"bucketName": "govcloud-local-gz-wjw", "publicAccessBlock": ""},
        ),
        {},
    )
    page = feed.read(start.cursor, wait=1)
    (event,) = page.events
    assert (event.source, event.name, event.region) == (
        "s3.amazonaws.com",
        "DeleteBucketPublicAccessBlock",
        "cn-northwest-1",
    )
    assert event.parameters["bucketName"] == "govcloud-local-gz-wjw"
    assert event.id and event.time.endswith("Z")
    assert feed.read(page.cursor).events == ()


def test_a_restarted_feed_says_events_may_be_lost(served: tuple[str, EventLog]) -> None:
    url, log = served
    other_run = f"{EventLog().run}.0"
    page = EndpointEvents(url).read(other_run)
    assert page.reset and page.cursor == f"{log.run}.0"


def test_an_endpoint_without_a_feed_is_a_permanent_error(served: tuple[str, EventLog]) -> None:
    url, _ = served
    with pytest.raises(PermanentError) as caught:
        EndpointEvents(f"{url}/elsewhere").read(None)
    assert caught.value.code == "NoEventFeed"


def test_an_endpoint_that_does_not_answer_is_a_transient_error() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens once the socket is closed
    with pytest.raises(TransientError) as caught:
        EndpointEvents(f"http://127.0.0.1:{port}").read(None)
    assert caught.value.code == "Unreachable"
    assert "cannot reach the event feed" in str(caught.value)


def test_only_http_endpoints_are_read() -> None:
    with pytest.raises(PermanentError) as caught:
        EndpointEvents("file:///etc")
    assert caught.value.code == "BadEndpoint"


def test_a_refused_cursor_is_a_permanent_error_naming_the_answer(
    served: tuple[str, EventLog],
) -> None:
    url, _ = served
    with pytest.raises(PermanentError, match="not a cursor") as caught:
        EndpointEvents(url).read("garbage")
    assert caught.value.code == "FeedRefused"


def _event(**parameters: Any) -> CloudEvent:
    return CloudEvent(id="e", time="t", source="kms.amazonaws.com", name="X", parameters=parameters)


@pytest.mark.parametrize(
    ("parameters", "handles"),
    [
        ({"bucketName": "govcloud-local-gz-wjw", "versioning": ""}, {"govcloud-local-gz-wjw"}),
        (
            {
                "keyId": "arn:aws-cn:kms:cn-northwest-1:123456789012:key/1234abcd-12ab-34cd-56ef-"
                "1234567890ab"
            },
            {"1234abcd-12ab-34cd-56ef-1234567890ab"},
        ),
        (
            {"keyId": "arn:aws-cn:kms:cn-northwest-1:123456789012:alias/govcloud/local/gz-wjw"},
            {"alias/govcloud/local/gz-wjw"},
        ),
        (
            {"policyArn": "arn:aws-cn:iam::123456789012:policy/govcloud-local-gz-wjw-boundary"},
            {"govcloud-local-gz-wjw-boundary"},
        ),
        (
            {"resource": "arn:aws-cn:s3:::govcloud-local-gz-wjw/reports/a.csv"},
            {"govcloud-local-gz-wjw"},
        ),
        (
            {"granteePrincipal": "arn:aws-cn:iam::123456789012:role/ops/govcloud-local-gz-wjw"},
            {"govcloud-local-gz-wjw"},
        ),
        (
            {"resourcesSet": {"items": [{"resourceId": "sg-0123456789abcdef0"}]}},
            {"sg-0123456789abcdef0"},
        ),
    ],
)
def test_an_event_mentions_the_handles_in_its_values_and_arns(
    parameters: dict[str, Any], handles: set[str]
) -> None:
    assert handles <= mentioned_handles(_event(**parameters))


def test_long_documents_are_not_taken_for_handles() -> None:
    policy = '{"Statement": [' + ", ".join(['{"Resource": "arn:aws-cn:s3:::x"}'] * 40) + "]}"
    assert mentioned_handles(_event(policyDocument=policy, roleName="r")) == {"r"}


def test_ids_are_told_apart_from_names() -> None:
    event = _event(
        groupId="sg-0123456789abcdef0",
        vpcId="vpc-0123456789abcdef0",
        keyId="1234abcd-12ab-34cd-56ef-1234567890ab",
        roleName="govcloud-local-x",
        subnetId="subnet-0a1b2c3d",
        mrk="mrk-0123456789abcdef0123456789abcdef",
    )
    assert mentioned_ids(event) == {
        "sg-0123456789abcdef0",
        "subnet-0a1b2c3d",
        "1234abcd-12ab-34cd-56ef-1234567890ab",
        "mrk-0123456789abcdef0123456789abcdef",
    }
