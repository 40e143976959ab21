"""The ``mcp`` executor: tools of a Model Context Protocol server over stdio (optional extra ``mcp``).

:class:`MCPConnection` starts the server process and keeps one client session open on an
event loop in a background thread, so the synchronous executor interface can call it.
:func:`mcp_catalog` imports the server's tools as ApiSpecs (native function names, the
server's input schemas); :class:`MCPExecutor` calls them.

    toolbench tools list --catalog mcp:python my_server.py
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import logging
import os
import shlex
import sys
import threading
from collections.abc import Sequence
from typing import Any

from toolbench.catalog import Catalog
from toolbench.errors import ConfigError, MissingDependencyError
from toolbench.executors.base import CatalogExecutor, ToolFailure, executors
from toolbench.executors.observe import DEFAULT_MAX_CHARS
from toolbench.executors.timeouts import ToolTimeout
from toolbench.types import ApiSpec, ObservationStatus, Provenance

logger = logging.getLogger(__name__)

INSTALL_HINT = "the MCP executor needs the 'mcp' package: pip install 'toolbench-kit[mcp]'"


def _field(obj: Any, snake: str, camel: str, default: Any = None) -> Any:
    """An attribute under its mcp 2.x (snake_case) or 1.x (camelCase) name."""
    return getattr(obj, snake, getattr(obj, camel, default))


def parse_command(command: str | Sequence[str]) -> list[str]:
    """A server command as an argument list (a string is split shell-style; ``python`` is this Python).

    >>> parse_command("node server.js --port 1"), parse_command(["python", "s.py"])[0] == sys.executable
    (['node', 'server.js', '--port', '1'], True)
    """
    parts = shlex.split(command) if isinstance(command, str) else [str(p) for p in command]
    if not parts:
        raise ConfigError("the MCP server command is empty")
    if parts[0] in ("python", "python3"):
        parts[0] = sys.executable
    return parts


class MCPConnection:
    """One stdio MCP session, usable from synchronous code."""

    def __init__(
        self, command: str | Sequence[str], *, env: dict[str, str] | None = None, cwd: str | None = None,
        startup_timeout: float = 60.0, server_log: str | None = None,
    ) -> None:
        try:
            import mcp  # noqa: F401
        except ImportError as exc:
            raise MissingDependencyError(INSTALL_HINT) from exc
        self.command = parse_command(command)
        self.env, self.cwd, self.server_log = env, cwd, server_log
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True, name="toolbench-mcp")
        self._thread.start()
        self._session: Any = None
        self._stop: asyncio.Event | None = None
        self._ready: concurrent.futures.Future[Any] = concurrent.futures.Future()
        self._runner = asyncio.run_coroutine_threadsafe(self._serve(), self._loop)
        try:
            self.server_name = self._ready.result(startup_timeout)
        except Exception as exc:
            self.close()
            raise ConfigError(f"cannot start MCP server {' '.join(self.command)!r}: {exc}") from exc

    async def _serve(self) -> None:
        from mcp import ClientSession
        from mcp.client.stdio import StdioServerParameters, stdio_client

        params = StdioServerParameters(
            command=self.command[0], args=self.command[1:], env={**os.environ, **(self.env or {})}, cwd=self.cwd
        )
        errlog = open(self.server_log or os.devnull, "a", encoding="utf-8")  # noqa: SIM115 - closed below
        try:
            async with stdio_client(params, errlog=errlog) as (read, write), ClientSession(read, write) as session:
                init = await session.initialize()
                info = _field(init, "server_info", "serverInfo")
                self._session, self._stop = session, asyncio.Event()
                self._ready.set_result(getattr(info, "name", None) or "mcp")
                await self._stop.wait()
        except BaseException as exc:
            if not self._ready.done():
                self._ready.set_exception(exc if isinstance(exc, Exception) else RuntimeError(repr(exc)))
            if not isinstance(exc, (asyncio.CancelledError, Exception)):
                raise
        finally:
            errlog.close()

    def run(self, coroutine: Any, timeout: float | None) -> Any:
        future = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise ToolTimeout(f"the MCP server did not answer within {timeout:g} s") from None

    def list_tools(self, timeout: float = 60.0) -> list[Any]:
        return list(self.run(self._session.list_tools(), timeout).tools)

    def call_tool(self, name: str, arguments: dict[str, Any], timeout: float) -> Any:
        return self.run(self._session.call_tool(name, arguments), timeout)

    def close(self) -> None:
        if self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            try:
                self._runner.result(10)
            except Exception:  # the server may already be gone
                logger.debug("MCP session ended with an error", exc_info=True)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


def specs_from_tools(tools: list[Any], *, server: str, category: str = "MCP") -> list[ApiSpec]:
    """ApiSpecs for MCP tool descriptions (native names; the server's input schemas)."""
    specs = []
    for item in tools:
        schema = dict(_field(item, "input_schema", "inputSchema", None) or {"type": "object", "properties": {}})
        schema.pop("title", None)
        schema.setdefault("required", [])
        specs.append(ApiSpec(
            category=category, tool=server, name=item.name, description=item.description or "",
            parameters=schema, native_name=item.name, source=f"mcp:{server}",
        ))
    return specs


def mcp_catalog(command: str | Sequence[str], *, category: str = "MCP", **options: Any) -> Catalog:
    """Start the server, import its tools into a :class:`Catalog`, stop the server."""
    connection = MCPConnection(command, **options)
    try:
        return Catalog(specs_from_tools(connection.list_tools(), server=connection.server_name, category=category))
    finally:
        connection.close()


def result_value(result: Any) -> tuple[bool, Any]:
    """``(is_error, value)`` of a CallToolResult: structured content, else JSON or text of the parts."""
    is_error = bool(_field(result, "is_error", "isError", False))
    structured = _field(result, "structured_content", "structuredContent", None)
    texts = [getattr(part, "text", None) or f"<{getattr(part, 'type', 'content')}>" for part in result.content or []]
    if structured is not None and not is_error:
        if isinstance(structured, dict) and set(structured) == {"result"}:
            return False, structured["result"]
        return False, structured
    text = "\n".join(texts)
    try:
        return is_error, json.loads(text)
    except (json.JSONDecodeError, TypeError):
        return is_error, text


@executors.register("mcp")
class MCPExecutor(CatalogExecutor):
    """Calls the tools of one MCP server started with ``command`` (over stdio)."""

    def __init__(
        self,
        catalog: Catalog | None = None,
        *,
        command: str | Sequence[str] = "",
        env: dict[str, str] | None = None,
        cwd: str | None = None,
        server_log: str | None = None,
        timeout: float = 60.0,
        max_observation_chars: int = DEFAULT_MAX_CHARS,
        coerce: bool = True,
    ) -> None:
        if not command:
            raise ConfigError("the mcp executor needs command= (the server command line)")
        self.connection = MCPConnection(command, env=env, cwd=cwd, server_log=server_log)
        if catalog is None:
            catalog = Catalog(specs_from_tools(self.connection.list_tools(), server=self.connection.server_name))
        super().__init__(catalog, timeout=timeout, max_observation_chars=max_observation_chars, coerce=coerce)

    def execute(self, api: ApiSpec, arguments: dict[str, Any]) -> tuple[Any, Provenance]:
        result = self.connection.call_tool(api.name, arguments, self.timeout)
        is_error, value = result_value(result)
        if is_error:
            raise ToolFailure(str(value), ObservationStatus.REQUEST_FAILED, Provenance.REAL)
        return value, Provenance.REAL

    def close(self) -> None:
        self.connection.close()

