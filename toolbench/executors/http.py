"""The ``http`` executor: the StableToolBench virtual-server protocol, or plain REST APIs.

With ``server_url`` every call is ``POST {server_url}`` with ToolBench's body
``{"category", "tool_name", "api_name", "tool_input", "strip", "toolbench_key"}`` and the
server answers ``{"error": ..., "response": ...}``. Without it, each API's own ``url`` and
``method`` from its ToolBench doc are used (GET: query parameters, other methods: JSON
body). Both paths have timeouts, retries with exponential backoff on 429/5xx and
transport errors, a response size limit, and refuse every address that is not globally
routable (``not ip.is_global``; IPv4 inside mapped/6to4/NAT64/Teredo addresses too)
unless ``allow_private=True``. The host is resolved once and the request is pinned to
the checked address (``Host`` header and TLS server name keep the original name). Keys
come only from environment variables named in the options (``key_env``, ``headers_env``).
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import socket
import time
from typing import Any
from urllib.parse import urlsplit

from toolbench.catalog import Catalog
from toolbench.catalog.names import change_name, standardize
from toolbench.errors import ConfigError
from toolbench.executors.base import CatalogExecutor, ToolFailure, executors
from toolbench.executors.observe import DEFAULT_MAX_CHARS
from toolbench.types import ApiSpec, ObservationStatus, Provenance

logger = logging.getLogger(__name__)

RETRY_STATUS = frozenset({429, 500, 502, 503, 504})
_SERVER_ERRORS = (
    ("not working", ObservationStatus.NOT_FOUND),
    ("unauthorized", ObservationStatus.UNAUTHORIZED),
    ("unsubscribed", ObservationStatus.NOT_SUBSCRIBED),
    ("too many requests", ObservationStatus.TOO_MANY_REQUESTS),
    ("rate limit", ObservationStatus.RATE_LIMIT),
    ("message error", ObservationStatus.ERROR_FIELD),
)
_HTTP_STATUS = {401: ObservationStatus.UNAUTHORIZED, 403: ObservationStatus.NOT_SUBSCRIBED,
                404: ObservationStatus.NOT_FOUND, 429: ObservationStatus.TOO_MANY_REQUESTS}


_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_NAT64_LOCAL = ipaddress.ip_network("64:ff9b:1::/48")
_IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d (RFC 4291), :: and ::1 among them
_IP = ipaddress.IPv4Address | ipaddress.IPv6Address


def is_global_address(ip: _IP) -> bool:
    """Whether ``ip`` is globally routable (IPv4 inside mapped, compatible, 6to4, NAT64 or Teredo included).

    >>> [is_global_address(ipaddress.ip_address(a)) for a in ("8.8.8.8", "100.100.100.200", "10.0.0.1")]
    [True, False, False]
    >>> [is_global_address(ipaddress.ip_address(a)) for a in ("::ffff:127.0.0.1", "2002:a00:1::", "64:ff9b::a9fe:a9fe")]
    [False, False, False]
    >>> [is_global_address(ipaddress.ip_address(a)) for a in ("::127.0.0.1", "::1", "::8.8.8.8")]
    [False, False, True]
    """
    if isinstance(ip, ipaddress.IPv6Address):
        embedded: list[ipaddress.IPv4Address] = [a for a in (ip.ipv4_mapped, ip.sixtofour) if a is not None]
        if ip.teredo is not None:
            embedded.extend(ip.teredo)
        if ip in _NAT64 or ip in _IPV4_COMPATIBLE:
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if ip in _NAT64_LOCAL or any(not is_global_address(a) for a in embedded):
            return False
        if embedded:
            return True
    return ip.is_global and not ip.is_multicast


def public_addresses(host: str) -> list[str]:
    """The addresses ``host`` resolves to when every one is global; ``[]`` when any is not.

    >>> public_addresses("127.0.0.1"), public_addresses("10.1.2.3"), public_addresses("169.254.169.254")
    ([], [], [])
    >>> public_addresses("8.8.8.8")
    ['8.8.8.8']
    """
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError, OSError):
        return []
    addresses = list(dict.fromkeys(str(info[4][0]).split("%")[0] for info in infos))
    try:
        if not addresses or not all(is_global_address(ipaddress.ip_address(a)) for a in addresses):
            return []
    except ValueError:
        return []
    return addresses


def is_public_host(host: str) -> bool:
    """Whether every address ``host`` resolves to is globally routable.

    >>> is_public_host("127.0.0.1"), is_public_host("100.64.0.1"), is_public_host("8.8.8.8")
    (False, False, True)
    """
    return bool(public_addresses(host))


def pinned_request(url: str, address: str) -> tuple[str, dict[str, str], dict[str, Any]]:
    """``url`` with its host replaced by the checked ``address``, plus the ``Host`` header and,
    for https, the TLS server name — so the connection goes where the check looked.

    >>> pinned_request("https://api.example.com:8443/v1?q=1", "93.184.216.34")
    ('https://93.184.216.34:8443/v1?q=1', {'Host': 'api.example.com:8443'}, {'sni_hostname': 'api.example.com'})
    >>> pinned_request("http://example.com/x", "2606:2800::1")[0]
    'http://[2606:2800::1]/x'
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if ":" in address else address
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    host_header = f"{host}:{parts.port}" if parts.port else host
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    return parts._replace(netloc=netloc).geturl(), {"Host": host_header}, extensions


