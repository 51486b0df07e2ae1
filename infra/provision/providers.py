"""Pulumi dynamic providers on top of ``infra.drivers``.

The providers hold no state: no client, credential or configuration is captured in the
pickled provider. The provider classes live in an importable module, so dill pickles them by
reference (module globals are not pickled) and ``destroy``/``refresh`` run the code of the
installed package. Each provider process builds one Kubernetes client, lazily on first use,
from the environment (KUBECONFIG), and keeps it in this module. The drivers (and with them
boto3 and the Kubernetes client library) are imported on first use too: the program process
imports this module to pickle the providers, and never calls them.

Every operation is idempotent by deterministic handle (object name, key alias, bucket name),
so an update interrupted half-way converges on the next run without duplicates.
"""

from __future__ import annotations

import atexit
import copy
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from infra.drivers.exact import apply_exact, whole_numbers
from infra.errors import TransientError
from infra.plan.drift import owned_view
from infra.plan.names import DEPLOY_WRITER
from infra.plan.objects import KubeObject
from infra.plan.records import PULUMI_UP

from .retries import record_retries
from .settings import ENV_KEY_PENDING_DAYS

if TYPE_CHECKING:
    from infra.drivers import CloudKindOps, KubeClient

__all__ = ["CloudProvider", "DeployReportProvider", "KubeProvider", "cloud_diff", "kube_diff"]

_clients: dict[str, KubeClient] = {}  # one per provider process; never pickled
_clients_lock = threading.Lock()  # the engine calls a provider from several threads
_setup_done = threading.Event()


def _in_provider_process() -> None:
    """Once per provider process, on its first operation: retries go to the file deploy
    follows, and the process leaves at once when the CLI stops it at the end of a run.

    The CLI stops its provider hosts with SIGINT and waits for them; a Python host that
    imported the Kubernetes client and boto3 spends about 0.3 s tearing its interpreter
    down, on every stack. Every operation has answered by then and each is idempotent, so
    there is nothing left to finish: exit without the teardown.
    """
    if _setup_done.is_set():  # every operation passes here: no lock once done
        return
    with _clients_lock:
        if _setup_done.is_set():
            return
        _setup_done.set()
    record_retries()
    main = getattr(sys.modules.get("__main__"), "__spec__", None)
    if main is not None and main.name.startswith("pulumi.dynamic"):  # not tests, not tools
        atexit.register(_leave)


def _leave() -> None:
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _kube() -> KubeClient:
    _in_provider_process()
    with _clients_lock:
        if "kube" not in _clients:
            from infra.drivers import deploy_client

            _clients["kube"] = deploy_client(DEPLOY_WRITER)
        return _clients["kube"]


def _ops(kind: str) -> CloudKindOps:
    from infra.drivers import cloud_ops

    _in_provider_process()
    return cloud_ops(kind)


# Identity of a Kubernetes object: changing any of these means a different object.
_KUBE_IDENTITY = (("apiVersion",), ("kind",), ("metadata", "name"), ("metadata", "namespace"))


