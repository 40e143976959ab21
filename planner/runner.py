"""Run a search algorithm over many queries into a run directory.

:func:`run_queries` is the library entry point (``toolbench plan`` and ``toolbench run``
call it). Queries run on a bounded thread pool (``concurrency``): LLM calls of different
queries overlap, one query's search stays sequential. Each finished query is written
atomically to ``results/{qid}.json`` and its id appended to ``finished.jsonl`` (see
:mod:`toolbench.store.runs`); a resumed run skips finished query ids, found without parsing
the result files. Ctrl-C stops new LLM calls, lets running calls return, leaves
unfinished queries unwritten, merges ``trajectories.jsonl`` and re-raises.
"""

from __future__ import annotations

import json
import logging
import random
import threading
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from planner.algorithms import algorithms, solve
from planner.config import PlannerConfig
from planner.search import Cancelled
from toolbench.catalog import Catalog
from toolbench.config import save_config
from toolbench.errors import ConfigError, InputError, ToolbenchError
from toolbench.protocols import ChatModel, Executor, Index
from toolbench.secrets import keep_references
from toolbench.store import read_json
from toolbench.store.runs import CONFIG, SETTINGS_KEYS, RunDir
from toolbench.types import FinishReason, Query, Trajectory

logger = logging.getLogger(__name__)


@dataclass
class RunStats:
    """Live counters of a run (updated from worker threads under a lock)."""

    total: int = 0
    skipped: int = 0
    done: int = 0
    solved: int = 0
    gave_up: int = 0
    errors: int = 0
    llm_calls: int = 0
    tokens: int = 0
    api_calls: int = 0
    interrupted: bool = False
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    def add(self, trajectory: Trajectory | None) -> None:
        with self._lock:
            if trajectory is None:
                self.errors += 1
                return
            self.done += 1
            self.solved += trajectory.finish_reason == FinishReason.GIVE_ANSWER
            self.gave_up += trajectory.finish_reason == FinishReason.GIVE_UP
            self.errors += trajectory.finish_reason == FinishReason.ERROR
            self.llm_calls += trajectory.usage.llm_calls
            self.tokens += trajectory.usage.total_tokens
            self.api_calls += trajectory.usage.api_calls

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self) if not f.name.startswith("_")}


Progress = Callable[[RunStats], None]


def select_apis(query: Query, catalog: Catalog, index: Index | None = None, k: int = 5,
                always: bool = False) -> tuple[list[str], list[list[Any]]]:
    """The APIs offered for ``query``: its own list, else the top ``k`` from ``index``.

    Returns the ids and the retrieval result ``[[api_id, score], ...]`` (empty when none ran).
    """
    if query.api_ids and not always:
        missing = [i for i in query.api_ids if i not in catalog]
        if missing:
            raise InputError(f"query {query.query_id}: API {missing[0]!r} is not in the catalog")
        return list(query.api_ids), []
    if index is None:
        raise InputError(f"query {query.query_id} lists no APIs: give a retrieval index (--index DIR)")
    hits = [(api_id, float(score)) for api_id, score in index.retrieve(query.query, k) if api_id in catalog]
    if not hits:
        raise InputError(f"query {query.query_id}: the index returned no API of the catalog")
    return [h[0] for h in hits], [list(h) for h in hits]


def query_rng(seed: int, query_id: str) -> random.Random:
    """A generator seeded by the run seed and the query id (independent of scheduling).

    >>> query_rng(0, "7").random() == query_rng(0, "7").random()
    True
    """
    return random.Random(f"{seed}:{query_id}")


def prepare_run_dir(out_dir: str | Path, settings: dict[str, Any], *, force: bool = False) -> RunDir:
    """Create or reopen a run directory; refuse to resume with other planner settings, another
    model or another executor (``force`` resumes anyway: the run then mixes them)."""
    run = RunDir(out_dir)
    path = run.path / CONFIG
    if path.is_file():
        try:
            previous = read_json(path).get("config", {})
        except AttributeError:
            raise InputError("not a run configuration (a JSON object)", path=str(path)) from None
        current = json.loads(json.dumps(keep_references(settings), default=str))
        changed = [key for key in SETTINGS_KEYS if key in previous and previous.get(key) != current.get(key)]
        if changed and not force and "planner" in changed:
            raise ConfigError(f"{run.path} was started with other planner settings; use another --out to start afresh")
        if changed and not force:
            raise ConfigError(f"{run.path} was started with another {' and '.join(changed)}; use another --out to "
                              "start afresh, or --force to resume it anyway")
        if changed:
            logger.warning("resuming %s with another %s (--force)", run.path, " and ".join(changed))
    save_config(run.path, settings, CONFIG)
    return run


