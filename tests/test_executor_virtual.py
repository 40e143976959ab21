"""The virtual executor: cache, deterministic simulator, LLM simulator against a local server."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from toolbench.catalog import Catalog
from toolbench.executors import build_executor
from toolbench.executors.cache import ResponseCache
from toolbench.executors.llm_simulator import build_prompt
from toolbench.executors.simulator import Simulator, conforms
from toolbench.types import ApiSpec, ObservationStatus, Provenance, ToolCall

TEMPLATE = {
    "data": {"id": "int", "email": "str", "first_name": "str", "score": "float", "active": "bool"},
    "tags": ["list of str with length 10"],
    "items": [{"url": "str", "width": "int", "_list_length": 2}],
    "next": "NoneType",
    "empty": "empty list",
}
USER = ApiSpec(
    "Data", "Reqres", "User by id", description="A user by id.", template_response=TEMPLATE,
    parameters={"type": "object", "properties": {"id": {"type": "integer"}, "first_name": {"type": "string"}},
                "required": ["id"]},
)
PLAIN = ApiSpec("Data", "Reqres", "Ping", description="No template.")


def catalog() -> Catalog:
    return Catalog([USER, PLAIN])


def test_simulator_follows_the_template_and_echoes_arguments() -> None:
    response = Simulator(0).respond(USER, {"id": 7, "first_name": "Ada"})
    assert conforms(response, TEMPLATE)
    assert response["_simulated"] is True
    assert response["data"]["first_name"] == "Ada"
    assert "@" in response["data"]["email"]
    assert len(response["items"]) == 2 and len(response["tags"]) == 3
    assert Simulator(1).respond(USER, {"id": 7}) != Simulator(0).respond(USER, {"id": 7})
    assert Simulator(0).respond(USER, {"id": 8}) != Simulator(0).respond(USER, {"id": 7})
    generic = Simulator(0).respond(PLAIN, {})
    assert generic["_simulated"] is True and "no response template" in generic["message"]


def test_simulator_is_byte_identical_across_processes() -> None:
    here = json.dumps(Simulator(3).respond(USER, {"first_name": "Ada", "id": 7}))
    code = (
        "import json, sys; sys.path.insert(0, 'tests');"
        "from test_executor_virtual import USER; from toolbench.executors.simulator import Simulator;"
        "print(json.dumps(Simulator(3).respond(USER, {'id': 7, 'first_name': 'Ada'})))"
    )
    root = Path(__file__).resolve().parent.parent
    other = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=root,
        env={"PYTHONHASHSEED": "123", "PATH": ""},
    ).stdout.strip()
    assert other == here


def test_simulator_conforms_on_real_toolbench_templates(shared_data: Path) -> None:
    apis = json.loads((shared_data / "stabletoolbench" / "catalog.json").read_text())
    sim = Simulator(0)
    checked = 0
    for raw in apis:
        template = raw.get("template_response")
        if not template:
            continue
        api = ApiSpec(raw["category_name"], raw["tool_name"], raw["api_name"], template_response=template)
        response = sim.respond(api, {"query": "x"})
        assert conforms(response, template), api.id
        json.dumps(response)
        checked += 1
    assert checked > 1000


def test_virtual_executor_validates_then_simulates(tmp_path: Path) -> None:
    executor = build_executor("virtual", catalog(), cache=tmp_path / "c.sqlite")
    obs = executor.call(ToolCall("c1", "user_by_id_for_reqres", {"id": "7"}))
    assert obs.ok and obs.provenance == Provenance.SIMULATED and obs.coercions
    assert json.loads(obs.content)["response"]["_simulated"] is True
    bad = executor.call(ToolCall("c2", "user_by_id_for_reqres", {}))
    assert bad.status == ObservationStatus.INVALID_INPUT
    stats = executor.stats()
    assert stats["simulated"] == 1 and stats["simulated_deterministic"] == 1 and stats["errors"] == 1


def test_cache_hits_come_first(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path / "c.sqlite")
    cache.put(USER.id, {"id": 7}, {"real": "yes"}, "real")
    executor = build_executor("virtual", catalog(), cache=tmp_path / "c.sqlite")
    obs = executor.call(ToolCall("c1", "user_by_id_for_reqres", {"id": 7}))
    assert obs.provenance == Provenance.CACHE and obs.response == {"real": "yes"}
    assert executor.stats()["cache_hits"] == 1 and executor.stats()["cache"] == 1


def _writer(path: str, worker: int, count: int) -> None:
    cache = ResponseCache(path)
    for n in range(count):
        cache.put("C::T::A", {"worker": worker, "n": n}, {"value": [worker, n]}, "real")
        cache.put("C::T::shared", {"n": n}, {"writer": worker}, "real")  # contended keys
    cache.close()


def test_cache_loses_nothing_under_parallel_processes(tmp_path: Path) -> None:
    path = str(tmp_path / "parallel.sqlite")
    ResponseCache(path).close()
    context = multiprocessing.get_context("spawn")
    workers = [context.Process(target=_writer, args=(path, w, 150)) for w in range(4)]
    for process in workers:
        process.start()
    for process in workers:
        process.join(120)
        assert process.exitcode == 0
    cache = ResponseCache(path)
    assert len(cache) == 4 * 150 + 150
    for worker in range(4):
        for n in range(150):
            assert cache.get("C::T::A", {"n": n, "worker": worker}) == ({"value": [worker, n]}, "real")
    assert cache.get("C::T::shared", {"n": 5})[0]["writer"] in range(4)


class _FakeOpenAI(BaseHTTPRequestHandler):
    replies: list[str] = []
    requests: list[dict] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(body)
        content = type(self).replies.pop(0) if type(self).replies else "{}"
        payload = {
            "id": "x", "object": "chat.completion", "created": 0, "model": body["model"],
            "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": content}}],
        }
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def fake_openai() -> Iterator[str]:
    _FakeOpenAI.replies, _FakeOpenAI.requests = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeOpenAI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_llm_simulator_answers_then_cache(fake_openai: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIM_KEY", "sk-test")
    _FakeOpenAI.replies = ['```json\n{"data": {"id": 7, "email": "ada@example.org"}}\n```', "not json at all"]
    executor = build_executor(
        "virtual", catalog(), cache=tmp_path / "c.sqlite", simulator="llm", llm_model="sim-model",
        llm_base_url=fake_openai, api_key_env="SIM_KEY",
    )
    first = executor.call(ToolCall("c1", "user_by_id_for_reqres", {"id": 7}))
    assert first.provenance == Provenance.SIMULATED and first.response["data"]["email"] == "ada@example.org"
    again = executor.call(ToolCall("c2", "user_by_id_for_reqres", {"id": 7}))
    assert again.provenance == Provenance.CACHE and again.response == first.response
    fallback = executor.call(ToolCall("c3", "user_by_id_for_reqres", {"id": 8}))
    assert fallback.ok and fallback.response["_simulated"] is True
    stats = executor.stats()
    assert (stats["simulated_llm"], stats["cache_hits"], stats["llm_failures"]) == (1, 1, 1)
    assert len(_FakeOpenAI.requests) == 2
    prompt = _FakeOpenAI.requests[1]["messages"][1]["content"]
    assert "Example 1 input:\n{\"id\": 7}" in prompt  # the cached answer became an example
    executor.close()


def test_llm_simulator_prompt_snapshot() -> None:
    text = build_prompt(PLAIN, {"q": "é"}, [({"q": 1}, {"x": 2})])
    assert text == (
        'API documentation:\n{"tool": "Reqres", "tool_description": "", "api": "Ping", "description": '
        '"No template.", "method": null, "parameters": {"type": "object", "properties": {}, "required": []}, '
        '"response_template": null}\nExample 1 input:\n{"q": 1}\nExample 1 response:\n{"x": 2}\n'
        'New input:\n{"q": "é"}\nResponse JSON:'
    )


def test_import_stabletoolbench_cache_folder(tmp_path: Path) -> None:
    from toolbench.executors.cache_import import import_stabletoolbench_cache

    api = ApiSpec(
        "Data, Media", "Reqres Users", "User by id", parameter_aliases={"is_id": "id"},
        parameters={"type": "object", "properties": {"is_id": {"type": "integer"}}, "required": ["is_id"]},
    )
    folder = tmp_path / "tool_response_cache" / "Data_Media" / "reqres_users_for_Data_Media"
    folder.mkdir(parents=True)
    (folder / "user_by_id.json").write_text(json.dumps({
        "{'id': '2'}": {"error": "", "response": "{'data': {'id': 2}}"},
        "{'id': 3}": {"error": "Rate limit per minute error...", "response": ""},
        "not a dict": {"error": "", "response": "x"},
    }))
    (tmp_path / "tool_response_cache" / "Other" / "x_for_Other").mkdir(parents=True)
    (tmp_path / "tool_response_cache" / "Other" / "x_for_Other" / "y.json").write_text("{}")
    cache = ResponseCache(tmp_path / "ours.sqlite")
    counts = import_stabletoolbench_cache(tmp_path / "tool_response_cache", Catalog([api]), cache)
    assert counts == {"files": 1, "imported": 1, "error_entries": 1, "bad_keys": 1, "files_without_api": 1}
    executor = build_executor("virtual", Catalog([api]), cache=tmp_path / "ours.sqlite")
    obs = executor.call(ToolCall("c1", "user_by_id_for_reqres_users", {"is_id": 2}))
    assert obs.provenance == Provenance.CACHE and obs.response == "{'data': {'id': 2}}"
    again = import_stabletoolbench_cache(tmp_path / "tool_response_cache", Catalog([api]), cache)
    assert again["already_cached"] == 1


@pytest.mark.parametrize("damage", ["garbage", "zeroed", "other_table"])
def test_a_corrupt_cache_is_a_clear_error(tmp_path: Path, damage: str) -> None:
    import sqlite3

    from toolbench.errors import InputError

    path = tmp_path / "cache.sqlite"
    cache = ResponseCache(path)
    for i in range(200):
        cache.put("A::B::C", {"i": i}, {"value": "x" * 200}, "real")
    cache.close()
    if damage == "garbage":
        path.write_bytes(b"this is not a database" * 100)
    elif damage == "zeroed":
        data = bytearray(path.read_bytes())
        data[4096:12288] = bytes(8192)  # pages 2-3 zeroed; the header survives
        path.write_bytes(bytes(data))
        for extra in tmp_path.glob("cache.sqlite-*"):
            extra.unlink()
    else:
        path.unlink()
        with sqlite3.connect(path) as db:
            db.execute("CREATE TABLE responses (x TEXT)")
    with pytest.raises(InputError, match="corrupt"):
        ResponseCache(path)
