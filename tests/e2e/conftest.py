"""One local provincial cloud per test session, started here and stopped at the end.

Nothing is skipped when a tool is missing: if the cloud cannot be built or started, every
end-to-end test errors, and CI fails.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from infra.localcloud import LocalCloud


@pytest.fixture(scope="session")
def local_cloud(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalCloud]:
    state = Path(os.environ.get("GOVCLOUD_TEST_STATE", tmp_path_factory.mktemp("localcloud")))
    cloud = LocalCloud(state)
    cloud.up()
    try:
        yield cloud
    finally:
        cloud.down(quiet=True)


@pytest.fixture(scope="session")
def cloud_env(local_cloud: LocalCloud) -> Iterator[dict[str, str]]:
    """The local cloud's environment, applied to this process for the session."""
    env = local_cloud.environment()
    saved = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        yield env
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
