"""Search algorithms by name, and :func:`solve` (one query → one :class:`Trajectory`)."""

from __future__ import annotations

import logging
import random
import threading
from collections.abc import Callable

from planner.config import PlannerConfig
from planner.cot import run_cot
from planner.dfsdt import run_dfsdt
from planner.prompting import build_task
from planner.search import BudgetExhausted, QueryAborted, Search
from toolbench.catalog import Catalog
from toolbench.protocols import ChatModel, Executor
from toolbench.registry import Registry
from toolbench.types import Query, Trajectory

logger = logging.getLogger(__name__)

algorithms: Registry[Callable[[Search], None]] = Registry("search algorithm")
algorithms.register("dfsdt")(run_dfsdt)
algorithms.register("cot")(run_cot)


def solve(query: Query, catalog: Catalog, model: ChatModel, executor: Executor, config: PlannerConfig,
          *, api_ids: list[str] | None = None, rng: random.Random | None = None,
          stop: threading.Event | None = None) -> Trajectory:
    """Search for a solution of ``query`` with the APIs ``api_ids`` (default: the query's).

    Budget exhaustion and repeated LLM failures end the search with the corresponding
    finish reason; :class:`~planner.search.Cancelled` propagates (the query stays unfinished).
    """
    run = algorithms.get(config.method)
    ids = list(api_ids if api_ids is not None else query.api_ids)
    task = build_task(catalog, ids, query.query, config.prompt)
    search = Search(task, model, executor, config, rng=rng, stop=stop)
    aborted = ""
    try:
        run(search)
    except BudgetExhausted:
        logger.info("query %s: LLM-call budget (%d) used up", query.query_id, config.max_llm_calls)
    except QueryAborted as exc:
        aborted = f"aborted after {config.max_backend_errors} failed LLM calls: {exc}"
    trajectory = search.result(query.query_id, query.query, config.method, ids, aborted)
    trajectory.config["group"] = query.group
    return trajectory
