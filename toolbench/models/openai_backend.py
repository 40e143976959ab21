"""The ``openai`` backend: any OpenAI-compatible chat-completions server.

``openai:MODEL`` talks to OpenAI, vLLM, SGLang, llama.cpp, Ollama or
:mod:`toolbench.models.local_server` through the ``openai`` SDK. The server is
``base_url`` (option) or ``$TOOLBENCH_OPENAI_BASE_URL`` / ``$OPENAI_BASE_URL``; the key
is read from the environment (``api_key_env``, default ``TOOLBENCH_OPENAI_API_KEY`` then
``OPENAI_API_KEY``) — an ``api_key`` option is accepted but never logged or described.

Failures are typed: connection errors, timeouts and 408/409/429/5xx are retried by the
SDK's own machinery (``max_retries``; exponential backoff with jitter, ``Retry-After``
honoured); replies that are not chat completions, which the SDK accepts, are retried here
(``backoff * 2**n`` with jitter); then :class:`~toolbench.errors.BackendError`. Other 4xx
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
        base_url: str | None = None,
        api_key: str | None = None,
        api_key_env: str | None = None,
        server: str | None = None,
        capabilities: dict[str, Any] | None = None,
        timeout: float = 60.0,
        max_retries: int = 3,
        backoff: float = 0.5,
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
        self.base_url = base_url or _first_env(BASE_URL_ENVS)
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
        self._client: Any = None
        self._aclients: dict[int, Any] = {}
        self.counters = {"calls": 0, "requests": 0, "failures": 0}
        self._count_lock = threading.Lock()

    # -- clients ---------------------------------------------------------------------------
    def _client_kwargs(self) -> dict[str, Any]:
        # the SDK retries transport failures and retryable statuses itself (jitter, Retry-After)
        return {"base_url": self.base_url, "api_key": self._api_key, "timeout": self.timeout,
                "max_retries": self.max_retries}

    def _count(self, key: str) -> None:
        with self._count_lock:
            self.counters[key] += 1

    def _request_sent(self, request: Any) -> None:
        """httpx event hook: one HTTP request left (the SDK's retries included)."""
        self._count("requests")

    async def _arequest_sent(self, request: Any) -> None:
        self._count("requests")

    def client(self) -> Any:
        if self._client is None:
            from openai import DefaultHttpxClient, OpenAI

            hooks = {"request": [self._request_sent]}
            self._client = OpenAI(**self._client_kwargs(), http_client=DefaultHttpxClient(event_hooks=hooks))
        return self._client

    def aclient(self) -> Any:
        loop = id(asyncio.get_running_loop())
        if loop not in self._aclients:  # an AsyncOpenAI client belongs to one event loop
            from openai import AsyncOpenAI, DefaultAsyncHttpxClient

            hooks = {"request": [self._arequest_sent]}
            self._aclients[loop] = AsyncOpenAI(**self._client_kwargs(),
                                               http_client=DefaultAsyncHttpxClient(event_hooks=hooks))
        return self._aclients[loop]

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
        """``_Retryable`` for replies worth asking again; ``BackendError`` for the rest (the
        SDK has already retried transport failures and retryable statuses)."""
        import openai

        if isinstance(exc, _Retryable):
            return exc
        if isinstance(exc, (openai.APITimeoutError, openai.APIConnectionError)):
            return self._give_up(f"{type(exc).__name__}: {exc}", self.max_retries + 1)
        if isinstance(exc, openai.APIStatusError):
            if exc.status_code in RETRY_STATUS:
                return self._give_up(f"HTTP {exc.status_code}: {exc.message}", self.max_retries + 1)
            return BackendError(f"{self.name}: server refused the request (HTTP {exc.status_code}): {exc.message}")
        if isinstance(exc, (openai.APIResponseValidationError, json.JSONDecodeError, ValueError, TypeError)):
            return _Retryable(f"unusable reply ({type(exc).__name__}: {exc})")
        return exc

    def _give_up(self, last: Exception | str, attempts: int) -> BackendError:
        self._count("failures")
        where = self.base_url or "api.openai.com"
        return BackendError(f"{self.name} at {where}: failed after {attempts} attempt(s): {last}")

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
    def generate(
        self, messages: list[Message], tools: list[dict[str, Any]] | None = None, **opts: Any
    ) -> AssistantMessage:
        request, text_format = self.build_request(messages, tools, opts)
        last: Exception = BackendError("no attempt made")
        self._count("calls")
        for attempt in range(self.max_retries + 1):
            time.sleep(self._retry_delay(attempt))
            start = time.perf_counter()
            try:
                response = self.client().chat.completions.create(**request)
                return self.parse_response(response, text_format, self._prefill(request, text_format),
                                           time.perf_counter() - start)
            except Exception as exc:  # noqa: BLE001 - classified by _failed
                last = self._failed(exc, attempt)
        raise self._give_up(last, self.max_retries + 1)

    async def agenerate(
        self, messages: list[Message], tools: list[dict[str, Any]] | None = None, **opts: Any
    ) -> AssistantMessage:
        request, text_format = self.build_request(messages, tools, opts)
        last: Exception = BackendError("no attempt made")
        self._count("calls")
        for attempt in range(self.max_retries + 1):
            await asyncio.sleep(self._retry_delay(attempt))
            start = time.perf_counter()
            try:
                response = await self.aclient().chat.completions.create(**request)
                return self.parse_response(response, text_format, self._prefill(request, text_format),
                                           time.perf_counter() - start)
            except Exception as exc:  # noqa: BLE001 - classified by _failed
                last = self._failed(exc, attempt)
        raise self._give_up(last, self.max_retries + 1)

    # -- bookkeeping -----------------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        return {
            "backend": "openai", "name": self.name, "base_url": self.base_url, "server": self.caps.kind,
            "decoding": {k: v for k, v in self.defaults.items() if v is not None},
        }

    def stats(self) -> dict[str, Any]:
        """HTTP requests sent, retries among them (the SDK's and ours) and calls given up."""
        with self._count_lock:
            counters = dict(self.counters)
        return {"requests": counters["requests"], "retries": max(0, counters["requests"] - counters["calls"]),
                "failures": counters["failures"]}

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
