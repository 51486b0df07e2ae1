"""One factory for a region's drivers: its Kubernetes client and its cloud clients.

The targets come from the environment spec (and the generated targets file it names, see
``infra.spec.targets``), never from process environment variables: a command acting on
region R builds R's drivers here and talks to nothing else. The cloud clients are set for the
whole process (``use_target``): one process acts on one region.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from infra.drivers.cloud._session import CloudTarget, use_target
from infra.drivers.kube import KubeClient
from infra.drivers.retry import DEFAULT_DEADLINE
from infra.drivers.table import CloudTable
from infra.errors import InputError
from infra.i18n import _
from infra.spec.environment import EnvironmentSpec
from infra.spec.regions import Region
from infra.spec.targets import RegionTarget, region_named, target_of

__all__ = ["RegionDrivers", "cloud_target", "region_drivers"]


@dataclass(frozen=True)
class RegionDrivers:
    """What a command acting on one region talks to."""

    region: Region
    target: RegionTarget
    kube: KubeClient
    cloud: CloudTable | None


def cloud_target(target: RegionTarget) -> CloudTarget:
    """The cloud clients' settings for ``target``: credentials read from the file it names."""
    key_id = secret = None
    if target.access_key_file is not None:
        try:
            lines = Path(target.access_key_file).read_text(encoding="utf-8").split()
        except OSError as exc:
            raise InputError(
                _("cannot read the cloud credentials: {why}").format(why=exc.strerror),
                path=target.access_key_file,
                field="access_key_file",
            ) from None
        if len(lines) != 2:
            raise InputError(
                _("a credentials file holds two words: the key id and the secret"),
                path=target.access_key_file,
                field="access_key_file",
            )
        key_id, secret = lines
    return CloudTarget(
        endpoint=target.cloud_endpoint,
        region=target.cloud_region,
        access_key_id=key_id,
        secret_access_key=secret,
    )


def region_drivers(
    env: EnvironmentSpec,
    region_id: str,
    *,
    root: Path,
    field_manager: str,
    cloud: bool = True,
    deploy: bool = False,
    deadline: float = DEFAULT_DEADLINE,
) -> RegionDrivers:
    """Region ``region_id``'s drivers, built from ``env`` (paths relative to ``root``, the
    repository). ``deploy``: the deploy identity's kubeconfig rather than the administrator's.
    With ``cloud``, this process's cloud clients target the region from now on."""
    region = region_named(env, region_id)
    target = target_of(env, region.id, root)
    kubeconfig = (target.deploy_kubeconfig if deploy else None) or target.kubeconfig
    kube = KubeClient(
        kubeconfig, deadline=deadline, field_manager=field_manager, context=target.context
    )
    if cloud:
        use_target(cloud_target(target))
    return RegionDrivers(region, target, kube, CloudTable() if cloud else None)
