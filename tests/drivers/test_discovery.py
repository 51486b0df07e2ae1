"""The Kubernetes client's discovery cache: private to the user, one file per cluster, and
never seen half-written by another process (which the library reports as
`ERROR:root:load cache error` on the user's terminal)."""

from __future__ import annotations

import json
import os
import stat
import tempfile
import threading
from pathlib import Path
from typing import Any

import pytest

from infra.drivers.discovery import Discoverer, cache_file


def _writer(path: Path, cache: dict[str, Any]) -> Discoverer:
    writer = Discoverer.__new__(Discoverer)  # no cluster: only the cache file is under test
    writer._cache_path, writer._cache = str(path), cache
    return writer


def test_a_reader_never_sees_a_half_written_cache(tmp_path: Path) -> None:
    path = tmp_path / "cluster.json"
    cache = {"library_version": "x", "resources": {f"g{i}": "v" * 500 for i in range(1000)}}
    writer = _writer(path, cache)
    writer._write_cache()
    stop = threading.Event()

    def keep_writing() -> None:
        while not stop.is_set():
            writer._write_cache()

    thread = threading.Thread(target=keep_writing)
    thread.start()
    try:
        for _ in range(100):
            assert json.loads(path.read_text()) == cache
    finally:
        stop.set()
        thread.join()
    assert [p.name for p in tmp_path.iterdir()] == ["cluster.json"]  # no temporary left


def test_the_cache_is_private_and_one_file_per_cluster(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    first, again = cache_file("https://127.0.0.1:6443"), cache_file("https://127.0.0.1:6443")
    other = cache_file("https://127.0.0.1:7443")
    assert first == again != other
    assert Path(first).parent == tmp_path / f"govcloud-kube-discovery-{os.getuid()}"
    assert stat.S_IMODE(Path(first).parent.stat().st_mode) == 0o700


def test_a_directory_others_can_write_is_not_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    shared = tmp_path / f"govcloud-kube-discovery-{os.getuid()}"
    shared.mkdir()
    shared.chmod(0o777)  # as someone else could have made it first, with a planted cache
    path = Path(cache_file("https://127.0.0.1:6443"))
    assert shared not in path.parents
    _writer(path, {"library_version": "x"})._write_cache()  # no error: kept in memory only
    assert not path.exists() and list(shared.iterdir()) == []
