"""``toolbench plan``: search for solution paths of many queries (DFSDT or CoT) into a run directory.

Thin layer: parses options, builds the catalog, model, executor and index, shows live
progress, and calls :func:`planner.runner.run_queries`.
"""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import typer

from toolbench.errors import ConfigError


def parse_options(items: list[str] | None) -> dict[str, Any]:
    """``KEY=VALUE`` pairs; values are JSON when they parse, strings otherwise.

    >>> parse_options(["max_new_tokens=64", "base_url=http://x", "stop=[\\"a\\"]"])
    {'max_new_tokens': 64, 'base_url': 'http://x', 'stop': ['a']}
    """
    out: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ConfigError(f"option {item!r} must look like KEY=VALUE")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def _catalog(paths: list[str], executor: str) -> Any:
    if paths:
        from toolbench.loaders import load_catalog

        return load_catalog(paths)
    if executor == "builtin":
        from toolbench.builtin_world import builtin_catalog

        return builtin_catalog()
    raise ConfigError("give --catalog (or use --executor builtin for the built-in tools)")


def progress_bar() -> Any:
    """The rich progress display of planning runs (one task per planning stage)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                    TextColumn("{task.fields[info]}"), transient=False)


def stage_progress(bar: Any, label: str, total: int) -> Any:
    """Add a task to ``bar`` and return the callback that updates it from worker threads."""
    task = bar.add_task(label, total=total, info="")

    def update(stats: Any) -> None:
        info = (f"solved {stats.solved}  gave up {stats.gave_up}  errors {stats.errors}  "
                f"LLM calls {stats.llm_calls}  tokens {stats.tokens:,}")
        bar.update(task, completed=stats.skipped + stats.done + stats.errors, info=info)

    return update


def _progress_display(total: int) -> tuple[Any, Any]:
    """A rich progress bar and the callback that updates it from worker threads."""
    bar = progress_bar()
    return bar, stage_progress(bar, "plan", total)


def plan_command(
    queries: Path = typer.Argument(..., help="Query file: ToolBench JSON, our JSONL, Seal-Tools or BFCL."),
    catalog: list[str] = typer.Option([], "--catalog", "-c", help="Catalog files (repeatable)."),
    index: Path | None = typer.Option(None, "--index", help="Retrieval index for queries without an API list."),
    k: int = typer.Option(5, "--k", help="APIs retrieved per open-domain query."),
    always_retrieve: bool = typer.Option(False, "--always-retrieve", help="Retrieve even when a query lists APIs."),
    model: str = typer.Option("hf:smollm2", "--model", "-m", help="BACKEND:NAME, e.g. openai:gpt-4o-mini."),
    model_option: list[str] = typer.Option([], "--model-option", help="Backend option KEY=VALUE (repeatable)."),
    executor: str = typer.Option("virtual", "--executor", "-e", help="virtual | http | python | builtin | mcp."),
    executor_option: list[str] = typer.Option([], "--executor-option", help="Executor option KEY=VALUE."),
    method: str = typer.Option("dfsdt", "--method", help="dfsdt | cot."),
    width: int = typer.Option(2, "--width", help="DFSDT children per state."),
    n_chains: int = typer.Option(1, "--chains", help="CoT@n: independent chains."),
    max_actions: int = typer.Option(6, "--max-actions", help="Replies per path (0 = use --toolbench-depth)."),
    toolbench_depth: int = typer.Option(0, "--toolbench-depth", help="ToolBench node-depth limit (12 = ToolBench)."),
    max_llm_calls: int = typer.Option(200, "--max-llm-calls", help="LLM-call budget per query."),
    prompt: str = typer.Option("toolbench", "--prompt", help="Prompt variant: toolbench | default."),
    concurrency: int = typer.Option(8, "--concurrency", "-j", help="Queries in flight."),
    limit: int = typer.Option(0, "--limit", help="Plan only the first N queries (0 = all)."),
    seed: int = typer.Option(0, "--seed"),
    out: Path = typer.Option(..., "--out", "-o", help="Run directory (resumed when it exists)."),
    toolbench_answers: bool = typer.Option(False, "--toolbench-answers",
                                           help="Also write ToolBench answer files to OUT/answers/."),
) -> None:
    """Plan solution paths for QUERIES and write them to a resumable run directory."""
    from planner.config import PlannerConfig
    from planner.runner import run_queries
    from toolbench.catalog.queries import load_queries
    from toolbench.executors import build_executor
    from toolbench.models import load_chat_model

    config = PlannerConfig(method=method, width=width, n_chains=n_chains, max_actions=max_actions,
                           toolbench_depth=toolbench_depth, max_llm_calls=max_llm_calls, prompt=prompt, seed=seed)
    cat = _catalog(catalog, executor)
    items = load_queries(queries, cat)
    items = items[:limit] if limit else items
    idx = None
    if index is not None:
        from retriever.indexes import load_index

        idx = load_index(index)
    chat = load_chat_model(model, **parse_options(model_option))
    runner = build_executor(executor, cat, **parse_options(executor_option))
    bar, update = _progress_display(len(items))
    previous = signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        with bar:
            stats = run_queries(items, cat, chat, runner, config, out, index=idx, k=k, always_retrieve=always_retrieve,
                                concurrency=concurrency, progress=update,
                                extra_config={"queries_file": str(queries), "catalog": catalog, "model_spec": model,
                                              "executor_kind": executor, "index": str(index or "")})
    finally:
        signal.signal(signal.SIGTERM, previous)
        runner.close()
    if toolbench_answers:
        from toolbench.store.run_io import read_run, write_run

        write_run(out / "answers", read_run(out), "toolbench", config.method_label)
    typer.echo(f"{stats.done} planned ({stats.skipped} already done): solved {stats.solved}, gave up {stats.gave_up}, "
               f"errors {stats.errors}; LLM calls {stats.llm_calls}, tokens {stats.tokens:,} → {out}")


def _raise_interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def convert_command(
    answers: Path = typer.Argument(..., help="A run directory, trajectories.jsonl or ToolBench answer directory."),
    out: Path = typer.Option(..., "--out", "-o", help="Output directory."),
    to: str = typer.Option("stabletooleval", "--to", help="stabletooleval | toolbench | trajectories."),
    method: str = typer.Option("", "--method", help="Method name written into the files."),
) -> None:
    """Convert planner results between our runs, ToolBench answer files and StableToolEval files."""
    from toolbench.store.run_io import RUN_WRITERS, read_run, write_run

    RUN_WRITERS.get(to)  # fail on an unknown target format before reading anything
    trajectories = read_run(answers)
    paths = write_run(out, trajectories, to, method)
    typer.echo(f"{len(trajectories)} trajectories → {len(paths)} file(s) in {out}")


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("plan")(plan_command)
    app.command("convert-answers")(convert_command)
