"""Scripted backend (queues, JSONL, trajectory replay) and the SQLite LLM-call cache."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import sqlite3

import pytest

from toolbench.errors import BackendError, InputError
from toolbench.models import load_chat_model
from toolbench.models.cache import CachedChatModel, CallCache
from toolbench.models.local_server import LocalOpenAIServer
from toolbench.models.scripted import ScriptedModel, ScriptExhaustedError
from toolbench.store import write_jsonl
from toolbench.types import AssistantMessage, Message, ToolCall, Trajectory


def test_queue_serves_in_order_then_raises():
    model = load_chat_model("scripted:", replies=[
        {"content": "one"},
        AssistantMessage(tool_calls=[ToolCall("c", "f", {"x": 1})]),
    ])
    assert model.generate([Message("user", "a")]).content == "one"
    second = model.generate([Message("user", "b")], tools=[{"type": "function"}], temperature=0.5)
    assert second.tool_calls[0].arguments == {"x": 1} and second.usage.llm_calls == 1
    assert model.calls[1]["opts"] == {"temperature": 0.5}
    with pytest.raises(ScriptExhaustedError, match="all 2 queued replies were used") as info:
        model.generate([Message("user", "c")])
    assert isinstance(info.value, BackendError)


def test_jsonl_file_with_openai_shaped_messages(tmp_path):
    path = tmp_path / "replies.jsonl"
    path.write_text(
        json.dumps({"role": "assistant", "content": None, "tool_calls": [
            {"id": "x1", "type": "function", "function": {"name": "f", "arguments": '{"q": "hi"}'}}]}) + "\n"
        + json.dumps({"content": "done"}) + "\n"
    )
    model = load_chat_model(f"scripted:{path}")
    first = model.generate([])
    assert (first.tool_calls[0].id, first.tool_calls[0].arguments) == ("x1", {"q": "hi"})
    assert model.generate([]).content == "done" and model.remaining == 0


def test_bad_script_names_the_record(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"content": "ok"}\n{"tool_calls": [{"arguments": {}}]}\n')
    with pytest.raises(InputError, match="record 2"):
        load_chat_model(f"scripted:{path}")


def test_trajectory_replay_by_conversation(tmp_path):
    call = ToolCall("c1", "add", {"a": 1})
    messages = [
        Message("system", "sys"), Message("user", "1+?"),
        Message("assistant", None, [call]), Message("tool", "2", tool_call_id="c1", name="add"),
        Message("assistant", "It is 2."),
    ]
    traj = Trajectory(query_id="q1", query="1+?", method="cot", messages=messages)
    path = write_jsonl(tmp_path / "traj.jsonl", [traj.to_dict()])
    model = load_chat_model(f"scripted:{path}")
    # asked out of order: the conversation, not the position, selects the reply
    assert model.generate(messages[:4]).content == "It is 2."
    assert model.generate(messages[:2]).tool_calls[0].name == "add"
    with pytest.raises(ScriptExhaustedError):
        model.generate([Message("user", "unrecorded")])


def test_cache_hit_skips_the_model(tmp_path):
    inner = ScriptedModel(replies=[{"content": "first"}, {"content": "second"}])
    model = CachedChatModel(inner, tmp_path / "llm.sqlite")
    msgs = [Message("user", "hi")]
    assert model.generate(msgs, temperature=0).content == "first"
    assert model.generate(msgs, temperature=0).content == "first"  # hit: inner not asked
    assert model.generate(msgs, temperature=1).content == "second"  # other decoding params: miss
    assert model.stats() == {"cache_hits": 1, "cache_misses": 2} and inner.remaining == 0
    mode = sqlite3.connect(tmp_path / "llm.sqlite").execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def test_cache_is_shared_across_instances_and_via_env(tmp_path, monkeypatch):
    monkeypatch.setenv("TOOLBENCH_LLM_CACHE", str(tmp_path / "c.sqlite"))
    first = load_chat_model("scripted:", replies=[{"content": "A"}])
    assert first.generate([Message("user", "q")]).content == "A"
    again = load_chat_model("scripted:", replies=[])  # empty queue: would raise without the cache
    assert again.generate([Message("user", "q")]).content == "A"
    assert isinstance(load_chat_model("scripted:", cache=""), ScriptedModel)


def test_cache_does_not_store_errors(tmp_path):
    with LocalOpenAIServer([{"status": 500}, {"content": "ok"}]) as server:
        model = load_chat_model("openai:m", base_url=server.base_url, max_retries=0, cache=tmp_path / "c.sqlite")
        with pytest.raises(BackendError):
            model.generate([Message("user", "x")])
        assert model.generate([Message("user", "x")]).content == "ok"
        assert asyncio.run(model.agenerate([Message("user", "x")])).content == "ok"  # async hit
        assert len(server.requests) == 2


def _writer(path: str, worker: int, n: int) -> None:
    cache = CallCache(path)
    for i in range(n):
        cache.put(f"{worker}-{i}", "m", AssistantMessage(content=f"{worker}:{i}"))


def test_cache_writes_from_several_processes_lose_nothing(tmp_path):
    path = str(tmp_path / "shared.sqlite")
    CallCache(path)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, w, 50)) for w in range(3)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert [p.exitcode for p in procs] == [0, 0, 0]
    cache = CallCache(path)
    assert len(cache) == 150 and cache.get("2-49").content == "2:49"
