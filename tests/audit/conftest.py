from __future__ import annotations

from tests.plan.conftest import ROOT, TODAY, env, fleet

__all__ = ["ROOT", "TODAY", "env", "fleet"]
