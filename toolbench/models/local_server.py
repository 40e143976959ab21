"""A small, real OpenAI-compatible HTTP server that serves queued or echoed replies.

Tests and throughput benchmarks point the ``openai`` backend at it instead of mocking
the SDK. It binds to 127.0.0.1 (port 0 = any free port), answers
``POST /v1/chat/completions`` and ``GET /v1/models`` from a thread per request, waits
``latency`` seconds per reply, and records every request body in :attr:`requests`.

Each queued item is one of:

- a reply: ``{"content": ..., "tool_calls": [{"name": ..., "arguments": {...} | "raw"}]}``
  (``arguments`` given as a string is sent verbatim, so invalid JSON can be served);
- ``{"status": 500}`` (an error response with that status and a JSON error body; with
  ``"retry_after": seconds`` it carries a ``Retry-After`` header);
- ``{"garbage": "text"}`` (a 200 response whose body is not a chat completion);
- ``{"sleep": seconds, ...}`` (waits that long, then answers with the rest of the item,
  or with the default when nothing else is given).

When the queue is empty the server answers with ``default``: ``"echo"`` (the last user
message as content) or ``"error"`` (HTTP 500).

>>> with LocalOpenAIServer([{"content": "hi"}]) as server:
...     server.base_url.startswith("http://127.0.0.1:")
True

Run it from a shell: ``python -m toolbench.models.local_server --port 8000 --latency 0.05``.
"""

from __future__ import annotations

import argparse
import json
import logging
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)


def count_tokens(text: str) -> int:
    """A rough, deterministic token count (whitespace words) for the ``usage`` field.

    >>> count_tokens("one two  three"), count_tokens("")
    (3, 0)
    """
    return len(text.split())


def completion_body(reply: dict[str, Any], model: str, prompt_tokens: int, number: int) -> dict[str, Any]:
    """The ``chat.completion`` JSON for one queued reply.

    >>> body = completion_body({"tool_calls": [{"name": "f", "arguments": {"x": 1}}]}, "m", 5, 1)
    >>> body["choices"][0]["finish_reason"], body["choices"][0]["message"]["tool_calls"][0]["function"]
    ('tool_calls', {'name': 'f', 'arguments': '{"x": 1}'})
    """
    calls = [
        {
            "id": call.get("id") or f"call_{number}_{index}",
            "type": "function",
            "function": {
                "name": call["name"],
                "arguments": call["arguments"] if isinstance(call.get("arguments"), str)
                else json.dumps(call.get("arguments") or {}),
            },
        }
        for index, call in enumerate(reply.get("tool_calls") or [])
    ]
    content = reply.get("content")
    message: dict[str, Any] = {"role": "assistant", "content": content}
    if calls:
        message["tool_calls"] = calls
    completion = count_tokens(content or "") + sum(count_tokens(c["function"]["arguments"]) + 1 for c in calls)
    return {
        "id": f"chatcmpl-{number}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [{"index": 0, "message": message, "finish_reason": "tool_calls" if calls else "stop"}],
        "usage": {
            "prompt_tokens": prompt_tokens,
            "completion_tokens": completion,
            "total_tokens": prompt_tokens + completion,
        },
    }


def _prompt_tokens(body: dict[str, Any]) -> int:
    texts = [m.get("content") or "" for m in body.get("messages") or [] if isinstance(m, dict)]
    return sum(count_tokens(t if isinstance(t, str) else json.dumps(t)) for t in texts)


def _last_user_text(body: dict[str, Any]) -> str:
    for message in reversed(body.get("messages") or []):
        if isinstance(message, dict) and message.get("role") == "user":
            return str(message.get("content") or "")
    return ""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default 5 refuses bursts of concurrent async clients


class LocalOpenAIServer:
    """A threaded OpenAI-compatible server on 127.0.0.1; use as a context manager."""

    def __init__(
        self,
        replies: list[dict[str, Any]] | None = None,
        *,
        latency: float = 0.0,
        model: str = "local-model",
        default: str = "echo",
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        if default not in ("echo", "error"):
            raise ValueError("default must be 'echo' or 'error'")
        self.latency, self.model, self.default = latency, model, default
        self.requests: list[dict[str, Any]] = []
        self._queue: deque[dict[str, Any]] = deque(replies or [])
        self._lock = threading.Lock()
        self._count = 0
        self._httpd = _Server((host, port), _handler_class(self))
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}/v1"

    def push(self, *items: dict[str, Any]) -> None:
        """Queue more replies or failures."""
        with self._lock:
            self._queue.extend(items)

    def start(self) -> LocalOpenAIServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="local-openai", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> LocalOpenAIServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def next_action(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        """Record ``body`` and pick what to answer: (request number, queued item)."""
        with self._lock:
            self.requests.append(body)
            self._count += 1
            number = self._count
            item = dict(self._queue.popleft()) if self._queue else {}
        if "sleep" in item:
            time.sleep(float(item.pop("sleep")))  # simulates a slow or hung server
        if not item:
            item = {"content": f"echo: {_last_user_text(body)}"} if self.default == "echo" else {"status": 500}
        return number, item


def _handler_class(server: LocalOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            logger.debug("local server: " + format, *args)

        def _send(self, status: int, payload: bytes, content_type: str = "application/json",
                  headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        def _json(self, status: int, value: Any, headers: dict[str, str] | None = None) -> None:
            self._send(status, json.dumps(value).encode("utf-8"), headers=headers)

        def do_GET(self) -> None:  # noqa: N802 - stdlib naming
            if self.path.rstrip("/").endswith("/models"):
                self._json(200, {"object": "list", "data": [{"id": server.model, "object": "model"}]})
            else:
                self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})

        def do_POST(self) -> None:  # noqa: N802 - stdlib naming
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            if not self.path.rstrip("/").endswith("/chat/completions"):
                self._json(404, {"error": {"message": f"no route {self.path}", "type": "not_found"}})
                return
            try:
                body = json.loads(raw or b"{}")
            except json.JSONDecodeError:
                self._json(400, {"error": {"message": "request body is not JSON", "type": "invalid_request"}})
                return
            if body.get("stream"):
                self._json(400, {"error": {"message": "streaming is not supported", "type": "invalid_request"}})
                return
            number, item = server.next_action(body)
            if server.latency:
                time.sleep(server.latency)
            self._answer(body, number, item)

        def _answer(self, body: dict[str, Any], number: int, item: dict[str, Any]) -> None:
            if "status" in item:
                message = item.get("message", "scripted server error")
                headers = {"Retry-After": str(item["retry_after"])} if "retry_after" in item else None
                self._json(int(item["status"]), {"error": {"message": message, "type": "server_error"}}, headers)
            elif "garbage" in item:
                self._send(200, str(item["garbage"]).encode("utf-8"), "text/plain")
            else:
                reply = completion_body(item, body.get("model") or server.model, _prompt_tokens(body), number)
                self._json(200, reply)

    return Handler


def _load_replies(path: str | None) -> list[dict[str, Any]]:
    if not path:
        return []
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def main(argv: list[str] | None = None) -> None:
    """Serve until interrupted (``python -m toolbench.models.local_server``)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds to wait before each reply")
    parser.add_argument("--replies", help="JSONL file of queued replies (then echo)")
    parser.add_argument("--model", default="local-model")
    args = parser.parse_args(argv)
    server = LocalOpenAIServer(_load_replies(args.replies), latency=args.latency, model=args.model, port=args.port)
    logging.basicConfig(level=logging.INFO)
    logger.info("serving %s", server.base_url)
    try:
        server._httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._httpd.server_close()


if __name__ == "__main__":  # pragma: no cover
    main()
