"""``toolbench data ...``: instructions, gold solution paths and SFT data.

Thin: options are parsed here, the work is done by the ``data`` package.

- ``toolbench data sft RUNS... --out DIR`` — trajectories → ``sft.jsonl`` + ``toolllama.json`` + ``trl.jsonl``
- ``toolbench data templates --out DIR`` — built-in world train/held-out instructions
- ``toolbench data gold QUERIES --out RUN`` — gold solution paths as a run directory
- ``toolbench data solutions QUERIES --model SPEC --out RUN`` — planned paths, verified (self-training data)
- ``toolbench data instructions --model SPEC --out DIR`` — LLM-written instructions
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import typer

from toolbench.app.common import (
    MODEL_OPTION,
    RUN_FORMAT,
    RUNS_HELP,
    SHARD_OPTION,
    close_model,
    count_progress,
    open_executor,
    parse_options,
    planning_progress,
    resolve_catalog,
)

logger = logging.getLogger(__name__)

data_app = typer.Typer(help="Make training data: instructions, gold solution paths, SFT examples.",
                       no_args_is_help=True)



@data_app.command("sft")
def sft(
    runs: list[Path] = typer.Argument(..., help=RUNS_HELP),
    out: Path = typer.Option(..., "--out",
                             help="Output directory (sft.jsonl, toolllama.json, trl.jsonl, sft_stats.json)."),
    all_paths: bool = typer.Option(False, "--all", help="Keep unsolved paths too (default: solved only)."),
    min_calls: int = typer.Option(0, help="Drop paths with fewer tool calls (Finish not counted)."),
    drop_system: bool = typer.Option(False, help="Leave the system message out of the examples."),
    fmt: str = RUN_FORMAT,
    toolllama: bool = typer.Option(True, help="Also write ToolLLaMA conversations (toolllama.json)."),
    trl: bool = typer.Option(True, help="Also write TRL's conversational tool format (trl.jsonl: tools and "
                                        "call arguments as JSON objects, for SFTTrainer and chat templates)."),
) -> None:
    """Convert solution paths into one multi-turn chat example per path."""
    from data.sft import SftConfig
    from data.sft_dataset import build_sft_dataset

    config = SftConfig(solved_only=not all_paths, min_calls=min_calls, drop_system=drop_system)
    stats = build_sft_dataset(runs, out, config, fmt=fmt, toolllama=toolllama, trl=trl)
    dropped = stats["dropped"]
    typer.echo(f"{stats['examples']} examples ({stats['assistant_turns']} assistant turns) → {out / 'sft.jsonl'}; "
               f"dropped {sum(dropped.values())}: {dropped}")


@data_app.command("templates")
def templates(
    out: Path = typer.Option(..., "--out", help="Output directory (train.jsonl, heldout.jsonl + ToolBench JSON)."),
    g1: int = typer.Option(60, help="G1 (one tool) instructions."),
    g2: int = typer.Option(20, help="G2 (two tools, one category) instructions."),
    g3: int = typer.Option(20, help="G3 (two categories) instructions."),
    heldout: float = typer.Option(0.3, help="Fraction of each group held out."),
    seed: int = typer.Option(0, help="Seed of the slot values and the split."),
) -> None:
    """Built-in world instructions from templates, with gold calls and real answers."""
    from data.builtin_templates import generate_builtin_instructions
    from data.instructions import write_queries
    from toolbench.builtin_world import builtin_catalog

    catalog = builtin_catalog()
    splits = generate_builtin_instructions({"G1": g1, "G2": g2, "G3": g3}, seed=seed, heldout_fraction=heldout,
                                           catalog=catalog)
    for name, queries in splits.items():
        write_queries(out, queries, catalog, name)
    typer.echo(", ".join(f"{name}: {len(q)}" for name, q in splits.items()) + f" → {out}")


@data_app.command("gold")
def gold(
    queries: Path = typer.Argument(..., help="Queries with extra.gold_calls (e.g. train.jsonl of `data templates`)."),
    out: Path = typer.Option(..., "--out", help="Run directory to write (results/, trajectories.jsonl)."),
    prompt: str = typer.Option("toolbench", help="Planner prompt variant the paths are written in."),
    catalog_path: list[Path] = typer.Option(None, "--catalog", help="Catalog (default: the built-in world)."),
    executor_kind: str = typer.Option("builtin", "--executor", help="Executor that runs the gold calls."),
    thoughts: str = typer.Option("none", help="Thoughts before calls: none, steps (one per call) or plan (one "
                                 "line naming every call, before the first)."),
) -> None:
    """Execute each query's gold call chain with the real tools: solution paths without a teacher."""
    from data.gold_paths import gold_trajectories, write_gold_run
    from planner.prompting import build_task
    from toolbench.catalog.queries import load_queries

    resolved = resolve_catalog(catalog_path)
    catalog = resolved.catalog
    executor = open_executor(resolved, executor_kind, None)

    def opening(query: Any) -> tuple[list[Any], list[dict[str, Any]]]:
        task = build_task(catalog, list(query.api_ids), query.query, prompt)
        return list(task.messages), list(task.tools)

    trajectories = gold_trajectories(load_queries(queries, catalog), executor, opening, thoughts)
    write_gold_run(out, trajectories, prompt, str(queries))
    solved = sum(1 for t in trajectories if t.gave_answer)
    typer.echo(f"{solved}/{len(trajectories)} gold paths solved → {out}")


