from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from infra.spec import LoadedTenant, load_tenants
from infra.spec.tenant import TenantSpec
from tests.plan.conftest import ROOT, TODAY, env

__all__ = ["ROOT", "TODAY", "env", "git"]


@pytest.fixture(scope="session")
def loaded() -> list[LoadedTenant]:
    return load_tenants([ROOT / "tenants"])


@pytest.fixture(scope="session")
def specs(loaded: list[LoadedTenant]) -> list[TenantSpec]:
    return [t.spec for t in loaded]


def git(repo: Path, *args: str, date: str | None = None) -> str:
    """Run git in ``repo``; ``date`` (ISO) backdates both author and committer dates."""
    env = {
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@gd.gov.cn",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@gd.gov.cn",
        "PATH": "/usr/bin:/bin",
        "HOME": str(repo),
    }
    if date:
        env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"{date}T10:00:00+08:00"
    result = subprocess.run(
        ["git", *args], cwd=repo, env=env, check=True, capture_output=True, text=True
    )
    return result.stdout
