"""``toolbench chat``: one turn with tools, calls shown and (with --executor) run."""

from __future__ import annotations

import json

import pytest

from toolbench.app.cli import main
from toolbench.models.local_server import LocalOpenAIServer


def _script(tmp_path, *replies):
    path = tmp_path / "replies.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in replies))
    return str(path)


def test_chat_shows_calls_without_running_them(tmp_path, capsys):
    path = _script(tmp_path, {"content": "Let me compute.", "tool_calls": [
        {"name": "calculator", "arguments": {"expression": "37*91"}}]})
    assert main(["chat", "--model", f"scripted:{path}", "What is 37*91?", "--tool", "calculator"]) == 0
    out = capsys.readouterr().out
    assert "Let me compute." in out and '→ calculator({"expression": "37*91"})' in out and "←" not in out


def test_chat_runs_calls_with_an_executor_and_feeds_results_back(tmp_path, capsys):
    path = _script(
        tmp_path,
        {"tool_calls": [{"name": "calculator", "arguments": {"expression": "37*91"}}]},
        {"content": "37*91 = 3367"},
    )
    code = main(["chat", "-m", f"scripted:{path}", "What is 37*91?", "-t", "calculator", "-e", "builtin",
                 "--rounds", "2", "--json"])
    assert code == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines[1]["call"]["name"] == "calculator" and "3367" in lines[1]["observation"]["content"]
    assert lines[2]["reply"]["content"] == "37*91 = 3367"


def test_chat_against_an_openai_compatible_server(capsys):
    with LocalOpenAIServer([{"tool_calls": [{"name": "calculator", "arguments": {"expression": "1+1"}}]}]) as srv:
        code = main(["chat", "-m", "openai:local", "--model-option", f"base_url={srv.base_url}", "1+1?",
                     "-t", "calculator", "--tool-choice", "calculator"])
        sent = srv.requests[0]
    assert code == 0 and "→ calculator" in capsys.readouterr().out
    assert [t["function"]["name"] for t in sent["tools"]] == ["calculator"]
    assert sent["tool_choice"] == "auto"  # generic server kind: a named choice is downgraded


def test_chat_unknown_tool_is_an_input_error(tmp_path, capsys):
    assert main(["chat", "-m", "scripted:", "hi", "-t", "no_such_function"]) == 2
    assert "no function 'no_such_function'" in capsys.readouterr().err


def test_an_unknown_model_name_is_a_clear_error_without_the_hub(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    from toolbench.errors import ConfigError
    from toolbench.models.hf_models import resolve_model_source

    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("the hub must not be contacted")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    for name in ("UNKNOWN", "no-such-org/no-such-model"):
        with pytest.raises(ConfigError, match="smollm2.*smollm2-tools.*gguf.*directory.*cache"):
            resolve_model_source(name)
