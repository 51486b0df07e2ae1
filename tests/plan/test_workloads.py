"""Workload specs: credential literals found by name and by value, masked in what is shown;
govcloud's service accounts refused. (The same rules in CEL are tried against the real API
server in tests/e2e/test_isolation.py.)"""

from __future__ import annotations

from typing import Any

import pytest

from infra.plan import render_platform
from infra.plan.workloads import (
    SHAPES,
    cel_pattern,
    credential_literals,
    govcloud_service_account,
    mask,
)
from infra.spec.environment import EnvironmentSpec

SECRETS = {
    "postgres://app:S3cr3t-pw@db.internal:5432/app": "S3cr3t-pw",
    "redis://:hunter2-cache@cache:6379": "hunter2-cache",
    "host=db user=app password=Tr0ub4dor sslmode=require": "Tr0ub4dor",
    "AKIAIOSFODNN7EXAMPLE": "IOSFODNN7EXAMPLE",
    (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7bq\n-----END RSA PRIVATE KEY-----"
    ): "MIIEowIBAAKCAQEA7bq",
    (
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhcHAifQ.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
    ): "dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB": "0123456789abcdefghijklmnopqrstuvwxyzAB",
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b",
    "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY": "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
}
PLAIN = [
    "prod",
    "https://data-exchange.shared-services.svc:443/api",
    "info",
    "/opt/ApplicationData/config/production/settings2026",
    "--password=$(DB_PASSWORD)",
    "--password-file=/run/secrets/db",
    "kubectl create secret generic app-config",
    "550e8400-e29b-41d4-a716-446655440000",
    "jdbc:postgresql://db:5432/app",
]


def _pod(**container: Any) -> dict[str, Any]:
    return {"containers": [{"name": "app", "image": "registry.local/app:1", **container}]}


@pytest.mark.parametrize("value", sorted(SECRETS))
def test_a_credential_in_an_env_value_is_found_and_masked(value: str) -> None:
    [found] = credential_literals(_pod(env=[{"name": "CONFIG", "value": value}]))
    assert found.where == "env CONFIG" and found.container == "app"
    assert SECRETS[value] not in found.masked
    assert "****" in found.masked
    assert found.shape in {s.name for s in SHAPES}


@pytest.mark.parametrize("value", PLAIN)
def test_plain_values_and_references_pass(value: str) -> None:
    assert credential_literals(_pod(env=[{"name": "SETTING", "value": value}], args=[value])) == []


@pytest.mark.parametrize(
    "args",
    [
        ["--password=S3cr3tValue"],
        ["--password", "S3cr3tValue"],
        ["--db", "postgres://app:S3cr3tValue@db/app"],
        ["--token=S3cr3tValue", "--verbose"],
    ],
)
def test_a_credential_in_args_is_found_and_masked(args: list[str]) -> None:
    found = credential_literals(_pod(args=args))
    assert [(f.where, f.container) for f in found] == [("args", "app")]
    assert "S3cr3tValue" not in found[0].masked


def test_init_containers_and_command_are_read_too() -> None:
    spec = {
        "initContainers": [
            {
                "name": "migrate",
                "command": ["sh", "-c", "psql postgres://app:S3cr3tValue@db/app -f schema.sql"],
            }
        ],
        "containers": [{"name": "app"}],
    }
    [found] = credential_literals(spec)
    assert (found.container, found.where, found.shape) == (
        "migrate",
        "command",
        "a password in a URL",
    )
    assert "S3cr3tValue" not in found.masked


@pytest.mark.parametrize(
    "name",
    ["DB_PASSWORD", "DB_PASS", "MYSQL_PWD", "API_TOKEN", "AWS_SECRET_ACCESS_KEY", "private_key"],
)
def test_a_credential_name_with_a_literal_is_found_without_its_value(name: str) -> None:
    [found] = credential_literals(_pod(env=[{"name": name, "value": "x-not-shown"}]))
    assert found.masked == "****" and found.shape == "a credential's name"


def test_digest_named_variables_may_hold_hex_but_not_passwords() -> None:
    sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b"
    assert credential_literals(_pod(env=[{"name": "GIT_COMMIT", "value": sha}])) == []
    assert credential_literals(_pod(env=[{"name": "IMAGE_DIGEST", "value": sha}])) == []
    assert credential_literals(_pod(env=[{"name": "BUILD_ID", "value": sha}]))
    assert credential_literals(
        _pod(env=[{"name": "GIT_COMMIT", "value": "https://ci:S3cr3tValue@git.local/app"}])
    )


def test_env_from_secrets_and_empty_values_pass() -> None:
    assert (
        credential_literals(
            _pod(
                env=[
                    {
                        "name": "DB_PASSWORD",
                        "valueFrom": {"secretKeyRef": {"name": "db", "key": "pw"}},
                    },
                    {"name": "DB_PASS", "value": ""},
                ]
            )
        )
        == []
    )


def test_mask_hides_every_secret_of_a_value_and_keeps_the_rest() -> None:
    text = "url=postgres://app:Sup3rS3cret@db password=An0therOne"
    shown = mask(text)
    assert "Sup3rS3cret" not in shown and "An0therOne" not in shown
    assert shown.startswith("url=postgres://app:****@db")


@pytest.mark.parametrize(
    "spec",
    [
        {"serviceAccountName": "govcloud-deployer"},
        {"serviceAccount": "govcloud-deployer"},
        {"serviceAccountName": "govcloud-anything"},
    ],
)
def test_govcloud_service_accounts_are_named(spec: dict[str, str]) -> None:
    assert govcloud_service_account({**_pod(), **spec}) == next(iter(spec.values()))


def test_own_service_accounts_pass() -> None:
    assert govcloud_service_account({**_pod(), "serviceAccountName": "app"}) is None
    assert govcloud_service_account(_pod()) is None


def test_the_admission_policy_carries_every_pattern(env: EnvironmentSpec) -> None:
    """The CEL is generated from the same patterns the Python check uses."""
    policies = {
        o.name: o.manifest
        for o in render_platform(env).kube
        if o.kind == "ValidatingAdmissionPolicy"
    }
    cel = " ".join(
        v["expression"] for v in policies["govcloud-credentials-in-secrets"]["spec"]["validations"]
    )
    for shape in SHAPES:
        for pattern in shape.all_of:
            assert cel_pattern(pattern) in cel, shape.name
    identity = policies["govcloud-workload-service-account"]["spec"]["validations"]
    assert "serviceAccountName.startsWith('govcloud-')" in identity[0]["expression"]


def test_a_pattern_with_a_quote_cannot_become_cel() -> None:
    with pytest.raises(ValueError, match="quote"):
        cel_pattern("it's")
