"""Provisioning: Pulumi components and dynamic providers over the drivers, the stack
program, the policy pack's rules, the compliance gate and the deploy.

The names below are imported on first use: the Pulumi program and the dynamic-provider
host import this package too, and must not pay for the Automation API or the drivers.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what __getattr__ hands out, so that type checkers see it too
    from .deploy import (
        DeployOptions,
        DeployRefused,
        Override,
        Progress,
        StackResult,
        deploy,
        select_tenants,
    )

__all__ = [
    "DeployOptions",
    "DeployRefused",
    "Override",
    "Progress",
    "StackResult",
    "deploy",
    "select_tenants",
]


def __getattr__(name: str) -> Any:
    if name not in __all__:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module("infra.provision.deploy")
    # Importing the submodule bound ``deploy`` to it; the public name is the function.
    globals().update({n: getattr(module, n) for n in __all__})
    return globals()[name]
