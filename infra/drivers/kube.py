"""The Kubernetes driver: server-side apply, get, list, watch, delete, status.

Clients are built lazily on first use from ``KUBECONFIG`` (or the path given), so a
``KubeClient`` is cheap to construct and safe to pickle (the cached clients are dropped).
Every call is translated into ``infra.errors`` and transient failures are retried.
"""

from __future__ import annotations

import functools
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, TypeVar

from kubernetes import config as _config
from kubernetes import dynamic as _dynamic
from kubernetes import watch as _watch
from kubernetes.dynamic.exceptions import ResourceNotFoundError
from urllib3 import HTTPHeaderDict

from infra.drivers import discovery
from infra.drivers.errors import translate_kube
from infra.drivers.retry import DEFAULT_DEADLINE, call_with_retry
from infra.errors import (
    DriverError,
    ExpiredError,
    NotFoundError,
    PermanentError,
    TransientError,
)
from infra.i18n import _
from infra.plan.deployer import DEPLOY_KUBECONFIG

__all__ = ["DEPLOY_KUBECONFIG", "FIELD_MANAGER", "KubeClient", "ObjectList", "deploy_client"]

# The writer a client names when it is not told (read-only tools, tests); every writing
# process names its own (``infra.plan.names.WRITERS``): deploy and the reconciler never share.
FIELD_MANAGER = "govcloud"
_REQUEST_TIMEOUT = 30.0  # seconds per HTTP request; a hung server becomes a transient error
_PAGE = 500

# The Kubernetes client is untyped; keep its Any at this one seam.
config: Any = _config
DynamicClient: Any = _dynamic.DynamicClient
Watch: Any = _watch.Watch

T = TypeVar("T")
Obj = dict[str, Any]


class ObjectList(list[Obj]):
    """A list result with the collection's resourceVersion: where a watch starts from."""

    def __init__(self, items: list[Obj], resource_version: str) -> None:
        super().__init__(items)
        self.resource_version = resource_version


class _Impersonating:
    """Wraps urllib3's pool manager to add Impersonate-* headers to every request.

    The Kubernetes client keeps headers in a plain dict, which cannot repeat a header;
    the API server wants one ``Impersonate-Group`` header per group.
    """

    def __init__(self, pool: Any, user: str, groups: Sequence[str]) -> None:
        self._pool = pool
        self._user = user
        self._groups = tuple(groups)

    def request(self, method: str, url: str, **kwargs: Any) -> Any:
        headers = HTTPHeaderDict(kwargs.pop("headers", None) or {})
        headers["Impersonate-User"] = self._user
        for group in self._groups:
            headers.add("Impersonate-Group", group)
        return self._pool.request(method, url, headers=headers, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._pool, name)


_DISCOVERY = threading.RLock()


