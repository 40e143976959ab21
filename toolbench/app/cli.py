"""The ``toolbench`` command line (thin: parses options, calls library code, prints).

Each command group lives in :mod:`toolbench.app.commands` and has ``register(app)``;
:data:`COMMANDS` lists them in help order. User errors
(:class:`~toolbench.errors.ToolbenchError`) print one line and exit with their code (2 for
bad input); ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import logging
import sys

import click
import typer

from toolbench import __version__
from toolbench.app.commands import (
    catalog,
    chat,
    data,
    evaluate,
    finetune,
    plan,
    retrieval,
    run,
    toolformer,
    tools,
    view,
)
from toolbench.errors import ToolbenchError

COMMANDS = (catalog, retrieval, tools, chat, plan, evaluate, view, data, finetune, toolformer, run)

app = typer.Typer(
    name="toolbench",
    help="Teach language models to use tools and measure how well they do it.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"toolbench-kit {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Show the version and exit."
    ),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Log debug messages."),
    debug: bool = typer.Option(False, "--debug", help="Show tracebacks for errors."),
) -> None:
    """Teach language models to use tools and measure how well they do it."""
    from rich.console import Console
    from rich.logging import RichHandler

    level = logging.DEBUG if verbose else logging.INFO
    # Logs go to stderr: stdout is for results (``--json`` output, files piped on).
    handler = RichHandler(
        console=Console(stderr=True), show_path=False, show_time=False, markup=False, rich_tracebacks=debug
    )
    logging.basicConfig(level=level, format="%(message)s", handlers=[handler], force=True)
    for noisy in ("httpx", "urllib3", "filelock", "sentence_transformers", "transformers", "faiss", "bm25s"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


for _commands in COMMANDS:
    _commands.register(app)


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script; returns the exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        code = app(args=args, prog_name="toolbench", standalone_mode=False)
    except ToolbenchError as exc:
        if debug:
            raise
        typer.secho(f"error: {exc}", fg="red", err=True)
        return exc.exit_code
    except click.exceptions.ClickException as exc:
        exc.show()
        return exc.exit_code
    except click.exceptions.Exit as exc:
        return exc.exit_code
    except (click.exceptions.Abort, KeyboardInterrupt):
        typer.secho("interrupted", fg="yellow", err=True)
        return 130
    return code if isinstance(code, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
