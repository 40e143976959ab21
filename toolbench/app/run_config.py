"""The configuration of ``toolbench run``: one TOML file describes the whole job.

Sections (all optional except where noted)::

    name = "demo"                      # run name; out defaults to runs/<name>
    out = "runs/demo"

    [catalog]
    paths = ["tools.json"]             # catalog files (any supported format)
    builtin = true                     # add the built-in real tools

    [queries]
    path = "queries.json"              # ToolBench query JSON or JSONL; or builtin = true
    builtin = false
    builtin_set = "heldout"            # with builtin: heldout (76 instructions) | everyday (39)
    limit = 0                          # 0 = all
    groups = []                        # keep only these groups (e.g. ["G1"])

    [index]                            # retrieval for queries without an API list
    kind = "dense"                     # dense | bm25 | hybrid | none
    encoder = ""                       # "" = embedded all-MiniLM-L6-v2
    path = ""                          # reuse an existing index directory
    k = 5
    always = false                     # retrieve even when a query lists its APIs
    multi = "fused"                    # multi-request instructions: fused | coverage | rr | off

    [model]
    spec = "hf:smollm2"                # BACKEND:NAME
    options = {}                       # backend options (base_url, max_new_tokens, ...)

    [executor]
    kind = "builtin"                   # builtin | python | virtual | http | mcp
    options = {}

    [planner]
    method = "dfsdt"                   # dfsdt | cot
    options = {}                       # width, max_actions, max_llm_calls, ...
    concurrency = 0                    # queries planned at once; 0 = the model's hint
                                       # (8 for the local hf backend, which batches them)

    [reference]                        # the run to compare against (win rate)
    method = "cot"                     # plan the same queries with another method ...
    options = {}
    run = ""                           # ... or use an existing run directory

    [tuned]                            # compare a tuned student with the base [model]
    spec = "hf:smollm2-tools"          # an existing tuned model (or use [train])
    options = {}

    [train]                            # train the tuned student here (toolbench.app.training)
    instructions = "templates"         # templates | file | generate (by the teacher)
    path = ""                          # query file for instructions = "file"
    counts = { G1 = 200, G2 = 250, G3 = 250 }
    teacher = ""                       # model spec of a teacher (openai:..., a vLLM server)
    solutions = "gold"                 # gold call chains | planner (the teacher's verified paths)
    solver = { method = "dfsdt" }      # the teacher planner's options
    thoughts = "plan"                  # gold paths open with "Plan: f, then g."
    lora = {}                          # rank, top_layers, learning_rate, epochs, ...
    judge = ""                         # LLM pass judge for planned paths without a known answer
    rounds = 0                         # self-training rounds after round 0 (toolbench.app.rounds)
    round_instructions = 24            # fresh template instructions the student plans per round
    round_data = "union"               # union (round 0 + verified paths) | search (verified only)

With [tuned] or [train] the evaluation plans the base student ([model]) and the tuned one
with [planner], the tuned one also with [reference]'s method, and a teacher (when [train]
has one) with [planner]; win rate compares tuned with base (and with its [reference] run).

    [judges]
    names = ["pass", "exact", "win"]   # pass | win | exact | fac
    model = ""                         # LLM judge spec; "" = rules and objective checks only
    judgings = 1

Input paths are resolved relative to the config file, ``out`` relative to the current
directory. String values of the form ``${ENV}`` are
read from the environment (keys never live in config files).
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from evaluator.judging import JudgeSettings
from toolbench.app.training import TrainSection
from toolbench.config import Config, require
from toolbench.errors import ConfigError, InputError

INDEX_KINDS = ("dense", "bm25", "hybrid", "none")
MULTI_MODES = ("fused", "coverage", "rr", "off")  # retriever.need_aware.MULTI_MODES
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class CatalogSection(Config):
    paths: tuple[str, ...] = ()
    builtin: bool = False

    def validate(self) -> None:
        require(bool(self.paths) or self.builtin, "[catalog]: give paths or builtin = true")


BUILTIN_SETS = ("heldout", "everyday")


@dataclass(frozen=True)
class QueriesSection(Config):
    path: str = ""
    builtin: bool = False
    builtin_set: str = "heldout"
    limit: int = 0
    groups: tuple[str, ...] = ()

    def validate(self) -> None:
        require(bool(self.path) != self.builtin, "[queries]: give exactly one of path or builtin = true")
        require(self.limit >= 0, "[queries] limit must be >= 0")
        require(self.builtin_set in BUILTIN_SETS, f"[queries] builtin_set must be one of {', '.join(BUILTIN_SETS)}")


@dataclass(frozen=True)
class IndexSection(Config):
    kind: str = "none"
    encoder: str = ""
    path: str = ""
    k: int = 5
    always: bool = False
    multi: str = "fused"

    def validate(self) -> None:
        require(self.kind in INDEX_KINDS, f"[index] kind must be one of {', '.join(INDEX_KINDS)}")
        require(self.multi in MULTI_MODES, f"[index] multi must be one of {', '.join(MULTI_MODES)}")
        require(self.k >= 1, "[index] k must be >= 1")


@dataclass(frozen=True)
class ModelSection(Config):
    spec: str = "hf:smollm2"
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExecutorSection(Config):
    kind: str = "builtin"
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PlannerSection(Config):
    method: str = "dfsdt"
    options: dict[str, Any] = field(default_factory=dict)
    concurrency: int = 0

    def validate(self) -> None:
        require(self.concurrency >= 0, "[planner] concurrency must be >= 0 (0 = the model's hint)")


@dataclass(frozen=True)
class ReferenceSection(Config):
    method: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    run: str = ""

    def validate(self) -> None:
        require(not (self.method and self.run), "[reference]: give method or run, not both")

    @property
    def enabled(self) -> bool:
        return bool(self.method or self.run)


@dataclass(frozen=True)
class TunedSection(Config):
    spec: str = ""
    options: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class RunConfig(Config):
    """The whole job; see the module docstring for the TOML layout."""

    name: str
    out: str
    catalog: CatalogSection
    queries: QueriesSection
    index: IndexSection = field(default_factory=IndexSection)
    model: ModelSection = field(default_factory=ModelSection)
    executor: ExecutorSection = field(default_factory=ExecutorSection)
    planner: PlannerSection = field(default_factory=PlannerSection)
    reference: ReferenceSection = field(default_factory=ReferenceSection)
    judges: JudgeSettings = field(default_factory=JudgeSettings)
    tuned: TunedSection = field(default_factory=TunedSection)
    train: TrainSection | None = None
    shard: str = ""  # "i/n" (``toolbench run --shard``): plan and judge only this share of the queries

    def validate(self) -> None:
        from toolbench.shards import parse_shard

        parse_shard(self.shard)
        require(not (self.shard and self.train), "--shard splits the evaluation: train once without it, then "
                "give the trained adapter as [tuned]")
        require(bool(re.fullmatch(r"[A-Za-z0-9_.-]+", self.name)), f"run name {self.name!r}: use letters, digits, _.-")
        require("win" not in self.judges.names or self.reference.enabled or self.compares_students,
                "the win judge needs a [reference], [tuned] or [train]")
        require(not (self.tuned.spec and self.train), "give [tuned] (an existing model) or [train], not both")
        require(not (self.compares_students and self.reference.run),
                "with [tuned]/[train], [reference] takes a method (run on the tuned model), not a run")

    @property
    def compares_students(self) -> bool:
        """Whether the evaluation compares a tuned student with the base one."""
        return bool(self.tuned.spec or self.train)


SECTIONS: dict[str, type[Config]] = {
    "catalog": CatalogSection,
    "queries": QueriesSection,
    "index": IndexSection,
    "model": ModelSection,
    "executor": ExecutorSection,
    "planner": PlannerSection,
    "reference": ReferenceSection,
    "judges": JudgeSettings,
    "tuned": TunedSection,
    "train": TrainSection,
}
OPTIONAL_SECTIONS = ("train",)  # absent = None
_PATH_KEYS = {("catalog", "paths"), ("queries", "path"), ("index", "path"), ("reference", "run"), ("train", "path")}


def expand_env(value: Any) -> Any:
    """Replace ``${NAME}`` in strings (recursively) with environment values.

    >>> os.environ["TB_DOCTEST"] = "http://127.0.0.1:8000"
    >>> expand_env({"base_url": "${TB_DOCTEST}/v1", "n": [1, "x"]})
    {'base_url': 'http://127.0.0.1:8000/v1', 'n': [1, 'x']}
    """
    if isinstance(value, dict):
        return {k: expand_env(v) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_env(v) for v in value]
    if isinstance(value, str):
        return _ENV_REF.sub(_env_value, value)
    return value


def _env_value(match: re.Match[str]) -> str:
    name = match.group(1)
    if name not in os.environ:
        raise ConfigError(f"environment variable {name} is not set (used in the run config)")
    return os.environ[name]


def _resolve(section: str, key: str, value: Any, base: Path) -> Any:
    if (section, key) not in _PATH_KEYS or not value:
        return value
    if isinstance(value, list):
        return tuple(str((base / v).resolve()) for v in value)
    return str((base / value).resolve())


def run_config_from_dict(data: dict[str, Any], base: Path, *, source: str = "config") -> RunConfig:
    """Build a validated :class:`RunConfig` from parsed TOML (paths relative to ``base``)."""
    data = expand_env(dict(data))
    unknown = sorted(set(data) - set(SECTIONS) - {"name", "out"})
    if unknown:
        raise InputError(f"unknown section(s) {', '.join(unknown)}", path=source)
    sections: dict[str, Any] = {}
    for name, cls in SECTIONS.items():
        if name in OPTIONAL_SECTIONS and name not in data:
            continue
        raw = data.get(name, {})
        if not isinstance(raw, dict):
            raise InputError("must be a table", path=source, field=name)
        values = {k: _resolve(name, k, v, base) for k, v in raw.items()}
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
        try:
            sections[name] = cls.from_dict(values)
        except ConfigError as exc:
            raise InputError(str(exc), path=source, field=name) from exc
    run_name = str(data.get("name") or "run")
    out = data.get("out") or f"runs/{run_name}"
    return RunConfig(name=run_name, out=str(Path(out).resolve()), **sections)


def load_run_config(path: str | Path, *, out: str | None = None) -> RunConfig:
    """Read a TOML run config; ``out`` overrides its output directory."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", path=str(path)) from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"invalid TOML ({exc})", path=str(path)) from exc
    config = run_config_from_dict(data, path.resolve().parent, source=str(path))
    return config.replace(out=str(Path(out).resolve())) if out else config
