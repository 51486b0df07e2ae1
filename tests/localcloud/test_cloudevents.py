"""The local endpoint's change-event feed (an emulation of the provider's management events):
which calls it records and how, that it keeps secrets out, and how a cursor reads it."""

from __future__ import annotations

import io
import json
import threading
import time
from typing import Any

import pytest

from infra.localcloud.cloudevents import HIDDEN, Call, EventFeed, EventLog, describe

FORM = "application/x-www-form-urlencoded; charset=utf-8"
SIGNATURE = "0f9e8d7c6b5a49382716059483726150f9e8d7c6b5a4938271605948372615a"


def _auth(service: str, region: str = "cn-northwest-1") -> str:
    return (
        f"AWS4-HMAC-SHA256 Credential=AKIAEXAMPLE/20261207/{region}/{service}/aws4_request, "
        f"SignedHeaders=host;x-amz-date, Signature={SIGNATURE}"
    )


def _environ(
    method: str,
    path: str = "/",
    body: bytes = b"",
    *,
    service: str | None = "s3",
    query: str = "",
    **extra: str,
) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": method,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "wsgi.input": io.BytesIO(body),
        "CONTENT_LENGTH": str(len(body)),
        "REMOTE_ADDR": "127.0.0.1",
    }
    if service is not None:
        environ["HTTP_AUTHORIZATION"] = _auth(service)
    environ.update(extra)
    return environ


def _kms(action: str, params: dict[str, Any]) -> tuple[dict[str, Any], bytes]:
    body = json.dumps(params).encode()
    return _environ(
        "POST",
        "/",
        body,
        service="kms",
        HTTP_X_AMZ_TARGET=f"TrentService.{action}",
        CONTENT_TYPE="application/x-amz-json-1.1",
    ), body


def _query(service: str, body: str) -> tuple[dict[str, Any], bytes]:
    return _environ("POST", "/", body.encode(), service=service, CONTENT_TYPE=FORM), body.encode()


BUCKET = "govcloud-local-gz-wjw"


@pytest.mark.parametrize(
    ("environ", "body", "expected"),
    [
        (
            _environ("DELETE", f"/{BUCKET}", query="publicAccessBlock"),
            b"",
            (
                "s3",
                "DeleteBucketPublicAccessBlock",
                {"bucketName": BUCKET, "publicAccessBlock": ""},
            ),
        ),
        (
            _environ("PUT", f"/{BUCKET}", query="versioning"),
            b"",
            ("s3", "PutBucketVersioning", {"bucketName": BUCKET, "versioning": ""}),
        ),
        (
            _environ("PUT", f"/{BUCKET}", query="lifecycle"),
            b"",
            ("s3", "PutBucketLifecycle", {"bucketName": BUCKET, "lifecycle": ""}),
        ),
        (
            _environ("DELETE", f"/{BUCKET}", query="policy"),
            b"",
            ("s3", "DeleteBucketPolicy", {"bucketName": BUCKET, "policy": ""}),
        ),
        (_environ("PUT", f"/{BUCKET}"), b"", ("s3", "CreateBucket", {"bucketName": BUCKET})),
        (_environ("DELETE", f"/{BUCKET}/"), b"", ("s3", "DeleteBucket", {"bucketName": BUCKET})),
        (
            *_kms("DisableKey", {"KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab"}),
            ("kms", "DisableKey", {"keyId": "1234abcd-12ab-34cd-56ef-1234567890ab"}),
        ),
        (
            *_kms("UpdateAlias", {"AliasName": "alias/govcloud/local/gz-wjw", "TargetKeyId": "k"}),
            (
                "kms",
                "UpdateAlias",
                {"aliasName": "alias/govcloud/local/gz-wjw", "targetKeyId": "k"},
            ),
        ),
        (
            *_query(
                "iam",
                f"Action=DeleteRolePolicy&Version=2010-05-08&RoleName={BUCKET}"
                "&PolicyName=govcloud-use",
            ),
            ("iam", "DeleteRolePolicy", {"roleName": BUCKET, "policyName": "govcloud-use"}),
        ),
        (
            *_query(
                "ec2",
                "Action=AuthorizeSecurityGroupIngress&Version=2016-11-15&GroupId=sg-0a1b2c3d"
                "&IpPermissions.1.IpProtocol=tcp&IpPermissions.1.IpRanges.1.CidrIp=0.0.0.0%2F0",
            ),
            (
                "ec2",
                "AuthorizeSecurityGroupIngress",
                {
                    "groupId": "sg-0a1b2c3d",
                    "ipPermissions.1.ipProtocol": "tcp",
                    "ipPermissions.1.ipRanges.1.cidrIp": "0.0.0.0/0",
                },
            ),
        ),
    ],
    ids=lambda v: v[1] if isinstance(v, tuple) and len(v) == 3 else "",
)
def test_mutating_calls_are_described_as_cloudtrail_names_them(
    environ: dict[str, Any], body: bytes, expected: tuple[str, str, dict[str, Any]]
) -> None:
    call = describe(environ, body)
    assert call is not None
    assert (call.service, call.name, call.parameters) == expected
    assert call.region == "cn-northwest-1"


