"""``toolbench run``: catalog → index → [train] → plan → judge → report.

Everything lands in one run directory::

    OUT/
      run_config.json            the resolved configuration and library versions
      index/                     the retrieval index (rebuilt only when the catalog changes)
      train/                     the training stages, when there is a [train] section
                                 (see toolbench.app.training)
      plans/main-<hash>/         planner run directories (see toolbench.store.runs); the hash
      plans/reference-<hash>/    covers everything that shapes a plan, so changing only
                                 the judges re-judges without re-planning
      report/                    report.json, report.md, report.html, verdicts/

Without [tuned]/[train] the runs are ``main`` ([model] with [planner]) and ``reference``.
With them, the student runs are ``base: <method>`` and ``tuned: <method>`` (plans/base-…,
plans/tuned-…), ``tuned: <reference method>``, and ``teacher: <method>`` when [train] has a
teacher; win rate compares tuned with base and with the tuned reference run.

Re-running the same config resumes: finished queries are skipped, and judge calls are
cached by the evaluator.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolbench.app.common import ProgressFactory, close_model, resolve_catalog
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
    train_stages: dict[str, Path] = field(default_factory=dict)

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
        from toolbench.builtin_world import builtin_everyday, builtin_instructions

        queries = builtin_everyday() if section.builtin_set == "everyday" else builtin_instructions()
    else:
        from toolbench.catalog.queries import load_queries

        queries = load_queries(section.path)
    if section.groups:
        queries = [q for q in queries if any(in_group(q.group, g) for g in section.groups)]
        if section.limit:
            per_group = [[q for q in queries if in_group(q.group, g)][: section.limit] for g in section.groups]
            queries = [q for group in per_group for q in group]
    elif section.limit:
        queries = queries[: section.limit]
    if not queries:
        raise InputError("no queries selected", path=section.path or "built-in instructions")
    ids = [q.query_id for q in queries]
    if len(set(ids)) != len(ids):
        raise InputError("duplicate query ids", path=section.path or "built-in instructions")
    return queries


def shard_queries(queries: list[Query], spec: str) -> list[Query]:
    """The share of ``queries`` of shard ``spec`` (``i/n``; ``""`` = all of them)."""
    from toolbench.shards import parse_shard

    part = parse_shard(spec)
    if part is None:
        return queries
    selected = part.select(queries, lambda q: q.query_id)
    logger.info("shard %s: %d of %d queries", part, len(selected), len(queries))
    return selected


def in_group(group: str, wanted: str) -> bool:
    """Whether ``group`` is ``wanted`` or one of its variants (``G1_tool`` is in G1; G10 is not).

    >>> in_group("G1", "G1"), in_group("G1_instruction", "G1"), in_group("G10", "G1")
    (True, True, False)
    """
    return group == wanted or (group.startswith(wanted) and not group[len(wanted)].isalnum())


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


def plan_settings(config: RunConfig, method: str, options: dict[str, Any],
                  model: tuple[str, dict[str, Any]] | None = None) -> dict[str, Any]:
    """Everything that shapes a plan (the plan directory is named by its hash); ``model``
    is ``(spec, options)`` when it is not the config's [model]."""
    spec, model_options = model or (config.model.spec, config.model.options)
    return {
        "method": method, "options": options, "model": {"spec": spec, "options": model_options},
        "executor": {"kind": config.executor.kind, "options": config.executor.options},
        "catalog": config.catalog.to_dict(), "queries": config.queries.to_dict(), "index": config.index.to_dict(),
    }


def plan_dir(out: Path, label: str, settings: dict[str, Any]) -> Path:
    """``out/plans/<label>-<hash of settings>``.

    >>> plan_dir(Path("runs/x"), "main", {"method": "cot"}).as_posix()
    'runs/x/plans/main-2134196b'
    """
    return out / "plans" / f"{label}-{stable_hash(canonical_json(settings))}"


@dataclass(frozen=True)
class PlannedRun:
    """One planner run of the evaluation: its report label, directory label, model and method."""

    label: str
    directory: str
    spec: str
    model_options: dict[str, Any]
    method: str
    options: dict[str, Any]


def student_runs(config: RunConfig,
                 tuned: tuple[str, dict[str, Any]]) -> tuple[list[PlannedRun], list[tuple[str, str]]]:
    """The runs and win pairs of a base-vs-tuned evaluation (see the module docstring)."""
    planner, reference = config.planner, config.reference
    method = planner.method
    runs = [PlannedRun(f"base: {method}", f"base-{method}", config.model.spec, config.model.options, method,
                       planner.options),
            PlannedRun(f"tuned: {method}", f"tuned-{method}", *tuned, method, planner.options)]
    pairs = [(runs[1].label, runs[0].label)]
    if reference.method:
        label = f"tuned: {reference.method}"
        if reference.method == method:
            label += " (reference)"
        runs.append(PlannedRun(label, f"tuned-reference-{reference.method}", *tuned, reference.method,
                               reference.options))
        pairs.append((runs[1].label, label))
    if config.train and config.train.teacher:
        runs.append(PlannedRun(f"teacher: {method}", f"teacher-{method}", config.train.teacher,
                               config.train.teacher_options, method, planner.options))
    return runs, pairs


