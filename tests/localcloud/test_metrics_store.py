"""The local cloud's metrics store: its command line, its scrape configuration and the
targets processes register."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import yaml

from infra.localcloud import register_scrape_target, unregister_scrape_target
from infra.localcloud.components import Layout, components


def _store(tmp_path: Path) -> tuple[Layout, list[str]]:
    lay = Layout(tmp_path, {"metrics": 18428})
    comp = next(c for c in components() if c.name == "metrics")
    assert comp.prepare is not None
    comp.prepare(lay)
    return lay, comp.command(lay)


def test_the_store_listens_on_loopback_and_keeps_its_data_in_the_state_dir(
    tmp_path: Path,
) -> None:
    lay, command = _store(tmp_path)
    assert Path(command[0]).name == "victoria-metrics"
    assert "victoriametrics-v1.151.0" in command[0]
    assert f"-storageDataPath={tmp_path / 'metrics'}" in command
    assert "-httpListenAddr=127.0.0.1:18428" in command
    assert lay.metrics_url == "http://127.0.0.1:18428"
    # backfilled history must be queryable at once, and a year of it kept
    assert "-search.disableCache" in command and "-retentionPeriod=1y" in command


def test_the_scrape_configuration_reads_the_registered_targets(tmp_path: Path) -> None:
    lay, command = _store(tmp_path)
    assert f"-promscrape.config={lay.scrape_config}" in command
    config = yaml.safe_load(lay.scrape_config.read_text())
    files = config["scrape_configs"][0]["file_sd_configs"][0]["files"]
    assert files == [str(tmp_path / "metrics-targets" / "*.json")]
    assert stat.S_IMODE(lay.scrape_config.stat().st_mode) == 0o600

    path = register_scrape_target("reconciler", "127.0.0.1:9100", state=tmp_path)
    assert path.parent == lay.scrape_targets
    assert json.loads(path.read_text()) == [
        {"targets": ["127.0.0.1:9100"], "labels": {"component": "reconciler"}}
    ]
    unregister_scrape_target("reconciler", state=tmp_path)
    assert not path.exists()
    unregister_scrape_target("reconciler", state=tmp_path)  # stopping twice is fine