@data_app.command("solutions")
def solutions(
    queries: Path = typer.Argument(..., help="Instructions (e.g. train.jsonl of `data templates`); expected answers "
                                   "are checked exactly where they are known."),
    model: str = typer.Option(..., "--model", "-m", help="Model that plans, e.g. hf:smollm2-tools or openai:..."),
    model_option: list[str] = MODEL_OPTION,
    method: str = typer.Option("dfsdt", "--method", help="dfsdt | cot."),
    width: int = typer.Option(2, "--width", help="DFSDT children per state."),
    n_chains: int = typer.Option(1, "--chains", help="CoT@n: independent chains."),
    max_actions: int = typer.Option(6, "--max-actions", help="Replies per path."),
    max_llm_calls: int = typer.Option(200, "--max-llm-calls", help="LLM-call budget per instruction."),
    temperature: float | None = typer.Option(None, "--temperature", help="Sampling temperature of the planner."),
    prompt: str = typer.Option("toolbench", "--prompt", help="Prompt variant: toolbench | compact | default."),
    judge: str = typer.Option("", "--judge", help="LLM pass judge for instructions without an expected answer "
                              "('' = the rules and the grounding checks decide)."),
    catalog_path: list[Path] = typer.Option(None, "--catalog", help="Catalog (default: the built-in world)."),
    executor_kind: str = typer.Option("builtin", "--executor", help="Executor that runs the calls."),
    concurrency: int = typer.Option(0, "--concurrency", "-j", help="Instructions in flight (0 = the model's hint)."),
    limit: int = typer.Option(0, "--limit", help="Only the first N instructions (0 = all)."),
    seed: int = typer.Option(0, "--seed"),
    out: Path = typer.Option(..., "--out", "-o", help="Run directory (resumed when it exists): results/, "
                             "verified.json, verified/ (the kept paths)."),
) -> None:
    """Plan instructions and keep only the verified paths: training data made by search (self-training)."""
    from toolbench.app.solutions import plan_solutions, verified_run
    from toolbench.catalog.queries import load_queries
    from toolbench.models import load_chat_model

    resolved = resolve_catalog(catalog_path)
    items = load_queries(queries, resolved.catalog)
    items = items[:limit] if limit else items
    planner = {"method": method, "width": width, "n_chains": n_chains, "max_actions": max_actions,
               "max_llm_calls": max_llm_calls, "prompt": prompt, "seed": seed, "temperature": temperature}
    chat = load_chat_model(model, **parse_options(model_option, "--model-option"))
    executor = open_executor(resolved, executor_kind, None)
    try:
        with planning_progress() as stage:
            record = plan_solutions(items, resolved.catalog, chat, executor, planner, out, concurrency=concurrency,
                                    progress=stage("plan", len(items)), judge=judge,
                                    extra_config={"queries_file": str(queries), "model_spec": model})
    finally:
        executor.close()
        close_model(chat)
    verified_run(out, out / "verified")
    counts = record["counts"]
    typer.echo(f"{counts['kept']}/{counts['paths']} paths verified {counts['kept_by']}; rejected "
               f"{counts['rejected_by']}; {record['llm_calls']} LLM calls → {out / 'verified'}")


