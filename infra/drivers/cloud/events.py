"""The cloud's management-event feed: what changed, read after a cursor.

Clouds record every management call (AWS CloudTrail, delivered near real time through
EventBridge; the provincial clouds offer the same operation-audit feed): who called which API
on which resource, when, with which parameters. The reconciler follows the feed to check a
tenant's cloud side the moment something touches it, instead of waiting for its poll.

:class:`EndpointEvents` reads the feed the govcloud local cloud's endpoint serves at
``<endpoint>/_govcloud/events`` (``infra.localcloud.cloudevents`` emulates the provider:
CloudTrail-shaped records of every successful mutating call, long-polled after a cursor).
A provider's own feed is another implementation of :class:`EventSource`.

Events name resources by handle (a bucket or role name, a key alias) or by id (a key id, a
security-group or subnet id); :meth:`EventSource.identifiers` says which name each id has.
"""

from __future__ import annotations

import http.client
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

from infra.drivers.cloud._session import call, client, pages
from infra.errors import PermanentError, TransientError, short

__all__ = [
    "FEED_PATH",
    "CloudEvent",
    "EndpointEvents",
    "EventPage",
    "EventSource",
    "mentioned_handles",
    "mentioned_ids",
]

FEED_PATH = "/_govcloud/events"
MAX_WAIT = 20.0  # the feed holds a read open at most this long (SQS long polls: 20 s)
# Ids whose resource belongs to one tenant: KMS key ids (plain and multi-region), security
# groups, subnets. VPCs are shared by many tenants and rule ids come with their group's id.
_ID = re.compile(
    r"^(sg-[0-9a-f]{8,17}|subnet-[0-9a-f]{8,17}|mrk-[0-9a-f]{32}|"
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)
_MAX_VALUE = 512  # longer values are documents (policies), not handles


@dataclass(frozen=True)
class CloudEvent:
    """One management call, as the feed recorded it (CloudTrail's field names)."""

    id: str  # eventID
    time: str  # eventTime, ISO 8601 UTC
    source: str  # eventSource: s3.amazonaws.com, kms.amazonaws.com, ...
    name: str  # eventName: PutBucketVersioning, DisableKey, ...
    region: str = ""  # awsRegion
    parameters: Mapping[str, Any] = field(default_factory=dict)  # requestParameters

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> CloudEvent:
        params = record.get("requestParameters")
        return cls(
            id=str(record.get("eventID", "")),
            time=str(record.get("eventTime", "")),
            source=str(record.get("eventSource", "")),
            name=str(record.get("eventName", "")),
            region=str(record.get("awsRegion", "")),
            parameters=params if isinstance(params, dict) else {},
        )


@dataclass(frozen=True)
class EventPage:
    """Events after a cursor and the cursor to read on from. ``reset``: events may have been
    lost since the cursor (the feed restarted or no longer holds them): check everything."""

    events: tuple[CloudEvent, ...]
    cursor: str
    reset: bool = False


class EventSource(Protocol):
    """What the reconciler needs of a cloud's change events."""

    def read(self, after: str | None, *, wait: float = 0.0) -> EventPage:
        """Events after ``after`` (None: none, only the newest cursor), waiting up to
        ``wait`` seconds for the first one."""
        ...

    def identifiers(self) -> dict[str, str]:
        """Resource id -> name for the ids events use (key id -> alias, security-group id
        -> group name, subnet id -> Name tag)."""
        ...


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _strings(item)


def _arn_handles(arn: str) -> list[str]:
    """A resource ARN's handles: ``arn:aws-cn:kms:r:a:key/ID`` -> ID, ``...:alias/x/y`` ->
    ``alias/x/y``, ``arn:aws-cn:s3:::bucket/key`` -> bucket, ``...:role/path/name`` -> name."""
    parts = arn.split(":", 5)
    if len(parts) < 6:
        return []
    resource = parts[5]
    if resource.startswith("alias/"):
        return [resource]
    segments = resource.split("/")
    return list(dict.fromkeys([resource, segments[0], segments[-1]]))


def mentioned_handles(event: CloudEvent) -> frozenset[str]:
    """Every resource handle or id the event's parameters mention (values and the resource
    parts of ARNs); a superset: whoever maps them to owners looks each one up exactly."""
    found: set[str] = set()
    for value in _strings(event.parameters):
        value = value.strip()
        if not value or len(value) > _MAX_VALUE:
            continue
        found.add(value)
        if value.startswith("arn:"):
            found.update(_arn_handles(value))
    return frozenset(found)


def mentioned_ids(event: CloudEvent) -> frozenset[str]:
    """The ids among :func:`mentioned_handles` that name a single tenant's resource."""
    return frozenset(h for h in mentioned_handles(event) if _ID.match(h))


