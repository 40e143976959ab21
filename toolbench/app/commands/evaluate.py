"""``toolbench eval ...``, ``toolbench bench bfcl`` and ``toolbench report``: judges and reports.

Thin: options are parsed here and handed to :mod:`evaluator.api`; every evaluation
writes report.json, report.md, report.html and verdicts/ into ``--out``.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import typer

from toolbench.app import common

logger = logging.getLogger(__name__)

eval_app = typer.Typer(help="Judge runs: pass rate, win rate, final answers, exact answers, AST, retrieval.",
                       no_args_is_help=True)
bench_app = typer.Typer(help="Run a model on a benchmark and score it.", no_args_is_help=True)

QUERIES_HELP = "Queries file (for query groups)."


def _safe(name: str) -> str:
    """A file-system-safe name.

    >>> _safe("chatgpt_cot/G1_instruction")
    'chatgpt_cot_G1_instruction'
    """
    return re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("_") or "run"


def _out_dir(out: Path | None, kind: str, names: list[str]) -> Path:
    return out if out is not None else Path("evals") / f"{kind}-{_safe('+'.join(names))[:80]}"


def _cache(no_cache: bool, cache: Path | None) -> Any:
    return False if no_cache else (cache if cache is not None else True)


def _queries(path: Path | None, builtin: bool = False) -> list[Any]:
    if builtin:
        from toolbench.builtin_world import builtin_instructions

        return builtin_instructions()
    if path is None:
        return []
    from toolbench.catalog.queries import load_queries

    return load_queries(path)


def _finish(out: Path, kind: str, runs: list[Any], groups: dict[str, str], config: dict[str, Any], seed: int) -> None:
    from evaluator.api import write_report
    from evaluator.report import headline

    report = write_report(out, kind, runs, groups=groups, config=config, seed=seed)
    for run in runs:
        typer.echo(headline(report, run.name))
    typer.echo(f"report: {out / 'report.html'}")


def _judge_runs(kind: str, paths: list[Path], judge_model: str | None, judgings: int, fmt: str,
                queries: Path | None, out: Path | None, seed: int, cache: Any, workers: int, **extra: Any) -> None:
    from evaluator import api
    from evaluator.inputs import load_runs, merged_groups
    from evaluator.report import RunResult

    runs = load_runs(list(paths), fmt)
    target = _out_dir(out, kind, [r.name for r in runs])
    asker = api.make_asker(judge_model, cache=cache, workers=workers)
    if asker is None:
        logger.warning("no --judge-model: only the rules decide; other answers are reported as Unjudged")
    results = []
    for run in runs:
        if kind == "pass":
            verdicts = api.judge_pass(run.trajectories, asker, judgings=judgings, **extra)
        else:
            verdicts = api.judge_fac(run.trajectories, asker, judgings=judgings)
        results.append(RunResult(run.name, verdicts, run.trajectories, run.links(target), _judge_cost(asker)))
    config = {"judge": asker.judge_id if asker else None, "judgings": judgings, "inputs": [str(p) for p in paths],
              **extra}
    _finish(target, kind, results, merged_groups(runs, _queries(queries)), config, seed)


def _judge_cost(asker: Any) -> dict[str, Any]:
    if asker is None:
        return {}
    return {"judge_llm_calls": asker.calls, "judge_tokens": asker.usage.total_tokens}


def pass_command(
    runs: list[Path] = typer.Argument(..., help=common.RUNS_HELP),
    judge_model: str | None = common.JUDGE_MODEL,
    judgings: int = common.JUDGINGS,
    solvability_check: bool = typer.Option(False, help="Original ToolEval variant: also check task solvability."),
    fmt: str = common.RUN_FORMAT,
    queries: Path | None = typer.Option(None, help=QUERIES_HELP),
    out: Path | None = typer.Option(None, "--out", "-o", help="Output directory (default evals/pass-RUNS)."),
    seed: int = common.REPORT_SEED,
    cache: Path | None = common.JUDGE_CACHE,
    no_cache: bool = common.NO_JUDGE_CACHE,
    workers: int = common.JUDGE_WORKERS,
) -> None:
    """Pass rate (ToolEval rules + LLM judge; SoPR over --judgings)."""
    _judge_runs("pass", runs, judge_model, judgings, fmt, queries, out, seed, _cache(no_cache, cache), workers,
                solvability_check=solvability_check)


def fac_command(
    runs: list[Path] = typer.Argument(..., help=common.RUNS_HELP),
    judge_model: str | None = common.JUDGE_MODEL,
    judgings: int = common.JUDGINGS,
    fmt: str = common.RUN_FORMAT,
    queries: Path | None = typer.Option(None, help=QUERIES_HELP),
    out: Path | None = typer.Option(None, "--out", "-o"),
    seed: int = common.REPORT_SEED,
    cache: Path | None = common.JUDGE_CACHE,
    no_cache: bool = common.NO_JUDGE_CACHE,
    workers: int = common.JUDGE_WORKERS,
) -> None:
    """Final-answer-only judge (query + final answer)."""
    _judge_runs("fac", runs, judge_model, judgings, fmt, queries, out, seed, _cache(no_cache, cache), workers)


def win_command(
    run: Path = typer.Argument(..., help="The candidate run."),
    against: Path = typer.Option(..., "--against", "-r", help="The reference run (same queries)."),
    judge_model: str | None = common.JUDGE_MODEL,
    judgings: int = common.JUDGINGS,
    fmt: str = common.RUN_FORMAT,
    queries: Path | None = typer.Option(None, help=QUERIES_HELP),
    out: Path | None = typer.Option(None, "--out", "-o"),
    seed: int = common.REPORT_SEED,
    cache: Path | None = common.JUDGE_CACHE,
    no_cache: bool = common.NO_JUDGE_CACHE,
    workers: int = common.JUDGE_WORKERS,
) -> None:
    """Win rate of RUN against --against (both orders per judging; W/T/L, ties count half)."""
    from evaluator import api
    from evaluator.inputs import load_run, merged_groups
    from evaluator.report import RunResult

    cand, ref = load_run(run, fmt), load_run(against, fmt)
    name = f"{cand.name} vs {ref.name}"
    target = _out_dir(out, "win", [cand.name, ref.name])
    asker = api.make_asker(judge_model, cache=_cache(no_cache, cache), workers=workers)
    verdicts = api.judge_win(cand.trajectories, ref.trajectories, asker, judgings=judgings)
    result = RunResult(name, verdicts, cand.trajectories, cand.links(target), _judge_cost(asker))
    config = {"judge": asker.judge_id if asker else None, "judgings": judgings, "candidate": str(run),
              "reference": str(against)}
    _finish(target, "win", [result], merged_groups([cand, ref], _queries(queries)), config, seed)


def exact_command(
    runs: list[Path] = typer.Argument(..., help=common.RUNS_HELP),
    queries: Path | None = typer.Option(None, help="Queries file with expected_answer fields."),
    builtin: bool = typer.Option(False, "--builtin", help="Use the built-in instruction set's expected answers."),
    rel_tol: float = typer.Option(1e-6, help="Relative tolerance of numbers."),
    fmt: str = common.RUN_FORMAT,
    out: Path | None = typer.Option(None, "--out", "-o"),
    seed: int = common.REPORT_SEED,
) -> None:
    """Exact answers: numbers with tolerance, normalised strings."""
    from evaluator import api
    from evaluator.inputs import load_runs, merged_groups
    from evaluator.report import RunResult
    from toolbench.errors import InputError

    query_list = _queries(queries, builtin)
    if not any(q.expected_answer is not None for q in query_list):
        raise InputError("no expected answers: give --queries FILE (with expected_answer) or --builtin")
    loaded = load_runs(list(runs), fmt)
    target = _out_dir(out, "exact", [r.name for r in loaded])
    results = [RunResult(r.name, api.judge_exact(r.trajectories, query_list, rel_tol=rel_tol), r.trajectories,
                         r.links(target)) for r in loaded]
    _finish(target, "exact", results, merged_groups(loaded, query_list), {"rel_tol": rel_tol}, seed)


MATCHING_HELP = ("How parallel calls meet their ground truths: bfcl (the leaderboard's: each expected call takes the "
                 "first unused call that passes) or bipartite (a maximum matching).")


def _check_matching(matching: str) -> None:
    from evaluator.ast_check import MATCHINGS
    from toolbench.errors import InputError

    if matching not in MATCHINGS:
        raise InputError(f"--matching must be one of {', '.join(MATCHINGS)}, got {matching!r}")


def ast_command(
    predictions: Path = typer.Option(..., help="Predictions JSONL: {id, result: [{name: args}]} or {id, tool_calls}."),
    answers: Path = typer.Option(..., help="BFCL possible-answer file (JSON Lines)."),
    questions: Path | None = typer.Option(None, help="BFCL question file (default: beside possible_answer/)."),
    matching: str = typer.Option("bfcl", help=MATCHING_HELP),
    out: Path | None = typer.Option(None, "--out", "-o"),
    seed: int = common.REPORT_SEED,
) -> None:
    """BFCL's AST check of function calls (or raw text like [f(a=1)]) against possible answers."""
    from evaluator import api, bfcl
    from evaluator.report import RunResult

    _check_matching(matching)
    question_file = questions or answers.parent.parent / answers.name
    items = bfcl.read_items(question_file, bfcl.read_answers(answers))
    verdicts = api.ast_verdicts(items, bfcl.read_predictions(predictions), matching)
    groups = {i.id: i.category for i in items}
    target = _out_dir(out, "ast", [predictions.stem])
    _finish(target, "ast", [RunResult(predictions.stem, verdicts)], groups,
            {"questions": str(question_file), "answers": str(answers), "matching": matching}, seed)