class Pipeline:
    """Runs one :class:`RunConfig` (see the module docstring)."""

    def __init__(self, config: RunConfig, progress: ProgressFactory | None = None) -> None:
        self.config = config
        self.out = Path(config.out)
        self.progress = progress
        self._models: dict[str, ChatModel] = {}

    def run(self) -> PipelineResult:
        config = self.config
        self.out.mkdir(parents=True, exist_ok=True)
        save_config(self.out, config, "run_config.json")
        catalog = build_catalog(config.catalog)
        queries = shard_queries(select_queries(config.queries), config.shard)
        wants_index = needs_index(config.index, queries) or (config.train is not None and config.index.kind != "none")
        index = prepare_index(config.index, catalog, self.out / "index") if wants_index else None
        executor = self._executor(catalog)
        try:
            runs, pairs, stages = self._planned_runs(catalog, executor, index, queries)
            planned: dict[str, Path] = {}
            order = sorted(runs, key=lambda r: not r.label.startswith("tuned"))  # the tuned student first
            for position, run in enumerate(order):
                planned[run.label] = self._plan(run, queries, catalog, executor, index)
                if not any(r.spec == run.spec and r.model_options == run.model_options for r in order[position + 1:]):
                    self._close_model(run.spec, run.model_options)
            dirs = {run.label: planned[run.label] for run in runs}
            if not config.compares_students and config.reference.run:
                dirs["reference"] = Path(config.reference.run)
        finally:
            executor.close()
            for model in self._models.values():
                close_model(model)
        from toolbench.store.run_io import read_run

        trajectories = {label: read_run(directory) for label, directory in dirs.items()}
        if not config.compares_students and "reference" in dirs:
            pairs = [("main", "reference")]
        report = self._judge(queries, trajectories, pairs, dirs)
        return PipelineResult(self.out, report, dirs, stages)

    def _planned_runs(self, catalog: Catalog, executor: Executor, index: Index | None,
                      queries: list[Query]) -> tuple[list[PlannedRun], list[tuple[str, str]], dict[str, Path]]:
        config = self.config
        if not config.compares_students:
            model = (config.model.spec, config.model.options)
            runs = [PlannedRun("main", "main", *model, config.planner.method, config.planner.options)]
            if config.reference.method:
                runs.append(PlannedRun("reference", "reference", *model, config.reference.method,
                                       config.reference.options))
            return runs, [], {}
        stages: dict[str, Path] = {}
        if config.train is not None:
            from toolbench.app.training import Trainer

            prompt = str(config.planner.options.get("prompt", "toolbench"))
            trainer = Trainer(config.train, self.out / "train", catalog, executor, index, k=config.index.k,
                              prompt=prompt, model_spec=config.model.spec, progress=self.progress,
                              exclude=[] if config.queries.builtin else queries, model_options=config.model.options)
            student = trainer.run()
            stages = student.stages
            tuned = (config.model.spec, {**config.model.options, "adapter": str(student.adapter)})
        else:
            tuned = (config.tuned.spec, config.tuned.options)
        runs, pairs = student_runs(config, tuned)
        return runs, pairs, stages

    def _executor(self, catalog: Catalog) -> Executor:
        from toolbench.executors import build_executor

        return build_executor(self.config.executor.kind, catalog, **self.config.executor.options)

    def _chat_model(self, spec: str, options: dict[str, Any]) -> ChatModel:
        key = canonical_json({"spec": spec, "options": options})
        if key not in self._models:
            from toolbench.models import load_chat_model

            self._models[key] = load_chat_model(spec, **options)
        return self._models[key]

    def _close_model(self, spec: str, options: dict[str, Any]) -> None:
        model = self._models.pop(canonical_json({"spec": spec, "options": options}), None)
        if model is not None:
            close_model(model)

    def _plan(self, run: PlannedRun, queries: list[Query], catalog: Catalog, executor: Executor,
              index: Index | None) -> Path:
        from planner.config import PlannerConfig
        from planner.runner import run_queries

        section = "reference" if "reference" in run.directory else "planner"
        try:
            planner_config = PlannerConfig.from_dict({**run.options, "method": run.method})
        except ConfigError as exc:
            raise ConfigError(f"[{section}] {exc}") from exc
        settings = plan_settings(self.config, run.method, run.options, (run.spec, run.model_options))
        directory = plan_dir(self.out, run.directory, settings)
        progress = self.progress(f"{run.label}: {planner_config.method_label}", len(queries)) if self.progress else None
        model = self._chat_model(run.spec, run.model_options)
        concurrency = self.config.planner.concurrency or int(getattr(model, "concurrency_hint", 1))
        stats = run_queries(
            queries, catalog, model, executor, planner_config, directory, index=index,
            k=self.config.index.k, always_retrieve=self.config.index.always,
            concurrency=concurrency, progress=progress,
            extra_config={"run_config": self.config.name, "label": run.label},
        )
        logger.info("%s: %s", run.label, stats.to_dict())
        return directory

    def _judge(self, queries: list[Query], runs: dict[str, list[Trajectory]], pairs: list[tuple[str, str]],
               dirs: dict[str, Path]) -> Report:
        from evaluator.judging import judge_all

        judgement = judge_all(runs, pairs, queries, self.config.judges, self.out / "report", run_dirs=dirs,
                              name=self.config.name)
        return judgement.report


def run_pipeline(config: RunConfig, progress: ProgressFactory | None = None) -> PipelineResult:
    """Run the whole job described by ``config``."""
    return Pipeline(config, progress).run()

