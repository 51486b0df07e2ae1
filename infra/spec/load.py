"""Loading specs from disk: the public entry points other layers use."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from infra.errors import InputError, SpecError, SpecProblem
from infra.i18n import _

from .cache import SpecCache
from .environment import EnvironmentSpec
from .regions import region_problems
from .salvage import STAND_IN
from .tenant import TenantSpec
from .validate import Loc, dotted, validate, validate_partly
from .validate import line_of as _line_of
from .yamlsafe import parse_yaml, read_text

__all__ = [
    "LoadedTenant",
    "find_repo_root",
    "load_environment",
    "load_tenant",
    "load_tenant_partly",
    "load_tenants",
    "tenant_files",
]

SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class LoadedTenant:
    """A validated tenant spec with where it came from. ``stand_ins`` are the fields (dotted)
    the schema refused and a neutral value replaced (``load_tenants_partly``): rule findings
    about them judge the stand-in, not the department."""

    path: Path
    spec: TenantSpec
    text: str = field(repr=False, compare=False)
    stand_ins: tuple[str, ...] = ()

    def judges_stand_in(self, field_name: str | None) -> bool:
        """Whether a finding about ``field_name`` is about a replaced part of the spec."""
        if not field_name:
            return False
        return any(
            field_name == s or field_name.startswith((f"{s}.", f"{s}[")) for s in self.stand_ins
        )

    def line_of(self, loc: Loc) -> int | None:
        """Line of a field path in the source file (computed on demand)."""
        return _cached_line(self.text, tuple(loc))


@functools.lru_cache(maxsize=1024)
def _cached_line(text: str, loc: tuple[int | str, ...]) -> int | None:
    try:
        return _line_of(text, loc)
    except yaml.YAMLError:  # the text was accepted before; never fail a report over a line
        return None


def tenant_files(paths: Iterable[Path]) -> list[Path]:
    """Expand directories to the YAML files directly inside them, sorted by name. A file that
    is a symbolic link is listed (and refused when read); a directory that is one is refused
    here: either could show the lines of a file outside the repository."""
    files: list[Path] = []
    for path in paths:
        if path.is_dir() and path.is_symlink():
            raise InputError(
                _(
                    "is a symbolic link; a spec directory must be a real "
                    "directory in the repository (the link is not followed)"
                ),
                path=str(path),
            )
        if path.is_dir() and path.suffix not in SUFFIXES:
            files.extend(sorted(p for p in path.iterdir() if p.suffix in SUFFIXES))
        else:
            files.append(path)
    return files


def load_tenant(path: Path, cache: SpecCache | None = None) -> LoadedTenant:
    where = str(path)
    text = read_text(path)
    spec = cache.lookup(text) if cache else None
    if spec is None:
        spec = validate(TenantSpec, parse_yaml(text, where), text=text, where=where)
        if cache:
            cache.remember(text, spec)
    return LoadedTenant(path=path, spec=spec, text=text)


def load_tenant_partly(
    path: Path, stand_in: dict[str, Any] = STAND_IN
) -> tuple[LoadedTenant | None, list[SpecProblem]]:
    """``path``'s schema problems and, despite them, as much of the spec as can be judged
    (the refused parts replaced from ``stand_in``, see ``infra.spec.salvage``; None when the
    file does not even parse)."""
    where = str(path)
    try:
        text = read_text(path)
        data = parse_yaml(text, where)
        spec, problems, replaced = validate_partly(
            TenantSpec, data, text=text, where=where, stand_in={**stand_in, "id": path.stem}
        )
    except InputError as exc:
        return None, _problems(exc)
    if spec is None:
        return None, problems
    return LoadedTenant(path=path, spec=spec, text=text, stand_ins=tuple(replaced)), problems


def load_tenants_partly(paths: Sequence[Path]) -> tuple[list[LoadedTenant], list[SpecProblem]]:
    """Every tenant spec under ``paths`` that can be judged (see ``load_tenant_partly``) and
    the schema problems of all of them: one file's problems never hide another's."""
    files = tenant_files(paths)
    if not files:
        raise InputError("no tenant specs (*.yaml) found", path=", ".join(map(str, paths)))
    loaded: list[LoadedTenant] = []
    problems: list[SpecProblem] = []
    for path in files:
        tenant, found = load_tenant_partly(path)
        problems += found
        if tenant is not None:
            loaded.append(tenant)
    return loaded, problems


def _problems(error: InputError) -> list[SpecProblem]:
    if isinstance(error, SpecError):
        return list(error.problems)
    return [SpecProblem(error.path or "<input>", error.line, error.field or "", error.message)]


def load_tenants(paths: Sequence[Path], *, cache: SpecCache | None = None) -> list[LoadedTenant]:
    """Load every tenant spec under ``paths``; SpecError lists the problems of all files.
    With a ``cache``, files whose text was validated before are not parsed again.

    (Parsing in forked workers was tried: pickling the results back cost more than it saved.)
    """
    files = tenant_files(paths)
    if not files:
        raise InputError("no tenant specs (*.yaml) found", path=", ".join(map(str, paths)))
    loaded: list[LoadedTenant] = []
    problems: list[SpecProblem] = []
    for path in files:
        try:
            loaded.append(load_tenant(path, cache))
        except InputError as exc:
            problems.extend(_problems(exc))
    if problems:
        raise SpecError(problems)
    if cache:
        cache.save()
    return loaded


def find_repo_root(start: Path | None = None) -> Path:
    """The nearest directory at or above ``start`` (default: cwd) holding Pulumi.yaml."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / "Pulumi.yaml").is_file():
            return candidate
    raise InputError(
        "not inside a govcloud checkout (no Pulumi.yaml above the current directory); "
        "pass --stacks-dir",
        path=str(here),
    )


def load_environment(name: str, stacks_dir: Path | None = None) -> EnvironmentSpec:
    """Load ``stacks/<name>.yaml`` (stacks_dir defaults to <repo root>/stacks)."""
    directory = stacks_dir if stacks_dir is not None else find_repo_root() / "stacks"
    path = directory / f"{name}.yaml"
    if not path.exists():
        known = sorted(p.stem for p in directory.glob("*.yaml") if not p.stem.startswith("Pulumi"))
        raise InputError(
            f"no environment {name!r} (known: {', '.join(known) or 'none'})", path=str(path)
        )
    text = read_text(path)
    env = validate(EnvironmentSpec, parse_yaml(text, str(path)), text=text, where=str(path))
    problems = [
        SpecProblem(str(path), _line_of(text, loc), dotted(loc), message)
        for loc, message in region_problems(env)
    ]
    if problems:
        raise SpecError(problems)
    if env.name != name:
        raise InputError(
            f"name is {env.name!r} but the file is {name}.yaml",
            path=str(path),
            line=_line_of(text, ("name",)),
            field="name",
        )
    return env
