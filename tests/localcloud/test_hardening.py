"""Encryption at rest, the audit policy and its retention, owner-only directories."""

from __future__ import annotations

import base64
import stat
from pathlib import Path
from typing import Any

import pytest
import yaml

from infra.errors import InputError
from infra.localcloud.hardening import (
    audit_max_age_days,
    audit_policy,
    ensure_encryption_config,
    private_dir,
    write_audit_policy,
)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_encryption_key_is_made_once_owner_only_and_kept(tmp_path: Path) -> None:
    path = ensure_encryption_config(tmp_path / "encryption-config.yaml")
    assert _mode(path) == 0o600
    config = yaml.safe_load(path.read_text())
    providers = config["resources"][0]["providers"]
    assert config["resources"][0]["resources"] == ["secrets"]
    key = providers[0]["secretbox"]["keys"][0]["secret"]
    assert len(base64.b64decode(key)) == 32
    assert providers[-1] == {"identity": {}}  # Secrets written before stay readable
    path.chmod(0o644)
    ensure_encryption_config(path)
    assert yaml.safe_load(path.read_text()) == config  # a new key would lose every Secret
    assert _mode(path) == 0o600
    other = ensure_encryption_config(tmp_path / "other.yaml")
    assert yaml.safe_load(other.read_text()) != config


def _named(resource: str, names: list[str]) -> bool:
    """The API server's match: ``pods`` is the resource, ``pods/*`` any of its subresources."""
    return resource in names or ("/" in resource and f"{resource.split('/')[0]}/*" in names)


def _level(request: dict[str, Any]) -> str:
    """The level the policy gives ``request`` (first matching rule), as the API server does."""
    for rule in audit_policy()["rules"]:
        if "nonResourceURLs" in rule:
            if "path" in request and any(
                request["path"] == u or (u.endswith("*") and request["path"].startswith(u[:-1]))
                for u in rule["nonResourceURLs"]
            ):
                return str(rule["level"])
            continue
        if "path" in request:
            continue
        if "verbs" in rule and request["verb"] not in rule["verbs"]:
            continue
        if "users" in rule and request.get("user") not in rule["users"]:
            continue
        if "resources" in rule and not any(
            group["group"] == request["group"] and _named(request["resource"], group["resources"])
            for group in rule["resources"]
        ):
            continue
        return str(rule["level"])
    return "None"


@pytest.mark.parametrize(
    ("request_", "level"),
    [
        ({"verb": "get", "group": "", "resource": "pods"}, "Metadata"),
        (
            {"verb": "list", "group": "rbac.authorization.k8s.io", "resource": "rolebindings"},
            "Metadata",
        ),
        (
            {"verb": "create", "group": "rbac.authorization.k8s.io", "resource": "rolebindings"},
            "Request",
        ),
        ({"verb": "patch", "group": "networking.k8s.io", "resource": "networkpolicies"}, "Request"),
        (
            {
                "verb": "update",
                "group": "admissionregistration.k8s.io",
                "resource": "validatingadmissionpolicies",
            },
            "Request",
        ),
        ({"verb": "delete", "group": "", "resource": "resourcequotas"}, "Request"),
        ({"verb": "create", "group": "", "resource": "secrets"}, "Metadata"),
        ({"verb": "update", "group": "", "resource": "configmaps"}, "Metadata"),
        ({"verb": "create", "group": "", "resource": "serviceaccounts/token"}, "Metadata"),
        ({"verb": "create", "group": "", "resource": "events"}, "None"),
        ({"verb": "create", "group": "", "resource": "pods"}, "Metadata"),
        ({"verb": "patch", "group": "", "resource": "pods/ephemeralcontainers"}, "Metadata"),
        ({"verb": "create", "group": "", "resource": "pods/exec"}, "Metadata"),
        ({"verb": "update", "group": "apps", "resource": "deployments"}, "Metadata"),
        ({"verb": "create", "group": "apps", "resource": "controllerrevisions"}, "Metadata"),
        ({"verb": "create", "group": "batch", "resource": "cronjobs"}, "Metadata"),
        (
            {"verb": "create", "group": "authentication.k8s.io", "resource": "tokenreviews"},
            "Metadata",
        ),
        ({"verb": "update", "group": "apps", "resource": "deployments/scale"}, "Request"),
        ({"verb": "get", "group": "", "resource": "secrets", "user": "system:apiserver"}, "None"),
        (
            {
                "verb": "create",
                "group": "rbac.authorization.k8s.io",
                "resource": "clusterroles",
                "user": "system:apiserver",
            },
            "Request",
        ),
        ({"path": "/readyz"}, "None"),
    ],
)
def test_reads_are_metadata_writes_are_request_and_secrets_never_have_bodies(
    request_: dict[str, Any], level: str
) -> None:
    assert _level(request_) == level


def test_audit_policy_file_is_what_the_api_server_loads(tmp_path: Path) -> None:
    path = write_audit_policy(tmp_path / "audit-policy.yaml")
    assert yaml.safe_load(path.read_text()) == audit_policy()
    assert audit_policy()["apiVersion"] == "audit.k8s.io/v1"
    assert _mode(path) == 0o600


def test_audit_logs_are_kept_six_months_unless_told_otherwise(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("GOVCLOUD_AUDIT_MAX_AGE_DAYS", raising=False)
    assert audit_max_age_days() == 180
    monkeypatch.setenv("GOVCLOUD_AUDIT_MAX_AGE_DAYS", "400")
    assert audit_max_age_days() == 400
    for bad in ("six months", "0", "-5"):
        monkeypatch.setenv("GOVCLOUD_AUDIT_MAX_AGE_DAYS", bad)
        with pytest.raises(InputError, match="GOVCLOUD_AUDIT_MAX_AGE_DAYS"):
            audit_max_age_days()


def test_private_dir_tightens_an_existing_directory(tmp_path: Path) -> None:
    loose = tmp_path / "logs"
    loose.mkdir(mode=0o755)
    assert _mode(private_dir(loose)) == 0o700
    assert _mode(private_dir(tmp_path / "new" / "deeper")) == 0o700
