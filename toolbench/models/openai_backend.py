"""The ``openai`` backend: any OpenAI-compatible chat-completions server.

``openai:MODEL`` talks to OpenAI, vLLM, SGLang, llama.cpp, Ollama or
:mod:`toolbench.models.local_server` through the ``openai`` SDK. The server is
``base_url`` (option) or ``$TOOLBENCH_OPENAI_BASE_URL`` / ``$OPENAI_BASE_URL``: one URL, or
several replicas of the same model as a list or a comma-separated string
(:mod:`toolbench.models.endpoints`: each call goes to the replica with the fewest requests in
flight; one that fails is out for ``cooldown`` seconds and the call moves on); the key
is read from the environment (``api_key_env``, default ``TOOLBENCH_OPENAI_API_KEY`` then
``OPENAI_API_KEY``) — an ``api_key`` option is accepted but never logged or described.

Failures are typed: connection errors, timeouts and 408/409/429/5xx are retried by the
SDK's own machinery (``max_retries``; exponential backoff with jitter, ``Retry-After``
honoured); replies that are not chat completions, which the SDK accepts, are retried here
(``backoff * 2**n`` with jitter); then the next replica is tried, and when none is left
:class:`~toolbench.errors.BackendError`. Other 4xx
raise at once. Tool-call arguments that are not valid JSON become
``AssistantMessage.parse_error`` (a model mistake), never an exception. ``agenerate`` uses
``AsyncOpenAI`` for real concurrency.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import random
import threading
import time
from typing import Any

from toolbench.errors import BackendError, ConfigError
from toolbench.models.base import ChatModel, backends
from toolbench.models.capabilities import ServerCapabilities, capabilities_for, downgrade_tool_choice
from toolbench.models.endpoints import Endpoint, EndpointPool, split_base_urls
from toolbench.models.text_chat import to_text_messages
from toolbench.models.tool_call_text import call_prefill, parse_arguments, parse_tool_calls
from toolbench.types import AssistantMessage, Message, ToolCall, Usage

logger = logging.getLogger(__name__)

BASE_URL_ENVS = ("TOOLBENCH_OPENAI_BASE_URL", "OPENAI_BASE_URL")
KEY_ENVS = ("TOOLBENCH_OPENAI_API_KEY", "OPENAI_API_KEY")
RETRY_STATUS = frozenset({408, 409, 429}) | frozenset(range(500, 600))
DECODING_KEYS = ("temperature", "top_p", "max_tokens", "seed", "stop", "tool_choice", "parallel_tool_calls")


class _Retryable(Exception):
    """Internal: a failure worth another attempt."""


class _EndpointFailed(Exception):
    """Internal: one server failed after every attempt (the call may go to another replica)."""


def _first_env(names: tuple[str, ...]) -> str | None:
    return next((os.environ[n] for n in names if os.environ.get(n)), None)


def backoff_delay(attempt: int, base: float, cap: float = 30.0) -> float:
    """Seconds to wait before retry ``attempt`` (0-based): ``base * 2**attempt``, capped.

    >>> [backoff_delay(i, 0.5) for i in range(4)]
    [0.5, 1.0, 2.0, 4.0]
    """
    return min(cap, base * (2**attempt))


def parse_choice_message(message: Any) -> tuple[str | None, list[ToolCall], str | None]:
    """Content, parsed tool calls and parse errors of an SDK ``ChatCompletionMessage``."""
    calls, errors = [], []
    for index, call in enumerate(getattr(message, "tool_calls", None) or []):
        function = getattr(call, "function", None)
        name = getattr(function, "name", None) or ""
        try:
            arguments = parse_arguments(getattr(function, "arguments", None))
        except (ValueError, json.JSONDecodeError) as exc:
            errors.append(f"tool call {name or index}: arguments are not a JSON object ({exc})")
            continue
        calls.append(ToolCall(id=getattr(call, "id", None) or f"call_{index}", name=name, arguments=arguments))
    return getattr(message, "content", None), calls, "; ".join(errors) or None


@backends.register("openai")
class OpenAIChatModel(ChatModel):
    """Chat completions over HTTP with tools, retries, timeouts and usage."""

    def __init__(
        self,
        name: str,
        *,
        base_url: str | list[str] | None = None,
        api_key: str | None = None,
        api_key_env: str | None = None,
        server: str | None = None,
        capabilities: dict[str, Any] | None = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        backoff: float = 0.5,
        cooldown: float = 30.0,
        temperature: float | None = 0.0,
        top_p: float | None = None,
        max_tokens: int | None = None,
        seed: int | None = None,
        stop: list[str] | None = None,
        tool_choice: Any = None,
        parallel_tool_calls: bool | None = None,
        extra_body: dict[str, Any] | None = None,
    ) -> None:
        if not name:
            raise ConfigError("openai backend: give a model name, e.g. openai:gpt-4o-mini")
        if timeout <= 0 or max_retries < 0 or backoff < 0:
            raise ConfigError("openai backend: timeout must be > 0, max_retries and backoff >= 0")
        self.name = name
        self.base_urls = split_base_urls(base_url or _first_env(BASE_URL_ENVS))
        self.base_url = self.base_urls[0] if self.base_urls else None
        self.pool = EndpointPool(list(self.base_urls) or [None], cooldown=cooldown)
        self._api_key = api_key or _first_env((api_key_env,) if api_key_env else KEY_ENVS)
        if not self._api_key:
            if self.base_url is None:
                raise ConfigError(f"openai backend: set {KEY_ENVS[0]} or {KEY_ENVS[1]} (or give base_url)")
            self._api_key = "EMPTY"  # local servers (vLLM, llama.cpp, Ollama) accept any key
        self.caps: ServerCapabilities = capabilities_for(server, self.base_url, capabilities)
        self.timeout, self.max_retries, self.backoff = float(timeout), int(max_retries), float(backoff)
        self.defaults = {
            "temperature": temperature, "top_p": top_p, "max_tokens": max_tokens, "seed": seed,
            "stop": stop, "tool_choice": tool_choice, "parallel_tool_calls": parallel_tool_calls,
        }
        self.extra_body = dict(extra_body or {})
        self._clients: dict[int, Any] = {}
        self._aclients: dict[tuple[int, int], Any] = {}
        self.counters = {"calls": 0, "requests": 0, "failures": 0}
        self._count_lock = threading.Lock()

    # -- clients ---------------------------------------------------------------------------
    def _client_kwargs(self, endpoint: Endpoint) -> dict[str, Any]:
        # the SDK retries transport failures and retryable statuses itself (jitter, Retry-After)
        return {"base_url": endpoint.url, "api_key": self._api_key, "timeout": self.timeout,
                "max_retries": self.max_retries}

    def _count(self, key: str) -> None:
        with self._count_lock:
            self.counters[key] += 1

    def _request_hook(self, endpoint: Endpoint) -> Any:
        """httpx event hook: one HTTP request left for ``endpoint`` (the SDK's retries included)."""

        def sent(request: Any) -> None:
            self._count("requests")
            self.pool.count_request(endpoint)

        return sent

    def _arequest_hook(self, endpoint: Endpoint) -> Any:
        sent = self._request_hook(endpoint)

        async def asent(request: Any) -> None:
            sent(request)

        return asent

    def client(self, endpoint: Endpoint | None = None) -> Any:
        """The sync SDK client of ``endpoint`` (default: the first server)."""
        endpoint = endpoint or self.pool.endpoints[0]
        if endpoint.index not in self._clients:
            from openai import DefaultHttpxClient, OpenAI

            hooks = {"request": [self._request_hook(endpoint)]}
            self._clients[endpoint.index] = OpenAI(**self._client_kwargs(endpoint),
                                                   http_client=DefaultHttpxClient(event_hooks=hooks))
        return self._clients[endpoint.index]

    def aclient(self, endpoint: Endpoint | None = None) -> Any:
        """The async SDK client of ``endpoint`` for the running event loop."""
        endpoint = endpoint or self.pool.endpoints[0]
        key = (id(asyncio.get_running_loop()), endpoint.index)
        if key not in self._aclients:  # an AsyncOpenAI client belongs to one event loop
            from openai import AsyncOpenAI, DefaultAsyncHttpxClient

            hooks = {"request": [self._arequest_hook(endpoint)]}
            self._aclients[key] = AsyncOpenAI(**self._client_kwargs(endpoint),
                                              http_client=DefaultAsyncHttpxClient(event_hooks=hooks))
        return self._aclients[key]

    # -- request / response ----------------------------------------------------------------
    def build_request(
        self, messages: list[Message], tools: list[dict[str, Any]] | None, opts: dict[str, Any]
    ) -> tuple[dict[str, Any], str | None]:
        """The ``chat.completions.create`` keyword arguments, and the text format if any."""
        unknown = sorted(set(opts) - set(DECODING_KEYS))
        if unknown:
            raise ConfigError(f"openai backend: unknown generate option(s) {', '.join(unknown)}")
        params = {k: v for k, v in {**self.defaults, **opts}.items() if v is not None}
        if not self.caps.seed:
            params.pop("seed", None)
        choice = params.pop("tool_choice", None)
        request: dict[str, Any] = {"model": self.name}
        text_format = None
        if tools and not self.caps.native_tools:
            text_format = self.caps.text_format
            sent = downgrade_tool_choice(choice, self.caps)
            if sent != choice:
                logger.warning("%s server: tool_choice %r sent as %r", self.caps.kind, choice, sent)
            request["messages"] = self._text_messages(messages, tools, text_format, sent)
            params.pop("parallel_tool_calls", None)
        else:
            request["messages"] = [m.to_openai() for m in messages]
            if tools and not (choice == "none" and "none" not in self.caps.tool_choice):
                request["tools"] = tools
                sent = downgrade_tool_choice(choice, self.caps)
                if sent is not None:
                    request["tool_choice"] = sent
                if sent != choice:
                    logger.warning("%s server: tool_choice %r sent as %r", self.caps.kind, choice, sent)
            if not tools or not self.caps.parallel_tool_calls:
                params.pop("parallel_tool_calls", None)
        request.update(params)
        if self.extra_body:
            request["extra_body"] = self.extra_body
        return request, text_format

    def _text_messages(self, messages: list[Message], tools: Any, fmt: str, choice: Any) -> list[dict[str, Any]]:
        out = to_text_messages(messages, tools, fmt)
        if choice == "required" or isinstance(choice, dict):
            name = choice["function"]["name"] if isinstance(choice, dict) else None
            out.append({"role": "assistant", "content": call_prefill(fmt, name)})  # continued by the server
        return out

    def parse_response(self, response: Any, text_format: str | None, prefill: str, seconds: float) -> AssistantMessage:
        choices = getattr(response, "choices", None)
        if not choices or getattr(choices[0], "message", None) is None:
            raise _Retryable(f"reply is not a chat completion: {str(response)[:200]!r}")
        content, calls, error = parse_choice_message(choices[0].message)
        raw = None
        if text_format is not None and not calls:
            raw = prefill + (content or "")
            parsed = parse_tool_calls(raw, text_format)
            content, calls, error = parsed.content, parsed.tool_calls, parsed.parse_error
        usage = getattr(response, "usage", None)
        return AssistantMessage(
            content=content,
            tool_calls=calls,
            usage=Usage(
                llm_calls=1,
                prompt_tokens=int(getattr(usage, "prompt_tokens", 0) or 0),
                completion_tokens=int(getattr(usage, "completion_tokens", 0) or 0),
                seconds=round(seconds, 6),
            ),
            raw=raw,
            parse_error=error,
        )

    def _classify(self, exc: Exception) -> Exception:
        """``_Retryable`` for replies worth asking again; ``_EndpointFailed`` for a server that
        failed (the SDK has already retried transport failures and retryable statuses);
        ``BackendError`` for a refused request."""
        import openai

        if isinstance(exc, _Retryable):
            return exc
        attempts = f"failed after {self.max_retries + 1} attempt(s)"
        if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError)):
            return _EndpointFailed(f"{attempts}: {type(exc).__name__}: {exc}")
        if isinstance(exc, openai.APIStatusError):
            if exc.status_code in RETRY_STATUS:
                return _EndpointFailed(f"{attempts}: HTTP {exc.status_code}: {exc.message}")
            return BackendError(f"{self.name}: server refused the request (HTTP {exc.status_code}): {exc.message}")
        if isinstance(exc, (openai.APIResponseValidationError, json.JSONDecodeError, ValueError, TypeError)):
            return _Retryable(f"unusable reply ({type(exc).__name__}: {exc})")
        return exc

    def _give_up(self, failures: list[tuple[Endpoint, str]]) -> BackendError:
        self._count("failures")
        where = "; ".join(f"{e.url or 'api.openai.com'}: {reason}" for e, reason in failures)
        if len(failures) == 1:
            return BackendError(f"{self.name} at {where}")
        return BackendError(f"{self.name}: every server failed: {where}")

    @staticmethod
    def _prefill(request: dict[str, Any], text_format: str | None) -> str:
        last = request["messages"][-1]
        return last["content"] if text_format and last["role"] == "assistant" else ""

    def _retry_delay(self, attempt: int) -> float:
        """Seconds to wait before ``attempt`` (0-based; 0 for the first), with jitter."""
        if not attempt:
            return 0.0
        return backoff_delay(attempt - 1, self.backoff) * (1 - 0.25 * random.random())

    def _failed(self, exc: Exception, attempt: int) -> Exception:
        """Classify a failed attempt: raise what is not worth retrying, return what is."""
        last = self._classify(exc)
        if not isinstance(last, _Retryable):
            raise last from exc
        logger.warning("%s: attempt %d failed: %s", self.name, attempt + 1, last)
        return last

    # -- generate --------------------------------------------------------------------------
    def _acquire(self, failures: list[tuple[Endpoint, str]]) -> Endpoint:
        """The next endpoint to try, or the ``BackendError`` when every one has failed."""
        try:
            return self.pool.acquire(exclude=[e for e, _ in failures])
        except LookupError:
            raise self._give_up(failures) from None

    def _endpoint_failed(self, endpoint: Endpoint, exc: _EndpointFailed,
                         failures: list[tuple[Endpoint, str]]) -> None:
        self.pool.release(endpoint, failed=True)
        failures.append((endpoint, str(exc)))
        if len(failures) < len(self.pool):
            logger.warning("%s at %s: %s; out for %.0f s, trying another server", self.name, endpoint.url, exc,
                           self.pool.cooldown)

    def _call(self, endpoint: Endpoint, request: dict[str, Any], text_format: str | None) -> AssistantMessage:
        """One call on one server, retrying replies that are not chat completions."""
        last: Exception = _Retryable("no attempt made")
        for attempt in range(self.max_retries + 1):
            time.sleep(self._retry_delay(attempt))
            start = time.perf_counter()
            try:
                response = self.client(endpoint).chat.completions.create(**request)
                return self.parse_response(response, text_format, self._prefill(request, text_format),
                                           time.perf_counter() - start)
            except Exception as exc:  # noqa: BLE001 - classified by _failed
                last = self._failed(exc, attempt)
        raise _EndpointFailed(f"failed after {self.max_retries + 1} attempt(s): {last}")

    async def _acall(self, endpoint: Endpoint, request: dict[str, Any], text_format: str | None) -> AssistantMessage:
        last: Exception = _Retryable("no attempt made")
        for attempt in range(self.max_retries + 1):
            await asyncio.sleep(self._retry_delay(attempt))
            start = time.perf_counter()
            try:
                response = await self.aclient(endpoint).chat.completions.create(**request)
                return self.parse_response(response, text_format, self._prefill(request, text_format),
                                           time.perf_counter() - start)
            except Exception as exc:  # noqa: BLE001 - classified by _failed
                last = self._failed(exc, attempt)
        raise _EndpointFailed(f"failed after {self.max_retries + 1} attempt(s): {last}")

    def generate(
        self, messages: list[Message], tools: list[dict[str, Any]] | None = None, **opts: Any
    ) -> AssistantMessage:
        request, text_format = self.build_request(messages, tools, opts)
        self._count("calls")
        failures: list[tuple[Endpoint, str]] = []
        while True:
            endpoint = self._acquire(failures)
            try:
                reply = self._call(endpoint, request, text_format)
            except _EndpointFailed as exc:
                self._endpoint_failed(endpoint, exc, failures)
                continue
            except BaseException:
                self.pool.release(endpoint)
                raise
            self.pool.release(endpoint)
            return reply

    async def agenerate(
        self, messages: list[Message], tools: list[dict[str, Any]] | None = None, **opts: Any
    ) -> AssistantMessage:
        request, text_format = self.build_request(messages, tools, opts)
        self._count("calls")
        failures: list[tuple[Endpoint, str]] = []
        while True:
            endpoint = self._acquire(failures)
            try:
                reply = await self._acall(endpoint, request, text_format)
            except _EndpointFailed as exc:
                self._endpoint_failed(endpoint, exc, failures)
                continue
            except BaseException:
                self.pool.release(endpoint)
                raise
            self.pool.release(endpoint)
            return reply

    # -- bookkeeping -----------------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        return {
            "backend": "openai", "name": self.name, "server": self.caps.kind,
            "base_url": sorted(self.base_urls) if len(self.base_urls) > 1 else self.base_url,
            "decoding": {k: v for k, v in self.defaults.items() if v is not None},
        }

    def stats(self) -> dict[str, Any]:
        """HTTP requests sent, retries among them (the SDK's and ours, failovers included) and
        calls given up; with several servers also ``endpoints``: calls, HTTP requests and
        failures (times taken out) per server URL."""
        with self._count_lock:
            counters = dict(self.counters)
        out: dict[str, Any] = {"requests": counters["requests"],
                               "retries": max(0, counters["requests"] - counters["calls"]),
                               "failures": counters["failures"]}
        if len(self.pool) > 1:
            out["endpoints"] = self.pool.stats()
        return out

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients = {}
