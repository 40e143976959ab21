"""The mcp executor against a tiny MCP server script launched over stdio."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("mcp")

from toolbench.executors import build_executor  # noqa: E402
from toolbench.executors.mcp_client import mcp_catalog  # noqa: E402
from toolbench.types import ObservationStatus, Provenance, ToolCall  # noqa: E402

SERVER = '''
import time
try:
    from mcp.server.mcpserver import MCPServer
except ImportError:  # mcp 1.x
    from mcp.server.fastmcp import FastMCP as MCPServer

app = MCPServer("tiny-server")


@app.tool()
def add(a: int, b: int = 1) -> int:
    """Add two integers."""
    return a + b


@app.tool()
def describe(name: str) -> dict:
    """Describe a name."""
    return {"name": name, "length": len(name)}


@app.tool()
def fail(message: str) -> str:
    """Always fails."""
    raise ValueError(message)


@app.tool()
def nap(seconds: float) -> str:
    """Sleeps."""
    time.sleep(seconds)
    return "awake"


if __name__ == "__main__":
    app.run()
'''


@pytest.fixture(scope="module")
def server_command(tmp_path_factory: pytest.TempPathFactory) -> str:
    path = Path(tmp_path_factory.mktemp("mcp")) / "tiny_server.py"
    path.write_text(SERVER)
    return f"python {path}"


@pytest.fixture(scope="module")
def executor(server_command: str) -> Iterator:  # type: ignore[type-arg]
    executor = build_executor("mcp", None, command=server_command, timeout=2.0)  # type: ignore[arg-type]
    yield executor
    executor.close()


def test_import_tools_into_a_catalog(server_command: str) -> None:
    catalog = mcp_catalog(server_command, category="Local")
    names = sorted(catalog.name_map)
    assert names == ["add", "describe", "fail", "nap"]
    add = catalog.by_function_name("add")
    assert add is not None and add.id == "Local::tiny-server::add" and add.description == "Add two integers."
    assert add.required == ["a"] and add.parameters["properties"]["a"]["type"] == "integer"


def test_calls_results_and_errors(executor) -> None:  # type: ignore[no-untyped-def]
    obs = executor.call(ToolCall("c1", "add", {"a": "2", "b": 5}))
    assert obs.ok and obs.response == 7 and obs.provenance == Provenance.REAL and obs.coercions
    obs = executor.call(ToolCall("c2", "describe", {"name": "Ada"}))
    assert obs.response == {"name": "Ada", "length": 3}
    assert json.loads(obs.content)["response"] == {"name": "Ada", "length": 3}
    failed = executor.call(ToolCall("c3", "fail", {"message": "boom"}))
    assert failed.status == ObservationStatus.REQUEST_FAILED and failed.error
    assert executor.call(ToolCall("c4", "add", {})).status == ObservationStatus.INVALID_INPUT
    assert executor.call(ToolCall("c5", "nope", {})).status == ObservationStatus.NO_SUCH_FUNCTION


def test_a_hanging_tool_times_out_and_the_session_survives(executor) -> None:  # type: ignore[no-untyped-def]
    obs = executor.call(ToolCall("c1", "nap", {"seconds": 30}))
    assert obs.status == ObservationStatus.TIMEOUT
    assert executor.call(ToolCall("c2", "add", {"a": 1})).response == 2