@pytest.mark.parametrize(
    ("environ", "body"),
    [
        (_environ("GET", f"/{BUCKET}", query="versioning"), b""),  # a read
        (_environ("HEAD", f"/{BUCKET}"), b""),
        (_environ("PUT", f"/{BUCKET}/reports/2026.csv"), b""),  # object level: a data event
        (_environ("POST", f"/{BUCKET}", query="delete"), b""),  # DeleteObjects: a data event
        _kms("DescribeKey", {"KeyId": "k"}),
        _kms("Encrypt", {"KeyId": "k", "Plaintext": "c2VjcmV0"}),  # uses a key, changes nothing
        _kms("GenerateDataKey", {"KeyId": "k"}),
        _query("ec2", "Action=DescribeSecurityGroups&Version=2016-11-15"),
        _query("iam", "Action=GetRole&RoleName=r"),
        _query("sts", "Action=AssumeRole&RoleArn=arn%3Aaws-cn%3Aiam%3A%3A1%3Arole%2Fr"),
        (_environ("PUT", f"/{BUCKET}", query="versioning", service=None), b""),  # unsigned
    ],
    ids=lambda v: (
        str(v.get("PATH_INFO", "")) + str(v.get("HTTP_X_AMZ_TARGET", ""))
        if isinstance(v, dict)
        else ""
    ),
)
def test_reads_data_events_and_other_services_are_not_recorded(
    environ: dict[str, Any], body: bytes
) -> None:
    assert describe(environ, body) is None


def test_a_presigned_request_is_placed_by_its_query_credential() -> None:
    environ = _environ(
        "PUT",
        f"/{BUCKET}",
        service=None,
        query=(
            "tagging&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20261207%2F"
            f"cn-northwest-1%2Fs3%2Faws4_request&X-Amz-Signature={SIGNATURE}"
        ),
    )
    call = describe(environ, b"")
    assert call is not None and call.name == "PutBucketTagging"
    assert SIGNATURE not in json.dumps(call.parameters)
    assert not any(k.lower().startswith("x-amz") for k in call.parameters)


def test_secret_parameters_are_hidden_and_the_signature_never_recorded() -> None:
    log = EventLog()
    feed = EventFeed(_ok, log)
    environ, _ = _query("iam", "Action=CreateLoginProfile&UserName=wang&Password=S3cr3t%21x")
    feed(environ, _start)
    environ, _ = _query("ec2", "Action=RunInstances&ImageId=ami-1&UserData=REJfUEFTUz1odW50ZXIy")
    feed(environ, _start)
    environ, _ = _kms(
        "ImportKeyMaterial", {"KeyId": "k", "EncryptedKeyMaterial": "QUJD", "ImportToken": "REVG"}
    )
    feed(environ, _start)
    page = log.after(f"{log.run}.0")
    recorded = json.dumps(page, ensure_ascii=False)
    for secret in ("S3cr3t", "REJfUEFTUz1odW50ZXIy", "QUJD", "REVG", SIGNATURE, "AKIAEXAMPLE"):
        assert secret not in recorded
    params = [e["requestParameters"] for e in page["events"]]
    assert params[0] == {"userName": "wang", "password": HIDDEN}
    assert params[1]["userData"] == HIDDEN and params[1]["imageId"] == "ami-1"
    assert params[2] == {"keyId": "k", "encryptedKeyMaterial": HIDDEN, "importToken": HIDDEN}


def _ok(environ: dict[str, Any], start_response: Any) -> list[bytes]:
    environ["wsgi.input"].read()
    start_response("200 OK", [("Content-Type", "text/xml")])
    return [b"<ok/>"]


