"""Specs validated once are not parsed again while their file's text is unchanged; a changed
or broken file always is."""

from __future__ import annotations

import shutil
import stat
from pathlib import Path

import pytest

from infra.errors import SpecError
from infra.spec import load, yamlsafe
from infra.spec.cache import SpecCache
from infra.spec.load import load_tenants

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def fleet(tmp_path: Path) -> Path:
    directory = tmp_path / "tenants"
    shutil.copytree(ROOT / "tenants", directory)
    return directory


@pytest.fixture
def parses(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    seen: list[str] = []
    real = yamlsafe.parse_yaml

    def counting(text: str, where: str) -> object:
        seen.append(Path(where).name)
        return real(text, where)

    monkeypatch.setattr(load, "parse_yaml", counting)
    return seen


def test_an_unchanged_fleet_is_not_parsed_again(
    fleet: Path, tmp_path: Path, parses: list[str]
) -> None:
    cache_dir = tmp_path / "cache"
    first = load_tenants([fleet], cache=SpecCache(cache_dir))
    assert len(parses) == len(first) > 10
    parses.clear()
    second = load_tenants([fleet], cache=SpecCache(cache_dir))
    assert parses == []
    assert [(t.path, t.spec, t.text) for t in second] == [(t.path, t.spec, t.text) for t in first]
    [cache_file] = cache_dir.iterdir()
    assert stat.S_IMODE(cache_dir.stat().st_mode) == 0o700
    assert stat.S_IMODE(cache_file.stat().st_mode) == 0o600


def test_a_changed_file_is_parsed_and_validated_again(
    fleet: Path, tmp_path: Path, parses: list[str]
) -> None:
    cache_dir = tmp_path / "cache"
    load_tenants([fleet], cache=SpecCache(cache_dir))
    path = fleet / "gz-wjw.yaml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("pods: 400", "pods: 401"), encoding="utf-8"
    )
    parses.clear()
    loaded = {t.spec.id: t.spec for t in load_tenants([fleet], cache=SpecCache(cache_dir))}
    assert parses == ["gz-wjw.yaml"] and loaded["gz-wjw"].quotas.pods == 401

    path.write_text(
        path.read_text(encoding="utf-8").replace("pods: 401", "pods: -1"), encoding="utf-8"
    )
    for _ in range(2):  # a problem is reported every time, never remembered
        with pytest.raises(SpecError) as error:
            load_tenants([fleet], cache=SpecCache(cache_dir))
        assert "quotas.pods" in str(error.value)


def test_a_torn_cache_is_only_a_slower_run(fleet: Path, tmp_path: Path, parses: list[str]) -> None:
    cache_dir = tmp_path / "cache"
    load_tenants([fleet], cache=SpecCache(cache_dir))
    [cache_file] = cache_dir.iterdir()
    cache_file.write_bytes(cache_file.read_bytes()[:100])
    parses.clear()
    assert len(load_tenants([fleet], cache=SpecCache(cache_dir))) == len(parses) > 10
