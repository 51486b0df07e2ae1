"""The embedded provincial cloud: etcd, kube-apiserver, kube-controller-manager and an
AWS-compatible endpoint on loopback, and the tools (pulumi, kubectl) that go with it."""

from .cluster import ComponentStatus, LocalCloud, default_state_dir
from .toolchain import ensure_tools, project_root, tool_dirs

__all__ = [
    "ComponentStatus",
    "LocalCloud",
    "default_state_dir",
    "ensure_tools",
    "project_root",
    "tool_dirs",
]