def _start(status: str, headers: list[tuple[str, str]], *exc_info: Any) -> None:
    return None


def test_only_successful_calls_are_recorded_and_the_body_reaches_the_server() -> None:
    seen: list[bytes] = []

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.append(environ["wsgi.input"].read())
        failed = b"nope" in seen[-1]
        start_response("404 Not Found" if failed else "200 OK", [])
        return [b"x"]

    log = EventLog()
    feed = EventFeed(app, log)
    good, good_body = _query("iam", "Action=DeleteRole&RoleName=govcloud-local-gz-wjw")
    bad, bad_body = _query("iam", "Action=DeleteRole&RoleName=nope")
    assert feed(good, _start) == [b"x"]
    assert feed(bad, _start) == [b"x"]
    assert seen == [good_body, bad_body]
    events = log.after(f"{log.run}.0")["events"]
    assert [(e["eventName"], e["requestParameters"]["roleName"]) for e in events] == [
        ("DeleteRole", "govcloud-local-gz-wjw")
    ]
    assert events[0]["eventSource"] == "iam.amazonaws.com"
    assert events[0]["awsRegion"] == "cn-northwest-1"
    assert events[0]["managementEvent"] is True and events[0]["readOnly"] is False
    assert len(events[0]["eventID"]) == 36 and events[0]["eventTime"].endswith("Z")


def _record(log: EventLog, name: str) -> None:
    log.append(Call("iam", "cn-northwest-1", name, {"roleName": name}), {})


def test_a_cursor_reads_on_from_where_it_was_and_none_means_from_now() -> None:
    log = EventLog()
    _record(log, "old")
    start = log.after(None)
    assert start["events"] == [] and start["reset"] is False
    _record(log, "a")
    _record(log, "b")
    _record(log, "c")
    first = log.after(start["cursor"], limit=2)
    assert [e["eventName"] for e in first["events"]] == ["a", "b"]
    rest = log.after(first["cursor"])
    assert [e["eventName"] for e in rest["events"]] == ["c"]
    assert log.after(rest["cursor"]) == {"events": [], "cursor": rest["cursor"], "reset": False}


def test_a_read_waits_for_the_next_event_and_returns_as_soon_as_it_comes() -> None:
    log = EventLog()
    cursor = log.after(None)["cursor"]
    threading.Timer(0.3, _record, args=(log, "late")).start()
    started = time.monotonic()
    page = log.after(cursor, wait=5)
    assert [e["eventName"] for e in page["events"]] == ["late"]
    assert 0.2 < time.monotonic() - started < 2


def test_a_cursor_of_another_run_or_older_than_the_feed_keeps_says_reset() -> None:
    log = EventLog(capacity=2)
    cursor = log.after(None)["cursor"]
    for name in ("a", "b", "c"):
        _record(log, name)  # "a" no longer kept
    lost = log.after(cursor)
    assert lost["reset"] is True and lost["events"] == []
    assert [e["eventName"] for e in log.after(lost["cursor"].replace(".3", ".1"))["events"]] == [
        "b",
        "c",
    ]
    restarted = EventLog()
    assert restarted.after(cursor)["reset"] is True
    with pytest.raises(ValueError, match="not a cursor"):
        log.after("../../etc/passwd")


def _serve(feed: EventFeed, query: str, **extra: str) -> tuple[str, dict[str, Any]]:
    statuses: list[str] = []
    environ = _environ("GET", "/_govcloud/events", b"", service=None, query=query, **extra)
    body = feed(environ, lambda status, headers, *_: statuses.append(status))
    return statuses[0], json.loads(b"".join(body))


def test_the_feed_is_served_on_loopback_only_and_refuses_a_bad_cursor() -> None:
    log = EventLog()
    feed = EventFeed(_ok, log)
    status, page = _serve(feed, "")
    assert status == "200 OK" and page["cursor"] == f"{log.run}.0"
    assert _serve(feed, "", REMOTE_ADDR="10.1.2.3")[0] == "403 Forbidden"
    assert _serve(feed, "", REQUEST_METHOD="POST")[0] == "405 Method Not Allowed"
    assert _serve(feed, "after=nonsense")[0] == "400 Bad Request"
    assert _serve(feed, "after=x&wait=soon")[0] == "400 Bad Request"
