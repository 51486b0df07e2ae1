"""Tenant specs as they were at a git revision (for `govcloud diff`)."""

from __future__ import annotations

import datetime as dt
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from infra.errors import InputError

from .environment import EnvironmentSpec
from .load import LoadedTenant
from .regions import region_problems
from .tenant import TenantSpec
from .validate import validate
from .yamlsafe import MAX_BYTES, _FastBase, _shallow, decode, parse_yaml

__all__ = [
    "SYMLINK_MODE",
    "SharingHistory",
    "git_root",
    "load_environment_at",
    "load_tenants_at",
    "sharing_history",
]

SYMLINK_MODE = "120000"  # git's mode of a symbolic link


def _git(*args: str, cwd: Path) -> bytes:
    try:
        result = subprocess.run(
            ["git", *args], cwd=cwd, capture_output=True, check=False, timeout=60
        )
    except FileNotFoundError:
        raise InputError("git is not installed") from None
    if result.returncode != 0:
        message = result.stderr.decode("utf-8", "replace").strip().splitlines()
        raise InputError(f"git {' '.join(args)}: {message[-1] if message else 'failed'}")
    return result.stdout


def git_root(start: Path) -> Path:
    return Path(_git("rev-parse", "--show-toplevel", cwd=start).decode().strip())


def load_tenants_at(
    ref: str, directory: str, *, repo: Path
) -> tuple[list[LoadedTenant], list[str]]:
    """Valid specs under ``directory`` at ``ref``, and the files that did not load."""
    _git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", cwd=repo)
    listing = _git("ls-tree", "-z", f"{ref}:{directory}", cwd=repo).decode()
    loaded: list[LoadedTenant] = []
    skipped: list[str] = []
    for entry in listing.split("\0"):
        mode, _, name = entry.partition("\t")
        if not name.endswith((".yaml", ".yml")):
            continue
        where = f"{ref}:{directory}/{name}"
        if mode.split(" ")[0] == SYMLINK_MODE:  # its blob is the link's target: never read
            skipped.append(where)
            continue
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


def load_environment_at(ref: str, path: str, *, repo: Path) -> EnvironmentSpec | None:
    """The environment spec ``path`` (relative to the repository) at ``ref``; None when it
    is not there or does not load (the diff then judges both sides by today's)."""
    where = f"{ref}:{path}"
    try:
        raw = _git("show", where, cwd=repo)
        if len(raw) > MAX_BYTES:
            return None
        text = decode(raw, where)
        env = validate(EnvironmentSpec, parse_yaml(text, where), text=text, where=where)
    except InputError:
        return None
    return None if any(True for _ in region_problems(env)) else env


# -- sharing history: when data requests and peerings first appeared in the repository -----

RequestKey = tuple[str, str, str]  # (requesting tenant, providing tenant, data)
PeerKey = tuple[str, str]  # (declaring tenant, peer tenant)


@dataclass
class SharingHistory:
    """First (and, once gone, last) dates of requests and peerings on the main line.

    Dates are commit dates of the first-parent history of ``directory``: the day a change
    landed on the branch, which is when the bureau's clock starts and stops.
    """

    commits: int = 0
    requested: dict[RequestKey, dt.date] = field(default_factory=dict)
    withdrawn: dict[RequestKey, dt.date] = field(default_factory=dict)
    peered: dict[PeerKey, dt.date] = field(default_factory=dict)


_COMMIT = "\x1e"


def _blocks(text: str) -> tuple[str, str] | None:
    """The top-level ``data_requests`` block and the ``peers`` block inside ``network``
    (dedented), each cheap to parse; None when the file is not written in block style."""
    requests: list[str] = []
    peers: list[str] = []
    section, indent, done = "", -1, False
    for line in text.splitlines():
        if line[:1] not in ("", " ", "-", "#"):
            section, _, rest = line.partition(":")
            if section in ("data_requests", "network") and rest.strip()[:1] not in ("", "#"):
                return None  # written inline (flow style): parse the whole file
            if section == "data_requests":
                requests.append(line)
            continue
        if section == "data_requests":
            requests.append(line)
        elif section == "network" and not done:
            stripped = line.lstrip()
            depth = len(line) - len(stripped)
            if indent < 0:
                if stripped.startswith("peers:"):
                    indent = depth
                    peers.append(stripped)
            elif (
                not stripped
                or stripped.startswith("#")
                or depth > indent
                or (depth == indent and stripped.startswith("- "))
            ):
                peers.append(line[indent:])
            else:
                done = True
    if ("data_requests" in text and not requests) or ("peers" in text and not peers):
        return None
    return "\n".join(requests), "\n".join(peers)


_Facts = tuple[frozenset[tuple[str, str]], frozenset[str]]
_NO_FACTS: _Facts = (frozenset(), frozenset())
_Cache = dict[str, frozenset[Any] | None]


