"""The http executor against servers this test starts on 127.0.0.1."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest

from toolbench.catalog import Catalog
from toolbench.executors import build_executor
from toolbench.types import ApiSpec, ObservationStatus, Provenance, ToolCall


class Handler(BaseHTTPRequestHandler):
    log: list[dict] = []
    failures_left = 0

    def _reply(self, status: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # noqa: N802
        parts = urlsplit(self.path)
        type(self).log.append({"method": "GET", "path": parts.path, "query": parse_qs(parts.query)})
        if parts.path == "/flaky" and type(self).failures_left > 0:
            type(self).failures_left -= 1
            self._reply(503 if type(self).failures_left % 2 else 429, b"busy", {"Retry-After": "0"})
        elif parts.path == "/missing":
            self._reply(404, b"no such thing")
        elif parts.path == "/huge":
            self._reply(200, b"x" * 50_000)
        elif parts.path == "/slow":
            time.sleep(1.0)
            self._reply(200, b"{}")
        elif parts.path == "/text":
            self._reply(200, b"plain words")
        else:
            self._reply(200, json.dumps({"echo": parse_qs(parts.query)}).encode())

    def do_POST(self) -> None:  # noqa: N802
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        key = self.headers.get("toolbench_key")
        type(self).log.append({"method": "POST", "path": self.path, "body": body, "key": key})
        if self.path == "/virtual":
            args = json.loads(body["tool_input"])
            if args.get("q") == "limit":
                reply = {"error": "Rate limit per minute error...", "response": ""}
            else:
                reply = {"error": "", "response": {"tool": body["tool_name"], "api": body["api_name"], "args": args}}
            self._reply(200, json.dumps(reply).encode())
        elif self.path == "/garbage":
            self._reply(200, b"<html>not json</html>")
        else:
            self._reply(200, json.dumps({"posted": body}).encode())

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture()
def server() -> Iterator[str]:
    Handler.log, Handler.failures_left = [], 0
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def api(name: str, path: str, base: str, method: str = "GET", **extra) -> ApiSpec:  # type: ignore[no-untyped-def]
    params = {"type": "object", "properties": {"q": {"type": "string"}, "is_id": {"type": "integer"}}, "required": []}
    return ApiSpec("Data", "Test Tool", name, parameters=params, url=base + path, method=method, **extra)


def catalog(base: str) -> Catalog:
    return Catalog([
        api("Echo", "/echo", base, parameter_aliases={"is_id": "id"}),
        api("Flaky", "/flaky", base), api("Missing", "/missing", base), api("Huge", "/huge", base),
        api("Slow", "/slow", base), api("Text", "/text", base), api("Post", "/post", base, method="POST"),
        api("Garbage", "/garbage", base, method="POST"),
    ])


def make(base: str, **options):  # type: ignore[no-untyped-def]
    options.setdefault("allow_private", True)
    options.setdefault("backoff", 0.01)
    return build_executor("http", catalog(base), **options)


def test_rest_get_uses_original_parameter_names(server: str) -> None:
    obs = make(server).call(ToolCall("c1", "echo_for_test_tool", {"q": "hi", "is_id": "5"}))
    assert obs.ok and obs.provenance == Provenance.REAL
    assert obs.response == {"echo": {"q": ["hi"], "id": ["5"]}}


def test_rest_post_json_and_text_bodies(server: str) -> None:
    executor = make(server)
    assert executor.call(ToolCall("c1", "post_for_test_tool", {"q": "x"})).response == {"posted": {"q": "x"}}
    assert executor.call(ToolCall("c2", "text_for_test_tool", {})).response == "plain words"


def test_retries_with_backoff_on_429_and_503(server: str) -> None:
    Handler.failures_left = 2
    executor = make(server, retries=3)
    obs = executor.call(ToolCall("c1", "flaky_for_test_tool", {}))
    assert obs.ok and executor.stats()["retries"] == 2
    Handler.failures_left = 5
    obs = make(server, retries=1).call(ToolCall("c2", "flaky_for_test_tool", {}))
    assert obs.status in (ObservationStatus.TOO_MANY_REQUESTS, ObservationStatus.REQUEST_FAILED)
    assert "HTTP" in obs.error


def test_http_errors_become_observations(server: str) -> None:
    obs = make(server).call(ToolCall("c1", "missing_for_test_tool", {}))
    assert obs.status == ObservationStatus.NOT_FOUND and "HTTP 404" in obs.error


def test_response_size_limit_and_timeout(server: str) -> None:
    executor = make(server, max_response_bytes=1000, timeout=0.3, retries=0)
    obs = executor.call(ToolCall("c1", "huge_for_test_tool", {}))
    assert obs.ok and len(obs.response) == 1000 and executor.stats()["responses_cut"] == 1
    slow = executor.call(ToolCall("c2", "slow_for_test_tool", {}))
    assert slow.status == ObservationStatus.TIMEOUT


def test_private_targets_are_refused_by_default(server: str) -> None:
    obs = make(server, allow_private=False).call(ToolCall("c1", "echo_for_test_tool", {"q": "x"}))
    assert obs.status == ObservationStatus.REQUEST_FAILED and "private" in obs.error
    assert Handler.log == []


def test_stabletoolbench_virtual_protocol(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLBENCH_KEY", "tb-secret")
    executor = make(server, server_url=server + "/virtual")
    obs = executor.call(ToolCall("c1", "echo_for_test_tool", {"q": "hi", "is_id": 3}))
    assert obs.ok and obs.provenance == Provenance.SIMULATED
    assert obs.response == {"tool": "test_tool", "api": "echo", "args": {"q": "hi", "id": 3}}
    sent = Handler.log[-1]
    assert sent["key"] == "tb-secret" and sent["body"]["category"] == "Data" and sent["body"]["strip"] == ""
    limited = executor.call(ToolCall("c2", "echo_for_test_tool", {"q": "limit"}))
    assert limited.status == ObservationStatus.RATE_LIMIT


def test_server_garbage_and_down(server: str) -> None:
    obs = make(server, server_url=server + "/garbage").call(ToolCall("c1", "echo_for_test_tool", {}))
    assert obs.status == ObservationStatus.ERROR_FIELD
    down = make("http://127.0.0.1:9", server_url="http://127.0.0.1:9/virtual", retries=1)
    obs = down.call(ToolCall("c2", "echo_for_test_tool", {}))
    assert obs.status == ObservationStatus.REQUEST_FAILED and "Request failed" in obs.error


@pytest.mark.parametrize(("address", "routable"), [
    ("8.8.8.8", True), ("2606:4700:4700::1111", True), ("127.0.0.1", False), ("10.0.0.1", False),
    ("100.64.0.1", False), ("100.100.100.200", False), ("169.254.169.254", False), ("0.0.0.0", False),
    ("::1", False), ("fe80::1", False), ("fd00::1", False), ("::ffff:127.0.0.1", False), ("::ffff:8.8.8.8", True),
    ("2002:7f00:1::", False), ("2002:a9fe:a9fe::", False), ("2002:808:808::", True),
    ("64:ff9b::a9fe:a9fe", False), ("64:ff9b::808:808", True), ("224.0.0.1", False), ("ff02::1", False),
    ("::127.0.0.1", False), ("::169.254.169.254", False), ("::10.0.0.1", False),  # IPv4-compatible (::/96)
])
def test_only_globally_routable_addresses_pass(address: str, routable: bool) -> None:
    import ipaddress

    from toolbench.executors.http import is_global_address

    assert is_global_address(ipaddress.ip_address(address)) is routable


def test_the_request_goes_to_the_checked_address(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """DNS rebinding: the name resolves to an allowed address for the check, then elsewhere."""
    import socket

    import toolbench.executors.http as http

    port = urlsplit(server).port
    answers = iter(["127.0.0.1", "10.9.9.9", "10.9.9.9"])
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        if host == "rebind.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (next(answers), 0))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    monkeypatch.setattr(http, "is_global_address", lambda ip: str(ip) == "127.0.0.1")  # the test server counts
    executor = build_executor("http", catalog(f"http://rebind.test:{port}"), timeout=2, retries=0)
    obs = executor.call(ToolCall("c1", "echo_for_test_tool", {"q": "x"}))
    assert obs.ok, obs.error
    assert Handler.log[-1]["query"] == {"q": ["x"]}
    refused = executor.call(ToolCall("c2", "echo_for_test_tool", {"q": "y"}))  # now it resolves to 10.9.9.9
    assert refused.status == ObservationStatus.REQUEST_FAILED and "private" in refused.error
