"""CLI: ``toolbench run CONFIG`` (the whole job from one TOML file) and ``toolbench demo``."""

from __future__ import annotations

import time
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from toolbench.app.common import SHARD_OPTION, planning_progress

if TYPE_CHECKING:
    from toolbench.app.pipeline import PipelineResult
    from toolbench.app.run_config import RunConfig

DEMO_CONFIG = "demo.toml"


def execute(config: RunConfig) -> PipelineResult:
    """Run ``config`` with a live progress display; SIGTERM stops as cleanly as Ctrl-C."""
    from toolbench.app.pipeline import run_pipeline

    with planning_progress() as stage:
        return run_pipeline(config, stage)


def summary_table(result: Any, seconds: float) -> Any:
    """A rich table of the headline numbers of every judge and run."""
    from rich.table import Table

    table = Table(title=f"toolbench run: {result.out.name} ({seconds:.0f} s)")
    for column in ("judge: run", "score", "95% CI", "n", "LLM calls/query", "tokens/query"):
        table.add_column(column)
    for run, m in result.report.metrics.items():
        value = m.get("win_rate", m.get("mean"))
        score = "–" if value is None else f"{100 * value:.1f}"
        if "win" in m:
            score += f"  (W/T/L {m.get('win', 0)}/{m.get('tie', 0)}/{m.get('loss', 0)})"
        ci = f"{100 * m['ci_low']:.1f}–{100 * m['ci_high']:.1f}" if m.get("ci_low") is not None else "–"
        cost = (_fmt(m.get("llm_calls_per_query")), _fmt(m.get("tokens_per_query")))
        table.add_row(run, score, ci, str(m.get("n", "")), *cost)
    return table


def _fmt(value: Any) -> str:
    return "–" if value is None else f"{value:.1f}"


def score_cell(m: dict[str, Any]) -> str:
    """A score with its 95 % CI.

    >>> score_cell({"mean": 0.5, "ci_low": 0.25, "ci_high": 0.75, "n": 8}), score_cell({"n": 0})
    ('50.0 [25.0, 75.0]', '–')
    """
    if m.get("mean") is None:
        return "–"
    ci = f" [{100 * m['ci_low']:.1f}, {100 * m['ci_high']:.1f}]" if m.get("ci_low") is not None else ""
    return f"{100 * m['mean']:.1f}{ci}"


def group_table(result: Any, seconds: float) -> Any:
    """Runs × groups for the exact judge (pass where no answers are known), then win rates."""
    from rich.table import Table

    metrics, groups = result.report.metrics, result.report.groups
    judge = "exact" if any(name.startswith("exact: ") for name in metrics) else "pass"
    runs = [name for name in metrics if name.startswith(f"{judge}: ")]
    names = sorted({g for run in runs for g in groups.get(run, {})})
    table = Table(title=f"{result.out.name}: {judge} pass rate % [95% CI] ({seconds:.0f} s)")
    for column in ("run", *names, "all", "LLM calls/query"):
        table.add_column(column)
    for run in runs:
        cells = [score_cell(groups[run][g]) if g in groups.get(run, {}) else "–" for g in names]
        table.add_row(run.removeprefix(f"{judge}: "), *cells, score_cell(metrics[run]),
                      _fmt(metrics[run].get("llm_calls_per_query")))
    for run, m in metrics.items():
        if run.startswith("win: "):
            cells = [score_cell(groups[run][g]) if g in groups.get(run, {}) else "–" for g in names]
            table.add_row(f"win rate {run.removeprefix('win: ')}", *cells,
                          f"{score_cell({**m, 'mean': m.get('win_rate')})} W/T/L {m.get('win', 0)}/{m.get('tie', 0)}/"
                          f"{m.get('loss', 0)}", "")
    return table


def _show(result: Any, seconds: float, *, by_group: bool = False) -> None:
    from rich.console import Console

    Console().print(group_table(result, seconds) if by_group else summary_table(result, seconds))
    typer.echo(f"report: {result.report_html}")  # unwrapped, so the path can be copied
    index = result.report_html.parent / "index.html"
    if index.is_file():
        typer.echo(f"queries: {index}")


def run_command(
    config: Path = typer.Argument(..., exists=True, dir_okay=False, help="TOML file describing the job."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Run directory (overrides the config's `out`)."),
    shard: str = SHARD_OPTION,
) -> None:
    """Index a catalog, plan the instructions, judge and report — all from CONFIG.

    Re-running the same command resumes; changing only [judges] re-judges without
    re-planning. See `toolbench demo` for a ready example and the README for the format.
    """
    from toolbench.app.run_config import load_run_config

    start = time.monotonic()
    run_config = load_run_config(config, out=str(out) if out else None)
    if shard:
        run_config = run_config.replace(shard=shard)
    result = execute(run_config)
    _show(result, time.monotonic() - start, by_group=run_config.compares_students)


def demo_command(
    out: Path = typer.Option(Path("runs/demo"), "--out", "-o", help="Run directory (resumed when it exists)."),
    limit: int = typer.Option(0, "--limit", min=0, help="Instructions per group (0 = the demo's 6)."),
    train: bool = typer.Option(False, "--train", help="Train the tuned model here (the recipe of the shipped "
                               "adapter, about 40 min on 2 cores) instead of using hf:smollm2-tools."),
    show_config: bool = typer.Option(False, "--show-config", help="Print the demo's TOML config and exit."),
) -> None:
    """ToolLLM's loop offline on embedded defaults: built-in tools, held-out built-in
    instructions, retrieval with all-MiniLM-L6-v2, SmolLM2-135M as shipped vs the same model
    with this project's LoRA adapter (hf:smollm2-tools), judged by expected answers.

    Prints exact pass rates per group (G1 one tool, G2 two or three tools of one category,
    G3 across categories) with 95 % CIs and the win rate of tuned vs base. With --train the
    adapter is retrained from template instructions and gold solution paths first.
    """
    import tomllib

    from toolbench.app.run_config import run_config_from_dict

    text = resources.files("toolbench.resources").joinpath(DEMO_CONFIG).read_text(encoding="utf-8")
    data = tomllib.loads(text)
    if train:
        data.pop("tuned", None)
        data["train"] = {}
        text += "\n[train]                      # --train: the shipped adapter's recipe (defaults)\n"
        text = text.replace('[tuned]\nspec = "hf:smollm2-tools"\n', "")
    if show_config:
        typer.echo(text)
        return
    data["out"] = str(out)
    if limit:
        data["queries"]["limit"] = limit
    start = time.monotonic()
    result = execute(run_config_from_dict(data, Path.cwd(), source="demo.toml"))
    _show(result, time.monotonic() - start, by_group=True)


def register(app: typer.Typer) -> None:
    """Add ``run`` and ``demo`` to ``app``."""
    app.command("run")(run_command)
    app.command("demo")(demo_command)
