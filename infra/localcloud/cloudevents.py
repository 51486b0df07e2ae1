"""The local endpoint's management-event feed: an emulation of the provider's change events.

Clouds record every management call (AWS CloudTrail, delivered near real time through
EventBridge; the provincial clouds offer the same operation-audit feed). moto records none
(its CloudTrail ``LookupEvents`` is not implemented, EventBridge emits nothing for API
calls), so the local endpoint does it itself: after each *successful mutating* call to

- S3, bucket level (``PUT``/``DELETE`` on ``/<bucket>`` with or without a sub-resource:
  CreateBucket, PutBucketVersioning, DeleteBucketPublicAccessBlock, PutBucketPolicy, ...;
  object-level calls are data events, not recorded, as CloudTrail's default),
- KMS (JSON protocol; cryptographic operations such as Encrypt are not changes),
- IAM and EC2 (query protocol; Describe/List/Get calls are reads),

one record in CloudTrail's shape (eventID, eventTime, eventSource, eventName, awsRegion,
requestParameters naming the bucket, key, role or security group) is kept in memory and
served, on the same loopback server, at

    GET /_govcloud/events?after=CURSOR&wait=SECONDS

as ``{"events": [...], "cursor": "...", "reset": false}``: the events after the cursor,
oldest first (a read waits up to ``wait`` seconds, at most 20, for the first one). Without
``after`` the answer is the newest cursor and no events. ``reset`` is true when events after
the cursor may be lost: the endpoint restarted (the feed is in memory; the cursor names the
run) or the cursor is older than the events kept.

Nothing secret is recorded: no Authorization header, signature, credential or session token,
no request body of S3 calls, and parameters whose names say secret, password, token,
plaintext, ciphertext, key material, private or user data read
``HIDDEN_DUE_TO_SECURITY_REASONS`` (CloudTrail's own wording).
"""

from __future__ import annotations

import io
import itertools
import json
import re
import threading
import time
import urllib.parse
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from infra.drivers.cloud.events import FEED_PATH, MAX_WAIT

__all__ = ["HIDDEN", "READ_ACTION", "Call", "EventFeed", "EventLog", "describe"]

READ_ACTION = re.compile(r"(Describe|List|Get|Head|Check)[A-Z]")
# KMS calls that use a key without changing anything (CloudTrail marks them readOnly).
_CRYPTO_ACTION = re.compile(r"(Encrypt|Decrypt|ReEncrypt|Generate|Sign|Verify|DeriveShared)")
SERVICES = frozenset({"s3", "kms", "iam", "ec2"})
HIDDEN = "HIDDEN_DUE_TO_SECURITY_REASONS"
_SECRET_NAME = re.compile(
    r"secret|passw|token|plaintext|ciphertext|signature|credential|"
    r"keymaterial|private|authoriz|userdata",
    re.IGNORECASE,
)
_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([a-z0-9-]+)/([a-z0-9-]+)/aws4_request")
_FORM = "application/x-www-form-urlencoded"
_PEEK_LIMIT = 1 << 20
_MAX_VALUE = 2048
_PRESIGN_V2 = frozenset({"AWSAccessKeyId", "Signature", "Expires"})
_CURSOR = re.compile(r"^([0-9a-f]{12})\.(\d{1,18})$")
# S3 sub-resources and the words CloudTrail's event names use for them.
_S3_SUBRESOURCES = {
    "versioning": "BucketVersioning",
    "publicAccessBlock": "BucketPublicAccessBlock",
    "encryption": "BucketEncryption",
    "policy": "BucketPolicy",
    "lifecycle": "BucketLifecycle",
    "acl": "BucketAcl",
    "ownershipControls": "BucketOwnershipControls",
    "replication": "BucketReplication",
    "notification": "BucketNotification",
    "tagging": "BucketTagging",
    "logging": "BucketLogging",
    "cors": "BucketCors",
    "website": "BucketWebsite",
    "object-lock": "ObjectLockConfiguration",
    "accelerate": "BucketAccelerateConfiguration",
    "requestPayment": "BucketRequestPayment",
    "intelligent-tiering": "BucketIntelligentTieringConfiguration",
    "inventory": "BucketInventoryConfiguration",
    "metrics": "BucketMetricsConfiguration",
    "analytics": "BucketAnalyticsConfiguration",
}

