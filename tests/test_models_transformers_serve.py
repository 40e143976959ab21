"""The openai backend against a third-party OpenAI-compatible server: ``transformers serve``
with the embedded model on 127.0.0.1 (server kind ``transformers``)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

from toolbench.models import load_chat_model
from toolbench.types import Message

pytest.importorskip("fastapi", reason="transformers serve needs its serving extra (fastapi, uvicorn)")
pytestmark = pytest.mark.slow

TOOLS = [{"type": "function", "function": {
    "name": "is_prime", "description": "Whether an integer is a prime number.",
    "parameters": {"type": "object", "properties": {"n": {"type": "integer", "description": "the number"}},
                   "required": ["n"]}}}]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def served(tmp_path_factory):  # type: ignore[no-untyped-def]
    from toolbench.models.hf_models import checkpoint_dir

    checkpoint = checkpoint_dir("smollm2")
    port = _free_port()
    log = tmp_path_factory.mktemp("serve") / "serve.log"
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    command = [sys.executable, "-m", "transformers.cli.transformers", "serve", checkpoint, "--device", "cpu",
               "--dtype", "float32", "--host", "127.0.0.1", "--port", str(port)]
    with open(log, "wb") as out:
        proc = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, env=env)
    base_url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"{base_url}/models", timeout=2):
                    break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"transformers serve did not start:\n{log.read_text()[-3000:]}")
                time.sleep(0.5)
        yield checkpoint, base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_plain_chat_with_usage(served):
    checkpoint, base_url = served
    model = load_chat_model(f"openai:{checkpoint}", base_url=base_url, server="transformers", max_tokens=12,
                            timeout=120)
    reply = model.generate([Message("user", "Say hello.")])
    assert reply.content and reply.parse_error is None and not reply.tool_calls
    assert reply.usage.llm_calls == 1 and reply.usage.prompt_tokens > 0 and reply.usage.completion_tokens > 0
    assert model.stats() == {"requests": 1, "retries": 0, "failures": 0}


def test_tools_go_in_the_prompt_and_calls_are_parsed_from_text(served):
    checkpoint, base_url = served
    model = load_chat_model(f"openai:{checkpoint}", base_url=base_url, server="transformers", max_tokens=48,
                            timeout=120)
    request, text_format = model.build_request([Message("user", "Is 97 prime?")], TOOLS, {"tool_choice": "required"})
    assert text_format == "hermes" and "tools" not in request
    assert request["messages"][-1]["role"] == "user"  # no assistant prefill: the server would not continue it
    assert "is_prime" in request["messages"][0]["content"]
    reply = model.generate([Message("user", "Is 97 prime? Use the tool.")], TOOLS, tool_choice="required")
    # the base model may or may not write a well-formed call; either way it comes back typed
    assert reply.tool_calls or reply.content is not None
    assert all(call.name and isinstance(call.arguments, dict) for call in reply.tool_calls)
