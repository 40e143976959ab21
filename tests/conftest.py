"""Shared test fixtures.

- Network: only loopback and Unix sockets may be connected (tests start their own
  servers on 127.0.0.1); anything else fails loudly.
- Offline: the Hugging Face hub is disabled.
- Caches: ``TOOLBENCH_CACHE`` points at one temporary directory per test session, so
  the embedded SmolLM2 is converted once per session and nothing is written outside
  pytest's temporary directories.
- ``shared_data``: ``../shared/data`` beside the project; tests that need it skip when it
  is absent (the product never depends on it).
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
_ALLOWED_HOSTS = {"127.0.0.1", "localhost", "::1"}

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")


def _guarded(original):
    def connect(self, address):  # type: ignore[no-untyped-def]
        if self.family in (socket.AF_INET, socket.AF_INET6):
            host = address[0]
            if host not in _ALLOWED_HOSTS:
                raise OSError(f"tests may only connect to loopback, not {address!r}")
        return original(self, address)

    return connect


socket.socket.connect = _guarded(socket.socket.connect)  # type: ignore[method-assign]
socket.socket.connect_ex = _guarded(socket.socket.connect_ex)  # type: ignore[method-assign]


@pytest.fixture(scope="session", autouse=True)
def _session_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("toolbench-cache")
    os.environ["TOOLBENCH_CACHE"] = str(path)
    return path


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data``; skips the test when it is not there."""
    if not SHARED_DATA.is_dir():
        pytest.skip("../shared/data is not available")
    return SHARED_DATA
