"""Owner-only files for what deploy writes beside the repository (`.govcloud/deploy-logs/`):
stack output names resources, carries error text and sometimes plan details."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["private_dir", "private_file"]


def private_dir(path: Path) -> Path:
    """``path`` created if needed and made owner-only (0700), also when it already existed."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def private_file(path: Path, *, empty: bool) -> Path:
    """``path`` created owner-only (0600) if missing, emptied when ``empty``; an existing
    file from an older run is made owner-only too."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_TRUNC if empty else os.O_APPEND)
    fd = os.open(path, flags, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    return path
