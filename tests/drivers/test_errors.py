"""Third-party exceptions become govcloud errors at the driver boundary."""

from __future__ import annotations

import json
import socket

import boto3
import pytest
import urllib3.exceptions
from botocore.config import Config
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError
from kubernetes.client.exceptions import ApiException
from kubernetes.dynamic.exceptions import ResourceNotFoundError

from infra.drivers.errors import translate_cloud, translate_kube
from infra.errors import (
    DriverError,
    NotFoundError,
    PermanentError,
    TransientError,
    UnreachableError,
)


def _api_exception(status: int, message: str = "boom") -> ApiException:
    exc = ApiException(status=status, reason="Reason")
    exc.body = json.dumps({"kind": "Status", "message": message}).encode()  # type: ignore[assignment]
    return exc


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (404, NotFoundError),
        (409, TransientError),
        (429, TransientError),
        (500, TransientError),
        (503, TransientError),
        (400, PermanentError),
        (403, PermanentError),
        (422, PermanentError),
    ],
)
def test_kube_api_exception_maps_by_status(status: int, expected: type[DriverError]) -> None:
    with pytest.raises(expected) as info, translate_kube("apply Namespace x"):
        raise _api_exception(status)
    assert info.value.status == status
    assert isinstance(info.value.__cause__, ApiException)
    assert str(info.value).startswith("apply Namespace x: ")


def test_kube_message_is_the_api_message_cut_short() -> None:
    with pytest.raises(PermanentError) as info, translate_kube("apply Pod p"):
        raise _api_exception(403, 'pods "p" is forbidden: ' + "x" * 1000)
    text = str(info.value)
    assert 'forbidden: pods "p" is forbidden' in text
    assert len(text) < 400 and text.endswith("…")


def test_kube_connection_errors_are_transient() -> None:
    with (
        pytest.raises(TransientError, match="cannot reach the API server"),
        translate_kube("get Namespace x"),
    ):
        raise urllib3.exceptions.MaxRetryError(None, "https://127.0.0.1:1/api")  # type: ignore[arg-type]


def test_a_refused_connection_is_one_short_line_naming_the_endpoint() -> None:
    with socket.socket() as sock:  # bound, not listening: connections are refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        pool = urllib3.PoolManager(retries=urllib3.Retry(0))
        with pytest.raises(TransientError) as info, translate_kube("get Namespace x"):
            pool.request("GET", f"https://127.0.0.1:{port}/api")
    assert str(info.value) == (
        f"get Namespace x: cannot reach the API server at "
        f"127.0.0.1:{port}: connection refused (nothing listens there)"
    )
    assert info.value.code == "Unreachable"
    assert isinstance(info.value, UnreachableError)
    assert (info.value.service, info.value.endpoint) == ("API server", f"127.0.0.1:{port}")


def test_kube_unserved_kind_is_not_found() -> None:
    with pytest.raises(NotFoundError, match="does not serve"), translate_kube("discover"):
        raise ResourceNotFoundError("No matches found for Tenant")


def _client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": f"{code} happened"},
            "ResponseMetadata": {"HTTPStatusCode": status},
        },
        "AnOperation",
    )


@pytest.mark.parametrize(
    ("code", "status", "expected"),
    [
        ("NoSuchEntity", 404, NotFoundError),
        ("NoSuchBucket", 404, NotFoundError),
        ("NotFoundException", 400, NotFoundError),
        ("InvalidVpcID.NotFound", 400, NotFoundError),
        ("ServerSideEncryptionConfigurationNotFoundError", 404, NotFoundError),
        ("404", 404, NotFoundError),
        ("Throttling", 400, TransientError),
        ("RequestLimitExceeded", 503, TransientError),
        ("InternalError", 500, TransientError),
        ("SomethingOdd", 502, TransientError),
        ("AccessDenied", 403, PermanentError),
        ("BucketNotEmpty", 409, PermanentError),
        ("MalformedPolicyDocument", 400, PermanentError),
    ],
)
def test_client_error_maps_by_code(code: str, status: int, expected: type[DriverError]) -> None:
    with pytest.raises(expected) as info, translate_cloud("s3:PutBucketPolicy b"):
        raise _client_error(code, status)
    assert f"{code}: {code} happened" in str(info.value)
    assert isinstance(info.value.__cause__, ClientError)


def test_cloud_connection_errors_are_transient() -> None:
    with (
        pytest.raises(TransientError, match="cannot reach the cloud endpoint"),
        translate_cloud("kms:CreateKey"),
    ):
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1")


def test_a_cloud_endpoint_that_does_not_answer_is_named() -> None:
    with pytest.raises(TransientError) as info, translate_cloud("kms:CreateKey"):
        raise EndpointConnectionError(endpoint_url="http://127.0.0.1:1/")
    assert str(info.value) == (
        "kms:CreateKey: cannot reach the cloud endpoint at http://127.0.0.1:1: connection failed"
    )
    assert info.value.code == "NoAnswer"


def test_a_refused_cloud_endpoint_is_unreachable_and_named_without_the_request_path() -> None:
    with socket.socket() as sock:  # bound, not listening: connections are refused
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        s3 = boto3.client(
            "s3",
            endpoint_url=f"http://127.0.0.1:{port}",
            region_name="cn-northwest-1",
            aws_access_key_id="x",
            aws_secret_access_key="y",
            config=Config(retries={"max_attempts": 1}, s3={"addressing_style": "path"}),
        )
        with pytest.raises(UnreachableError) as info, translate_cloud("s3:GetBucketEncryption"):
            s3.get_bucket_encryption(Bucket="gz-wjw-data")
    error = info.value
    assert str(error) == (
        f"s3:GetBucketEncryption: cannot reach the cloud endpoint at "
        f"http://127.0.0.1:{port}: connection refused (nothing listens there)"
    )
    assert (error.code, error.service, error.endpoint) == (
        "Unreachable",
        "cloud endpoint",
        f"http://127.0.0.1:{port}",
    )


def test_a_timeout_is_transient_but_not_unreachable() -> None:
    with pytest.raises(TransientError) as info, translate_kube("list Tenant"):
        raise urllib3.exceptions.ReadTimeoutError(
            None,  # type: ignore[arg-type]
            "/apis",
            "HTTPSConnectionPool(host='10.0.0.1', port=6443): Read timed out.",
        )
    assert not isinstance(info.value, UnreachableError)
    assert info.value.code == "NoAnswer"
    assert "cannot reach the API server at 10.0.0.1:6443: no answer (timed out)" in str(info.value)


def test_missing_credentials_are_permanent() -> None:
    with pytest.raises(PermanentError, match="NoCredentialsError"), translate_cloud("iam:GetRole"):
        raise NoCredentialsError()


def test_our_own_errors_pass_through_untouched() -> None:
    original = PermanentError("already typed")
    with pytest.raises(PermanentError) as info, translate_cloud("x"), translate_kube("y"):
        raise original
    assert info.value is original
