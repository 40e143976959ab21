"""``toolbench tools``: list the tools of a catalog and call one through an executor.

``--catalog`` takes catalog files, folders, Python targets (``file.py``,
``pkg.module:function``), ``builtin`` (the default: the built-in real tools) or
``mcp:COMMAND`` (the tools of an MCP server started with COMMAND over stdio).
"""

from __future__ import annotations

import json
from typing import Any

import typer

from toolbench.errors import InputError

CATALOG_HELP = "Catalog: files, folders, file.py, pkg.module:function, 'builtin' (default) or 'mcp:COMMAND'."
EXECUTOR_HELP = "Executor kind: builtin, python, virtual, http, mcp, auto (default: chosen from the catalog)."

tools_app = typer.Typer(help="List the tools of a catalog and call them.", no_args_is_help=True)


def resolve_catalog(sources: list[str] | None) -> tuple[Any, str, dict[str, Any]]:
    """``(catalog, default executor kind, executor options)`` for ``--catalog`` values."""
    from toolbench.builtin_world import builtin_specs
    from toolbench.catalog import Catalog

    sources = list(sources or ["builtin"])
    mcp = [s for s in sources if s.startswith("mcp:")]
    if mcp:
        if len(sources) > 1:
            raise InputError("an mcp: catalog cannot be combined with other catalogs")
        from toolbench.executors.mcp_client import mcp_catalog

        command = mcp[0][len("mcp:"):].strip()
        return mcp_catalog(command), "mcp", {"command": command}
    files = [s for s in sources if s != "builtin"]
    specs = builtin_specs() if "builtin" in sources else []
    if files:
        from toolbench.loaders import load_catalog

        specs.extend(load_catalog(files))
    kind = "builtin" if not files else "auto"
    return Catalog(specs), kind, {}


def parse_options(items: list[str] | None) -> dict[str, Any]:
    """``key=value`` pairs; values are JSON when they parse (``timeout=5``, ``allow_private=true``).

    >>> parse_options(["timeout=5", "server_url=http://x/virtual", "headers_env={\\"K\\": \\"ENV\\"}"])
    {'timeout': 5, 'server_url': 'http://x/virtual', 'headers_env': {'K': 'ENV'}}
    """
    options: dict[str, Any] = {}
    for item in items or []:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"executor options are key=value, not {item!r}", field="--option")
        try:
            options[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            options[key.strip()] = value
    return options


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
    option: list[str] = typer.Option(None, "--option", "-o", help="Executor option key=value (repeatable)."),
    as_json: bool = typer.Option(False, "--json", help="Print the whole observation as JSON."),
) -> None:
    """Call one function and print the observation the model would see."""
    from toolbench.executors import build_executor
    from toolbench.types import ToolCall

    try:
        arguments = json.loads(args)
    except json.JSONDecodeError as exc:
        raise InputError(f"not valid JSON ({exc.msg})", field="--args") from exc
    cat, kind, options = resolve_catalog(catalog)
    options.update(parse_options(option))
    with build_executor(executor or kind, cat, **options) as runner:
        observation = runner.call(ToolCall("call_0", name, arguments))
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
