"""The shared executor pipeline through the python executor: dispatch, validation, timeouts, truncation."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from toolbench.catalog import Catalog
from toolbench.catalog.pyfunc import function_table
from toolbench.errors import ConfigError
from toolbench.executors import build_executor, executor_kinds
from toolbench.executors.observe import observation_content
from toolbench.types import ObservationStatus, Provenance, ToolCall

_release = threading.Event()


def add(a: int, b: int = 1) -> int:
    """Add two integers.

    Args:
        a: First.
        b: Second.
    """
    return a + b


def explode(message: str) -> str:
    """Always fails.

    Args:
        message: What to say.
    """
    raise RuntimeError(message)


def hang(seconds: float) -> str:
    """Sleeps (a tool that hangs).

    Args:
        seconds: How long.
    """
    _release.wait(seconds)
    return "late"


def spin(n: int) -> int:
    """A CPU-bound loop that never ends in time.

    Args:
        n: Ignored.
    """
    while True:
        n += 1


def big(n: int) -> list[int]:
    """A long response.

    Args:
        n: Length.
    """
    return list(range(n))


def tags(labels: list[str], flag: bool = False) -> dict:
    """Echo labels.

    Args:
        labels: Labels.
        flag: A flag.
    """
    return {"labels": labels, "flag": flag}


FUNCTIONS = [add, explode, hang, spin, big, tags]


def make(**options):  # type: ignore[no-untyped-def]
    specs, table = function_table(FUNCTIONS)
    return build_executor("python", Catalog(specs), functions=table, **options)


def test_ok_call_and_observation_shape() -> None:
    obs = make().call(ToolCall("c1", "add", {"a": 2, "b": 5}))
    assert obs.ok and obs.response == 7 and obs.provenance == Provenance.REAL
    assert json.loads(obs.content) == {"error": "", "response": 7}
    assert obs.call_id == "c1" and obs.name == "add" and obs.seconds > 0


def test_unknown_function_is_exact_match_only() -> None:
    executor = make()
    for name in ("ad", "ADD", "add_for_tests", "  add"):
        obs = executor.call(ToolCall("c1", name, {"a": 1}))
        assert obs.status == ObservationStatus.NO_SUCH_FUNCTION and obs.provenance == Provenance.NONE
        assert json.loads(obs.content)["error"] == f"No such function name: {name}"


def test_invalid_arguments_never_reach_the_tool() -> None:
    executor = make()
    for arguments in ({}, {"a": "two"}, {"a": 1, "c": 3}, ["not", "a", "dict"]):
        obs = executor.call(ToolCall("c1", "add", arguments))  # type: ignore[arg-type]
        assert obs.status == ObservationStatus.INVALID_INPUT, arguments
        assert obs.response is None


def test_type_slips_are_coerced_and_recorded() -> None:
    executor = make()
    obs = executor.call(ToolCall("c1", "add", {"a": "3", "b": 2.0}))
    assert obs.ok and obs.response == 5
    assert obs.coercions == ["a: '3' -> 3 (integer)", "b: 2.0 -> 2 (integer)"]
    obs = executor.call(ToolCall("c2", "tags", {"labels": "x", "flag": "true"}))
    assert obs.response == {"labels": ["x"], "flag": True}
    obs = executor.call(ToolCall("c3", "tags", {"labels": '["a", "b"]', "flag": None}))
    assert obs.response == {"labels": ["a", "b"], "flag": False}
    assert "flag: null dropped (optional)" in obs.coercions
    assert make(coerce=False).call(ToolCall("c4", "add", {"a": "3"})).status == ObservationStatus.INVALID_INPUT


def test_a_tool_that_raises_becomes_an_observation() -> None:
    obs = make().call(ToolCall("c1", "explode", {"message": "boom"}))
    assert obs.status == ObservationStatus.REQUEST_FAILED
    assert obs.error == "RuntimeError: boom"


def test_a_tool_that_hangs_times_out_thread() -> None:
    executor = make(timeout=0.2)
    start = time.perf_counter()
    obs = executor.call(ToolCall("c1", "hang", {"seconds": 30}))
    assert time.perf_counter() - start < 5
    assert obs.status == ObservationStatus.TIMEOUT and "0.2 s" in obs.error
    assert executor.call(ToolCall("c2", "add", {"a": 1})).ok  # the executor still works
    _release.set()


def test_a_cpu_bound_tool_is_killed_in_process_isolation() -> None:
    executor = make(timeout=0.5, isolation="process")
    start = time.perf_counter()
    obs = executor.call(ToolCall("c1", "spin", {"n": 0}))
    assert time.perf_counter() - start < 5
    assert obs.status == ObservationStatus.TIMEOUT
    assert executor.call(ToolCall("c2", "add", {"a": 1, "b": 2})).response == 3
    assert executor.call(ToolCall("c3", "explode", {"message": "x"})).error == "RuntimeError: x"


def test_truncation_keeps_valid_json_and_full_response() -> None:
    obs = make(max_observation_chars=100).call(ToolCall("c1", "big", {"n": 500}))
    assert len(obs.content) <= 100
    assert json.loads(obs.content)["response"].endswith("...")
    assert obs.response == list(range(500))
    assert len(make().call(ToolCall("c1", "big", {"n": 500})).content) <= 1024


def test_truncation_of_non_ascii_and_long_errors() -> None:
    text = observation_content("é" * 300, max_chars=50)
    assert len(text) <= 50 and json.loads(text)["response"].startswith("é")
    text = observation_content("", "e" * 2000, max_chars=200)
    assert len(text) <= 200 and json.loads(text)["error"].endswith("...")


def test_stats_count_outcomes() -> None:
    executor = make()
    executor.call(ToolCall("c1", "add", {"a": "1"}))
    executor.call(ToolCall("c2", "nope", {}))
    executor.call(ToolCall("c3", "explode", {"message": "x"}))
    stats = executor.stats()
    assert stats["calls"] == 3 and stats["ok"] == 1 and stats["errors"] == 2 and stats["real"] == 1
    assert stats["coerced"] == 1 and stats["status_no_such_function"] == 1


def test_functions_from_a_module_file(tmp_path: Path) -> None:
    path = tmp_path / "my_tools.py"
    path.write_text(
        "def shout(text: str) -> str:\n"
        "    '''Upper-case a text.\n\n    Args:\n        text: The text.\n    '''\n"
        "    return text.upper()\n"
    )
    from toolbench.catalog.pyfunc import tools_in_module
    from toolbench.executors.python import load_module

    specs, _ = function_table(tools_in_module(load_module(str(path))))
    executor = build_executor("python", Catalog(specs), modules=[str(path)])
    assert executor.call(ToolCall("c1", "shout", {"text": "hi"})).response == "HI"


def test_build_executor_errors() -> None:
    assert {"python", "builtin", "virtual", "http", "mcp"} <= set(executor_kinds())
    with pytest.raises(ConfigError, match="unknown executor"):
        build_executor("teleport", Catalog())
    with pytest.raises(ConfigError, match="unexpected keyword"):
        make(colour="red")
    with pytest.raises(ConfigError, match="isolation"):
        make(isolation="container")


def test_async_tools_run_to_completion() -> None:
    import asyncio

    async def later(x: int) -> int:
        """Async double.

        Args:
            x: A number.
        """
        await asyncio.sleep(0.01)
        return 2 * x

    specs, table = function_table([later])
    obs = build_executor("python", Catalog(specs), functions=table).call(ToolCall("c1", "later", {"x": 4}))
    assert obs.ok and obs.response == 8


def test_concurrent_calls_are_counted_exactly() -> None:
    from concurrent.futures import ThreadPoolExecutor

    executor = make()
    with ThreadPoolExecutor(8) as pool:
        calls = [ToolCall(f"c{i}", "add", {"a": i, "b": 1}) for i in range(400)]
        results = [obs.response for obs in pool.map(executor.call, calls)]
    assert results == [i + 1 for i in range(400)]
    assert executor.stats()["calls"] == 400 and executor.stats()["real"] == 400