def run_queries(
    queries: Iterable[Query],
    catalog: Catalog,
    model: ChatModel,
    executor: Executor,
    config: PlannerConfig,
    out_dir: str | Path,
    *,
    index: Index | None = None,
    k: int = 5,
    always_retrieve: bool = False,
    concurrency: int = 1,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
    extra_config: dict[str, Any] | None = None,
    force: bool = False,
) -> RunStats:
    """Plan every query not finished yet into ``out_dir``; returns the run's counters.

    The run directory is locked while it runs (a second process gets an :class:`InputError`);
    resuming with another model or executor is refused unless ``force``.
    """
    if concurrency < 1:
        raise ConfigError("concurrency must be >= 1")
    if k < 1:
        raise ConfigError(f"k (APIs retrieved per query) must be >= 1, not {k}")
    algorithms.get(config.method)  # an unknown method fails before anything is written
    queries = list(queries)
    _check_unique_ids(queries)
    settings = {"planner": config.to_dict(), "model": model.describe(), "executor": type(executor).__name__,
                "concurrency": concurrency, "k": k, "always_retrieve": always_retrieve,
                "queries": len(queries), **(extra_config or {})}
    with RunDir(out_dir).lock():
        run = prepare_run_dir(out_dir, settings, force=force)
        return _run_locked(queries, run, catalog, model, executor, config, index, k, always_retrieve, concurrency,
                           progress, stop)


def _check_unique_ids(queries: list[Query]) -> None:
    seen: set[str] = set()
    for query in queries:
        if query.query_id in seen:
            raise InputError(f"query id {query.query_id!r} appears more than once; query ids must be unique")
        seen.add(query.query_id)


def _run_locked(queries: list[Query], run: RunDir, catalog: Catalog, model: ChatModel, executor: Executor,
                config: PlannerConfig, index: Index | None, k: int, always_retrieve: bool, concurrency: int,
                progress: Progress | None, stop: threading.Event | None) -> RunStats:
    finished = run.finished(repair=True)  # a listing + the manifest: no result file is parsed
    todo = [q for q in queries if q.query_id not in finished]
    stats = RunStats(total=len(queries), skipped=len(queries) - len(todo))
    stop = stop or threading.Event()
    logger.info("%d queries, %d already finished, %d to run", len(queries), stats.skipped, len(todo))

    def one(query: Query) -> None:
        trajectory = _solve_one(query, catalog, model, executor, config, run, index, k, always_retrieve, stop)
        stats.add(trajectory)
        if progress is not None:
            progress(stats)

    try:
        _run_pool(todo, one, concurrency, stop, on_stop=getattr(executor, "cancel", None))
    except KeyboardInterrupt:
        stats.interrupted = True
        raise
    finally:
        run.merge()
    return stats


def _solve_one(query: Query, catalog: Catalog, model: ChatModel, executor: Executor, config: PlannerConfig,
               run: RunDir, index: Index | None, k: int, always: bool, stop: threading.Event) -> Trajectory | None:
    try:
        api_ids, retrieved = select_apis(query, catalog, index, k, always)
        trajectory = solve(query, catalog, model, executor, config, api_ids=api_ids,
                           rng=query_rng(config.seed, query.query_id), stop=stop)
        if retrieved:
            trajectory.config["retrieved"] = retrieved
        run.write_result(trajectory)
    except Cancelled:
        raise
    except ToolbenchError as exc:
        logger.error("query %s failed: %s", query.query_id, exc)
        run.write_error(query.query_id, str(exc))
        return None
    except Exception as exc:  # noqa: BLE001 - one query never aborts the run
        logger.error("query %s failed: %s: %s", query.query_id, type(exc).__name__, exc)
        logger.debug("query %s traceback", query.query_id, exc_info=True)
        run.write_error(query.query_id, f"{type(exc).__name__}: {exc}")
        return None
    return trajectory


def _run_pool(todo: list[Query], one: Callable[[Query], None], concurrency: int, stop: threading.Event,
              on_stop: Callable[[], None] | None = None) -> None:
    """Run ``one`` over ``todo`` with at most ``concurrency`` in flight; Ctrl-C drains cleanly.

    ``on_stop`` (the executor's ``cancel``) cuts the tool calls in flight short on Ctrl-C.
    """
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="plan")
    pending: set[Future[None]] = set()
    items = iter(todo)
    try:
        while True:
            while len(pending) < concurrency and not stop.is_set():
                query = next(items, None)
                if query is None:
                    break
                pending.add(pool.submit(one, query))
            if not pending:
                return
            done, pending = wait(pending, timeout=0.5, return_when=FIRST_COMPLETED)
            for future in done:
                _reraise(future)
    except BaseException:
        stop.set()
        if on_stop is not None:
            on_stop()
        wait(pending)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _reraise(future: Future[None]) -> None:
    exc = future.exception()
    if exc is not None and not isinstance(exc, Cancelled):
        raise exc
