"""``toolbench chat``: one model turn with tools; shows the calls and runs them on request.

    toolbench chat --model hf:smollm2 "What is 37 * 91?" --tool calculator --executor builtin
    toolbench chat --model openai:gpt-4o-mini --model-option base_url=http://127.0.0.1:8000/v1 "hi"

Without ``--executor`` the tool calls are only shown. With it they are executed and the
observations shown; ``--rounds N`` feeds the observations back for up to N model turns.
"""

from __future__ import annotations

import json
from typing import Any

import typer

from toolbench.app.common import (
    CATALOG_HELP,
    EXECUTOR_HELP,
    EXECUTOR_OPTION,
    MODEL_OPTION,
    open_executor,
    parse_options,
    resolve_catalog,
)
from toolbench.errors import InputError
from toolbench.protocols import ChatModel, Executor
from toolbench.types import AssistantMessage, Message, Observation, ToolCall


def select_tools(catalog: Any, names: list[str] | None) -> list[dict[str, Any]]:
    """OpenAI tool schemas of ``names`` (all functions when empty); unknown names are input errors."""
    if not names:
        return catalog.openai_tools()
    ids = []
    for name in names:
        api = catalog.by_function_name(name)
        if api is None:
            raise InputError(f"no function {name!r} in the catalog (see `toolbench tools list`)", field="--tool")
        ids.append(api.id)
    return catalog.openai_tools(ids)


def tool_choice_value(value: str | None) -> Any:
    """``auto``/``none``/``required`` as is; any other value names a function.

    >>> tool_choice_value("required"), tool_choice_value("calculator")["function"]
    ('required', {'name': 'calculator'})
    """
    if value is None or value in ("auto", "none", "required"):
        return value
    return {"type": "function", "function": {"name": value}}


def _show_reply(reply: AssistantMessage, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({"reply": reply.to_dict()}, ensure_ascii=False, default=str))
        return
    if reply.content:
        typer.echo(reply.content)
    for call in reply.tool_calls:
        typer.secho(f"→ {call.name}({json.dumps(call.arguments, ensure_ascii=False)})", fg="cyan")
    if reply.parse_error:
        typer.secho(f"parse error: {reply.parse_error}", fg="red")
    u = reply.usage
    typer.secho(f"tokens: {u.prompt_tokens} prompt + {u.completion_tokens} completion, {u.seconds:.2f} s",
                fg="bright_black", err=True)


def _show_observation(call: ToolCall, observation: Observation, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps({"call": call.to_dict(), "observation": observation.to_dict()},
                              ensure_ascii=False, default=str))
    else:
        typer.secho(f"← {call.name}: {observation.content}", fg="green" if observation.ok else "red")


def run_chat(model: ChatModel, executor: Executor | None, messages: list[Message], tools: list[dict[str, Any]],
             gen_opts: dict[str, Any], rounds: int, as_json: bool) -> list[Message]:
    """Up to ``rounds`` model turns; calls run through ``executor`` when there is one."""
    for _ in range(rounds):
        reply = model.generate(messages, tools or None, **gen_opts)
        _show_reply(reply, as_json)
        messages.append(reply.to_message())
        if executor is None or not reply.tool_calls:
            break
        for call in reply.tool_calls:
            observation = executor.call(call)
            _show_observation(call, observation, as_json)
            messages.append(Message("tool", observation.content, tool_call_id=call.id, name=call.name))
    return messages


def chat_command(
    prompt: str = typer.Argument(..., help="The user message."),
    model_spec: str = typer.Option("hf:smollm2", "--model", "-m", help="Model spec BACKEND:NAME."),
    model_option: list[str] = MODEL_OPTION,
    catalog: list[str] = typer.Option(None, "--catalog", "-c", help=CATALOG_HELP),
    tool: list[str] = typer.Option(None, "--tool", "-t", help="Offer only this function (repeatable)."),
    no_tools: bool = typer.Option(False, "--no-tools", help="Offer no tools."),
    executor: str | None = typer.Option(None, "--executor", "-e", help=f"Run the calls. {EXECUTOR_HELP}"),
    option: list[str] = EXECUTOR_OPTION,
    system: str | None = typer.Option(None, "--system", help="System message."),
    tool_choice: str | None = typer.Option(None, "--tool-choice", help="auto, none, required or a function name."),
    rounds: int = typer.Option(1, "--rounds", min=1, help="Model turns (with --executor)."),
    cache: str | None = typer.Option(None, "--cache", help="SQLite LLM-call cache file."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON lines instead of text."),
) -> None:
    """One model turn with tools: show the tool calls, and run them with --executor."""
    from toolbench.models import load_chat_model

    tools: list[dict[str, Any]] = []
    resolved = None
    if not no_tools:
        resolved = resolve_catalog(catalog)
        tools = select_tools(resolved.catalog, tool)
    model_opts = parse_options(model_option, "--model-option")
    if cache is not None:
        model_opts["cache"] = cache
    model = load_chat_model(model_spec, **model_opts)
    messages = ([Message("system", system)] if system else []) + [Message("user", prompt)]
    gen_opts = {"tool_choice": tool_choice_value(tool_choice)} if tool_choice and tools else {}
    runner = open_executor(resolved, executor, option) if executor and resolved is not None else None
    try:
        run_chat(model, runner, messages, tools, gen_opts, rounds, as_json)
    finally:
        if runner is not None:
            runner.close()
        model.close()


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("chat")(chat_command)