def retrieval_command(
    results: list[Path] = typer.Argument(..., help="Retriever result files (JSONL or JSON)."),
    queries: Path | None = typer.Option(None, help="Queries file with relevant APIs (when results lack them)."),
    k: list[int] = typer.Option([1, 3, 5], "--k", min=1, help="Cut-offs."),
    out: Path | None = typer.Option(None, "--out", "-o"),
    seed: int = common.REPORT_SEED,
) -> None:
    """NDCG@k, recall@k, completeness@k from retriever result files."""
    from evaluator.report import RunResult
    from evaluator.retrieval import judge_retrieval, read_results, summarise

    query_list = _queries(queries)
    target = _out_dir(out, "retrieval", [p.stem for p in results])
    runs = []
    for path in results:
        rows = judge_retrieval(read_results(path), query_list, k)
        metrics, groups = summarise(rows, k, seed=seed)
        runs.append(RunResult(path.stem, [], metrics=metrics, groups=groups,
                              rows=[{"run": path.stem, **r} for r in rows]))
    _finish(target, "retrieval", runs, {}, {"k": list(k)}, seed)


def bfcl_command(
    model: str = typer.Option(..., "--model", "-m", help="Model spec, e.g. hf:smollm2, openai:gpt-4o-mini."),
    data: Path = typer.Option(..., "--data", help="Folder with BFCL_*.json and possible_answer/."),
    category: list[str] = typer.Option(None, "--category", "-c", help="Only these categories (e.g. simple_python)."),
    limit: int | None = typer.Option(None, min=0, help="First N items of each file."),
    matching: str = typer.Option("bfcl", help=MATCHING_HELP),
    model_option: list[str] = common.MODEL_OPTION,
    out: Path | None = typer.Option(None, "--out", "-o"),
    seed: int = common.REPORT_SEED,
) -> None:
    """Run a model on BFCL question files and score its calls with the AST checker (resumable)."""
    from evaluator import api
    from evaluator.report import RunResult
    from toolbench.store import write_jsonl

    _check_matching(matching)
    model_options = common.parse_options(model_option, "--model-option")
    target = _out_dir(out, "bfcl", [_safe(model), *model_option])
    with common.count_progress("BFCL") as progress:
        items, predictions, verdicts, usage = api.bench_bfcl(
            model, data, categories=category or None, limit=limit, resume=target / "predictions.partial.jsonl",
            progress=progress, matching=matching, model_options=model_options)
    write_jsonl(target / "predictions.jsonl", ({"id": i.id, "result": predictions[i.id]} for i in items))
    metrics = {"llm_calls": usage.llm_calls, "tokens": usage.total_tokens}
    _finish(target, "ast", [RunResult(model, verdicts, metrics=metrics)], {i.id: i.category for i in items},
            {"model": model, "model_options": model_options, "data": str(data), "limit": limit,
             "categories": category or [], "matching": matching},
            seed)


