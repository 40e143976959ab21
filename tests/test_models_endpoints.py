"""Several replicas behind one openai model: spreading, failover, cooldown and per-server counts,
against real OpenAI-compatible servers on 127.0.0.1."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from toolbench.errors import BackendError, ConfigError
from toolbench.executors.llm_simulator import LLMSimulator
from toolbench.models import load_chat_model
from toolbench.models.endpoints import EndpointPool, split_base_urls
from toolbench.models.local_server import LocalOpenAIServer
from toolbench.types import ApiSpec, Message


@pytest.fixture
def two():
    with LocalOpenAIServer() as a, LocalOpenAIServer() as b:
        yield a, b


def _model(urls, **opts):
    return load_chat_model("openai:m", base_url=urls, backoff=0.01, **opts)


def _ask(model, text="x"):
    return model.generate([Message("user", text)]).content


def test_sequential_calls_alternate_and_are_counted(two):
    a, b = two
    model = _model([a.base_url, b.base_url])
    assert [_ask(model, f"q{i}") for i in range(10)] == [f"echo: q{i}" for i in range(10)]
    assert len(a.requests) == 5 and len(b.requests) == 5
    stats = model.stats()
    assert stats["endpoints"] == {a.base_url: {"calls": 5, "requests": 5, "failures": 0},
                                  b.base_url: {"calls": 5, "requests": 5, "failures": 0}}
    assert (stats["requests"], stats["retries"], stats["failures"]) == (10, 0, 0)


def test_comma_separated_string_and_environment(two, monkeypatch):
    a, b = two
    monkeypatch.setenv("TOOLBENCH_OPENAI_BASE_URL", f"{a.base_url},{b.base_url}")
    model = load_chat_model("openai:m")
    for _ in range(4):
        _ask(model)
    assert len(a.requests) == 2 and len(b.requests) == 2
    assert model.describe()["base_url"] == sorted([a.base_url, b.base_url])


def test_least_outstanding_sends_more_to_the_faster_server():
    with LocalOpenAIServer(latency=0.4) as slow, LocalOpenAIServer(latency=0.0) as fast:
        model = _model([slow.base_url, fast.base_url])
        with ThreadPoolExecutor(4) as pool:
            replies = list(pool.map(lambda i: _ask(model, f"q{i}"), range(40)))
    assert sorted(replies) == sorted(f"echo: q{i}" for i in range(40))
    # the slow server holds its calls; the workers keep finding the fast one with fewer in flight
    assert len(fast.requests) >= 3 * len(slow.requests) and len(slow.requests) >= 1


def test_stopped_server_fails_over_and_cools_down(two):
    a, b = two
    model = _model([a.base_url, b.base_url], max_retries=1, cooldown=60)
    a.stop()
    start = time.perf_counter()
    assert [_ask(model, f"q{i}") for i in range(8)] == [f"echo: q{i}" for i in range(8)]
    assert time.perf_counter() - start < 10
    assert len(b.requests) == 8
    stats = model.stats()
    # the first call found a down (2 attempts: the SDK retried once), then it was left alone
    assert stats["endpoints"][a.base_url] == {"calls": 1, "requests": 2, "failures": 1}
    assert stats["endpoints"][b.base_url] == {"calls": 8, "requests": 8, "failures": 0}
    assert stats["failures"] == 0  # no call was given up


def test_5xx_server_is_taken_out_then_comes_back_after_the_cooldown(two):
    a, b = two
    a.push(*[{"status": 503, "retry_after": 0}] * 2)
    model = _model([a.base_url, b.base_url], max_retries=1, cooldown=0.5)
    assert _ask(model, "first") == "echo: first"  # a failed twice (503), b answered
    assert [r["messages"][-1]["content"] for r in b.requests] == ["first"]
    _ask(model)
    _ask(model)
    assert len(a.requests) == 2  # cooling down: both calls went to b
    time.sleep(0.6)
    _ask(model)
    _ask(model)
    assert len(a.requests) == 3  # back in rotation
    assert model.stats()["endpoints"][a.base_url]["failures"] == 1


def test_every_server_failing_is_one_backend_error(two):
    a, b = two
    a.push(*[{"status": 500}] * 2)
    b.push(*[{"status": 502}] * 2)
    model = _model([a.base_url, b.base_url], max_retries=1)
    with pytest.raises(BackendError, match="every server failed.*HTTP 50.*HTTP 50"):
        _ask(model)
    assert model.stats()["failures"] == 1
    assert {u: c["failures"] for u, c in model.stats()["endpoints"].items()} == {a.base_url: 1, b.base_url: 1}


def test_refused_request_is_not_failed_over(two):
    a, b = two
    a.push({"status": 400, "message": "bad schema"})
    with pytest.raises(BackendError, match="HTTP 400"):
        _ask(_model([a.base_url, b.base_url]))
    assert len(b.requests) == 0


def test_async_calls_spread_and_fail_over():
    with LocalOpenAIServer(latency=0.2) as a, LocalOpenAIServer(latency=0.2) as b, LocalOpenAIServer() as dead:
        dead.stop()
        model = _model([dead.base_url, a.base_url, b.base_url], max_retries=0)

        async def many():
            return await asyncio.gather(*(model.agenerate([Message("user", f"q{i}")]) for i in range(12)))

        replies = asyncio.run(many())
    assert sorted(r.content for r in replies) == sorted(f"echo: q{i}" for i in range(12))
    assert len(a.requests) + len(b.requests) == 12 and min(len(a.requests), len(b.requests)) >= 4
    assert model.stats()["endpoints"][dead.base_url]["failures"] >= 1


def test_llm_simulator_uses_every_replica(two):
    a, b = two
    for server in two:
        server.push(*[{"content": '{"ok": true}'}] * 2)
    simulator = LLMSimulator("sim", base_url=[a.base_url, b.base_url])
    api = ApiSpec(category="c", tool="T", name="ping", description="Ping.", parameters={"type": "object"})
    assert [simulator.respond(api, {}, []) for _ in range(4)] == [{"ok": True}] * 4
    assert len(a.requests) == 2 and len(b.requests) == 2
    assert set(simulator.stats()["endpoints"]) == {a.base_url, b.base_url}
    simulator.close()


def test_bad_server_lists_are_config_errors():
    with pytest.raises(ConfigError, match="twice"):
        split_base_urls("http://a/v1,http://a/v1")
    with pytest.raises(ConfigError, match="list of URLs"):
        split_base_urls([1, 2])  # type: ignore[list-item]
    with pytest.raises(ConfigError, match="cooldown"):
        EndpointPool(["http://a/v1"], cooldown=-1)


def test_pool_prefers_fewest_outstanding_then_rotates():
    pool = EndpointPool(["a", "b", "c"])
    held = [pool.acquire() for _ in range(3)]
    assert [e.url for e in held] == ["a", "b", "c"]
    pool.release(held[1])
    assert pool.acquire().url == "b"  # the only one with nothing in flight
    with pytest.raises(LookupError):
        pool.acquire(exclude=pool.endpoints)


def test_plan_cli_spreads_queries_over_two_servers(two, tmp_path, capsys):
    import json

    from toolbench.app.cli import main

    a, b = two
    queries = tmp_path / "q.jsonl"
    queries.write_text("".join(json.dumps({"schema_version": 1, "query_id": str(i), "query": f"q{i}",
                                            "api_ids": ["Mathematics::Calculator::calculator"]}) + "\n"
                               for i in range(8)))
    code = main(["plan", str(queries), "--executor", "builtin", "--method", "cot", "--max-actions", "1",
                 "--model", "openai:m", "--model-option", f"base_url={a.base_url},{b.base_url}", "-j", "4",
                 "--out", str(tmp_path / "run")])
    out = capsys.readouterr().out
    assert code == 0 and "8 planned" in out and "errors 0" in out
    assert f"servers: {a.base_url} " in out and f"; {b.base_url} " in out
    assert len(a.requests) + len(b.requests) >= 8 and min(len(a.requests), len(b.requests)) >= 2
