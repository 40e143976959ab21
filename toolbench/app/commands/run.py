"""CLI: ``toolbench run CONFIG`` (the whole job from one TOML file) and ``toolbench demo``."""

from __future__ import annotations

import time
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from toolbench.app.common import planning_progress

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


def _show(result: Any, seconds: float) -> None:
    from rich.console import Console

    Console().print(summary_table(result, seconds))
    typer.echo(f"report: {result.report_html}")  # unwrapped, so the path can be copied


def run_command(
    config: Path = typer.Argument(..., exists=True, dir_okay=False, help="TOML file describing the job."),
    out: Path | None = typer.Option(None, "--out", "-o", help="Run directory (overrides the config's `out`)."),
) -> None:
    """Index a catalog, plan the instructions, judge and report — all from CONFIG.

    Re-running the same command resumes; changing only [judges] re-judges without
    re-planning. See `toolbench demo` for a ready example and the README for the format.
    """
    from toolbench.app.run_config import load_run_config

    start = time.monotonic()
    result = execute(load_run_config(config, out=str(out) if out else None))
    _show(result, time.monotonic() - start)


def demo_command(
    out: Path = typer.Option(Path("runs/demo"), "--out", "-o", help="Run directory (resumed when it exists)."),
    limit: int = typer.Option(0, "--limit", min=0, help="Instructions per group (0 = the demo's default)."),
    show_config: bool = typer.Option(False, "--show-config", help="Print the demo's TOML config and exit."),
) -> None:
    """The whole job offline on embedded defaults: built-in tools, built-in instructions,
    retrieval with all-MiniLM-L6-v2, DFSDT with SmolLM2-135M vs a CoT reference, judged
    by rules and expected answers. Finishes in about 15 minutes on 2 CPU cores.
    """
    from toolbench.app.run_config import run_config_from_dict

    text = resources.files("toolbench.resources").joinpath(DEMO_CONFIG).read_text(encoding="utf-8")
    if show_config:
        typer.echo(text)
        return
    import tomllib

    data = tomllib.loads(text)
    data["out"] = str(out)
    if limit:
        data["queries"]["limit"] = limit
    start = time.monotonic()
    result = execute(run_config_from_dict(data, Path.cwd(), source="demo.toml"))
    _show(result, time.monotonic() - start)


def register(app: typer.Typer) -> None:
    """Add ``run`` and ``demo`` to ``app``."""
    app.command("run")(run_command)
    app.command("demo")(demo_command)
