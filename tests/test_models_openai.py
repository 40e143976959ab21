"""The openai backend against a real OpenAI-compatible HTTP server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time

import pytest

from toolbench.errors import BackendError, ConfigError
from toolbench.models import load_chat_model
from toolbench.models.local_server import LocalOpenAIServer
from toolbench.types import Message, ToolCall

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "add",
            "description": "Add two numbers.",
            "parameters": {"type": "object", "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
                           "required": ["a", "b"]},
        },
    }
]


@pytest.fixture
def server():
    with LocalOpenAIServer() as srv:
        yield srv


def _model(srv, **opts):
    return load_chat_model("openai:test-model", base_url=srv.base_url, backoff=0.01, **opts)


def test_tools_and_usage(server):
    server.push({"content": "adding", "tool_calls": [{"name": "add", "arguments": {"a": 2, "b": 3}}]})
    reply = _model(server).generate([Message("user", "what is 2+3?")], TOOLS)
    assert reply.content == "adding"
    assert [(c.name, c.arguments) for c in reply.tool_calls] == [("add", {"a": 2, "b": 3})]
    assert reply.parse_error is None
    assert reply.usage.llm_calls == 1 and reply.usage.prompt_tokens == 3 and reply.usage.completion_tokens > 0
    sent = server.requests[0]
    assert sent["model"] == "test-model" and sent["tools"] == TOOLS and sent["temperature"] == 0.0


def test_history_with_tool_results_is_sent_in_openai_shape(server):
    history = [
        Message("user", "2+3?"),
        Message("assistant", None, [ToolCall("c1", "add", {"a": 2, "b": 3})]),
        Message("tool", '{"error": "", "response": 5}', tool_call_id="c1", name="add"),
    ]
    _model(server).generate(history, TOOLS)
    sent = server.requests[0]["messages"]
    assert sent[1]["tool_calls"][0]["function"] == {"name": "add", "arguments": '{"a":2,"b":3}'}
    assert sent[2] == {"role": "tool", "content": '{"error": "", "response": 5}', "tool_call_id": "c1", "name": "add"}


def test_invalid_argument_json_is_a_parse_error_not_a_crash(server):
    server.push({"tool_calls": [{"name": "add", "arguments": "{a: 2"}, {"name": "add", "arguments": {"a": 1}}]})
    reply = _model(server).generate([Message("user", "x")], TOOLS)
    assert "arguments are not a JSON object" in reply.parse_error
    assert [c.arguments for c in reply.tool_calls] == [{"a": 1}]


def test_500_then_success_is_retried(server):
    server.push({"status": 500}, {"status": 503}, {"content": "fine"})
    model = _model(server, max_retries=3)
    assert model.generate([Message("user", "x")]).content == "fine"
    assert model.stats() == {"requests": 3, "retries": 2, "failures": 0}


def test_retry_after_is_honoured_by_the_sdk_retries(server):
    server.push({"status": 429, "retry_after": 2}, {"content": "fine"})
    model = _model(server, max_retries=1)
    start = time.perf_counter()
    assert model.generate([Message("user", "x")]).content == "fine"
    assert time.perf_counter() - start >= 1.9  # the SDK's own delay would be under a second
    assert model.stats() == {"requests": 2, "retries": 1, "failures": 0}


def test_exhausted_retries_count_every_attempt(server):
    server.push(*[{"status": 503, "retry_after": 0}] * 3)
    model = _model(server, max_retries=2)
    with pytest.raises(BackendError, match="failed after 3 attempt.*HTTP 503"):
        model.generate([Message("user", "x")])
    assert len(server.requests) == 3 and model.stats() == {"requests": 3, "retries": 2, "failures": 1}


def test_garbage_reply_raises_backend_error_after_retries(server):
    server.push(*[{"garbage": "<html>not json</html>"}] * 3)
    model = _model(server, max_retries=2)
    with pytest.raises(BackendError, match="failed after 3 attempt"):
        model.generate([Message("user", "x")])
    assert len(server.requests) == 3


def test_400_is_not_retried(server):
    server.push({"status": 400, "message": "bad tool schema"})
    with pytest.raises(BackendError, match="HTTP 400"):
        _model(server, max_retries=3).generate([Message("user", "x")])
    assert len(server.requests) == 1


def test_timeout_never_hangs(server):
    server.push({"sleep": 1.5}, {"sleep": 1.5})
    model = _model(server, timeout=0.3, max_retries=1)
    start = time.perf_counter()
    with pytest.raises(BackendError, match="Timeout"):
        model.generate([Message("user", "x")])
    assert time.perf_counter() - start < 1.5


def test_async_path_runs_concurrently():
    with LocalOpenAIServer(latency=0.3) as server:
        model = _model(server)

        async def many():
            return await asyncio.gather(*(model.agenerate([Message("user", f"q{i}")]) for i in range(8)))

        start = time.perf_counter()
        replies = asyncio.run(many())
        elapsed = time.perf_counter() - start
    assert sorted(r.content for r in replies) == sorted(f"echo: q{i}" for i in range(8))
    assert elapsed < 8 * 0.3 * 0.6  # overlapping, not serial


def test_async_retries_then_raises(server):
    server.push({"status": 500}, {"status": 500})
    with pytest.raises(BackendError):
        asyncio.run(_model(server, max_retries=1).agenerate([Message("user", "x")]))


def test_tool_choice_downgraded_for_server_kind(server):
    named = {"type": "function", "function": {"name": "add"}}
    _model(server, server="llamacpp").generate([Message("user", "x")], TOOLS, tool_choice=named)
    _model(server, server="ollama").generate([Message("user", "x")], TOOLS, tool_choice="required")
    _model(server, server="vllm").generate([Message("user", "x")], TOOLS, tool_choice=named)
    assert server.requests[0]["tool_choice"] == "required"
    assert server.requests[1]["tool_choice"] == "auto"
    assert server.requests[2]["tool_choice"] == named


def test_text_mode_server_gets_tools_in_prompt_and_calls_are_parsed(server):
    server.push({"content": 'add", "arguments": {"a": 1, "b": 2}}\n</tool_call>'})
    model = _model(server, server="text")
    reply = model.generate([Message("user", "1+2?")], TOOLS, tool_choice="required")
    sent = server.requests[0]
    assert "tools" not in sent and "<tools>" in sent["messages"][0]["content"]
    assert sent["messages"][-1] == {"role": "assistant", "content": '<tool_call>\n{"name": "'}
    assert [(c.name, c.arguments) for c in reply.tool_calls] == [("add", {"a": 1, "b": 2})]


def test_key_and_url_from_environment(server, monkeypatch):
    monkeypatch.setenv("TOOLBENCH_OPENAI_BASE_URL", server.base_url)
    monkeypatch.setenv("TOOLBENCH_OPENAI_API_KEY", "sk-secret-123")
    model = load_chat_model("openai:m")
    assert model.generate([Message("user", "hey")]).content == "echo: hey"
    assert "sk-secret" not in repr(model.describe())


def test_missing_key_for_official_api_is_a_config_error(monkeypatch):
    for name in ("TOOLBENCH_OPENAI_BASE_URL", "OPENAI_BASE_URL", "TOOLBENCH_OPENAI_API_KEY", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(ConfigError, match="OPENAI_API_KEY"):
        load_chat_model("openai:gpt-4o-mini")


def test_unknown_generate_option_is_rejected(server):
    with pytest.raises(ConfigError, match="unknown generate option"):
        _model(server).generate([Message("user", "x")], max_new_tokens=5)
