"""Pulumi's file backend (project layout, version 1), read and written directly where the
CLI would cost a process: whether a stack exists, its tags, and creating an empty stack.

Every function answers "unsure" (None/False) for any other backend or layout, and the
caller asks the CLI instead.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path
from urllib.parse import urlparse

__all__ = ["create_stack", "file_backend_tags", "known_missing", "stack_dir"]

# The lines of a stack config that say how its secrets are encrypted: a passphrase salt, or
# a cloud KMS key with the data key it wraps.
_SECRETS = re.compile(r"^(?:encryptionsalt|secretsprovider|encryptedkey): \S+$", re.M)


def stack_dir(project: str, url: str | None = None) -> Path | None:
    """Where a file backend keeps the project's checkpoints (None: not a file backend)."""
    url = os.environ.get("PULUMI_BACKEND_URL", "") if url is None else url
    if not url.startswith("file://"):
        return None
    return Path(urlparse(url).path) / ".pulumi" / "stacks" / project


def _layout_dir(project: str, backend_url: str | None) -> Path | None:
    """The stacks directory of a file backend in the project layout (version 1), else None."""
    directory = stack_dir(project, backend_url)
    if directory is None:
        return None
    meta = directory.parent.parent / "meta.yaml"
    if not meta.is_file() or "version: 1" not in meta.read_text(encoding="utf-8"):
        return None
    return directory


def _has_checkpoint(directory: Path, stack: str) -> bool:
    """Any checkpoint of ``stack`` (plain, compressed or its backup) is in ``directory``."""
    return any(directory.glob(f"{stack}.json*"))


def known_missing(project: str, stack: str, backend_url: str | None = None) -> bool:
    """The file backend certainly has no such stack (project layout, version 1): create it
    first instead of learning that from a failed operation. False when unsure."""
    directory = _layout_dir(project, backend_url)
    return directory is not None and not _has_checkpoint(directory, stack)


def file_backend_tags(
    project: str, stack: str, backend_url: str | None = None
) -> dict[str, str] | None:
    """A stack's tags read straight from a file backend (``<stack>.pulumi-tags``), without
    a CLI call that opens the backend (0.1-0.3 s, more with many stacks). None when this is
    not such a backend or the file is not readable: ask the CLI."""
    directory = _layout_dir(project, backend_url)
    if directory is None or not _has_checkpoint(directory, stack):
        return None
    try:
        data = json.loads((directory / f"{stack}.pulumi-tags").read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError):
        return None
    tags = data.get("tags") if isinstance(data, dict) and data.get("version") == 1 else None
    return {str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else None


def _write_new(path: Path, text: str) -> bool:
    """Write ``text`` to ``path`` only if it does not exist, atomically (a reader sees the
    whole file or none). False when it already existed."""
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".new")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.link(temp, path)  # fails if the name exists: the file is never half-written
    except FileExistsError:
        return False
    finally:
        os.unlink(temp)
    return True


def create_stack(
    project: str, stack: str, backend_url: str | None, *, config_dir: Path, like: Path
) -> bool:
    """Create the empty stack ``stack`` as `pulumi stack init` does on a file backend, with
    the secrets settings of the stack config ``like`` (the environment's platform stack:
    same project, same passphrase or KMS key). `stack init` spends 0.25 s, most of it
    deriving a key from a new passphrase salt. True when the stack exists afterwards;
    False when this is not certain to be right here (another backend or layout, a config
    file already there, no secrets settings to reuse): use the CLI.
    """
    directory = _layout_dir(project, backend_url)
    config = config_dir / f"Pulumi.{stack}.yaml"
    if directory is None or config.exists() or not like.is_file():
        return False
    secrets = _SECRETS.findall(like.read_text(encoding="utf-8"))
    if not secrets or _has_checkpoint(directory, stack):
        return False
    if not _write_new(config, "".join(f"{line}\n" for line in secrets)):
        return False
    checkpoint = {"version": 3, "checkpoint": {"stack": f"organization/{project}/{stack}"}}
    _write_new(directory / f"{stack}.json", json.dumps(checkpoint, separators=(",", ":")))
    return True