StartResponse = Callable[..., Any]
App = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


@dataclass(frozen=True)
class Call:
    """A mutating API call, as the feed will record it if it succeeds."""

    service: str
    region: str
    name: str
    parameters: dict[str, Any]


def _camel(name: str) -> str:
    """CloudTrail spells parameters lowerCamelCase: ``IpPermissions.1.CidrIp`` ->
    ``ipPermissions.1.cidrIp``."""
    return ".".join(p[:1].lower() + p[1:] for p in name.split("."))


def _clean(value: Any, name: str = "") -> Any:
    """A parameter value fit to record: secrets hidden, long strings cut, keys camelCased."""
    if name and _SECRET_NAME.search(name):
        return HIDDEN
    if isinstance(value, dict):
        return {_camel(str(k)): _clean(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [_clean(v, name) for v in value]
    if isinstance(value, str) and len(value) > _MAX_VALUE:
        return value[: _MAX_VALUE - 1] + "…"
    return value


def _scope(environ: Mapping[str, Any]) -> tuple[str, str] | None:
    """(region, service) from the SigV4 credential scope (header or presigned query)."""
    text = str(environ.get("HTTP_AUTHORIZATION") or "")
    if not text:
        query = dict(urllib.parse.parse_qsl(str(environ.get("QUERY_STRING") or "")))
        text = f"Credential={query.get('X-Amz-Credential', '')}"
    found = _SCOPE.search(text)
    return (found.group(1), found.group(2)) if found else None


def _s3_call(environ: Mapping[str, Any], region: str) -> Call | None:
    method = str(environ.get("REQUEST_METHOD", ""))
    path = str(environ.get("PATH_INFO") or "").strip("/")
    if method not in ("PUT", "DELETE") or not path or "/" in path:
        return None  # reads, object-level data events, POST ?delete (DeleteObjects)
    # Sub-resources only: a presigned request's X-Amz-* (credential, signature) never count.
    query = [
        k
        for k, _ in urllib.parse.parse_qsl(
            str(environ.get("QUERY_STRING") or ""), keep_blank_values=True
        )
        if not k.lower().startswith("x-amz-") and k not in _PRESIGN_V2
    ]
    verb = "Put" if method == "PUT" else "Delete"
    subresource = next((k for k in query if k in _S3_SUBRESOURCES), None)
    if subresource is not None:
        name = verb + _S3_SUBRESOURCES[subresource]
    elif not query:
        name = "CreateBucket" if method == "PUT" else "DeleteBucket"
    else:
        name = f"{verb}Bucket{query[0][:1].upper()}{query[0][1:]}"
    params: dict[str, Any] = {"bucketName": urllib.parse.unquote(path)}
    params.update({k: "" for k in query})
    return Call("s3", region, name, params)


def describe(environ: Mapping[str, Any], body: bytes) -> Call | None:
    """The management call a request makes, if it may change a recorded service's state;
    ``body`` is the request's (JSON or form) body, empty when not read."""
    scope = _scope(environ)
    if scope is None or scope[1] not in SERVICES:
        return None  # unsigned or another service: nothing the feed records
    region, service = scope
    if service == "s3":
        return _s3_call(environ, region)
    target = environ.get("HTTP_X_AMZ_TARGET")
    params: dict[str, Any] = {}
    if target:
        name = str(target).rsplit(".", 1)[-1]
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            data = {}
        params = data if isinstance(data, dict) else {}
    else:
        form = urllib.parse.parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        fields = dict(form)
        name = fields.pop("Action", "")
        fields.pop("Version", None)
        params = dict(fields)
    if not name or READ_ACTION.match(name) or (service == "kms" and _CRYPTO_ACTION.match(name)):
        return None
    return Call(service, region, name, _clean(params))


def _peek(environ: dict[str, Any]) -> bytes:
    """A JSON or form request's body (left in place for the server); b"" for others."""
    ctype = str(environ.get("CONTENT_TYPE") or "")
    if not (environ.get("HTTP_X_AMZ_TARGET") or ctype.startswith(_FORM)):
        return b""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return b""
    if not 0 < length <= _PEEK_LIMIT:
        return b""
    body: bytes = environ["wsgi.input"].read(length)
    environ["wsgi.input"] = io.BytesIO(body)
    return body


class EventLog:
    """The feed: the newest ``capacity`` records in memory, numbered from 1 in this run."""

    def __init__(self, capacity: int = 50_000, clock: Callable[[], float] = time.time) -> None:
        self.run = uuid.uuid4().hex[:12]
        self._clock = clock
        self._records: deque[tuple[int, dict[str, Any]]] = deque(maxlen=capacity)
        self._last = 0
        self._cond = threading.Condition()

    def append(self, call: Call, environ: Mapping[str, Any]) -> dict[str, Any]:
        now = self._clock()
        record = {
            "eventVersion": "1.09",
            "eventID": str(uuid.uuid4()),
            "eventTime": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now)),
            "eventSource": f"{call.service}.amazonaws.com",
            "eventName": call.name,
            "awsRegion": call.region,
            "eventType": "AwsApiCall",
            "managementEvent": True,
            "readOnly": False,
            "sourceIPAddress": str(environ.get("REMOTE_ADDR") or ""),
            "userAgent": str(environ.get("HTTP_USER_AGENT") or "")[:200],
            "requestParameters": call.parameters,
        }
        with self._cond:
            self._last += 1
            self._records.append((self._last, record))
            self._cond.notify_all()
        return record

    def cursor(self, number: int | None = None) -> str:
        return f"{self.run}.{self._last if number is None else number}"

    def after(self, cursor: str | None, *, wait: float = 0.0, limit: int = 1000) -> dict[str, Any]:
        """The answer to a feed read (see the module docstring). Raises ValueError for a
        cursor that is not one."""
        with self._cond:
            if cursor is None:
                return {"events": [], "cursor": self.cursor(), "reset": False}
            found = _CURSOR.match(cursor)
            if found is None:
                raise ValueError(f"not a cursor of this feed: {cursor[:40]!r}")
            number = int(found.group(2))
            oldest = self._records[0][0] if self._records else self._last + 1
            if found.group(1) != self.run or number > self._last or number < oldest - 1:
                return {"events": [], "cursor": self.cursor(), "reset": True}
            end = time.monotonic() + max(0.0, min(wait, MAX_WAIT))
            while self._last <= number and (left := end - time.monotonic()) > 0:
                self._cond.wait(left)
            first = number + 1 - oldest  # the index of the first record after the cursor
            picked = [r for _, r in itertools.islice(self._records, first, first + limit)]
            return {"events": picked, "cursor": self.cursor(number + len(picked)), "reset": False}


