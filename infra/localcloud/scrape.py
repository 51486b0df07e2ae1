"""Scrape targets of the local cloud's metrics store, one Prometheus file_sd file each.

The store re-reads the directory every few seconds, so a process that serves /metrics on a
port chosen at its start (the background reconciler) registers itself, and is dropped again
when it stops.
"""

from __future__ import annotations

import json
from pathlib import Path

from .cluster import default_state_dir
from .components import Layout
from .hardening import private_dir, write_private

__all__ = ["register_scrape_target", "unregister_scrape_target"]


def _target_file(name: str, state: Path | None) -> Path:
    return Layout((state or default_state_dir()).resolve(), {}).scrape_targets / f"{name}.json"


def register_scrape_target(name: str, address: str, *, state: Path | None = None) -> Path:
    """Scrape ``http://ADDRESS/metrics`` as job ``govcloud``, instance label ``name``."""
    path = _target_file(name, state)
    private_dir(path.parent)
    body = [{"targets": [address], "labels": {"component": name}}]
    write_private(path, json.dumps(body, indent=2).encode())
    return path


def unregister_scrape_target(name: str, *, state: Path | None = None) -> None:
    _target_file(name, state).unlink(missing_ok=True)
