"""Where the Kubernetes client keeps what it discovered about a cluster, and how it writes it.

The client library caches API discovery in one JSON file per cluster in the shared
temporary directory, and rewrites that file in place. Processes that discover at once
(the provider hosts of a parallel deploy) then read each other's half-written file, and the
library prints ``ERROR:root:load cache error: Expecting value ...`` on the user's terminal.
Here the file is private to the user (still in the temporary directory: caches of
clusters long gone do not pile up) and replaced whole: written to a temporary file in the
same directory and renamed over the old one, so a reader sees the old file or the new one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

from kubernetes.dynamic import discovery as _discovery

__all__ = ["Discoverer", "cache_file"]

# The Kubernetes client is untyped here; keep its Any at this one seam.
_LazyDiscoverer: Any = _discovery.LazyDiscoverer
_CacheEncoder: Any = _discovery.CacheEncoder


def cache_file(host: str) -> str:
    """The discovery cache of the cluster at ``host``, in a directory of the temporary
    directory that only this user can use (made mode 0700). A directory there that is not
    ours alone is not used: the path then leads nowhere and discovery stays in memory."""
    directory = Path(tempfile.gettempdir(), f"govcloud-kube-discovery-{os.getuid()}")
    name = f"{hashlib.sha256(host.encode()).hexdigest()[:32]}.json"
    # Why: a directory that cannot be made is judged below like one that is not ours.
    with contextlib.suppress(OSError):
        directory.mkdir(mode=0o700)
    try:
        info = directory.lstat()
        ours = (
            stat.S_ISDIR(info.st_mode)
            and info.st_uid == os.getuid()
            and not stat.S_IMODE(info.st_mode) & 0o077
        )
    except OSError:
        ours = False
    # Not ours alone: /dev/null is no directory, so nothing is read from there or written.
    return str(directory / name) if ours else os.path.join(os.devnull, name)


class Discoverer(_LazyDiscoverer):  # type: ignore[misc]
    """The library's lazy discoverer, writing its cache file whole (see the module)."""

    def __init__(self, client: Any, cache_file: str) -> None:
        self._cache_path = cache_file  # set first: the library's __init__ writes the cache
        super().__init__(client, cache_file)

    def _write_cache(self) -> None:
        directory, name = os.path.split(self._cache_path)
        try:
            handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{name}.")
        # Why: as in the library, a cache that cannot be written only costs a rediscovery.
        except OSError:
            return
        try:
            with os.fdopen(handle, "w") as out:
                json.dump(self._cache, out, cls=_CacheEncoder)
            os.replace(temporary, self._cache_path)
        # Why: the same; the half-written temporary file is removed, the old cache stays.
        except (OSError, TypeError, ValueError):
            with contextlib.suppress(OSError):
                os.unlink(temporary)
