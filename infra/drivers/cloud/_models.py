"""botocore's service models, parsed once per machine instead of once per process.

Building the four clients a stack uses cost a provider host about 0.7 s, most of it parsing
the service models' JSON (botocore builds every object of them as an ``OrderedDict``; ec2's
model alone is several megabytes). A deploy starts a provider host per stack, so the same
files were parsed again for every tenant. This loader keeps each parsed file as ``marshal``
data under ``~/.cache/govcloud/botocore/<botocore version>/``, keyed by the file's path, size
and modification time, and reads it back in a fraction of the time. Plain dicts keep their
order, which is all the models need. A cache that cannot be read or written is skipped: the
file is parsed as botocore would.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import marshal
import os
import tempfile
from pathlib import Path
from typing import Any

import botocore
from botocore.loaders import JSONFileLoader

__all__ = ["CachedFileLoader", "cache_dir"]


def cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "govcloud" / "botocore" / str(botocore.__version__)


class CachedFileLoader(JSONFileLoader):  # type: ignore[misc]
    """botocore's file loader with a parsed-file cache in front of it."""

    def __init__(self, root: Path | None = None) -> None:
        self._root = root or cache_dir()

    def _load_file(self, full_path: str, open_method: Any) -> Any:
        try:
            stat = os.stat(full_path)
        except OSError:
            return None
        key = f"{full_path}\0{stat.st_size}\0{stat.st_mtime_ns}".encode()
        cached = self._root / f"{hashlib.sha256(key).hexdigest()}.marshal"
        with contextlib.suppress(OSError, EOFError, ValueError, TypeError):
            return marshal.loads(cached.read_bytes())
        with open_method(full_path, "rb") as fp:
            data = json.loads(fp.read().decode("utf-8"))
        self._store(cached, data)
        return data

    def _store(self, path: Path, data: Any) -> None:
        # Why: the cache only saves time; a read-only or full disk must not fail a deploy.
        with contextlib.suppress(OSError, ValueError):
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(marshal.dumps(data))
                os.replace(tmp, path)  # whole or absent: concurrent processes never see half
            finally:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)