def _load(text: str, where: str) -> Any:
    """libyaml straight to Python for the common, provably shallow, alias-free snippet (a
    two-year history has thousands); anything else takes the careful path."""
    if "&" in text or "*" in text or not _shallow(text):
        return parse_yaml(text, where)
    try:
        return yaml.load(text, Loader=_FastBase)  # a safe loader (CSafeLoader)
    except yaml.YAMLError:
        raise InputError("not valid YAML", path=where) from None


def _part(
    text: str,
    where: str,
    cache: _Cache,
    pick: Callable[[Any], frozenset[Any]],
) -> frozenset[Any] | None:
    if text not in cache:
        try:
            cache[text] = pick(_load(text, where) if text.strip() else {})
        except (InputError, AttributeError, KeyError, TypeError):
            cache[text] = None
    return cache[text]


def _requests_of(doc: Any) -> frozenset[tuple[str, str]]:
    return frozenset(
        (str(r["from"]), str(r.get("dataset") or r["data"])) for r in doc.get("data_requests") or []
    )


def _peers_of(doc: Any) -> frozenset[str]:
    return frozenset(str(p["tenant"]) for p in doc.get("peers") or [])


def _facts(text: str, where: str, cache: _Cache) -> _Facts | None:
    """(provider, data) of each request and the peers of one file version; None if the
    version does not parse (it is then treated as unchanged)."""
    blocks = _blocks(text)
    if blocks is None:  # flow style at the top: parse the whole file
        whole = _part(
            text,
            where,
            cache,
            lambda d: frozenset([(_requests_of(d), _peers_of(d.get("network") or {}))]),
        )
        return next(iter(whole)) if whole else None
    requests = _part(blocks[0], where, cache, _requests_of)
    peers = _part(blocks[1], where, cache, _peers_of)
    if requests is None or peers is None:
        return None
    return requests, peers


def _commits(repo: Path, directory: str) -> list[tuple[dt.date, list[tuple[str, str]]]]:
    """(date, [(path, new blob or '' when deleted)]) per first-parent commit, oldest first."""
    out = _git(
        "log",
        "--first-parent",
        "--diff-merges=first-parent",
        "--reverse",
        "--no-renames",
        "--raw",
        "--no-abbrev",
        f"--format={_COMMIT}%cI",
        "--",
        directory,
        cwd=repo,
    ).decode("utf-8", "replace")
    commits = []
    for chunk in out.split(_COMMIT)[1:]:
        head, _, body = chunk.partition("\n")
        changes = []
        for line in body.splitlines():
            if not line.startswith(":"):
                continue
            meta, _, path = line.partition("\t")
            parts = meta.split()
            if not path.endswith((".yaml", ".yml")) or "/" in path[len(directory) + 1 :]:
                continue
            # A link's blob is its target, not a spec: the file counts as gone.
            gone = parts[4] == "D" or parts[1] == SYMLINK_MODE
            changes.append((path, "" if gone else parts[3]))
        commits.append((dt.date.fromisoformat(head.strip()[:10]), changes))
    return commits


def _blobs(repo: Path, shas: list[str]) -> dict[str, str]:
    """Contents of many blobs through one ``git cat-file --batch``."""
    if not shas:
        return {}
    result = subprocess.run(
        ["git", "cat-file", "--batch"],
        cwd=repo,
        check=False,
        input="\n".join(shas).encode() + b"\n",
        capture_output=True,
        timeout=300,
    )
    data, pos, out = result.stdout, 0, {}
    for sha in shas:
        header_end = data.index(b"\n", pos)
        header = data[pos:header_end].split()
        if len(header) < 3:  # "<sha> missing"
            pos = header_end + 1
            continue
        size = int(header[2])
        body = data[header_end + 1 : header_end + 1 + size]
        out[sha] = body.decode("utf-8", "replace") if size <= MAX_BYTES else ""
        pos = header_end + 1 + size + 1
    return out


def sharing_history(repo: Path, directory: str = "tenants") -> SharingHistory:
    """Replay the history of ``directory``: one ``git log`` and one ``git cat-file``."""
    commits = _commits(repo, directory.strip("/"))
    wanted = sorted({blob for _, changes in commits for _, blob in changes if blob})
    texts = _blobs(repo, wanted)
    history = SharingHistory(commits=len(commits))
    current: dict[str, _Facts] = {}
    cache: _Cache = {}
    for day, changes in commits:
        for path, blob in changes:
            tenant = Path(path).stem
            before = current.get(path, _NO_FACTS)
            after = _NO_FACTS if not blob else _facts(texts.get(blob, ""), path, cache)
            if after is None:
                continue
            current[path] = after
            for provider, data in after[0] - before[0]:
                key = (tenant, provider, data)
                history.requested.setdefault(key, day)
                history.withdrawn.pop(key, None)
            for provider, data in before[0] - after[0]:
                history.withdrawn[(tenant, provider, data)] = day
            for peer in after[1] - before[1]:
                history.peered.setdefault((tenant, peer), day)
    return history
