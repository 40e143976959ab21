"""``toolbench tools``: list the tools of a catalog and call one through an executor.

``--catalog`` takes catalog files, folders, Python targets (``file.py``,
``pkg.module:function``), ``builtin`` (the default: the built-in real tools) or
``mcp:COMMAND`` (the tools of an MCP server started with COMMAND over stdio).
"""

from __future__ import annotations

import json

import typer

from toolbench.app.common import CATALOG_HELP, EXECUTOR_HELP, EXECUTOR_OPTION, open_executor, resolve_catalog
from toolbench.errors import InputError

tools_app = typer.Typer(help="List the tools of a catalog and call them.", no_args_is_help=True)


@tools_app.command("list")
def list_command(
    catalog: list[str] = typer.Option(None, "--catalog", "-c", help=CATALOG_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print the OpenAI tool schemas as JSON."),
    category: str | None = typer.Option(None, help="Only this category."),
) -> None:
    """List the functions of a catalog: name, tool, category and description."""
    from rich.console import Console
    from rich.table import Table

    cat, _, _ = resolve_catalog(catalog)
    ids = [api.id for api in cat if category is None or api.category == category]
    if as_json:
        typer.echo(json.dumps(cat.openai_tools(ids), indent=2, ensure_ascii=False))
        return
    table = Table(title=f"{len(ids)} functions", title_justify="left")
    for column in ("function", "tool", "category", "required", "description"):
        table.add_column(column, overflow="fold")
    for api_id in ids:
        api = cat.get(api_id)
        table.add_row(cat.function_name(api_id), api.tool, api.category, ", ".join(api.required),
                      api.description[:90])
    Console().print(table)


@tools_app.command("call")
def call_command(
    name: str = typer.Argument(..., help="Function name (see `toolbench tools list`)."),
    args: str = typer.Option("{}", "--args", "-a", help="Arguments as a JSON object."),
    catalog: list[str] = typer.Option(None, "--catalog", "-c", help=CATALOG_HELP),
    executor: str | None = typer.Option(None, "--executor", "-e", help=EXECUTOR_HELP),
    option: list[str] = EXECUTOR_OPTION,
    as_json: bool = typer.Option(False, "--json", help="Print the whole observation as JSON."),
) -> None:
    """Call one function and print the observation the model would see."""
    from toolbench.types import ToolCall

    try:
        arguments = json.loads(args)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg})", field="--args") from exc
    runner = open_executor(resolve_catalog(catalog), executor, option)
    try:
        observation = runner.call(ToolCall("call_0", name, arguments))
    finally:
        runner.close()
    if as_json:
        typer.echo(json.dumps(observation.to_dict(), indent=2, ensure_ascii=False, default=str))
    else:
        typer.echo(observation.content)
        notes = f"status={observation.status.name} provenance={observation.provenance} "
        notes += f"seconds={observation.seconds:.4f}"
        if observation.coercions:
            notes += f" coerced: {'; '.join(observation.coercions)}"
        typer.secho(notes, fg="green" if observation.ok else "red", err=True)
    if not observation.ok:
        raise typer.Exit(1)


@tools_app.command("import-cache")
def import_cache_command(
    folder: str = typer.Argument(..., help="A StableToolBench tool_response_cache folder."),
    catalog: list[str] = typer.Option(..., "--catalog", "-c", help="The catalog the cached APIs belong to."),
    cache: str = typer.Option("", "--cache", help="Our response cache (default: the virtual executor's)."),
) -> None:
    """Import StableToolBench's cached responses into the virtual executor's SQLite cache."""
    from toolbench.executors.cache import ResponseCache
    from toolbench.executors.cache_import import import_stabletoolbench_cache
    from toolbench.paths import cache_dir

    cat, _, _ = resolve_catalog(catalog)
    target = ResponseCache(cache or cache_dir("virtual") / "responses.sqlite")
    counts = import_stabletoolbench_cache(folder, cat, target)
    typer.echo(json.dumps({"cache": str(target.path), **counts}, indent=2))
    target.close()


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.add_typer(tools_app, name="tools")
