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


def huge(n: int) -> int:
    """An integer beyond Python's int -> str limit.

    Args:
        n: Number of digits.
    """
    return 10**n


def odd(n: int) -> object:
    """A response json cannot write (a dict with tuple keys).

    Args:
        n: Anything.
    """
    return {"values": [object()], (1, 2): n}


FUNCTIONS = [add, explode, hang, spin, big, tags, huge, odd]


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
    executor = make(timeout=0.2, isolation="thread")
    start = time.perf_counter()
    obs = executor.call(ToolCall("c1", "hang", {"seconds": 30}))
    assert time.perf_counter() - start < 5
    assert obs.status == ObservationStatus.TIMEOUT and "0.2 s" in obs.error
    assert executor.call(ToolCall("c2", "add", {"a": 1})).ok  # the executor still works
    _release.set()


def pid() -> int:
    """The process id the tool runs in."""
    import os

    return os.getpid()


def stuck_in_c(n: int) -> int:
    """One long C call that holds the interpreter lock (minutes).

    Args:
        n: Digits.
    """
    return round(10**n, -(10**8))


def test_the_default_isolation_kills_a_long_c_call_and_reuses_workers() -> None:
    import os

    specs, table = function_table([add, pid, stuck_in_c])
    executor = build_executor("python", Catalog(specs), functions=table, timeout=1.0)
    assert executor.isolation == "process"
    first = executor.call(ToolCall("c1", "pid", {})).response
    assert first != os.getpid() and executor.call(ToolCall("c2", "pid", {})).response == first  # reused
    start = time.perf_counter()
    obs = executor.call(ToolCall("c3", "stuck_in_c", {"n": 4000}))
    assert obs.status == ObservationStatus.TIMEOUT and "killed" in obs.error
    assert time.perf_counter() - start < 10
    assert executor.call(ToolCall("c4", "add", {"a": 2})).response == 3  # a fresh worker took over
    executor.close()


def test_cancel_stops_calls_in_flight_within_a_second() -> None:
    from concurrent.futures import ThreadPoolExecutor

    specs, table = function_table([add, spin])
    executor = build_executor("python", Catalog(specs), functions=table, timeout=60.0)
    with ThreadPoolExecutor(2) as pool:
        futures = [pool.submit(executor.call, ToolCall(f"c{i}", "spin", {"n": 0})) for i in range(2)]
        time.sleep(0.5)
        start = time.perf_counter()
        executor.cancel()
        observations = [f.result(timeout=30) for f in futures]
    assert time.perf_counter() - start < 5
    assert all(o.status == ObservationStatus.TIMEOUT and "cancelled" in o.error for o in observations)
    assert executor.call(ToolCall("c9", "add", {"a": 1})).response == 2
    executor.close()


def test_a_tool_failure_keeps_its_status_across_processes() -> None:
    from toolbench.executors.base import ToolFailure

    def refuse(x: int) -> int:
        """Refuses.

        Args:
            x: Anything.
        """
        raise ToolFailure("rate limited", ObservationStatus.RATE_LIMIT)

    specs, table = function_table([refuse])
    obs = build_executor("python", Catalog(specs), functions=table).call(ToolCall("c1", "refuse", {"x": 1}))
    assert obs.status == ObservationStatus.RATE_LIMIT and obs.error == "rate limited"


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


@pytest.mark.parametrize("option, value", [
    ("timeout", "abc"), ("timeout", float("inf")), ("timeout", "1e400"), ("timeout", float("nan")), ("timeout", 0),
    ("timeout", True), ("max_observation_chars", 0), ("max_observation_chars", -5), ("max_observation_chars", "x"),
])
def test_limits_are_finite_and_positive(option: str, value: object) -> None:
    """A timeout or size that is not a finite number > 0 is a ConfigError (the CLI's one line, exit 2)."""
    with pytest.raises(ConfigError, match=f"{option} must be a finite number > 0"):
        make(**{option: value})


def test_a_tool_module_that_fails_at_import_is_an_input_error(tmp_path: Path) -> None:
    from toolbench.errors import InputError

    for text in ("raise RuntimeError('boom')\n", "import sys\nsys.exit(3)\n"):
        (tmp_path / "bad_tools.py").write_text(text)
        with pytest.raises(InputError, match="bad_tools.py: importing failed"):
            make(modules=[str(tmp_path / "bad_tools.py")])


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


@pytest.mark.parametrize("isolation", ["process", "thread"])
def test_concurrent_calls_are_counted_exactly(isolation: str) -> None:
    from concurrent.futures import ThreadPoolExecutor

    executor = make(isolation=isolation)
    with ThreadPoolExecutor(8) as pool:
        calls = [ToolCall(f"c{i}", "add", {"a": i, "b": 1}) for i in range(400)]
        results = [obs.response for obs in pool.map(executor.call, calls)]
    assert results == [i + 1 for i in range(400)]
    assert executor.stats()["calls"] == 400 and executor.stats()["real"] == 400


@pytest.mark.parametrize("isolation", ["none", "thread", "process"])
def test_a_response_that_cannot_be_written_is_an_error_observation(isolation: str) -> None:
    executor = make(isolation=isolation)
    obs = executor.call(ToolCall("c1", "huge", {"n": 4400}))
    assert obs.status == ObservationStatus.REQUEST_FAILED and "digits" in obs.error
    json.loads(obs.content)
    odd_status = executor.call(ToolCall("c2", "odd", {"n": 1})).status
    assert odd_status in (ObservationStatus.OK, ObservationStatus.REQUEST_FAILED)
    assert executor.call(ToolCall("c3", "add", {"a": 1})).response == 2


def test_an_unexpected_failure_inside_the_pipeline_is_an_observation(monkeypatch: pytest.MonkeyPatch) -> None:
    import toolbench.executors.base as base

    def broken(*args: object, **kwargs: object) -> None:
        raise RecursionError("deeply nested arguments")

    monkeypatch.setattr(base, "check_arguments", broken)
    obs = make().call(ToolCall("c1", "add", {"a": 1}))
    assert obs.status == ObservationStatus.REQUEST_FAILED and "RecursionError" in obs.error


def test_secrets_in_tool_errors_and_responses_are_masked(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TB_TEST_SERVICE_TOKEN", "hunter2-xyz-secret")

    def echo_key(status: int) -> dict:
        """A service whose error page echoes the key.

        Args:
            status: The HTTP status to fake.
        """
        if status >= 400:
            raise RuntimeError(f"{status}: invalid key hunter2-xyz-secret")
        return {"headers": {"Authorization": "Bearer sk-abcdefghijklmnopqrstu"}, "key": "hunter2-xyz-secret"}

    specs, table = function_table([echo_key])
    executor = build_executor("python", Catalog(specs), functions=table, isolation="thread")
    failed = executor.call(ToolCall("c1", "echo_key", {"status": 401}))
    ok = executor.call(ToolCall("c2", "echo_key", {"status": 200}))
    for obs in (failed, ok):
        assert "hunter2" not in obs.content + obs.error + json.dumps(obs.response) and "sk-abc" not in obs.content
    assert failed.error == "RuntimeError: 401: invalid key ***" and ok.response["key"] == "***"
