"""``toolbench runs ...``: work on run directories as a whole.

- ``toolbench runs merge A B ... --out M`` — shards (``--shard i/n``) or other runs streamed
  into one run directory; duplicate query ids kept once, conflicts listed
  (:mod:`toolbench.store.merge`).
"""

from __future__ import annotations

from pathlib import Path

import typer

runs_app = typer.Typer(help="Work on run directories: merge shards.", no_args_is_help=True)


@runs_app.command("merge")
def merge(
    runs: list[Path] = typer.Argument(..., help="Run directories (or trajectories.jsonl files) to merge, in order: "
                                      "the first of two different trajectories of a query is kept."),
    out: Path = typer.Option(..., "--out", "-o", help="Merged run directory (created, or added to)."),
    fail_on_conflict: bool = typer.Option(False, "--fail-on-conflict",
                                          help="Exit with code 1 when some query id has different trajectories."),
) -> None:
    """Stream several runs into one run directory (one trajectory per query id)."""
    from toolbench.store.merge import CONFLICTS, merge_runs

    result = merge_runs(list(runs), out)
    for conflict in result.conflicts:
        typer.echo(f"conflict: query {conflict.query_id}: kept {conflict.kept}, dropped {conflict.dropped} "
                   f"(differs in {', '.join(conflict.fields)})")
    for source in result.running:
        typer.echo(f"warning: {source} is still being planned; merged what it had finished (merge again later)",
                   err=True)
    if result.settings_differ:
        typer.echo(f"warning: the inputs were planned with different {' and '.join(result.settings_differ)} "
                   f"settings (see their config.json)", err=True)
    read = sum(count for _, count in result.per_input)
    typer.echo(f"{read} trajectories from {len(result.per_input)} run(s): {result.added} added, {result.identical} "
               f"identical duplicates, {len(result.conflicts)} conflicts"
               f"{f' (listed in {out / CONFLICTS})' if result.conflicts else ''}; {result.queries} queries → {out}")
    if fail_on_conflict and result.conflicts:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    """Add ``toolbench runs`` to ``app``."""
    app.add_typer(runs_app, name="runs")