def server_error_status(error: str) -> ObservationStatus:
    """The status code of a StableToolBench server error message.

    >>> server_error_status("Rate limit per minute error..."), server_error_status("boom")
    (<ObservationStatus.RATE_LIMIT: 10>, <ObservationStatus.REQUEST_FAILED: 12>)
    """
    lower = error.lower()
    return next((status for text, status in _SERVER_ERRORS if text in lower), ObservationStatus.REQUEST_FAILED)


@executors.register("http")
class HttpExecutor(CatalogExecutor):
    """Calls a StableToolBench server (``server_url``) or each API's REST endpoint."""

    def __init__(
        self,
        catalog: Catalog,
        *,
        server_url: str | None = None,
        key_env: str = "TOOLBENCH_KEY",
        headers_env: dict[str, str] | None = None,
        strip: str = "",
        allow_private: bool = False,
        retries: int = 2,
        backoff: float = 0.5,
        max_response_bytes: int = 1_000_000,
        server_provenance: str = "simulated",
        timeout: float = 30.0,
        max_observation_chars: int = DEFAULT_MAX_CHARS,
        coerce: bool = True,
    ) -> None:
        super().__init__(catalog, timeout=timeout, max_observation_chars=max_observation_chars, coerce=coerce)
        import httpx

        if retries < 0 or backoff < 0 or max_response_bytes <= 0:
            raise ConfigError("http executor: retries and backoff must be >= 0, max_response_bytes > 0")
        self.server_url = server_url
        self.key = os.environ.get(key_env, "")
        self.headers = {name: os.environ.get(env, "") for name, env in (headers_env or {}).items()}
        own = [v for v in (self.key, *self.headers.values()) if len(v) >= 4]  # whatever the variables are called
        self.secrets = sorted({*self.secrets, *own}, key=lambda v: (-len(v), v))
        self.strip, self.allow_private = strip, allow_private
        self.retries, self.backoff, self.max_response_bytes = retries, backoff, max_response_bytes
        self.server_provenance = Provenance(server_provenance)
        self._client = httpx.Client(timeout=timeout, follow_redirects=False)

    # ------------------------------------------------------------------ dispatch

    def execute(self, api: ApiSpec, arguments: dict[str, Any]) -> tuple[Any, Provenance]:
        original = {api.parameter_aliases.get(k, k): v for k, v in arguments.items()}
        if self.server_url:
            return self._virtual_server(api, original), self.server_provenance
        if not api.url:
            raise ToolFailure(f"{api.id} has no URL to call", ObservationStatus.NOT_FOUND)
        method = (api.method or "GET").upper()
        if method == "GET":
            body = self._request(method, api.url, params=original)
        else:
            body = self._request(method, api.url, json=original)
        return _decode(body), Provenance.REAL

    def _virtual_server(self, api: ApiSpec, arguments: dict[str, Any]) -> Any:
        payload = {
            "category": api.category,
            "tool_name": standardize(api.tool),
            "api_name": change_name(standardize(api.name)),
            "tool_input": json.dumps(arguments, ensure_ascii=False),
            "strip": self.strip,
            "toolbench_key": self.key,
        }
        headers = {"toolbench_key": self.key} if self.key else {}
        reply = _decode(self._request("POST", self.server_url or "", json=payload, headers=headers))
        if not isinstance(reply, dict) or "response" not in reply:
            raise ToolFailure("the virtual server answered without a 'response' field", ObservationStatus.ERROR_FIELD)
        error = str(reply.get("error") or "")
        if error:
            raise ToolFailure(error, server_error_status(error), self.server_provenance)
        return reply["response"]

    # ------------------------------------------------------------------ transport

    def _check_target(self, url: str) -> tuple[str, dict[str, str], dict[str, Any]]:
        """Refuse non-http(s) and non-global targets; the request pinned to the checked address.

        The host is resolved once here and the connection goes to that address (DNS
        rebinding between the check and the connection cannot redirect it).
        """
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ToolFailure(f"refusing to call {url!r}: only http(s) URLs", ObservationStatus.REQUEST_FAILED)
        if self.allow_private:
            return url, {}, {}
        host = parts.hostname
        addresses = public_addresses(host)
        if not addresses:
            raise ToolFailure(
                f"refusing to call {host}: a private or otherwise not globally routable address, or "
                "unresolvable (allow_private=True to permit)",
                ObservationStatus.REQUEST_FAILED,
            )
        return pinned_request(url, addresses[0])

    def _request(self, method: str, url: str, **kwargs: Any) -> bytes:
        import httpx

        target, pin_headers, extensions = self._check_target(url)
        headers = {**self.headers, **kwargs.pop("headers", {}), **pin_headers}
        if extensions:
            kwargs["extensions"] = extensions
        for attempt in range(self.retries + 1):
            last = attempt == self.retries
            try:
                status, body, retry_after = self._send(method, target, headers=headers, **kwargs)
            except httpx.TimeoutException as exc:
                if last:
                    raise ToolFailure(f"Timeout error: {exc}", ObservationStatus.TIMEOUT) from None
                retry_after = None
            except httpx.TransportError as exc:
                if last:
                    raise ToolFailure(f"Request failed: {exc}", ObservationStatus.REQUEST_FAILED) from None
                retry_after = None
            else:
                if status < 400:
                    return body
                if status not in RETRY_STATUS or last:
                    text = body[:200].decode("utf-8", "replace")
                    raise ToolFailure(
                        f"HTTP {status}: {text}", _HTTP_STATUS.get(status, ObservationStatus.REQUEST_FAILED)
                    )
            self.count("retries")
            time.sleep(min(retry_after if retry_after is not None else self.backoff * 2**attempt, 30.0))
        raise AssertionError("unreachable")  # pragma: no cover

    def _send(self, method: str, url: str, **kwargs: Any) -> tuple[int, bytes, float | None]:
        with self._client.stream(method, url, **kwargs) as response:
            chunks, size = [], 0
            for chunk in response.iter_bytes():
                chunks.append(chunk)
                size += len(chunk)
                if size > self.max_response_bytes:
                    self.count("responses_cut")
                    break
            body = b"".join(chunks)[: self.max_response_bytes]
            return response.status_code, body, _retry_after(response.headers.get("retry-after"))

    def close(self) -> None:
        self._client.close()


def _retry_after(value: str | None) -> float | None:
    """Seconds from a ``Retry-After`` header (numbers only).

    >>> _retry_after("2"), _retry_after(None), _retry_after("Wed, 21 Oct 2015")
    (2.0, None, None)
    """
    try:
        return max(0.0, float(value)) if value is not None else None
    except ValueError:
        return None


def _decode(body: bytes) -> Any:
    """JSON when the body is JSON, else its text.

    >>> _decode(b'{"a": 1}'), _decode(b"plain")
    ({'a': 1}, 'plain')
    """
    text = body.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text
