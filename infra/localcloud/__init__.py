"""The embedded provincial cloud: etcd, kube-apiserver, kube-controller-manager, an
AWS-compatible endpoint and a Prometheus-compatible metrics store on loopback, and the tools
(pulumi, kubectl) that go with it."""

from .cluster import ComponentStatus, LocalCloud, default_state_dir
from .scrape import register_scrape_target, unregister_scrape_target
from .toolchain import ensure_tools, project_root, tool_dirs

__all__ = [
    "ComponentStatus",
    "LocalCloud",
    "default_state_dir",
    "ensure_tools",
    "project_root",
    "register_scrape_target",
    "tool_dirs",
    "unregister_scrape_target",
]
