from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from infra.spec.environment import EnvironmentSpec
from infra.spec.load import load_environment, load_tenants
from infra.spec.tenant import TenantSpec

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2026, 11, 28)


@pytest.fixture(scope="session")
def env() -> EnvironmentSpec:
    return load_environment("local", ROOT / "stacks")


@pytest.fixture(scope="session")
def fleet() -> dict[str, TenantSpec]:
    return {t.spec.id: t.spec for t in load_tenants([ROOT / "tenants"])}
