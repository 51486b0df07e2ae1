"""Tenant specs as they were at a git revision (for `govcloud diff`)."""

from __future__ import annotations

import subprocess
from pathlib import Path

from infra.errors import InputError

from .load import LoadedTenant
from .tenant import TenantSpec
from .validate import validate
from .yamlsafe import MAX_BYTES, decode, parse_yaml

__all__ = ["git_root", "load_tenants_at"]


def _git(*args: str, cwd: Path) -> bytes:
    try:
        result = subprocess.run(["git", *args], cwd=cwd, capture_output=True, check=False,
                                timeout=60)
    except FileNotFoundError:
        raise InputError("git is not installed") from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(f"git {' '.join(args)}: {message[-1] if message else 'failed'}")
    return result.stdout


def git_root(start: Path) -> Path:
    return Path(_git("rev-parse", "--show-toplevel", cwd=start).decode().strip())


def load_tenants_at(ref: str, directory: str, *, repo: Path) -> tuple[list[LoadedTenant],
                                                                    list[str]]:
    """Valid specs under ``directory`` at ``ref``, and the files that did not load."""
    _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", cwd=repo)
    listing = _git("ls-tree", "--name-only", f"{ref}:{directory}", cwd=repo).decode()
    loaded: list[LoadedTenant] = []
    skipped: list[str] = []
    for name in listing.splitlines():
        if not name.endswith((".yaml", ".yml")):
            continue
        where = f"{ref}:{directory}/{name}"
        try:
            raw = _git("show", where, cwd=repo)
            if len(raw) > MAX_BYTES:
                raise InputError("larger than 1 MiB", path=where)
            text = decode(raw, where)
            spec = validate(TenantSpec, parse_yaml(text, where), text=text, where=where)
        except InputError:
            skipped.append(where)
            continue
        loaded.append(LoadedTenant(path=Path(directory) / name, spec=spec, text=text))
    return loaded, skipped
