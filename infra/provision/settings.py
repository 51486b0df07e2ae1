"""The per-run settings deploy hands to a stack's program, as environment variables (never
stored in the stack config). A module of their own: deploy needs the names, not the program
(which imports the Pulumi SDK)."""

from __future__ import annotations

__all__ = ["ENV_DECOMMISSION_SPEC", "ENV_DESTROY_DATA", "ENV_TODAY", "STORED_SETTINGS"]

ENV_TODAY = "GOVCLOUD_TODAY"
ENV_DECOMMISSION_SPEC = "GOVCLOUD_DECOMMISSION_SPEC"
ENV_DESTROY_DATA = "GOVCLOUD_DESTROY_DATA_BEFORE_RETENTION_ENDS"
# Per-run settings that earlier versions stored in stack config; deploy removes them.
STORED_SETTINGS = ("govcloud:today", "govcloud:destroyDataBeforeRetentionEnds",
                   "govcloud:decommissionSpec")
