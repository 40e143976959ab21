"""planner package of toolbench-kit: prompts, DFSDT / CoT search, the runner (docs/architecture.md, docs/planner.md).

Library use::

    from planner import PlannerConfig, run_queries, solve
    trajectory = solve(query, catalog, model, executor, PlannerConfig(method="dfsdt"))
    stats = run_queries(queries, catalog, model, executor, PlannerConfig(), "runs/demo", concurrency=8)

The names load lazily; no heavy library is imported by this package.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["PlannerConfig", "run_queries", "solve"]
_HOMES = {"PlannerConfig": "planner.config", "run_queries": "planner.runner", "solve": "planner.algorithms"}


def __getattr__(name: str) -> Any:
    if name in _HOMES:
        return getattr(importlib.import_module(_HOMES[name]), name)
    raise AttributeError(f"module 'planner' has no attribute {name!r}")