class EndpointEvents:
    """The feed served by a govcloud local cloud endpoint (satisfies :class:`EventSource`).

    Read with plain HTTP on the endpoint (loopback); nothing is signed, nothing secret is
    sent or received. Errors come out as ``infra.errors``: ``NoEventFeed`` (permanent) when
    the endpoint serves no feed, ``Unreachable`` (transient) when it does not answer."""

    def __init__(self, endpoint: str, *, timeout: float = 10.0) -> None:
        if urllib.parse.urlsplit(endpoint).scheme not in ("http", "https"):
            raise PermanentError(
                f"{endpoint!r} is not an http(s) URL", operation="cloud events", code="BadEndpoint"
            )
        self.url = endpoint.rstrip("/") + FEED_PATH
        self.timeout = timeout

    def read(self, after: str | None, *, wait: float = 0.0) -> EventPage:
        wait = max(0.0, min(wait, MAX_WAIT))
        query = {"wait": f"{wait:g}"} | ({"after": after} if after is not None else {})
        data = self._get(f"{self.url}?{urllib.parse.urlencode(query)}", wait + self.timeout)
        try:
            records = data["events"]
            page = EventPage(
                tuple(CloudEvent.from_record(r) for r in records),
                str(data["cursor"]),
                bool(data.get("reset", False)),
            )
        except (KeyError, TypeError, AttributeError) as exc:
            raise PermanentError(
                f"the event feed answered an unexpected document ({exc})",
                operation="cloud events",
                code="BadFeed",
            ) from exc
        return page

    def _get(self, url: str, timeout: float) -> dict[str, Any]:
        operation = "cloud events"
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:
                body = response.read()
        except urllib.error.HTTPError as exc:
            detail = short(exc.read().decode("utf-8", "replace") or str(exc.reason), 200)
            if exc.code in (404, 405, 501):
                raise PermanentError(
                    f"the cloud endpoint serves no event feed at {self.url} (HTTP {exc.code})",
                    operation=operation,
                    status=exc.code,
                    code="NoEventFeed",
                ) from exc
            if exc.code >= 500 or exc.code == 429:
                raise TransientError(
                    f"HTTP {exc.code}: {detail}",
                    operation=operation,
                    status=exc.code,
                    code="FeedUnavailable",
                ) from exc
            raise PermanentError(
                f"HTTP {exc.code}: {detail}",
                operation=operation,
                status=exc.code,
                code="FeedRefused",
            ) from exc
        # Why: connection refused, reset or timed out — the endpoint restarting or busy;
        # the caller reads again after a pause.
        except (OSError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            raise TransientError(
                f"cannot reach the event feed at {self.url}: {reason}",
                operation=operation,
                code="Unreachable",
            ) from exc
        try:
            data = json.loads(body)
        except ValueError as exc:
            raise PermanentError(
                "the event feed answered something other than JSON",
                operation=operation,
                code="BadFeed",
            ) from exc
        if not isinstance(data, dict):
            raise PermanentError(
                "the event feed answered something other than an object",
                operation=operation,
                code="BadFeed",
            )
        return data

    def identifiers(self) -> dict[str, str]:
        return resource_names()


def resource_names() -> dict[str, str]:
    """Resource id -> name: every customer key with an alias (its alias), every security group
    and subnet whose name starts ``govcloud-`` (group name, Name tag). A handful of list
    calls, whatever the number of tenants."""
    names: dict[str, str] = {}
    kms = client("kms")
    for alias in pages("kms:ListAliases", kms.list_aliases, "Aliases", Limit=1000):
        if alias.get("TargetKeyId") and not str(alias["AliasName"]).startswith("alias/aws/"):
            names.setdefault(str(alias["TargetKeyId"]), str(alias["AliasName"]))
    ec2 = client("ec2")
    groups = call(
        "ec2:DescribeSecurityGroups",
        ec2.describe_security_groups,
        Filters=[{"Name": "group-name", "Values": ["govcloud-*"]}],
    )
    for group in groups.get("SecurityGroups", []):
        names[str(group["GroupId"])] = str(group["GroupName"])
    subnets = call(
        "ec2:DescribeSubnets",
        ec2.describe_subnets,
        Filters=[{"Name": "tag:Name", "Values": ["govcloud-*"]}],
    )
    for subnet in subnets.get("Subnets", []):
        tags = {t["Key"]: t["Value"] for t in subnet.get("Tags") or []}
        names[str(subnet["SubnetId"])] = tags.get("Name", str(subnet["SubnetId"]))
    return names
