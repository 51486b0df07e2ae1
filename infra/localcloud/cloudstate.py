"""The cloud endpoint's resources as one file: moto's in-memory backends pickled and restored.

moto keeps every key, bucket, role and network in module-level ``BackendDict`` objects (one
per service). A snapshot pickles the contents of every one that holds something, in one pickle
so that objects shared between services stay shared. References to a ``BackendDict`` itself are
stored by name (module and attribute) and resolve to the live one on restore. Private keys
(KMS) are stored as PKCS#8 DER, since cryptography's key objects cannot be pickled.

The file is written atomically with mode 0600: it holds key material and, like any pickle,
must only ever be read from a directory nobody else can write (the state dir is 0700).
"""

from __future__ import annotations

import importlib
import io
import pickle
import sys
from importlib.metadata import version
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa, x448, x25519

__all__ = ["FORMAT", "UnreadableState", "load_state", "restore", "snapshot"]

FORMAT = 1
_PRIVATE_KEYS = (
    rsa.RSAPrivateKey,
    ec.EllipticCurvePrivateKey,
    dsa.DSAPrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
    x25519.X25519PrivateKey,
    x448.X448PrivateKey,
)


class UnreadableState(Exception):
    """The state file exists but cannot be restored (damaged, or from another moto)."""


def _backend_dicts() -> dict[str, Any]:
    """Every moto ``BackendDict`` loaded in this process, by ``module:attribute``."""
    base = importlib.import_module("moto.core.base_backend")
    found: dict[str, Any] = {}
    for name, module in list(sys.modules.items()):
        if not name.startswith("moto.") or module is None:
            continue
        for attr, value in list(vars(module).items()):
            if isinstance(value, base.BackendDict):
                found.setdefault(f"{name}:{attr}", value)
    return found


def _load_private_key(der: bytes) -> Any:
    # Checking an RSA key costs ~150 ms (seconds for a few dozen KMS keys); these keys were
    # made by the endpoint itself and come back from an owner-only file.
    return serialization.load_der_private_key(
        der, password=None, unsafe_skip_rsa_key_validation=True
    )


class _Pickler(pickle.Pickler):
    def __init__(self, handle: io.BytesIO, names: dict[int, str]) -> None:
        super().__init__(handle, protocol=pickle.HIGHEST_PROTOCOL)
        self._names = names

    def persistent_id(self, obj: Any) -> str | None:
        return self._names.get(id(obj))

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, _PRIVATE_KEYS):
            der = obj.private_bytes(
                serialization.Encoding.DER,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            return _load_private_key, (der,)
        return NotImplemented


class _Unpickler(pickle.Unpickler):
    def persistent_load(self, pid: Any) -> Any:
        module, attr = str(pid).split(":", 1)
        return getattr(importlib.import_module(module), attr)


def snapshot() -> bytes:
    """Every non-empty moto backend, pickled. Call it while no request is being served."""
    live = _backend_dicts()
    names = {id(backend): key for key, backend in live.items()}
    contents = {key: dict(backend) for key, backend in live.items() if len(backend)}
    handle = io.BytesIO()
    _Pickler(handle, names).dump({"format": FORMAT, "moto": version("moto"), "backends": contents})
    return handle.getvalue()


def restore(data: bytes) -> int:
    """Put a snapshot's backends back in place; return how many services it held."""
    try:
        state = _Unpickler(io.BytesIO(data)).load()
        backends: dict[str, dict[str, Any]] = state["backends"]
        if state.get("format") != FORMAT:
            raise ValueError(f"format {state.get('format')!r}, expected {FORMAT}")
    except Exception as exc:
        # Unpickling can fail in any way a changed class allows; all of them mean "unreadable".
        raise UnreadableState(f"{type(exc).__name__}: {exc}") from exc
    base = importlib.import_module("moto.core.base_backend")
    for key, accounts in backends.items():
        module, attr = key.split(":", 1)
        live = getattr(importlib.import_module(module), attr)
        with base.backend_lock:
            dict.clear(live)
            dict.update(live, accounts)
            if live not in base.BackendDict._instances:
                base.BackendDict._instances.append(live)
    return len(backends)


def load_state(path: Path) -> int:
    """Restore from ``path`` if it exists; return the number of services restored."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return 0
    return restore(data)