def _dig(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    node: Any = data
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _kube_id(manifest: dict[str, Any]) -> str:
    meta = manifest["metadata"]
    scope = f"{meta['namespace']}/" if meta.get("namespace") else ""
    return f"{manifest['apiVersion']}/{manifest['kind']}/{scope}{meta['name']}"


def kube_diff(olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
    """Changed manifest → update in place; changed identity → replace."""
    old, new = olds.get("manifest") or {}, news.get("manifest") or {}
    replaces = [
        "manifest." + ".".join(path)
        for path in _KUBE_IDENTITY
        if _dig(old, path) != _dig(new, path)
    ]
    return DiffResult(changes=old != new, replaces=replaces, delete_before_replace=True)


def _against_live(
    provider: ResourceProvider,
    id_: str,
    olds: dict[str, Any],
    news: dict[str, Any],
    compare: Callable[[dict[str, Any], dict[str, Any]], DiffResult],
) -> DiffResult:
    """The plan against the resource as it is now, not as the checkpoint remembers it.

    This is how a plain ``pulumi up`` (and ``govcloud deploy``) sees drift without a
    separate refresh pass: when the plan changed, that is the diff; when it did not, the
    resource is read (the read ``pulumi refresh`` would make) and compared with the plan.
    What was deleted is put back (an update: the providers' writes create what is missing),
    and what someone changed or added to a managed section is an update that removes it.
    """
    planned = compare(olds, news)
    if planned.changes:
        return planned
    seen = provider.read(id_, olds)
    if seen.id is None:
        return DiffResult(changes=True, replaces=[], delete_before_replace=True)
    return compare(seen.outs or {}, news)


class KubeProvider(ResourceProvider):
    """One Kubernetes object, applied server-side as the deploy writer (``govcloud-deploy``)."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        manifest = news.get("manifest")
        failures = []
        if not isinstance(manifest, dict) or not _dig(manifest, ("metadata", "name")):
            failures.append(CheckFailure("manifest", "a manifest with metadata.name is required"))
        return CheckResult(news, failures)

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return _against_live(self, id_, olds, news, kube_diff)

    def create(self, props: dict[str, Any]) -> CreateResult:
        client = _kube()
        live = apply_exact(client, props["manifest"])
        if props["manifest"]["kind"] == "CustomResourceDefinition":
            _wait_established(client, props["manifest"]["metadata"]["name"])
        _hold_if_tenant(client, props["manifest"])
        return CreateResult(_kube_id(props["manifest"]), self._outs(props, live))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        client = _kube()
        # The hold before the new spec: a reconciler that saw the spec without the hold
        # would apply it ahead of this stack and count that as a repair.
        _hold_if_tenant(client, news["manifest"])
        live = apply_exact(client, news["manifest"])
        return UpdateResult(self._outs(news, live))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        manifest = props.get("manifest") or {}
        meta = manifest.get("metadata", {})
        live = _kube().get(
            manifest.get("apiVersion", ""),
            manifest.get("kind", ""),
            meta.get("name", ""),
            meta.get("namespace"),
        )
        if live is None:
            return ReadResult(None, {})
        # Everything the plan owns, as the cluster has it now: fields or rules someone else
        # added to a managed object show up as a difference and are removed by the update.
        view = owned_view(KubeObject(manifest), live)
        return ReadResult(id_, {"manifest": view, "uid": _uid(live)})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        manifest = props["manifest"]
        meta = manifest["metadata"]
        _kube().delete(
            manifest["apiVersion"], manifest["kind"], meta["name"], meta.get("namespace")
        )

    @staticmethod
    def _outs(props: dict[str, Any], live: dict[str, Any]) -> dict[str, Any]:
        return {"manifest": props["manifest"], "uid": _uid(live)}


def _hold_if_tenant(client: KubeClient, manifest: dict[str, Any]) -> None:
    """A changed Tenant means this stack is about to change the tenant's objects (they all
    depend on it): put deploy's hold on it, so a plain `pulumi up` is as safe from the
    reconciler undoing its changes as `govcloud deploy`."""
    if manifest.get("kind") != "Tenant":
        return
    from .status import mark_deploying

    mark_deploying(str(manifest["metadata"]["name"]), PULUMI_UP.format(), client=client)


def _wait_established(client: KubeClient, name: str, timeout: float = 30.0) -> None:
    """Objects of a new kind can be created only once its CRD is Established."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        crd = client.get("apiextensions.k8s.io/v1", "CustomResourceDefinition", name) or {}
        conditions = (crd.get("status") or {}).get("conditions") or []
        if any(c.get("type") == "Established" and c.get("status") == "True" for c in conditions):
            return
        time.sleep(0.2)
    raise TransientError(f"CustomResourceDefinition {name} not established after {timeout}s")


def _uid(live: dict[str, Any]) -> str:
    return str(_dig(live, ("metadata", "uid")) or "")


# -- cloud ---------------------------------------------------------------------------------

_CONTROL = ("kind", "force_destroy")  # inputs that steer the provider, not the resource


# Pulumi drops properties whose value is None; these are the ones that may legitimately be.
_NULLABLE = {"bucket": ("expiration_days",)}


def _desired(props: dict[str, Any]) -> dict[str, Any]:
    desired = {
        k: whole_numbers(v)
        for k, v in props.items()
        if k not in _CONTROL and not k.startswith("__")
    }
    for key in _NULLABLE.get(str(props.get("kind")), ()):
        desired.setdefault(key, None)
    return desired


def cloud_diff(olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
    """Changed inputs → update in place; a changed handle (name, CIDR, ...) → replace."""
    ops = _ops(news["kind"])
    new = _desired(news)
    # Outputs also carry what the cloud assigned (ids, ARNs); compare what we asked for.
    old = {k: v for k, v in _desired(olds).items() if k in new}
    replaces = [k for k in ops.replace_keys if old.get(k) != new.get(k)]
    changed = old != new or olds.get("force_destroy") != news.get("force_destroy")
    return DiffResult(changes=changed, replaces=replaces, delete_before_replace=True)


class CloudProvider(ResourceProvider):
    """A cloud resource of one kind (key, bucket, role, VPC, subnet, security group)."""

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return _against_live(self, id_, olds, news, cloud_diff)

    def create(self, props: dict[str, Any]) -> CreateResult:
        ops = _ops(props["kind"])
        outs = ops.ensure(_desired(props)) or {}
        return CreateResult(str(props[ops.handle]), {**props, **dict(outs)})

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        ops = _ops(news["kind"])
        outs = ops.ensure(_desired(news)) or {}
        return UpdateResult({**news, **dict(outs)})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        ops = _ops(props["kind"])
        actual = ops.read(props)
        if actual is None:
            return ReadResult(None, {})
        merged = copy.deepcopy(props)
        merged.update(actual)
        return ReadResult(id_, merged)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        pending = os.environ.get(ENV_KEY_PENDING_DAYS, "")
        if props.get("kind") == "kms-key" and pending.isdigit():
            props = {**props, "pending_window_days": int(pending)}
        _ops(props["kind"]).delete(props)


# -- deploy's report -----------------------------------------------------------------------


class DeployReportProvider(ResourceProvider):
    """The last resource of a tenant stack: it runs after every other one was applied, and
    only when the plan changed (its input is the plan's digest). It releases deploy's hold
    with ``Deployed=True`` (reason ``Applied``), so the reconciler reads the new state back
    at once after a plain `pulumi up` instead of when the hold lapses. `govcloud deploy`
    then writes its own read-back over it."""

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return DiffResult(
            changes=olds.get("digest") != news.get("digest"),
            replaces=[],
            delete_before_replace=True,
        )

    def create(self, props: dict[str, Any]) -> CreateResult:
        _report_applied(props)
        return CreateResult(f"deploy-report/{props['tenant']}", dict(props))

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        _report_applied(news)
        return UpdateResult(dict(news))

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None


def _report_applied(props: dict[str, Any]) -> None:
    from .status import report_applied

    report_applied(str(props["tenant"]), str(props["digest"]), client=_kube())
