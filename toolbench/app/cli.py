"""The ``toolbench`` command line (thin: parses options, calls library code, prints).

Each command group lives in :mod:`toolbench.app.commands` and has ``register(app)``;
:data:`COMMANDS` lists them in help order. User errors
(:class:`~toolbench.errors.ToolbenchError`) print one line and exit with their code (2 for
bad input); ``--debug`` shows the traceback instead.
"""

from __future__ import annotations

import importlib
import logging
import sys
from types import ModuleType

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
    runs,
    toolformer,
    tools,
    view,
)
from toolbench.errors import ToolbenchError
from toolbench.secrets import RedactingFilter

COMMANDS = (catalog, retrieval, tools, chat, plan, evaluate, view, data, finetune, toolformer, run, runs)

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
    handler.addFilter(RedactingFilter())  # keys echoed by servers never reach the terminal or log files
    logging.basicConfig(level=level, format="%(message)s", handlers=[handler], force=True)
    for noisy in ("httpx", "urllib3", "filelock", "sentence_transformers", "transformers", "faiss", "bm25s"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


for _commands in COMMANDS:
    _commands.register(app)


def _click_modules() -> list[ModuleType]:
    """The click exception modules in use: typer's bundled copy (typer >= 0.29) and/or click."""
    modules = []
    for name in ("typer._click.exceptions", "click.exceptions"):
        try:
            modules.append(importlib.import_module(name))
        except ImportError:
            continue
    return modules


def _classes(name: str, *extra: type) -> tuple[type, ...]:
    found = [getattr(m, name) for m in _click_modules() if isinstance(getattr(m, name, None), type)]
    return tuple(dict.fromkeys([*extra, *found]))


_USAGE_ERRORS = _classes("ClickException")
_NO_ARGS = _classes("NoArgsIsHelpError")
_EXITS = _classes("Exit", typer.Exit)
_ABORTS = _classes("Abort", typer.Abort)


def usage_line(exc: Exception) -> str:
    """One line for a command-line usage error (click prints usage, hints and a box).

    >>> usage_line(ValueError("No such option: --colour"))
    'error: No such option: --colour (see --help)'
    """
    format_message = getattr(exc, "format_message", None)
    message = format_message() if callable(format_message) else str(exc)
    return f"error: {' '.join(str(message).split())} (see --help)"


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
    except _NO_ARGS as exc:
        exc.show()  # type: ignore[attr-defined]  # the help text
        return int(getattr(exc, "exit_code", 2))
    except _USAGE_ERRORS as exc:
        typer.secho(usage_line(exc), fg="red", err=True)
        return int(getattr(exc, "exit_code", 2))
    except _EXITS as exc:
        return int(getattr(exc, "exit_code", 0))
    except (OSError, UnicodeError) as exc:  # an unwritable --out, a directory given as a file, a non-UTF-8 file
        if debug:
            raise
        typer.secho(f"error: {exc}", fg="red", err=True)
        return 2
    except (*_ABORTS, KeyboardInterrupt):
        typer.secho("interrupted", fg="yellow", err=True)
        return 130
    return code if isinstance(code, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
