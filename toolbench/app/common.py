"""What the ``toolbench`` commands share: one home for each helper they would otherwise copy.

- :func:`parse_options` — ``KEY=VALUE`` option lists (``--model-option``, ``--executor-option``, ``--option``)
- :func:`resolve_catalog` — ``--catalog`` values (files, folders, Python targets, ``builtin``, ``mcp:COMMAND``)
  to a catalog and the executor it implies; :func:`open_executor` builds that executor
- :func:`planning_progress`, :func:`count_progress` — live progress displays
- :func:`sigterm_as_interrupt` — SIGTERM stops a command as cleanly as Ctrl-C
- option sets several commands repeat: judge options (``eval pass|fac|win``), LoRA
  training options (``finetune``, ``toolformer finetune``), model and run-format options
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

import typer

from toolbench.catalog import Catalog
from toolbench.errors import ConfigError, InputError
from toolbench.protocols import Executor

ProgressFactory = Callable[[str, int], Callable[[Any], None]]

CATALOG_HELP = "Catalog: files, folders, file.py, pkg.module:function, 'builtin' (default) or 'mcp:COMMAND'."
EXECUTOR_HELP = "Executor kind: builtin, python, virtual, http, mcp, auto (default: chosen from the catalog)."
RUNS_HELP = "Runs: run directories, trajectories.jsonl files, ToolBench answer dirs, StableToolEval files."
FORMAT_HELP = "Input format: auto, trajectories, toolbench, stabletooleval."
JUDGE_HELP = "Judge model spec, e.g. openai:gpt-4o-mini or hf:smollm2 (without one, only the rules decide)."
WORKERS_HELP = ("Parallel judge calls (0 = the model's hint: 8 for a local hf model, which batches them, "
                "else 1; results do not depend on it).")

# ------------------------------------------------------------------ option sets

MODEL_OPTION = typer.Option([], "--model-option", help="Backend option KEY=VALUE (repeatable).")
EXECUTOR_OPTION = typer.Option([], "--option", "-o", help="Executor option KEY=VALUE (repeatable).")
RUN_FORMAT = typer.Option("auto", "--format", help=FORMAT_HELP)
SHARD_OPTION = typer.Option("", "--shard", help="Only shard I of N (I/N, e.g. 2/8): a fixed split by a hash "
                            "of the query id, for one job per machine; merge with `toolbench runs merge`.")

JUDGE_MODEL = typer.Option(None, "--judge-model", "-j", help=JUDGE_HELP)
JUDGINGS = typer.Option(1, "--judgings", "-n", min=1, help="Judgings per answer (SoPR = mean ± std).")
JUDGE_CACHE = typer.Option(None, "--cache", help="Judge cache file (default in $TOOLBENCH_CACHE/judge).")
NO_JUDGE_CACHE = typer.Option(False, "--no-cache", help="Do not cache judge replies.")
JUDGE_WORKERS = typer.Option(0, "--workers", min=0, help=WORKERS_HELP)
REPORT_SEED = typer.Option(0, "--seed", help="Seed of the bootstrap CIs.")

LORA_RANK = typer.Option(16, "--rank", help="LoRA rank.")
LEARNING_RATE = typer.Option(2e-4, "--lr", help="Learning rate.")
EPOCHS = typer.Option(1.0, "--epochs", help="Epochs (ignored when --max-steps > 0).")
MAX_STEPS = typer.Option(0, "--max-steps", help="Optimizer steps (0: use epochs).")
BATCH_SIZE = typer.Option(4, "--batch-size", help="Per-device batch size.")
TRAIN_SEED = typer.Option(0, "--seed", help="Seed.")
DEVICE = typer.Option("", "--device", help="cpu, cuda, cuda:1 (default: CUDA when available).")


def max_length_option(default: int) -> Any:
    """``--max-length`` with a command's own default (chat examples are longer than Toolformer texts)."""
    return typer.Option(default, "--max-length", help="Truncate examples to this many tokens.")


# ------------------------------------------------------------------ options and catalogs


