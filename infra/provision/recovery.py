"""Recovering a stack whose deploy was killed mid-update (file backend).

Pulumi's file backend writes the checkpoint to a temporary file and renames it, but the
``.attrs`` sidecar that the blob library keeps beside it can be left empty by a kill, and
then every later command fails with "failed to load checkpoint: EOF". The last good
checkpoint is kept as ``<stack>.json.bak``. Resources created after that checkpoint are
adopted on the next update, because every provider ensures by a deterministic name.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from urllib.parse import urlparse

__all__ = ["file_backend_tags", "known_missing", "repair_checkpoint"]


def _stack_dir(project: str, url: str | None = None) -> Path | None:
    url = os.environ.get("PULUMI_BACKEND_URL", "") if url is None else url
    if not url.startswith("file://"):
        return None
    return Path(urlparse(url).path) / ".pulumi" / "stacks" / project


def _valid_json(path: Path) -> bool:
    try:
        json.loads(path.read_text())
    except (OSError, ValueError):
        return False
    return True


def _layout_dir(project: str, backend_url: str | None) -> Path | None:
    """The stacks directory of a file backend in the project layout (version 1), else None."""
    directory = _stack_dir(project, backend_url)
    if directory is None:
        return None
    meta = directory.parent.parent / "meta.yaml"
    if not meta.is_file() or "version: 1" not in meta.read_text(encoding="utf-8"):
        return None
    return directory


def known_missing(project: str, stack: str, backend_url: str | None = None) -> bool:
    """The file backend certainly has no such stack (project layout, version 1): create it
    first instead of learning that from a failed operation. False when unsure."""
    directory = _layout_dir(project, backend_url)
    return directory is not None and not any(directory.glob(f"{stack}.json*"))


def file_backend_tags(project: str, stack: str,
                      backend_url: str | None = None) -> dict[str, str] | None:
    """A stack's tags read straight from a file backend (``<stack>.pulumi-tags``), without
    a CLI call that opens the backend (0.1-0.3 s, more with many stacks). None when this is
    not such a backend or the file is not readable: ask the CLI."""
    directory = _layout_dir(project, backend_url)
    if directory is None:
        return None
    if not any(directory.glob(f"{stack}.json*")):
        return None
    try:
        data = json.loads((directory / f"{stack}.pulumi-tags").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return None
    tags = data.get("tags") if isinstance(data, dict) and data.get("version") == 1 else None
    return {str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else None


def repair_checkpoint(project: str, stack: str, backend_url: str | None = None) -> list[str]:
    """Fix what a killed update leaves behind; return what was done (empty: nothing)."""
    directory = _stack_dir(project, backend_url)
    if directory is None:
        return []
    done: list[str] = []
    checkpoint = directory / f"{stack}.json"
    for sidecar in (checkpoint.with_name(checkpoint.name + ".attrs"),
                    checkpoint.with_name(checkpoint.name + ".bak.attrs")):
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
