"""infra.drivers.cloud._models: service models parsed once per machine, never stale."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

from botocore.loaders import JSONFileLoader, Loader

from infra.drivers.cloud._models import CachedFileLoader


def test_a_real_model_loads_the_same_from_the_cache_as_from_botocore(tmp_path: Path) -> None:
    cached = Loader(file_loader=CachedFileLoader(tmp_path / "cache"))
    plain = Loader(file_loader=JSONFileLoader())
    expected = plain.load_service_model("kms", "service-2")
    first = cached.load_service_model("kms", "service-2")
    assert list((tmp_path / "cache").glob("*.marshal")), "the parsed model is kept"
    again = Loader(file_loader=CachedFileLoader(tmp_path / "cache"))
    second = again.load_service_model("kms", "service-2")
    assert first == expected and second == expected
    assert list(second["operations"]) == list(expected["operations"])  # order kept


def test_a_changed_file_is_parsed_again(tmp_path: Path) -> None:
    model = tmp_path / "model"
    loader = CachedFileLoader(tmp_path / "cache")
    model.with_suffix(".json").write_text(json.dumps({"version": 1}))
    assert loader.load_file(str(model)) == {"version": 1}
    model.with_suffix(".json").write_text(json.dumps({"version": 22}))
    os.utime(model.with_suffix(".json"), ns=(1, 1))
    assert loader.load_file(str(model)) == {"version": 22}


def test_gzipped_models_and_an_unwritable_cache_still_load(tmp_path: Path) -> None:
    model = tmp_path / "model"
    (tmp_path / "model.json.gz").write_bytes(gzip.compress(json.dumps({"a": [1, 2]}).encode()))
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache directory should be")
    loader = CachedFileLoader(blocked / "cache")
    assert loader.load_file(str(model)) == {"a": [1, 2]}
    assert loader.load_file(str(tmp_path / "absent")) is None
