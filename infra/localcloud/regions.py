"""A local cloud with regions: one small provincial cloud per region of an environment.

Each region is a :class:`LocalCloud` of its own under ``<state>/regions/<id>`` (its own CA,
etcd, kube-apiserver, kube-controller-manager and cloud endpoint, hardened as the single
cloud is; no metrics store), on free loopback ports. ``<state>/regions.json`` remembers which
environment the regions came from, so ``status``, ``env``, ``logs``, ``stop`` and ``start``
need no ``--env``. After every start the connection values of every region are written to
the targets file the environment names (``infra.spec.targets``), with one kubeconfig holding
a context per region: commands take their targets from there, never from the shell.
"""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from infra.errors import InputError, LocalCloudError
from infra.i18n import _

from .cluster import _LOCAL_KEY, ComponentStatus, LocalCloud, default_state_dir
from .components import Layout
from .hardening import private_dir, write_private
from .toolchain import (
    ACTIONLINT_TOOL,
    ETCD_TOOL,
    KUBE_TOOL,
    PULUMI_TOOL,
    Progress,
    _say,
    ensure_tools,
)

if TYPE_CHECKING:
    from infra.spec.environment import EnvironmentSpec

__all__ = ["RegionalCloud"]

_RECORD = "regions.json"
_SKIP = frozenset({"metrics"})  # one metrics store is enough; the regions run without one