def _loopback(environ: Mapping[str, Any]) -> bool:
    address = str(environ.get("REMOTE_ADDR") or "")
    return address.startswith("127.") or address == "::1"


class EventFeed:
    """WSGI middleware: records each successful mutating call; serves the feed."""

    def __init__(self, app: App, log: EventLog) -> None:
        self.app = app
        self.log = log

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == FEED_PATH:
            return self._serve(environ, start_response)
        call = describe(environ, _peek(environ))
        if call is None:
            return self.app(environ, start_response)
        status: list[str] = []

        def start(code: str, headers: list[tuple[str, str]], *exc_info: Any) -> Any:
            status.append(code)
            return start_response(code, headers, *exc_info)

        result = self.app(environ, start)
        try:
            body = b"".join(result)  # start_response has been called once this is read
        finally:
            close = getattr(result, "close", None)
            if close is not None:
                close()
        if status and status[-1].startswith("2"):
            self.log.append(call, environ)
        return [body]

    def _serve(self, environ: Mapping[str, Any], start_response: StartResponse) -> list[bytes]:
        if not _loopback(environ):
            return _answer(start_response, "403 Forbidden", {"error": "loopback only"})
        if environ.get("REQUEST_METHOD") != "GET":
            return _answer(start_response, "405 Method Not Allowed", {"error": "GET only"})
        query = dict(urllib.parse.parse_qsl(str(environ.get("QUERY_STRING") or "")))
        try:
            wait = float(query.get("wait", "0"))
            limit = int(query.get("limit", "1000"))
            page = self.log.after(query.get("after"), wait=wait, limit=max(1, min(limit, 1000)))
        except ValueError as exc:
            return _answer(start_response, "400 Bad Request", {"error": str(exc)})
        return _answer(start_response, "200 OK", page)


def _answer(start_response: StartResponse, status: str, data: Mapping[str, Any]) -> list[bytes]:
    body = json.dumps(data, ensure_ascii=False).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]
