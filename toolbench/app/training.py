"""The training stages of ``toolbench run``: instructions → solution paths → SFT data → LoRA.

ToolLLM's loop, one directory per stage under ``OUT/train/``::

    instructions-<hash>/   train.jsonl: template instructions, a query file, or a teacher's
    solutions-<hash>/      a run directory of solution paths: gold call chains, or the
                           teacher planner's paths whose answers check out
    sft-<hash>/            sft.jsonl (+ toolllama.json): one chat example per kept path
    lora-<hash>/           adapter/, metrics.json, train_config.json (checkpoints while training)

A stage directory is named by the hash of everything that shapes it, including the hash
of the stage before, so changing only the evaluation or the judges retrains nothing, and
changing the LoRA settings reuses the instructions and paths. A stage is complete when
its ``stage.json`` exists (written last); a killed stage is redone from where its
tools resume (the planner skips finished queries, LoRA restarts from its last checkpoint).

Solution paths are written with the toolset the student will see at evaluation: the
retrieved top ``k`` for the instruction, with any missing gold API put in place of the
lowest-ranked others (so the model learns to pick among retrieved tools, and every path is
solvable).
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolbench.app.common import close_model
from toolbench.catalog import Catalog
from toolbench.catalog.names import stable_hash
from toolbench.config import Config, require
from toolbench.errors import ConfigError, InputError
from toolbench.jsonutil import canonical_json
from toolbench.protocols import Executor, Index
from toolbench.types import Query, VerdictLabel

logger = logging.getLogger(__name__)

INSTRUCTION_SOURCES = ("templates", "file", "generate")
SOLUTION_SOURCES = ("gold", "planner")
STAGE_FILE = "stage.json"
# the LoRA recipe of the shipped hf:smollm2-tools (see its model card)
LORA_DEFAULTS: dict[str, Any] = {"rank": 16, "top_layers": 10, "learning_rate": 1e-3, "epochs": 1.0,
                                 "batch_size": 4, "max_length": 1024, "save_steps": 25, "logging_steps": 5}
GENERATION_MODES = {"G1": "single", "G2": "category", "G3": "cross"}


@dataclass(frozen=True)
class TrainSection(Config):
    """The ``[train]`` section: how the student is trained (see the module docstring).

    ``instructions``: ``templates`` (the built-in world's templates, never reproducing an
    evaluation instruction), ``file`` (``path``) or ``generate`` (written by ``teacher``).
    ``solutions``: ``gold`` (execute the instructions' gold call chains) or ``planner``
    (the teacher plans them with ``solver`` options; verified paths are kept).
    ``thoughts``: gold paths' thought style (``plan``: one line naming the calls).
    ``lora``: :class:`toolbench.training.lora.LoraTrainConfig` fields over :data:`LORA_DEFAULTS`.
    """

    instructions: str = "templates"
    path: str = ""
    counts: dict[str, int] = field(default_factory=lambda: {"G1": 200, "G2": 250, "G3": 250})
    seed: int = 0
    teacher: str = ""
    teacher_options: dict[str, Any] = field(default_factory=dict)
    solutions: str = "gold"
    solver: dict[str, Any] = field(default_factory=lambda: {"method": "dfsdt"})
    thoughts: str = "plan"
    lora: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> None:
        require(self.instructions in INSTRUCTION_SOURCES,
                f"[train] instructions must be one of {', '.join(INSTRUCTION_SOURCES)}")
        require(self.solutions in SOLUTION_SOURCES, f"[train] solutions must be one of {', '.join(SOLUTION_SOURCES)}")
        require(self.instructions != "file" or bool(self.path), "[train] instructions = 'file' needs a path")
        require(self.instructions != "generate" or bool(self.teacher),
                "[train] instructions = 'generate' needs a teacher")
        require(self.solutions != "planner" or bool(self.teacher), "[train] solutions = 'planner' needs a teacher")
        require(not (self.instructions == "generate" and self.solutions == "gold"),
                "[train] generated instructions have no gold calls: use solutions = 'planner'")
        require(self.thoughts in ("none", "steps", "plan"), "[train] thoughts must be none, steps or plan")
        require(all(n >= 0 for n in self.counts.values()) and sum(self.counts.values()) > 0,
                "[train] counts must be >= 0 with at least one instruction")
        from toolbench.training.lora import LoraTrainConfig

        unknown = sorted(set(self.lora) - set(LoraTrainConfig.__dataclass_fields__) - {"model"})
        require(not unknown, f"[train] unknown lora option(s) {unknown}")

    def lora_options(self) -> dict[str, Any]:
        return {**LORA_DEFAULTS, **self.lora}


def stage_dir(root: Path, stage: str, settings: dict[str, Any]) -> Path:
    """``root/<stage>-<hash of settings>``.

    >>> stage_dir(Path("runs/x/train"), "sft", {"paths": "ab12"}).as_posix()
    'runs/x/train/sft-4d4a3ddf'
    """
    return root / f"{stage}-{stable_hash(canonical_json(settings))}"


def is_done(directory: Path) -> bool:
    """Whether a stage directory was completed (its ``stage.json`` exists)."""
    return (directory / STAGE_FILE).is_file()


def mark_done(directory: Path, summary: dict[str, Any]) -> None:
    from toolbench.store import atomic_write_json

    atomic_write_json(directory / STAGE_FILE, summary)


def training_toolset(retrieved: list[str], gold: list[str], k: int) -> list[str]:
    """The ``k`` APIs a training path offers: the retrieved ones in rank order, with each
    missing gold API in place of the lowest-ranked API that is not gold.

    >>> training_toolset(["a", "b", "c", "d"], ["c", "x"], 4)
    ['a', 'b', 'c', 'x']
    >>> training_toolset(["a", "b"], ["z"], 3)
    ['a', 'b', 'z']
    """
    chosen = list(dict.fromkeys(retrieved))[:k]
    for api in gold:
        if api in chosen:
            continue
        if len(chosen) < k:
            chosen.append(api)
            continue
        spare = [i for i, name in enumerate(chosen) if name not in gold]
        if not spare:
            chosen.append(api)
            continue
        chosen[spare[-1]] = api
    return chosen


@dataclass
class TrainedStudent:
    """What the training stages produced: the adapter and each stage's directory."""

    adapter: Path
    base: str
    stages: dict[str, Path]
    metrics: dict[str, Any]


class Trainer:
    """Runs the stages of one ``[train]`` section for the student ``model_spec``."""

    def __init__(self, section: TrainSection, root: Path, catalog: Catalog, executor: Executor,
                 index: Index | None, *, k: int, prompt: str, model_spec: str, progress: Any = None,
                 exclude: list[Query] | None = None) -> None:
        self.section, self.root, self.catalog, self.executor, self.index = section, root, catalog, executor, index
        self.k, self.prompt, self.model_spec, self.progress = k, prompt, model_spec, progress
        self.exclude = exclude or []
        backend, _, name = model_spec.partition(":")
        if backend != "hf" or not name:
            raise ConfigError(f"[train] the student must be a local hf: model to fine-tune, not {model_spec!r}")
        self.base = name

    def run(self) -> TrainedStudent:
        instructions = self.instructions()
        solutions = self.solutions(instructions)
        sft = self.sft(solutions)
        lora = self.lora(sft)
        from toolbench.store import read_json

        metrics = read_json(lora / "metrics.json")
        stages = {"instructions": instructions, "solutions": solutions, "sft": sft, "lora": lora}
        return TrainedStudent(lora / "adapter", self.base, stages, metrics)

    # ------------------------------------------------------------------ stages

    def instructions(self) -> Path:
        s = self.section
        settings: dict[str, Any] = {"source": s.instructions, "counts": s.counts, "seed": s.seed,
                                    "exclude": stable_hash(canonical_json(sorted(q.query_id for q in self.exclude)))}
        if s.instructions == "file":
            settings["file"] = _file_hash(Path(s.path))
        if s.instructions == "generate":
            settings["teacher"] = {"spec": s.teacher, "options": s.teacher_options}
        directory = stage_dir(self.root, "instructions", settings)
        if is_done(directory):
            return directory
        directory.mkdir(parents=True, exist_ok=True)
        queries = self._make_instructions(directory)
        if not queries:
            raise InputError("no training instructions", path=str(directory))
        from data.instructions import write_queries

        write_queries(directory, queries, self.catalog, "train")
        groups: dict[str, int] = {}
        for query in queries:
            groups[query.group or "?"] = groups.get(query.group or "?", 0) + 1
        mark_done(directory, {"instructions": len(queries), "groups": groups, "settings": settings})
        logger.info("%d training instructions → %s", len(queries), directory)
        return directory

    def _make_instructions(self, directory: Path) -> list[Query]:
        s = self.section
        if s.instructions == "templates":
            from data.builtin_templates import evaluation_queries, generate_builtin_instructions

            exclude = [*evaluation_queries(), *self.exclude]
            splits = generate_builtin_instructions(dict(s.counts), seed=s.seed, heldout_fraction=0.0,
                                                   catalog=self.catalog, exclude=exclude)
            return splits["train"]
        if s.instructions == "file":
            from toolbench.catalog.queries import load_queries

            return load_queries(s.path, self.catalog)
        from data.instructions import InstructionConfig, generate_instructions
        from toolbench.models import load_chat_model

        llm = load_chat_model(s.teacher, cache=str(directory / "llm_cache.sqlite"), **s.teacher_options)
        queries: list[Query] = []
        for group, count in s.counts.items():
            if not count or group not in GENERATION_MODES:
                continue
            config = InstructionConfig(mode=GENERATION_MODES[group], prompts=math.ceil(count / 5), per_prompt=5,
                                       seed=s.seed)
            result = generate_instructions(llm, self.catalog, config)
            for query in result.queries[:count]:
                query.group = group
                queries.append(query)
        return queries

    def solutions(self, instructions: Path) -> Path:
        s = self.section
        settings: dict[str, Any] = {"instructions": instructions.name, "source": s.solutions, "k": self.k,
                                    "prompt": self.prompt, "index": self._index_kind()}
        if s.solutions == "gold":
            settings["thoughts"] = s.thoughts
        else:
            settings["teacher"] = {"spec": s.teacher, "options": s.teacher_options, "solver": s.solver}
        directory = stage_dir(self.root, "solutions", settings)
        if is_done(directory):
            return directory
        from toolbench.catalog.queries import load_queries

        queries = load_queries(instructions / "train.jsonl", self.catalog)
        if s.solutions == "gold":
            summary = self._gold_paths(queries, directory)
        else:
            summary = self._teacher_paths(queries, directory)
        mark_done(directory, {**summary, "settings": settings})
        return directory

    def _toolsets(self, queries: list[Query]) -> dict[str, list[str]]:
        if self.index is None:
            return {q.query_id: list(q.api_ids or q.relevant_api_ids) for q in queries}
        hits = self.index.retrieve_many([q.query for q in queries], self.k)
        return {q.query_id: training_toolset([api for api, _ in found], list(q.relevant_api_ids), self.k)
                for q, found in zip(queries, hits, strict=True)}

    def _gold_paths(self, queries: list[Query], directory: Path) -> dict[str, Any]:
        from data.gold_paths import gold_trajectory, write_gold_run
        from planner.prompting import build_task

        toolsets = self._toolsets(queries)

        def opening(query: Query) -> tuple[list[Any], list[dict[str, Any]]]:
            task = build_task(self.catalog, toolsets[query.query_id], query.query, self.prompt)
            return list(task.messages), list(task.tools)

        from planner.runner import RunStats

        trajectories = []
        stats = RunStats(total=len(queries))
        tick = self.progress("train: gold paths", len(queries)) if self.progress else None
        for query in queries:
            trajectories.append(gold_trajectory(query, self.executor, opening, self.section.thoughts))
            stats.add(trajectories[-1])
            if tick:
                tick(stats)
        write_gold_run(directory, trajectories, self.prompt, "train.jsonl")
        solved = sum(1 for t in trajectories if t.gave_answer)
        return {"paths": len(trajectories), "solved": solved}

    def _teacher_paths(self, queries: list[Query], directory: Path) -> dict[str, Any]:
        from planner.config import PlannerConfig
        from planner.runner import run_queries
        from toolbench.models import load_chat_model
        from toolbench.store.run_io import read_run

        s = self.section
        planner_config = PlannerConfig.from_dict({"prompt": self.prompt, **s.solver})
        teacher = load_chat_model(s.teacher, **s.teacher_options)
        tick = self.progress(f"train: teacher {planner_config.method_label}", len(queries)) if self.progress else None
        try:
            run_queries(queries, self.catalog, teacher, self.executor, planner_config, directory, index=self.index,
                        k=self.k, progress=tick, extra_config={"label": "teacher"})
        finally:
            close_model(teacher)
        kept = verified_ids(read_run(directory), queries)
        from toolbench.store import atomic_write_json

        atomic_write_json(directory / "verified.json", sorted(kept))
        return {"paths": len(queries), "verified": len(kept)}

    def sft(self, solutions: Path) -> Path:
        directory = stage_dir(self.root, "sft", {"solutions": solutions.name})
        if is_done(directory):
            return directory
        from data.sft import SftConfig
        from data.sft_dataset import build_sft_dataset

        source = solutions
        if (solutions / "verified.json").is_file():
            source = _verified_run(solutions, directory / "verified-run")
        stats = build_sft_dataset([source], directory, SftConfig(), toolllama=False)
        mark_done(directory, stats)
        return directory

    def lora(self, sft: Path) -> Path:
        from toolbench.training.lora import LoraTrainConfig

        config = LoraTrainConfig.from_dict({**self.section.lora_options(), "model": self.base})
        directory = stage_dir(self.root, "lora", {"sft": sft.name, "lora": config.to_dict()})
        if is_done(directory):
            return directory
        from data.sft import read_examples
        from data.sft_tokenize import tokenize_examples
        from toolbench.models.hf_models import load_tokenizer
        from toolbench.training.lora import train_lora

        tokenizer = load_tokenizer(self.base)
        items = tokenize_examples(read_examples(sft / "sft.jsonl"), tokenizer, fmt="auto", max_length=config.max_length)
        logger.info("LoRA on %d examples → %s", len(items), directory)
        metrics = train_lora(items, config, directory, tokenizer=tokenizer, resume=True)
        mark_done(directory, {"examples": len(items), "sft": sft.name, **metrics})
        return directory

    def _index_kind(self) -> str:
        """The retrieval that chose the training toolsets (part of the solutions stage's hash)."""
        if self.index is None:
            return "none"
        multi = getattr(getattr(self.index, "config", None), "multi", "off")
        return self.index.kind if multi == "off" else f"{self.index.kind}+{multi}"


def verified_ids(trajectories: list[Any], queries: list[Query]) -> set[str]:
    """Query ids whose path checks out: the exact answer check where an answer is known,
    otherwise a non-empty ``give_answer``."""
    from evaluator.api import judge_exact

    with_answers = [q for q in queries if q.expected_answer is not None]
    answered = {t.query_id for t in trajectories if t.gave_answer}
    checked = {q.query_id for q in with_answers}
    exact = judge_exact([t for t in trajectories if t.query_id in checked], with_answers) if with_answers else []
    correct = {v.query_id for v in exact if v.label == VerdictLabel.CORRECT}
    return {qid for qid in answered if qid not in checked} | (correct & answered)


def _verified_run(solutions: Path, out: Path) -> Path:
    from toolbench.store import read_json
    from toolbench.store.run_io import read_run
    from toolbench.store.runs import RunDir

    keep = set(read_json(solutions / "verified.json"))
    run = RunDir(out)
    for trajectory in read_run(solutions):
        if trajectory.query_id in keep:
            run.write_result(trajectory)
    run.merge()
    return out


def _file_hash(path: Path) -> str:
    import hashlib

    try:
        return hashlib.sha1(path.read_bytes()).hexdigest()[:12]
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", path=str(path)) from exc
