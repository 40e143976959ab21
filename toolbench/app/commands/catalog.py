"""``toolbench catalog``: statistics, export, single APIs and formats of tool catalogs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

PATHS_HELP = "Catalog files, folders or Python targets (file.py, pkg.module:function)."


def example_catalog_path() -> Path:
    """The small example catalog that ships inside the package."""
    from importlib.resources import files

    return Path(str(files("toolbench.resources").joinpath("example_catalog.json")))


def _stats_table(stats: dict[str, Any], title: str) -> Any:
    from rich.table import Table

    columns = ("categories", "tools", "apis", "parameters", "required_parameters", "optional_parameters")
    table = Table(title=title, title_justify="left")
    table.add_column("source format")
    for column in columns:
        table.add_column(column.replace("_parameters", "").replace("apis", "APIs"), justify="right")
    for name, row in stats["by_format"].items():
        table.add_row(name, *(f"{row[c]:,}" for c in columns))
    table.add_row("[bold]total[/bold]", *(f"[bold]{stats[c]:,}[/bold]" for c in columns))
    return table


def stats_command(
    paths: list[str] = typer.Argument(None, help=PATHS_HELP + " Default: the packaged example catalog."),
    as_json: bool = typer.Option(False, "--json", help="Print the statistics as JSON."),
    fmt: str | None = typer.Option(None, "--format", "-f", help="Input format (default: detect from content)."),
) -> None:
    """Count categories, tools, APIs and parameters, per source format."""
    from rich.console import Console

    from toolbench.catalog.stats import catalog_stats
    from toolbench.loaders import load_catalog

    sources = paths or [str(example_catalog_path())]
    stats = catalog_stats(load_catalog(sources, fmt=fmt))
    if as_json:
        typer.echo(json.dumps(stats, indent=2))
        return
    title = "example catalog (packaged)" if not paths else ", ".join(sources)
    console = Console()
    console.print(_stats_table(stats, title))
    console.print(
        f"{stats['function_names']:,} function names, all unique and ≤ 64 characters "
        f"({stats['function_names_shortened']} shortened with a hash, "
        f"{stats['function_name_collisions']} collisions resolved)."
    )


def export_command(
    paths: list[str] = typer.Argument(..., help=PATHS_HELP),
    fmt: str = typer.Option(..., "--format", "-f", help="Output format: openai or toolbench."),
    out: Path = typer.Option(..., "--out", "-o", help="File to write (atomically)."),
    input_format: str | None = typer.Option(None, "--from", help="Input format (default: detect from content)."),
) -> None:
    """Write catalogs as OpenAI tools JSON or a flat ToolBench API list."""
    from toolbench.catalog.exporters import EXPORTERS, export_catalog
    from toolbench.loaders import load_catalog

    EXPORTERS.get(fmt)  # fail on an unknown output format before reading anything
    catalog = load_catalog(paths, fmt=input_format)
    written = export_catalog(catalog, fmt, out)
    typer.echo(f"wrote {len(catalog):,} APIs as {fmt} to {written}")


def show_command(
    name: str = typer.Argument(..., help="A function name (search_for_yt) or an API id (Data::YT::Search)."),
    paths: list[str] = typer.Argument(None, help=PATHS_HELP + " Default: the packaged example catalog."),
    fmt: str | None = typer.Option(None, "--format", "-f", help="Input format (default: detect from content)."),
) -> None:
    """Show one API: its id, function name, OpenAI schema and ToolBench extras."""
    from toolbench.errors import InputError
    from toolbench.loaders import load_catalog

    catalog = load_catalog(paths or [str(example_catalog_path())], fmt=fmt)
    api = catalog.by_function_name(name) or (catalog.get(name) if name in catalog else None)
    if api is None:
        raise InputError(f"no API with function name or id {name!r} in the catalog")
    typer.echo(json.dumps({
        "id": api.id, "function_name": catalog.function_name(api.id), "source": api.source,
        "tool": catalog.openai_tool(api.id), "parameter_aliases": api.parameter_aliases,
        "method": api.method, "url": api.url, "template_response": api.template_response,
    }, indent=2, ensure_ascii=False))


def formats_command() -> None:
    """List the catalog formats this version reads and writes."""
    from toolbench.catalog.exporters import EXPORTERS
    from toolbench.loaders import FORMATS

    for name in FORMATS.names():
        typer.echo(f"read   {name:18} {FORMATS.get(name).description}")
    for name in EXPORTERS.names():
        typer.echo(f"write  {name}")


def register(app: typer.Typer) -> None:
    """Add ``toolbench catalog ...`` to ``app``."""
    group = typer.Typer(help="Read, count and convert tool catalogs.", no_args_is_help=True)
    group.command("stats")(stats_command)
    group.command("export")(export_command)
    group.command("show")(show_command)
    group.command("formats")(formats_command)
    app.add_typer(group, name="catalog")