@data_app.command("instructions")
def instructions(
    model: str = typer.Option(..., "--model", help="Model spec that writes instructions, e.g. openai:gpt-4o-mini."),
    model_option: list[str] = MODEL_OPTION,
    out: Path = typer.Option(..., "--out", help="Output directory (queries.jsonl, queries_toolbench.json)."),
    catalog_path: list[Path] = typer.Option(None, "--catalog", help="Catalog (default: the built-in world)."),
    mode: str = typer.Option("single", help="single (G1), category (G2) or cross (G3)."),
    prompts: int = typer.Option(10, help="Generation prompts (API samples); with --every-tool, 0 = one per tool."),
    per_prompt: int = typer.Option(5, help="Instructions asked per prompt."),
    every_tool: bool = typer.Option(False, "--every-tool", help="single mode: visit every tool in turn "
                                    "(retriever pseudo-queries for the whole catalog)."),
    seeds_file: Path | None = typer.Option(None, "--seeds", help="JSON list of seed examples {query, related_apis}."),
    seed: int = typer.Option(0, help="Seed of the API sampling."),
    shard: str = SHARD_OPTION,
    cache: str | None = typer.Option(None, "--cache", help="LLM-call cache (default OUT/llm_cache.sqlite, so a "
                                     "rerun after an interruption replays finished prompts; '' turns it off)."),
) -> None:
    """ToolLLM-style instruction generation with validation (no hallucinated APIs, no duplicates)."""
    from data.instructions import InstructionConfig, generate_instructions, write_queries
    from toolbench.config import save_config
    from toolbench.models import load_chat_model
    from toolbench.models.cache import cache_path_from
    from toolbench.shards import parse_shard
    from toolbench.store import atomic_write_json, read_json

    part = parse_shard(shard)  # by prompt number; query ids then name their prompt, so shards never clash
    catalog = resolve_catalog(catalog_path).catalog
    if every_tool and prompts == 0:
        prompts = len(catalog.tools())
    config = InstructionConfig(mode=mode, prompts=prompts, per_prompt=per_prompt, seed=seed, every_tool=every_tool)
    seeds = read_json(seeds_file) if seeds_file else None
    out.mkdir(parents=True, exist_ok=True)
    if cache is None:
        cache = cache_path_from(None) or str(out / "llm_cache.sqlite")
    llm = load_chat_model(model, cache=cache, **parse_options(model_option, "--model-option"))
    with count_progress("prompts", config.prompts) as progress:
        result = generate_instructions(llm, catalog, config, seeds=seeds, progress=progress, shard=part)
    write_queries(out, result.queries, catalog)
    atomic_write_json(out / "generation_stats.json", result.summary())
    save_config(out, {**config.to_dict(), "model": model, "shard": str(part or "")})
    where = f"shard {part}: " if part else ""
    typer.echo(f"{where}{len(result.queries)} instructions accepted, rejected: {result.rejected} → {out}")


def register(app: typer.Typer) -> None:
    """Add ``toolbench data`` to ``app``."""
    app.add_typer(data_app, name="data")
