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

With ``rounds > 0`` the tuned student then makes more data itself, round after round
(``round-k/`` stage directories; see :mod:`toolbench.app.rounds`).

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
from toolbench.app.rounds import RoundsMixin
from toolbench.app.stages import VERIFY_VERSION, is_done, mark_done, stage_dir
from toolbench.catalog import Catalog
from toolbench.catalog.names import stable_hash
from toolbench.config import Config, require
from toolbench.errors import ConfigError, InputError
from toolbench.jsonutil import canonical_json
from toolbench.protocols import Executor, Index
from toolbench.types import Query

logger = logging.getLogger(__name__)

INSTRUCTION_SOURCES = ("templates", "file", "generate")
SOLUTION_SOURCES = ("gold", "planner")
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
    ``judge``: an LLM pass judge for planned paths whose answer is unknown ("" = the rules).
    ``rounds``: self-training rounds after round 0; each plans ``round_instructions`` fresh
    template instructions with the student tuned so far (``solver`` options) and retrains
    on ``round_data``: ``union`` (round 0's paths + every round's verified paths) or
    ``search`` (the verified paths of rounds 1 … k only). See :mod:`toolbench.app.rounds`.
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
    judge: str = ""
    rounds: int = 0
    round_instructions: int = 24
    round_data: str = "union"

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

        require(self.rounds >= 0 and self.round_instructions >= 1, "[train] need rounds >= 0, round_instructions >= 1")
        from toolbench.app.rounds import ROUND_DATA

        require(self.round_data in ROUND_DATA, f"[train] round_data must be one of {', '.join(ROUND_DATA)}")
        unknown = sorted(set(self.lora) - set(LoraTrainConfig.__dataclass_fields__) - {"model"})
        require(not unknown, f"[train] unknown lora option(s) {unknown}")

    def lora_options(self) -> dict[str, Any]:
        return {**LORA_DEFAULTS, **self.lora}


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


