"""``toolbench plan``: search for solution paths of many queries (DFSDT or CoT) into a run directory.

Thin layer: parses options, builds the catalog, model, executor and index, shows live
progress, and calls :func:`planner.runner.run_queries`.
"""

from __future__ import annotations

from pathlib import Path

import typer

from toolbench.app.common import (
    MODEL_OPTION,
    SHARD_OPTION,
    open_executor,
    parse_options,
    planning_progress,
    resolve_catalog,
    server_counts,
)


def plan_command(
    queries: Path = typer.Argument(..., help="Query file: ToolBench JSON, our JSONL, Seal-Tools or BFCL."),
    catalog: list[str] = typer.Option([], "--catalog", "-c", help="Catalog files, or 'builtin' (repeatable)."),
    index: Path | None = typer.Option(None, "--index", help="Retrieval index for queries without an API list."),
    k: int = typer.Option(5, "--k", min=1, help="APIs retrieved per open-domain query."),
    always_retrieve: bool = typer.Option(False, "--always-retrieve", help="Retrieve even when a query lists APIs."),
    model: str = typer.Option("hf:smollm2", "--model", "-m", help="BACKEND:NAME, e.g. openai:gpt-4o-mini."),
    model_option: list[str] = MODEL_OPTION,
    executor: str = typer.Option("virtual", "--executor", "-e", help="virtual | http | python | builtin | mcp."),
    executor_option: list[str] = typer.Option([], "--executor-option", help="Executor option KEY=VALUE."),
    method: str = typer.Option("dfsdt", "--method", help="dfsdt | cot."),
    width: int = typer.Option(2, "--width", help="DFSDT children per state."),
    n_chains: int = typer.Option(1, "--chains", help="CoT@n: independent chains."),
    max_actions: int = typer.Option(6, "--max-actions", help="Replies per path (0 = use --toolbench-depth)."),
    toolbench_depth: int = typer.Option(0, "--toolbench-depth", help="ToolBench node-depth limit (12 = ToolBench)."),
    max_llm_calls: int = typer.Option(200, "--max-llm-calls", help="LLM-call budget per query."),
    prompt: str = typer.Option("toolbench", "--prompt", help="Prompt variant: toolbench | default."),
    concurrency: int = typer.Option(8, "--concurrency", "-j", min=1, help="Queries in flight."),
    limit: int = typer.Option(0, "--limit", min=0, help="Plan only the first N queries (0 = all)."),
    shard: str = SHARD_OPTION,
    seed: int = typer.Option(0, "--seed"),
    out: Path = typer.Option(..., "--out", "-o", help="Run directory (resumed when it exists)."),
    toolbench_answers: bool = typer.Option(False, "--toolbench-answers",
                                           help="Also write ToolBench answer files to OUT/answers/."),
    force: bool = typer.Option(False, "--force", help="Resume OUT even with another model or executor."),
) -> None:
    """Plan solution paths for QUERIES and write them to a resumable run directory."""
    from planner.config import PlannerConfig
    from planner.runner import run_queries
    from toolbench.catalog.queries import load_queries
    from toolbench.models import load_chat_model
    from toolbench.shards import parse_shard

    part = parse_shard(shard)
    config = PlannerConfig(method=method, width=width, n_chains=n_chains, max_actions=max_actions,
                           toolbench_depth=toolbench_depth, max_llm_calls=max_llm_calls, prompt=prompt, seed=seed)
    resolved = resolve_catalog(catalog, default=("builtin",) if executor == "builtin" else ())
    cat = resolved.catalog
    items = load_queries(queries, cat)
    items = items[:limit] if limit else items
    if part is not None:
        items = part.select(items, lambda q: q.query_id)
    idx = None
    if index is not None:
        from retriever.indexes import load_index

        idx = load_index(index)
    chat = load_chat_model(model, **parse_options(model_option, "--model-option"))
    runner = open_executor(resolved, executor, executor_option, "--executor-option")
    try:
        with planning_progress() as stage:
            stats = run_queries(items, cat, chat, runner, config, out, index=idx, k=k, always_retrieve=always_retrieve,
                                concurrency=concurrency, progress=stage("plan", len(items)),
                                extra_config={"queries_file": str(queries), "catalog": catalog, "model_spec": model,
                                              "executor_kind": executor, "index": str(index or ""),
                                              "shard": str(part or "")},
                                force=force)
    finally:
        runner.close()
    if toolbench_answers:
        from toolbench.store.run_io import read_run, write_run

        write_run(out / "answers", read_run(out), "toolbench", config.method_label)
    where = f"shard {part}: " if part else ""
    typer.echo(f"{where}{stats.done} planned ({stats.skipped} already done): solved {stats.solved}, "
               f"gave up {stats.gave_up}, errors {stats.errors}; LLM calls {stats.llm_calls}, "
               f"tokens {stats.tokens:,} → {out}")
    if server_counts(chat):
        typer.echo(server_counts(chat))


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