def parse_options(items: Sequence[str] | None, flag: str = "--option") -> dict[str, Any]:
    """``KEY=VALUE`` pairs; values are JSON when they parse, strings otherwise.

    >>> parse_options(["max_new_tokens=64", "base_url=http://x", "stop=[\\"a\\"]", "headers_env={\\"K\\": \\"E\\"}"])
    {'max_new_tokens': 64, 'base_url': 'http://x', 'stop': ['a'], 'headers_env': {'K': 'E'}}
    >>> parse_options(["oops"], "--model-option")
    Traceback (most recent call last):
    ...
    toolbench.errors.InputError: field --model-option: options look like KEY=VALUE, not 'oops'
    """
    options: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"options look like KEY=VALUE, not {item!r}", field=flag)
        try:
            options[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            options[key.strip()] = value
    return options


class ResolvedCatalog(NamedTuple):
    """A catalog, the executor kind it implies and that executor's options."""

    catalog: Catalog
    executor: str
    options: dict[str, Any]


def resolve_catalog(sources: Sequence[str] | None, default: Sequence[str] = ("builtin",)) -> ResolvedCatalog:
    """The catalog of ``--catalog`` values (``default`` when none are given).

    ``builtin`` adds the built-in real tools (executor ``builtin`` when alone, else
    ``auto``); ``mcp:COMMAND`` is the tool list of an MCP server (executor ``mcp``);
    anything else is read by :func:`toolbench.loaders.load_catalog`.

    >>> resolved = resolve_catalog(None)
    >>> resolved.executor, resolved.catalog.by_function_name("calculator").tool
    ('builtin', 'Calculator')
    """
    sources = [str(s) for s in (sources or default)]
    if not sources:
        raise ConfigError("give --catalog (or --catalog builtin for the built-in tools)")
    mcp = [s for s in sources if s.startswith("mcp:")]
    if mcp:
        if len(sources) > 1:
            raise InputError("an mcp: catalog cannot be combined with other catalogs")
        from toolbench.executors.mcp_client import mcp_catalog

        command = mcp[0][len("mcp:"):].strip()
        return ResolvedCatalog(mcp_catalog(command), "mcp", {"command": command})
    from toolbench.builtin_world import builtin_specs

    files = [s for s in sources if s != "builtin"]
    specs = builtin_specs() if "builtin" in sources else []
    if files:
        from toolbench.loaders import load_catalog

        specs.extend(load_catalog(files))
    if not specs:
        raise InputError("the catalog is empty")
    return ResolvedCatalog(Catalog(specs), "auto" if files else "builtin", {})


def open_executor(resolved: ResolvedCatalog, kind: str | None, option_items: Sequence[str] | None,
                  flag: str = "--option") -> Executor:
    """The executor ``kind`` over ``resolved.catalog`` (``None``/``default``: the one the catalog
    implies) with the catalog's executor options and ``option_items`` (``KEY=VALUE``)."""
    from toolbench.executors import build_executor

    options = {**resolved.options, **parse_options(option_items, flag)}
    chosen = resolved.executor if kind in (None, "", "default") else kind
    return build_executor(chosen, resolved.catalog, **options)


# ------------------------------------------------------------------ progress and interrupts


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


@contextmanager
def sigterm_as_interrupt() -> Iterator[None]:
    """Within the block, SIGTERM raises :class:`KeyboardInterrupt` (runs stop and stay resumable)."""
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def progress_bar() -> Any:
    """The rich progress display of planning runs (one task per planning stage)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TextColumn("{task.fields[info]}"), transient=False)


def stage_progress(bar: Any, label: str, total: int) -> Callable[[Any], None]:
    """Add a task to ``bar``; returns the callback that updates it from planner worker threads."""
    task = bar.add_task(label, total=total, info="")
    started = time.monotonic()

    def update(stats: Any) -> None:
        rate = stats.tokens / max(time.monotonic() - started, 1e-6)
        info = (f"solved {stats.solved}  gave up {stats.gave_up}  errors {stats.errors}  "
                f"LLM calls {stats.llm_calls}  tokens {stats.tokens:,} ({rate:,.0f}/s)")
        bar.update(task, completed=stats.skipped + stats.done + stats.errors, info=info)

    return update


@contextmanager
def planning_progress() -> Iterator[ProgressFactory]:
    """A live display for planning stages (``factory(label, total)`` adds one) with SIGTERM as Ctrl-C."""
    bar = progress_bar()
    with sigterm_as_interrupt(), bar:
        yield lambda label, total: stage_progress(bar, label, total)


@contextmanager
def count_progress(label: str, total: int | None = None) -> Iterator[Callable[[int, int], None]]:
    """A transient bar and its ``progress(done, total)`` callback (for library loops that report counts)."""
    from rich.progress import Progress

    with Progress(transient=True) as bar:
        task = bar.add_task(label, total=total)
        yield lambda done, count: bar.update(task, completed=done, total=count)


def server_counts(model: Any) -> str:
    """One line of per-server counts for a model with several servers ('' otherwise).

    >>> class M:
    ...     def stats(self): return {"endpoints": {"http://a/v1": {"calls": 3, "requests": 4, "failures": 1}}}
    >>> server_counts(M())
    'servers: http://a/v1 3 calls, 4 requests, 1 failures'
    """
    stats = model.stats() if callable(getattr(model, "stats", None)) else {}
    endpoints = stats.get("endpoints") or {}
    return "servers: " + "; ".join(f"{url} {c['calls']} calls, {c['requests']} requests, {c['failures']} failures"
                                   for url, c in endpoints.items()) if endpoints else ""


def close_model(model: Any) -> None:
    """Release a chat model's resources (a local model's batching thread) when it has ``close``."""
    close = getattr(model, "close", None)
    if callable(close):
        close()
