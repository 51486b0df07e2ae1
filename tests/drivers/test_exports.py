"""The public surface of infra.drivers is explicit and importable without I/O."""

from __future__ import annotations

import pickle

import infra.drivers
import infra.drivers.cloud
from infra.drivers import KubeClient


def test_every_exported_name_exists() -> None:
    for module in (infra.drivers, infra.drivers.cloud):
        # isort style, as ruff's RUF022 keeps it: CONSTANTS, then Classes, then functions
        assert module.__all__ == sorted(
            module.__all__, key=lambda n: (not n.isupper(), not n[:1].isupper(), n)
        )
        for name in module.__all__:
            assert hasattr(module, name), f"{module.__name__}.{name}"


def test_kube_client_is_cheap_and_picklable_without_a_cluster() -> None:
    client = KubeClient("/nonexistent/kubeconfig").impersonate("alice", ["team-a"])
    copy = pickle.loads(pickle.dumps(client))
    assert isinstance(copy, KubeClient)
