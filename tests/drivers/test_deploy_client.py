"""Which kubeconfig deploy acts with: its own identity's, for the shell's cluster only."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from infra.drivers import deploy_client
from infra.errors import PermanentError
from infra.plan.deployer import DEPLOY_KUBECONFIG


def _kubeconfig(path: Path, server: str, user: str) -> Path:
    path.write_text(
        yaml.safe_dump(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "clusters": [{"name": "c", "cluster": {"server": server}}],
                "users": [{"name": user, "user": {"token": "t"}}],
                "contexts": [{"name": "c", "context": {"cluster": "c", "user": user}}],
                "current-context": "c",
            }
        )
    )
    return path


def test_the_deploy_identity_is_used_for_the_shells_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = _kubeconfig(tmp_path / "admin", "https://127.0.0.1:6443", "admin")
    deploy = _kubeconfig(tmp_path / "deploy", "https://127.0.0.1:6443", "deploy")
    monkeypatch.setenv("KUBECONFIG", str(admin))
    monkeypatch.delenv(DEPLOY_KUBECONFIG, raising=False)
    assert deploy_client("govcloud-deploy")._kubeconfig is None  # the shell's own
    monkeypatch.setenv(DEPLOY_KUBECONFIG, str(deploy))
    client = deploy_client("govcloud-deploy")
    assert client._kubeconfig == str(deploy) and client.field_manager == "govcloud-deploy"


def test_a_deploy_identity_of_another_cluster_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    prod = _kubeconfig(tmp_path / "prod", "https://prod.example:6443", "ops")
    local = _kubeconfig(tmp_path / "deploy", "https://127.0.0.1:6443", "deploy")
    monkeypatch.setenv("KUBECONFIG", str(prod))
    monkeypatch.setenv(DEPLOY_KUBECONFIG, str(local))
    with pytest.raises(PermanentError) as caught:
        deploy_client("govcloud-deploy")
    assert "https://127.0.0.1:6443" in str(caught.value)
    assert "https://prod.example:6443" in str(caught.value)
