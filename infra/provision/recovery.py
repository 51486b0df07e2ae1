"""Recovering a stack whose deploy was killed mid-update (file backend).

Pulumi's file backend writes the checkpoint to a temporary file and renames it, but the
``.attrs`` sidecar that the blob library keeps beside it can be left empty by a kill, and
then every later command fails with "failed to load checkpoint: EOF". The last good
checkpoint is kept as ``<stack>.json.bak``. Resources created after that checkpoint are
adopted on the next update, because every provider ensures by a deterministic name.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from .filebackend import stack_dir

__all__ = ["repair_checkpoint"]


def _valid_json(path: Path) -> bool:
    try:
        json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return True


def repair_checkpoint(project: str, stack: str, backend_url: str | None = None) -> list[str]:
    """Fix what a killed update leaves behind; return what was done (empty: nothing)."""
    directory = stack_dir(project, backend_url)
    if directory is None:
        return []
    done: list[str] = []
    checkpoint = directory / f"{stack}.json"
    for sidecar in (
        checkpoint.with_name(checkpoint.name + ".attrs"),
        checkpoint.with_name(checkpoint.name + ".bak.attrs"),
    ):
        if sidecar.exists() and sidecar.stat().st_size == 0:
            sidecar.unlink()
            done.append(f"removed empty {sidecar.name}")
    for partial in directory.glob(f"{stack}.json.*.tmp"):
        partial.unlink()
        done.append(f"removed partial {partial.name}")
    backup = checkpoint.with_name(checkpoint.name + ".bak")
    if checkpoint.exists() and not _valid_json(checkpoint) and _valid_json(backup):
        shutil.copyfile(backup, checkpoint)
        done.append(f"restored {checkpoint.name} from its backup")
    return done
