"""The per-run settings deploy hands to a stack's program, as environment variables (never
stored in the stack config). A module of their own: deploy needs the names, not the program
(which imports the Pulumi SDK)."""

from __future__ import annotations

from infra.plan.clock import ENV_NOW, ENV_TODAY

__all__ = [
    "ENV_DECOMMISSION_SPEC",
    "ENV_DESTROY_DATA",
    "ENV_KEY_PENDING_DAYS",
    "ENV_NOW",
    "ENV_OVERRIDE_RULES",
    "ENV_TODAY",
    "STORED_SETTINGS",
]

# One clock: deploy renders every stack of a run as of one real instant (ENV_NOW, ISO 8601
# with its offset), the instant the reconciler would use; a rehearsal's date-only --today
# stands for noon of that day (ENV_TODAY). A plain `pulumi up` uses the time it runs.
# The names and their reading live in infra.plan.clock, the one clock every command reads.
# The rules an emergency `deploy --override-reason ... --override-document ...` overrode
# (recorded as an Event on the Tenant): the policy pack accepts exactly these.
ENV_OVERRIDE_RULES = "GOVCLOUD_OVERRIDE_RULES"
ENV_DECOMMISSION_SPEC = "GOVCLOUD_DECOMMISSION_SPEC"
ENV_DESTROY_DATA = "GOVCLOUD_DESTROY_DATA_BEFORE_RETENTION_ENDS"
# The KMS pending window (days) of the keys a stack destroy schedules for deletion: the
# environment's `destruction.key_pending_days`, read by the key provider's delete.
ENV_KEY_PENDING_DAYS = "GOVCLOUD_KEY_PENDING_DAYS"
# Per-run settings that earlier versions stored in stack config; deploy removes them.
STORED_SETTINGS = (
    "govcloud:today",
    "govcloud:destroyDataBeforeRetentionEnds",
    "govcloud:decommissionSpec",
)
