"""Validated tenant specs remembered by the content of their file, across runs.

Parsing and validating a spec file (YAML with line tracking, then the model) costs about a
millisecond; a deploy of one tenant in a fleet of 1,000 reads them all for the compliance
gate. The cache maps the SHA-256 of a file's text to the spec validated from it, so an
unchanged file is not parsed again; a changed file is a new key. It is a pickle in the
checkout's own ``.govcloud/cache/`` (created private to the user), named after the code that
validated it: any change to ``infra/spec`` or to pydantic starts a new cache. Only the specs
used by the last run are kept. Problems are never cached: a bad file is parsed, and
reported, every time.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path

import pydantic

from infra import __version__

from .tenant import TenantSpec

__all__ = ["SpecCache"]


def _code_key() -> str:
    """What validated the cached specs: govcloud's and pydantic's versions and the spec
    modules as they are on disk."""
    digest = hashlib.sha256(f"{__version__} {pydantic.VERSION}".encode())
    for source in sorted(Path(__file__).parent.glob("*.py")):
        info = source.stat()
        digest.update(f"{source.name} {info.st_size} {info.st_mtime_ns}".encode())
    return digest.hexdigest()[:16]


class SpecCache:
    def __init__(self, directory: Path) -> None:
        self.path = directory / f"specs-{_code_key()}.pickle"
        self._known: dict[str, TenantSpec] = {}
        self._used: dict[str, TenantSpec] = {}
        try:
            with self.path.open("rb") as handle:
                loaded = pickle.load(handle)
            if isinstance(loaded, dict):
                self._known = loaded
        # Why: a missing, torn or foreign cache is only a slower run.
        except (
            OSError,
            pickle.UnpicklingError,
            EOFError,
            AttributeError,
            ImportError,
            TypeError,
            ValueError,
        ):
            self._known = {}

    @staticmethod
    def key(text: str) -> str:
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def lookup(self, text: str) -> TenantSpec | None:
        key = self.key(text)
        found = self._known.get(key)
        if isinstance(found, TenantSpec):
            self._used[key] = found
            return found
        return None

    def remember(self, text: str, spec: TenantSpec) -> None:
        self._used[self.key(text)] = spec

    def save(self) -> None:
        """Keep what this run used (atomically; a failure to write is not an error)."""
        if self._used.keys() == self._known.keys():
            return
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            for stale in self.path.parent.glob("specs-*.pickle"):
                if stale != self.path:
                    stale.unlink(missing_ok=True)
            fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".specs-")
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(self._used, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temp, self.path)
        except OSError:
            return
        self._known = dict(self._used)