class Trainer(RoundsMixin):
    """Runs the stages of one ``[train]`` section for the student ``model_spec``."""

    def __init__(self, section: TrainSection, root: Path, catalog: Catalog, executor: Executor,
                 index: Index | None, *, k: int, prompt: str, model_spec: str, progress: Any = None,
                 exclude: list[Query] | None = None, model_options: dict[str, Any] | None = None) -> None:
        self.section, self.root, self.catalog, self.executor, self.index = section, root, catalog, executor, index
        self.k, self.prompt, self.model_spec, self.progress = k, prompt, model_spec, progress
        self.exclude = exclude or []
        self.model_options = dict(model_options or {})
        backend, _, name = model_spec.partition(":")
        if backend != "hf" or not name:
            raise ConfigError(f"[train] the student must be a local hf: model to fine-tune, not {model_spec!r}")
        self.base = name

    def run(self) -> TrainedStudent:
        instructions = self.instructions()
        solutions = self.solutions(instructions)
        sft = self.sft(solutions)
        lora = self.lora(sft)
        rounds = [{"instructions": instructions, "solutions": solutions, "sft": sft, "lora": lora}]
        for number in range(1, self.section.rounds + 1):
            rounds.append(self.round(number, rounds))
        from toolbench.store import atomic_write_json, read_json

        stages = dict(rounds[0])
        for number, found in enumerate(rounds[1:], start=1):
            stages.update({f"round-{number}/{name}": path for name, path in found.items()})
        if self.section.rounds:
            from toolbench.app.rounds import round_summary

            atomic_write_json(self.root / "rounds.json", round_summary(rounds))
        lora = rounds[-1]["lora"]
        return TrainedStudent(lora / "adapter", self.base, stages, read_json(lora / "metrics.json"))

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
            settings["verify"] = VERIFY_VERSION
            if s.judge:
                settings["judge"] = s.judge
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
        from data.gold_paths import gold_trajectories, write_gold_run
        from planner.prompting import build_task
        from planner.runner import RunStats

        missing = [q.query_id for q in queries if not q.extra.get("gold_calls")]
        if missing:
            raise InputError(f"solutions = 'gold' needs extra.gold_calls; {len(missing)} instruction(s) have none",
                             record=missing[0], field="extra.gold_calls")
        toolsets = self._toolsets(queries)

        def opening(query: Query) -> tuple[list[Any], list[dict[str, Any]]]:
            task = build_task(self.catalog, toolsets[query.query_id], query.query, self.prompt)
            return list(task.messages), list(task.tools)

        stats = RunStats(total=len(queries))
        tick = self.progress("train: gold paths", len(queries)) if self.progress else None

        def counted(trajectory: Any) -> None:
            stats.add(trajectory)
            if tick:
                tick(stats)

        trajectories = gold_trajectories(queries, self.executor, opening, self.section.thoughts, counted)
        write_gold_run(directory, trajectories, self.prompt, "train.jsonl")
        solved = sum(1 for t in trajectories if t.gave_answer)
        return {"paths": len(trajectories), "solved": solved}

    def _teacher_paths(self, queries: list[Query], directory: Path) -> dict[str, Any]:
        from toolbench.app.solutions import plan_solutions
        from toolbench.models import load_chat_model

        s = self.section
        teacher = load_chat_model(s.teacher, **s.teacher_options)
        tick = self.progress("train: teacher paths", len(queries)) if self.progress else None
        try:
            record = plan_solutions(self._offered(queries), self.catalog, teacher, self.executor,
                                    {"prompt": self.prompt, **s.solver}, directory, index=self.index, k=self.k,
                                    progress=tick, judge=s.judge, extra_config={"label": "teacher"})
        finally:
            close_model(teacher)
        return {"paths": len(queries), "verified": len(record["kept"]), "counts": record["counts"],
                "llm_calls": record["llm_calls"]}

    def _offered(self, queries: list[Query]) -> list[Query]:
        """``queries`` offering the toolset the student sees at evaluation (see the module docstring)."""
        toolsets = self._toolsets(queries)
        return [Query.from_dict({**q.to_dict(), "api_ids": toolsets[q.query_id]}) for q in queries]

    def sft(self, solutions: Path) -> Path:
        return self.sft_of(self.root, [solutions], {"solutions": solutions.name})

    def sft_of(self, root: Path, sources: list[Path], settings: dict[str, Any]) -> Path:
        """SFT examples from solution directories (only their verified paths where they were verified)."""
        directory = stage_dir(root, "sft", settings)
        if is_done(directory):
            return directory
        from data.sft import SftConfig
        from data.sft_dataset import build_sft_dataset
        from toolbench.app.solutions import VERIFIED, verified_run

        runs = []
        for index, source in enumerate(sources):
            if (source / VERIFIED).is_file():
                name = "verified-run" if len(sources) == 1 else f"verified-run-{index}"
                source = verified_run(source, directory / name)
            runs.append(source)
        stats = build_sft_dataset(runs, directory, SftConfig(), toolllama=False)
        if not stats["examples"]:
            raise InputError("no solution paths to train on", path=str(directory))
        mark_done(directory, stats)
        return directory

    def lora(self, sft: Path, root: Path | None = None) -> Path:
        from toolbench.training.lora import LoraTrainConfig

        config = LoraTrainConfig.from_dict({**self.section.lora_options(), "model": self.base})
        directory = stage_dir(root or self.root, "lora", {"sft": sft.name, "lora": config.to_dict()})
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
    """Query ids whose path passes :func:`evaluator.verify.verify_paths` (exact answer where
    it is known, grounded in the tools' outputs, finished, no repeated failed call)."""
    from evaluator.verify import verify_paths

    return {c.query_id for c in verify_paths(trajectories, queries) if c.kept}


def _file_hash(path: Path) -> str:
    import hashlib

    try:
        return hashlib.sha1(path.read_bytes()).hexdigest()[:12]
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", path=str(path)) from exc