class KubeClient:
    """Talks to one cluster, optionally as an impersonated user."""

    def __init__(
        self,
        kubeconfig: str | os.PathLike[str] | None = None,
        *,
        deadline: float = DEFAULT_DEADLINE,
        user: str | None = None,
        groups: Sequence[str] = (),
        field_manager: str = FIELD_MANAGER,
        context: str | None = None,
    ) -> None:
        self._kubeconfig = os.fspath(kubeconfig) if kubeconfig is not None else None
        self._context = context  # the kubeconfig's context (a region's); None: its current
        self.field_manager = field_manager
        self._deadline = deadline
        self._user = user
        self._groups = tuple(groups)
        self._api: Any = None
        self._dyn: Any = None
        # The dynamic client's discovery cache is not thread-safe (KeyError under
        # concurrent first use): building it and looking kinds up happen under this lock.
        self._lock = threading.RLock()
        self._kinds: dict[tuple[str, str], Any] = {}

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_api"] = state["_dyn"] = None  # live connections are rebuilt after unpickling
        state["_kinds"] = {}
        state.pop("_lock", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__dict__.setdefault("_context", None)  # pickled before regions
        self._lock = threading.RLock()

    def impersonate(self, user: str, groups: Sequence[str] = ()) -> KubeClient:
        """A client for the same cluster that acts as ``user`` in ``groups``."""
        return KubeClient(
            self._kubeconfig,
            deadline=self._deadline,
            user=user,
            groups=groups,
            field_manager=self.field_manager,
            context=self._context,
        )

    def as_writer(self, field_manager: str) -> KubeClient:
        """A client for the same cluster and user that writes as another field manager."""
        return KubeClient(
            self._kubeconfig,
            deadline=self._deadline,
            user=self._user,
            groups=self._groups,
            field_manager=field_manager,
            context=self._context,
        )

    # -- plumbing ------------------------------------------------------------------------
    def _dynamic(self) -> Any:
        with self._lock:
            return self._dynamic_locked()

    def _dynamic_locked(self) -> Any:
        if self._dyn is None:
            with translate_kube("load kubeconfig"):
                path = self._kubeconfig or os.environ.get("KUBECONFIG") or None
                api = config.new_client_from_config(config_file=path, context=self._context)
                if self._user is not None:
                    api.rest_client.pool_manager = _Impersonating(
                        api.rest_client.pool_manager, self._user, self._groups
                    )
            self._api = api
            # Discovery is cached in one file per cluster, replaced whole (infra.drivers.
            # discovery); clients discovering at once (an audit impersonates hundreds) would
            # still each fetch and write it. One discovery at a time per process.
            cache = discovery.cache_file(api.configuration.host)
            with _DISCOVERY:
                self._dyn = self._call(
                    "discover API resources",
                    lambda: DynamicClient(api, cache_file=cache, discoverer=discovery.Discoverer),
                )
        return self._dyn

    def _call(self, operation: str, fn: Callable[[], T]) -> T:
        def once() -> T:
            with translate_kube(operation):
                return fn()

        return call_with_retry(once, deadline=self._deadline)

    def _resource(self, api_version: str, kind: str) -> Any:
        key = (api_version, kind)
        found = self._kinds.get(key)
        if found is not None:
            return found
        with self._lock:
            found = self._resource_locked(api_version, kind)
            self._kinds[key] = found
            return found

    def _resource_locked(self, api_version: str, kind: str) -> Any:
        dyn = self._dynamic()
        operation = f"discover {kind}.{api_version}"
        try:
            with _DISCOVERY:  # a first lookup may discover a group and rewrite the cache file
                return self._call(
                    operation, lambda: dyn.resources.get(api_version=api_version, kind=kind)
                )
        except NotFoundError as exc:
            # The discovery cache may predate a CRD created moments ago: refresh it once.
            if not isinstance(exc.__cause__, ResourceNotFoundError):
                raise
        self._call(operation, dyn.resources.invalidate_cache)
        return self._call(operation, lambda: dyn.resources.get(api_version=api_version, kind=kind))

    # -- reads ---------------------------------------------------------------------------
    def get(
        self, api_version: str, kind: str, name: str, namespace: str | None = None
    ) -> Obj | None:
        """The object as a plain dict, or ``None`` if it does not exist."""
        res, dyn = self._resource(api_version, kind), self._dynamic()
        try:
            obj = self._call(
                f"get {kind} {_where(name, namespace)}",
                lambda: dyn.get(
                    res, name=name, namespace=namespace, _request_timeout=_REQUEST_TIMEOUT
                ),
            )
        except NotFoundError:
            return None
        return _plain(obj)

    def list(
        self, api_version: str, kind: str, *, namespace: str | None = None, label_selector: str = ""
    ) -> ObjectList:
        """Every object of a kind (in one namespace, or all), filtered by label, with the
        list's resourceVersion (of the last page: a consistent snapshot across pages)."""
        res, dyn = self._resource(api_version, kind), self._dynamic()
        items: list[Obj] = []
        token: str | None = None
        while True:
            page = self._call(
                f"list {kind}",
                functools.partial(
                    dyn.get,
                    res,
                    namespace=namespace,
                    label_selector=label_selector or None,
                    limit=_PAGE,
                    _continue=token,
                    _request_timeout=_REQUEST_TIMEOUT,
                    # The page's JSON as plain dicts: the client's own object wrapping of
                    # every nested field cost most of a large list's time and memory.
                    serialize=False,
                ),
            )
            raw: Obj = json.loads(page.data)
            for item in raw.get("items") or []:
                item.setdefault("apiVersion", api_version)
                item.setdefault("kind", kind)
                items.append(item)
            meta = raw.get("metadata") or {}
            token = meta.get("continue") or None
            if not token:
                return ObjectList(items, str(meta.get("resourceVersion") or ""))

    def watch(
        self,
        api_version: str,
        kind: str,
        *,
        namespace: str | None = None,
        label_selector: str = "",
        timeout_seconds: int = 60,
        resource_version: str | None = None,
    ) -> Iterator[tuple[str, Obj]]:
        """Yield ``(event_type, object)`` until the server ends the watch, including
        ``BOOKMARK`` events (their object carries only the resourceVersion). Not retried:
        a resourceVersion too old raises ``ExpiredError`` (list again, then watch); a broken
        connection raises ``TransientError``."""
        res, dyn = self._resource(api_version, kind), self._dynamic()
        operation = f"watch {kind}"
        with translate_kube(operation):
            # The client's stream of plain events (its dynamic watch wraps every event's
            # object in its own field classes first, which a mass repair pays per event).
            for event in Watch().stream(
                functools.partial(dyn.get, res),
                namespace=namespace,
                label_selector=label_selector or None,
                resource_version=resource_version,
                serialize=False,
                timeout_seconds=timeout_seconds,
                allow_watch_bookmarks=True,
            ):
                kind_of_event, raw = str(event["type"]), dict(event["raw_object"])
                if kind_of_event == "ERROR":
                    raise _status_error(raw, operation)
                yield kind_of_event, raw

    # -- writes --------------------------------------------------------------------------
    def create(self, manifest: Obj) -> Obj:
        """Create one object (``PermanentError`` with code ``AlreadyExists`` if it exists)."""
        meta = manifest.get("metadata") or {}
        namespace = meta.get("namespace")
        res, dyn = self._resource(manifest["apiVersion"], manifest["kind"]), self._dynamic()
        obj = self._call(
            f"create {manifest['kind']} {_where(str(meta.get('name')), namespace)}",
            lambda: dyn.create(
                res, body=manifest, namespace=namespace, _request_timeout=_REQUEST_TIMEOUT
            ),
        )
        return _plain(obj)

    def replace(self, manifest: Obj) -> Obj:
        """Replace one object; with ``metadata.resourceVersion`` set this is a compare-and-
        swap: a concurrent change makes it fail with code ``Conflict`` (not retried)."""
        meta = manifest.get("metadata") or {}
        name, namespace = str(meta["name"]), meta.get("namespace")
        res, dyn = self._resource(manifest["apiVersion"], manifest["kind"]), self._dynamic()
        operation = f"replace {manifest['kind']} {_where(name, namespace)}"
        with translate_kube(operation):
            obj = dyn.replace(
                res,
                body=manifest,
                name=name,
                namespace=namespace,
                field_manager=self.field_manager,
                _request_timeout=_REQUEST_TIMEOUT,
            )
        return _plain(obj)

    def create_token(self, service_account: str, namespace: str, *, seconds: int = 3600) -> str:
        """A short-lived token for a service account (TokenRequest; never a Secret)."""
        res, dyn = self._resource("v1", "ServiceAccount"), self._dynamic()
        path = res.path(name=service_account, namespace=namespace) + "/token"
        body = {
            "apiVersion": "authentication.k8s.io/v1",
            "kind": "TokenRequest",
            "spec": {"expirationSeconds": seconds},
        }
        obj = self._call(
            f"token for {namespace}/{service_account}",
            lambda: dyn.request("post", path, body=body, _request_timeout=_REQUEST_TIMEOUT),
        )
        return str(_plain(obj)["status"]["token"])

    def apply(self, manifest: Obj) -> Obj:
        """Server-side apply as this client's writer, taking over conflicting fields."""
        meta = manifest.get("metadata") or {}
        name, namespace = str(meta["name"]), meta.get("namespace")
        res, dyn = self._resource(manifest["apiVersion"], manifest["kind"]), self._dynamic()
        obj = self._call(
            f"apply {manifest['kind']} {_where(name, namespace)}",
            lambda: dyn.server_side_apply(
                res,
                body=manifest,
                name=name,
                namespace=namespace,
                field_manager=self.field_manager,
                force_conflicts=True,
                _request_timeout=_REQUEST_TIMEOUT,
            ),
        )
        return _plain(obj)

    def patch_status(
        self, api_version: str, kind: str, name: str, status: Obj, namespace: str | None = None
    ) -> Obj:
        """Apply ``status`` to the status subresource (fields we no longer set are removed).

        An empty map is sent as no field: server-side apply turns a map whose entries this
        manager owned and now drops into null, which a typed schema refuses (422)."""
        res, dyn = self._resource(api_version, kind), self._dynamic()
        body: Obj = {
            "apiVersion": api_version,
            "kind": kind,
            "metadata": {"name": name, **({"namespace": namespace} if namespace else {})},
            "status": {k: v for k, v in status.items() if v != {}},
        }
        path = res.path(name=name, namespace=namespace) + "/status"
        obj = self._call(
            f"status {kind} {_where(name, namespace)}",
            lambda: dyn.request(
                "patch",
                path,
                body=body,
                content_type="application/apply-patch+yaml",
                field_manager=self.field_manager,
                force_conflicts=True,
                _request_timeout=_REQUEST_TIMEOUT,
            ),
        )
        return _plain(obj)

    def delete(
        self,
        api_version: str,
        kind: str,
        name: str,
        namespace: str | None = None,
        *,
        propagation: str | None = "Background",
    ) -> bool:
        """Delete one object; ``True`` if it existed. Returns before finalizers finish."""
        res, dyn = self._resource(api_version, kind), self._dynamic()
        try:
            self._call(
                f"delete {kind} {_where(name, namespace)}",
                lambda: dyn.delete(
                    res,
                    name=name,
                    namespace=namespace,
                    propagation_policy=propagation,
                    _request_timeout=_REQUEST_TIMEOUT,
                ),
            )
        except NotFoundError:
            return False
        return True

    def wait_deleted(
        self,
        api_version: str,
        kind: str,
        name: str,
        namespace: str | None = None,
        *,
        timeout: float = 60.0,
        interval: float = 0.25,
    ) -> None:
        """Block until the object is gone; ``TransientError`` if it is still there."""
        deadline = time.monotonic() + timeout
        while self.get(api_version, kind, name, namespace) is not None:
            if time.monotonic() > deadline:
                raise TransientError(
                    f"still present after {timeout:.0f}s",
                    operation=f"wait for {kind} {_where(name, namespace)}",
                )
            time.sleep(interval)


def _status_error(status: Obj, operation: str) -> DriverError:
    """The typed error for a watch ``ERROR`` event (a Status object)."""
    code, reason = int(status.get("code") or 0), str(status.get("reason") or "")
    message = str(status.get("message") or reason or "watch failed")
    if code == 410 or reason in ("Expired", "Gone"):
        return ExpiredError(message, operation=operation, status=410, code="Expired")
    return TransientError(message, operation=operation, status=code or None, code=reason)


def _where(name: str, namespace: str | None) -> str:
    return f"{namespace}/{name}" if namespace else name


def _plain(obj: Any) -> Obj:
    result = obj.to_dict() if hasattr(obj, "to_dict") else obj
    return dict(result)


def deploy_client(field_manager: str) -> KubeClient:
    """A client acting as the deploy identity: ``GOVCLOUD_DEPLOY_KUBECONFIG`` when set, else
    the shell's ``KUBECONFIG``. Pulumi's provider processes inherit the variable. A deploy
    kubeconfig for another cluster than the shell's is refused: a shell pointed at another
    cluster after `govcloud localcloud env` must not deploy to the local one."""
    path = os.environ.get(DEPLOY_KUBECONFIG) or None
    if path is not None and os.environ.get("KUBECONFIG"):
        from infra.drivers.reach import api_server

        theirs, ours = api_server(path), api_server()
        if theirs and ours and theirs != ours:
            raise PermanentError(
                _("{variable} ({path}) names {theirs}, but KUBECONFIG names {ours}").format(
                    variable=DEPLOY_KUBECONFIG, path=path, theirs=theirs, ours=ours
                ),
                operation=_("choose the deploy identity"),
                code="Kubeconfig",
            )
    return KubeClient(path, field_manager=field_manager)
