"""``toolbench run``: catalog → index → plan (main and reference) → judge → report.

Everything lands in one run directory::

    OUT/
      run_config.json            the resolved configuration and library versions
      index/                     the retrieval index (rebuilt only when the catalog changes)
      plans/main-<hash>/         planner run directories (see toolbench.store.runs); the hash
      plans/reference-<hash>/    covers everything that shapes a plan, so changing only
                                 the judges re-judges without re-planning
      report/                    report.json, report.md, report.html, verdicts/

Re-running the same config resumes: finished queries are skipped, and judge calls are
cached by the evaluator.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolbench.app.common import ProgressFactory, resolve_catalog
from toolbench.app.run_config import CatalogSection, IndexSection, QueriesSection, RunConfig
from toolbench.catalog import Catalog
from toolbench.catalog.names import stable_hash
from toolbench.config import save_config
from toolbench.errors import ConfigError, InputError
from toolbench.jsonutil import canonical_json
from toolbench.protocols import ChatModel, Executor, Index
from toolbench.types import Query, Report, Trajectory

logger = logging.getLogger(__name__)

@dataclass
class PipelineResult:
    """What a finished ``toolbench run`` produced."""

    out: Path
    report: Report
    plan_dirs: dict[str, Path] = field(default_factory=dict)

    @property
    def report_html(self) -> Path:
        return self.out / "report" / "report.html"


def build_catalog(section: CatalogSection) -> Catalog:
    """The catalog of the run: the built-in tools and/or catalog files."""
    return resolve_catalog([*(["builtin"] if section.builtin else []), *section.paths], default=()).catalog


def select_queries(section: QueriesSection) -> list[Query]:
    """The queries of the run, filtered by group and cut to ``limit`` (file order kept).

    A limit keeps the first ``limit`` queries of each group when groups are given, so a
    short run still covers every group.
    """
    if section.builtin:
        from toolbench.builtin_world import builtin_instructions

        queries = builtin_instructions()
    else:
        from toolbench.catalog.queries import load_queries

        queries = load_queries(section.path)
    if section.groups:
        queries = [q for q in queries if any(q.group.startswith(g) for g in section.groups)]
        if section.limit:
            per_group = [[q for q in queries if q.group.startswith(g)][: section.limit] for g in section.groups]
            queries = [q for group in per_group for q in group]
    elif section.limit:
        queries = queries[: section.limit]
    if not queries:
        raise InputError("no queries selected", path=section.path or "built-in instructions")
    ids = [q.query_id for q in queries]
    if len(set(ids)) != len(ids):
        raise InputError("duplicate query ids", path=section.path or "built-in instructions")
    return queries


def needs_index(section: IndexSection, queries: list[Query]) -> bool:
    """Whether retrieval runs: an index kind is set and some query lists no APIs (or always)."""
    return section.kind != "none" and (section.always or any(not q.api_ids for q in queries))


def prepare_index(section: IndexSection, catalog: Catalog, directory: Path) -> Index:
    """Load ``section.path``, reuse ``directory`` when it indexes this catalog, else build it."""
    from retriever import build_index, load_index

    if section.path:
        return load_index(section.path, section.encoder or None, multi=section.multi)
    if (directory / "index.json").is_file():
        from retriever.index_store import read_metadata

        meta = read_metadata(directory)
        if meta.get("kind") == section.kind and meta.get("api_ids") == catalog.ids:
            logger.info("reusing the index in %s", directory)
            return load_index(directory, section.encoder or None, multi=section.multi)
    logger.info("building a %s index of %d APIs", section.kind, len(catalog))
    return build_index(catalog, directory, section.kind, section.encoder or None, show_progress=True,
                       multi=section.multi)


def plan_settings(config: RunConfig, method: str, options: dict[str, Any]) -> dict[str, Any]:
    """Everything that shapes a plan (the plan directory is named by its hash)."""
    return {
        "method": method, "options": options, "model": {"spec": config.model.spec, "options": config.model.options},
        "executor": {"kind": config.executor.kind, "options": config.executor.options},
        "catalog": config.catalog.to_dict(), "queries": config.queries.to_dict(), "index": config.index.to_dict(),
    }


def plan_dir(out: Path, label: str, settings: dict[str, Any]) -> Path:
    """``out/plans/<label>-<hash of settings>``.

    >>> plan_dir(Path("runs/x"), "main", {"method": "cot"}).as_posix()
    'runs/x/plans/main-2134196b'
    """
    return out / "plans" / f"{label}-{stable_hash(canonical_json(settings))}"


class Pipeline:
    """Runs one :class:`RunConfig` (see the module docstring)."""

    def __init__(self, config: RunConfig, progress: ProgressFactory | None = None) -> None:
        self.config = config
        self.out = Path(config.out)
        self.progress = progress
        self._model: ChatModel | None = None

    def run(self) -> PipelineResult:
        config = self.config
        self.out.mkdir(parents=True, exist_ok=True)
        save_config(self.out, config, "run_config.json")
        catalog = build_catalog(config.catalog)
        queries = select_queries(config.queries)
        index = prepare_index(config.index, catalog, self.out / "index") if needs_index(config.index, queries) else None
        executor = self._executor(catalog)
        try:
            planner = config.planner
            main_dir = self._plan("main", planner.method, planner.options, queries, catalog, executor, index)
            dirs = {"main": main_dir}
            if config.reference.run:
                dirs["reference"] = Path(config.reference.run)
            elif config.reference.method:
                dirs["reference"] = self._plan(
                    "reference", config.reference.method, config.reference.options, queries, catalog, executor, index
                )
        finally:
            executor.close()
        from toolbench.store.run_io import read_run

        runs = {label: read_run(directory) for label, directory in dirs.items()}
        report = self._judge(queries, runs["main"], runs.get("reference"), dirs)
        return PipelineResult(self.out, report, dirs)

    def _executor(self, catalog: Catalog) -> Executor:
        from toolbench.executors import build_executor

        return build_executor(self.config.executor.kind, catalog, **self.config.executor.options)

    def _chat_model(self) -> ChatModel:
        if self._model is None:
            from toolbench.models import load_chat_model

            self._model = load_chat_model(self.config.model.spec, **self.config.model.options)
        return self._model

    def _plan(self, label: str, method: str, options: dict[str, Any], queries: list[Query], catalog: Catalog,
              executor: Executor, index: Index | None) -> Path:
        from planner.config import PlannerConfig
        from planner.runner import run_queries

        try:
            planner_config = PlannerConfig.from_dict({**options, "method": method})
        except ConfigError as exc:
            raise ConfigError(f"[{'planner' if label == 'main' else 'reference'}] {exc}") from exc
        directory = plan_dir(self.out, label, plan_settings(self.config, method, options))
        progress = self.progress(f"{label}: {planner_config.method_label}", len(queries)) if self.progress else None
        stats = run_queries(
            queries, catalog, self._chat_model(), executor, planner_config, directory, index=index,
            k=self.config.index.k, always_retrieve=self.config.index.always,
            concurrency=self.config.planner.concurrency, progress=progress,
            extra_config={"run_config": self.config.name, "label": label},
        )
        logger.info("%s: %s", label, stats.to_dict())
        return directory

    def _judge(self, queries: list[Query], main: list[Trajectory], reference: list[Trajectory] | None,
               dirs: dict[str, Path]) -> Report:
        from evaluator.judging import judge_runs

        judgement = judge_runs(main, reference, queries, self.config.judges, self.out / "report", run_dirs=dirs,
                               name=self.config.name)
        return judgement.report


def run_pipeline(config: RunConfig, progress: ProgressFactory | None = None) -> PipelineResult:
    """Run the whole job described by ``config``."""
    return Pipeline(config, progress).run()