class RegionalCloud:
    """Every region of one environment, each its own local cloud in ``state/regions/<id>``."""

    def __init__(self, state: Path, record: dict[str, Any]) -> None:
        self.state = state.resolve()
        self.record = record
        self._env: EnvironmentSpec | None = None

    # -- what the state directory remembers ----------------------------------------------
    @staticmethod
    def present(state: Path | None) -> bool:
        return ((state or default_state_dir()) / _RECORD).is_file()

    @classmethod
    def open(cls, state: Path | None) -> RegionalCloud:
        path = (state or default_state_dir()) / _RECORD
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(_("not a local cloud with regions: {why}").format(why=exc)) from None
        return cls(state or default_state_dir(), record)

    @classmethod
    def for_environment(
        cls, state: Path | None, env: EnvironmentSpec, *, stacks_dir: Path, targets: Path
    ) -> RegionalCloud:
        from infra.spec.regions import regions_of

        record = {
            "environment": env.name,
            "stacks_dir": str(stacks_dir.resolve()),
            "targets": str(targets.resolve()),
            "regions": [
                {"id": r.id, "name": r.name, "cloud_region": r.cloud.region}
                for r in regions_of(env)
            ],
        }
        cloud = cls(state or default_state_dir(), record)
        cloud._env = env
        return cloud

    @property
    def ids(self) -> list[str]:
        return [str(r["id"]) for r in self.record["regions"]]

    @property
    def environment_name(self) -> str:
        return str(self.record["environment"])

    @property
    def targets_path(self) -> Path:
        return Path(self.record["targets"])

    def env(self) -> EnvironmentSpec:
        if self._env is None:
            from infra.spec.load import load_environment

            self._env = load_environment(self.environment_name, Path(self.record["stacks_dir"]))
        return self._env

    def region(self, region_id: str) -> LocalCloud:
        """Region ``region_id``'s own local cloud."""
        if region_id not in self.ids:
            raise InputError(
                _("no region {region!r} in this local cloud (regions: {regions})").format(
                    region=region_id, regions=", ".join(self.ids)
                ),
                field="--region",
            )
        return LocalCloud(
            self.state / "regions" / region_id, tools=(), skip=_SKIP, deploy_env=self.env()
        )

    def _cloud_region(self, region_id: str) -> str:
        return next(str(r["cloud_region"]) for r in self.record["regions"] if r["id"] == region_id)

    # -- lifecycle -----------------------------------------------------------------------
    def up(self, *, say: Progress = _say) -> dict[str, Layout]:
        """Start every region that is not running (each as ``LocalCloud.up`` does), the
        regions at once; write the targets file."""
        if any(s.pid for s in LocalCloud(self.state).status()):
            raise LocalCloudError(
                _(
                    "{state} runs a local cloud without regions; stop it first (govcloud "
                    "localcloud down) or give the regions their own --state-dir"
                ).format(state=self.state)
            )
        ensure_tools((ETCD_TOOL, KUBE_TOOL, PULUMI_TOOL, ACTIONLINT_TOOL), say=say)
        private_dir(self.state)
        write_private(self.state / _RECORD, json.dumps(self.record, indent=2).encode())
        self.env()  # loaded once, before the threads share it

        def start(region_id: str) -> Layout:
            return self.region(region_id).up(say=_prefixed(say, region_id))

        with ThreadPoolExecutor(max_workers=len(self.ids)) as pool:
            futures = {rid: pool.submit(start, rid) for rid in self.ids}
        failed = {rid: f.exception() for rid, f in futures.items() if f.exception() is not None}
        self.write_targets()
        if failed:
            raise LocalCloudError(
                "\n".join(
                    _("region {region}: {why}").format(region=rid, why=why)
                    for rid, why in failed.items()
                )
            )
        return {rid: f.result() for rid, f in futures.items()}

    def start(self, region_id: str, *, say: Progress = _say) -> Layout:
        """Bring one stopped region back with the state it had (the node's return)."""
        lay = self.region(region_id).up(say=_prefixed(say, region_id))
        self.write_targets()  # its ports may have moved when the old ones were taken
        return lay

    def stop(self, region_id: str, *, say: Progress = _say) -> list[int]:
        """Stop one region's processes, keeping its state (the node's loss)."""
        return self.region(region_id).down(say=_prefixed(say, region_id))

    def down(self, *, quiet: bool = False, say: Progress = _say) -> list[int]:
        stopped: list[int] = []
        for region_id in self.ids:
            stopped += self.region(region_id).down(quiet=quiet, say=_prefixed(say, region_id))
        return stopped

    def status(self) -> list[ComponentStatus]:
        return [
            replace(s, region=region_id)
            for region_id in self.ids
            for s in self.region(region_id).status()
        ]

    def running(self) -> bool:
        return all(s.healthy for s in self.status())

    # -- outputs -------------------------------------------------------------------------
    def layouts(self) -> dict[str, Layout]:
        return {rid: self.region(rid).layout() for rid in self.ids}

    @property
    def kubeconfig(self) -> Path:
        """Every region's administrator, one context per region id."""
        return self.state / "kubeconfig"

    @property
    def deploy_kubeconfig(self) -> Path:
        return self.state / "kubeconfig-deploy"

    @property
    def credentials(self) -> Path:
        return self.state / "cloud-credentials"

    def write_targets(self) -> Path:
        """The merged kubeconfigs, the local credentials and the targets file."""
        lays = {rid: lay for rid, lay in self.layouts().items() if lay.ports}
        _merge_kubeconfigs(self.kubeconfig, {rid: lay.kubeconfig for rid, lay in lays.items()})
        _merge_kubeconfigs(
            self.deploy_kubeconfig,
            {rid: lay.kubeconfig_for("deploy") for rid, lay in lays.items()},
        )
        write_private(self.credentials, f"{_LOCAL_KEY}\n{_LOCAL_KEY}\n".encode())
        regions = {
            rid: {
                "kubeconfig": str(self.kubeconfig),
                "deploy_kubeconfig": str(self.deploy_kubeconfig),
                "context": rid,
                "api": lay.apiserver_url if "kube-apiserver" in lay.ports else None,
                "cloud_endpoint": lay.cloud_url,
                "cloud_region": self._cloud_region(rid),
                "access_key_file": str(self.credentials),
            }
            for rid, lay in lays.items()
        }
        text = "# Written by `govcloud localcloud up`; do not edit.\n" + yaml.safe_dump(
            {"format_version": 1, "environment": self.environment_name, "regions": regions},
            sort_keys=False,
        )
        private_dir(self.targets_path.parent)
        write_private(self.targets_path, text.encode())
        return self.targets_path

    def environment(self, region_id: str | None = None) -> dict[str, str]:
        """Shell exports for one region (default: the first); without ``region_id``
        KUBECONFIG holds every region's context, the first one current."""
        chosen = region_id or self.ids[0]
        out = self.region(chosen).environment()
        lay = self.region(chosen).layout()
        out.pop("GOVCLOUD_METRICS_URL", None)
        out.update(
            {
                "KUBECONFIG": str(lay.kubeconfig if region_id else self.kubeconfig),
                "AWS_REGION": self._cloud_region(chosen),
                "AWS_DEFAULT_REGION": self._cloud_region(chosen),
                "PULUMI_BACKEND_URL": f"file://{private_dir(self.state / 'pulumi-state')}",
                "PULUMI_HOME": str(private_dir(self.state / "pulumi-home")),
                "PULUMI_CONFIG_PASSPHRASE_FILE": str(LocalCloud(self.state).passphrase_file()),
                "GOVCLOUD_ENV": self.environment_name,
                "GOVCLOUD_REGION": chosen,
                "GOVCLOUD_STATE_DIR": str(self.state),
            }
        )
        return out

    def logs(self, component: str, lines: int = 50, *, region_id: str | None = None) -> str:
        if region_id is None:
            raise InputError(
                _("this local cloud has regions; say whose log: --region {regions}").format(
                    regions="|".join(self.ids)
                ),
                field="--region",
            )
        return self.region(region_id).logs(component, lines)


def _prefixed(say: Progress, region_id: str) -> Progress:
    return lambda line: say(f"{region_id}: {line}")


def _merge_kubeconfigs(target: Path, sources: dict[str, Path]) -> None:
    """One kubeconfig with a cluster, a user and a context named after each region."""
    clusters, users, contexts = [], [], []
    for rid, path in sources.items():
        try:
            one = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError:
            continue  # a region never started has no kubeconfig yet
        clusters.append({"name": rid, "cluster": one["clusters"][0]["cluster"]})
        users.append({"name": rid, "user": one["users"][0]["user"]})
        contexts.append({"name": rid, "context": {"cluster": rid, "user": rid}})
    config = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": clusters,
        "users": users,
        "contexts": contexts,
        "current-context": contexts[0]["name"] if contexts else "",
    }
    write_private(target, yaml.safe_dump(config, sort_keys=False).encode())
