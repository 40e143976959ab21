"""``toolbench view PATH``: static pages to read a run or a report in a browser.

Thin: the pages are made by :func:`evaluator.browse.write_site` (a page per trajectory with
its search tree, and an index to filter and sort the queries).
"""

from __future__ import annotations

from pathlib import Path

import typer

from toolbench.app import common


def view_command(
    path: Path = typer.Argument(..., help="A run (" + common.RUNS_HELP.removeprefix("Runs: ").rstrip(".")
                                + "), a report folder, or a `toolbench run` output folder."),
    out: Path | None = typer.Option(None, "--out", "-o",
                                    help="Where the pages go (default: beside a report; views/NAME for a run)."),
    fmt: str = common.RUN_FORMAT,
) -> None:
    """Write a page per query (the search tree, its backtracking and the reported path) and an
    index page to filter by group and verdict and sort by cost; print the index's path."""
    from evaluator.browse import write_site

    index = write_site(path, out, fmt)
    if (index.parent / "report.html").is_file():
        typer.echo(f"report: {index.parent / 'report.html'}")
    typer.echo(f"queries: {index}")


def register(app: typer.Typer) -> None:
    """Add ``view`` to ``app``."""
    app.command("view")(view_command)
