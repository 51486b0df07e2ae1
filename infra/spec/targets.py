"""Where each region of an environment is reached: the file its ``targets:`` names.

The environment spec says what a region is; its connection values (a kubeconfig and context,
the API server, the cloud endpoint, the region name the cloud knows, where credentials come
from) may live in a generated file beside it, which ``govcloud localcloud up`` writes for the
local cloud's free loopback ports. ``targets_of(env, root)`` reads that file; ``target_of``
gives one region's values with the spec's own filling what the file leaves out. Nothing here
reads process environment variables.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from infra.errors import InputError
from infra.i18n import _

from .environment import EnvironmentSpec
from .regions import Region, regions_of
from .types import STRICT
from .validate import validate
from .yamlsafe import parse_yaml, read_text

__all__ = ["RegionTarget", "Targets", "region_named", "target_of", "targets_file", "targets_of"]


class RegionTarget(BaseModel):
    """One region's connection values, resolved: what the driver factory builds clients from."""

    model_config = STRICT
    kubeconfig: str | None = Field(
        default=None, description="kubeconfig file; null: the default kubeconfig"
    )
    deploy_kubeconfig: str | None = Field(
        default=None, description="the deploy identity's kubeconfig; null: kubeconfig"
    )
    context: str | None = Field(default=None, description="kubeconfig context; null: current")
    api: str | None = Field(default=None, description="the API server's URL (what it should be)")
    cloud_endpoint: str | None = Field(default=None, description="AWS-compatible endpoint")
    cloud_region: str = Field(description="the region name the cloud knows, e.g. cn-north-1")
    access_key_file: str | None = Field(
        default=None,
        description="where the cloud credentials come from: a file of two lines (key id, "
        "secret); null: the standard chain (profile, instance role)",
    )


class Targets(BaseModel):
    """The generated file: ``format_version`` 1, one entry per region id."""

    model_config = STRICT
    format_version: int = Field(ge=1, le=1)
    environment: str
    regions: dict[str, RegionTarget]


def targets_file(env: EnvironmentSpec, root: Path) -> Path | None:
    """The file ``env.targets`` names, resolved against the repository root."""
    if env.targets is None:
        return None
    path = Path(env.targets)
    return path if path.is_absolute() else root / path


def targets_of(env: EnvironmentSpec, root: Path) -> Targets | None:
    """The environment's generated targets, or None when it names no file."""
    path = targets_file(env, root)
    if path is None:
        return None
    if not path.is_file():
        raise InputError(
            _(
                "the targets file of environment {env} does not exist yet; the local cloud "
                "writes it: govcloud localcloud --env {env} up"
            ).format(env=env.name),
            path=str(path),
            field="targets",
        )
    text = read_text(path)
    found = validate(Targets, parse_yaml(text, str(path)), text=text, where=str(path))
    if found.environment != env.name:
        raise InputError(
            _("written for environment {theirs}, not {ours}").format(
                theirs=found.environment, ours=env.name
            ),
            path=str(path),
            field="environment",
        )
    return found


def region_named(env: EnvironmentSpec, region_id: str) -> Region:
    """The region ``region_id`` of ``env``; a clear error naming the known ones otherwise."""
    regions = regions_of(env)
    for region in regions:
        if region.id == region_id:
            return region
    raise InputError(
        _("environment {env} has no region {region!r} (regions: {regions})").format(
            env=env.name, region=region_id, regions=", ".join(r.id for r in regions)
        ),
        field="--region",
    )


def target_of(env: EnvironmentSpec, region_id: str, root: Path) -> RegionTarget:
    """Region ``region_id``'s connection values: the generated file's, else the spec's."""
    region = region_named(env, region_id)
    targets = targets_of(env, root)
    found = targets.regions.get(region.id) if targets is not None else None
    if targets is not None and found is None:
        raise InputError(
            _(
                "no entry for region {region!r}; run govcloud localcloud --env {env} up again"
            ).format(region=region.id, env=env.name),
            path=str(targets_file(env, root)),
            field="regions",
        )
    if found is not None:
        return found
    kube = region.kubernetes
    return RegionTarget(
        context=kube.context if kube else None,
        api=kube.api if kube else None,
        cloud_endpoint=region.cloud.endpoint,
        cloud_region=region.cloud.region,
    )