def report_command(
    paths: list[Path] = typer.Argument(..., help="Eval output folders (with report.json) or runs (rules + cost only)."),
    out: Path = typer.Option(Path("evals/report"), "--out", "-o"),
    fmt: str = common.RUN_FORMAT,
    seed: int = common.REPORT_SEED,
) -> None:
    """Combine eval reports, or report runs' rule-based pass labels and cost without a judge."""
    from evaluator.combine import combined_report

    report = combined_report(paths, fmt=fmt, out_dir=out, seed=seed)
    from evaluator.report import headline, write_report

    write_report(out, report)
    for run in report.metrics:
        typer.echo(headline(report, run))
    typer.echo(f"report: {out / 'report.html'}")
    if (out / "index.html").is_file():
        typer.echo(f"queries: {out / 'index.html'}")


def register(app: typer.Typer) -> None:
    """Add ``eval``, ``bench`` and ``report`` to ``app``."""
    eval_app.command("pass")(pass_command)
    eval_app.command("win")(win_command)
    eval_app.command("fac")(fac_command)
    eval_app.command("exact")(exact_command)
    eval_app.command("ast")(ast_command)
    eval_app.command("retrieval")(retrieval_command)
    bench_app.command("bfcl")(bfcl_command)
    app.add_typer(eval_app, name="eval")
    app.add_typer(bench_app, name="bench")
    app.command("report")(report_command)
