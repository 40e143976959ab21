"""Verified solution paths: plan instructions with any model, keep the paths that check out.

What ``toolbench data solutions`` and the ``solutions`` stages of ``toolbench run`` share.
A solutions directory is a planner run directory plus::

    verified.json     {"kept": [query ids], "reasons": {query id: why kept or rejected},
                       "counts": {...}, "llm_calls": N, "instructions": N}
    verified/         (the command) the kept paths as a run directory; each records why it
                      was kept in ``config["verified"]``

The checks are :func:`evaluator.verify.verify_paths`: exact answer where it is known, the
LLM pass judge where it is not and a judge is given, the rules otherwise, and always the
grounding checks.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from toolbench.catalog import Catalog
from toolbench.protocols import ChatModel, Executor, Index
from toolbench.types import Query, Trajectory, Verdict

logger = logging.getLogger(__name__)

VERIFIED = "verified.json"


def plan_solutions(queries: Sequence[Query], catalog: Catalog, model: ChatModel, executor: Executor,
                   planner: dict[str, Any], directory: Path, *, index: Index | None = None, k: int = 5,
                   concurrency: int = 0, progress: Any = None, judge: str = "",
                   extra_config: dict[str, Any] | None = None) -> dict[str, Any]:
    """Plan ``queries`` into the run directory ``directory`` (resumable) with the planner
    options ``planner`` (:class:`planner.config.PlannerConfig` fields), then verify the
    paths and write ``verified.json``; returns its record."""
    from planner.config import PlannerConfig
    from planner.runner import run_queries

    config = PlannerConfig.from_dict(planner)
    workers = concurrency or int(getattr(model, "concurrency_hint", 1))
    run_queries(list(queries), catalog, model, executor, config, directory, index=index, k=k, concurrency=workers,
                progress=progress, extra_config=dict(extra_config or {}))
    return write_verified(directory, queries, judge=judge, method=config.method_label)


def pass_verdicts(trajectories: Sequence[Trajectory], queries: Sequence[Query], judge: str) -> dict[str, Verdict]:
    """LLM pass verdicts (rules first) for the paths whose expected answer is unknown."""
    if not judge:
        return {}
    from evaluator.api import judge_pass

    known = {q.query_id for q in queries if q.expected_answer is not None}
    todo = [t for t in trajectories if t.query_id not in known]
    return {v.query_id: v for v in judge_pass(todo, judge)} if todo else {}


def write_verified(directory: Path, queries: Sequence[Query], *, judge: str = "", method: str = "") -> dict[str, Any]:
    """Verify the paths of the run ``directory`` and write its ``verified.json``."""
    from evaluator.verify import summarise, verify_paths
    from toolbench.store import atomic_write_json
    from toolbench.store.run_io import read_run

    order = {q.query_id: i for i, q in enumerate(queries)}
    trajectories = sorted((t for t in read_run(directory) if t.query_id in order), key=lambda t: order[t.query_id])
    checks = verify_paths(trajectories, queries, pass_verdicts(trajectories, queries, judge))
    record = {"kept": [c.query_id for c in checks if c.kept], "reasons": {c.query_id: c.reason for c in checks},
              "counts": summarise(checks), "instructions": len(queries), "method": method, "judge": judge,
              "llm_calls": sum(t.usage.llm_calls for t in trajectories),
              "api_calls": sum(t.usage.api_calls for t in trajectories)}
    atomic_write_json(directory / VERIFIED, record)
    logger.info("%d/%d paths verified in %s: %s", len(record["kept"]), len(trajectories), directory, record["counts"])
    return record


def kept_ids(directory: Path) -> tuple[set[str], dict[str, str]]:
    """The kept query ids of a solutions directory and their reasons (an older
    ``verified.json`` is a plain list of ids)."""
    from toolbench.store import read_json

    data = read_json(directory / VERIFIED)
    if isinstance(data, list):
        return set(map(str, data)), {}
    return set(data["kept"]), dict(data.get("reasons") or {})


def verified_run(solutions: Path, out: Path) -> Path:
    """Write the kept paths of ``solutions`` as the run directory ``out``, each with the
    reason it was kept in ``config["verified"]``."""
    import shutil

    from toolbench.store.run_io import read_run
    from toolbench.store.runs import RunDir

    keep, reasons = kept_ids(solutions)
    shutil.rmtree(out, ignore_errors=True)  # derived: always rewritten whole
    run = RunDir(out)
    for trajectory in read_run(solutions):
        if trajectory.query_id in keep:
            trajectory.config = {**trajectory.config, "verified": reasons.get(trajectory.query_id, "kept")}
            run.write_result(trajectory)
    run.merge()
    return out
