"""The ``hf`` backend: a local transformers causal LM that writes tool calls as text.

``hf:smollm2`` (the default; also ``hf:`` alone) is the embedded SmolLM2-135M-Instruct,
``hf:smollm2-tools`` the same model with the LoRA adapter this project trained to use tools
(package data, with its model card),
``hf:/path/to/checkpoint`` a local transformers directory and ``hf:/path/model.gguf`` a
GGUF file (de-quantised once and cached by :mod:`toolbench.hf_models`). Options:
``adapter`` (PEFT LoRA directory), ``device``/``dtype`` (CPU fp32, CUDA bf16 by default),
``max_new_tokens``, ``temperature`` (0 = greedy), ``top_p``, ``seed`` (sampling is
seeded per call, so equal prompts give equal replies), ``tool_format`` (``auto``:
the chat template's own ``tools=`` support when it has it, else :data:`DEFAULT_TEXT_FORMAT`),
``tool_choice`` (``required`` or a named function pre-fills the start of the call),
``guided`` (default on: tool calls in the ``json`` format are schema-constrained by a grammar
engine, see :mod:`toolbench.models.constrained`; ``optional_args`` all/choose/none, default
``choose`` with an adapter — gold paths write only the arguments a request needs — else
``all``; ``thought`` lets a one-line thought come before the call, default on with an adapter: the
shipped adapter opens a task with a plan line) and
``threads`` (torch CPU threads; default ``$TOOLBENCH_HF_THREADS`` or torch's own default,
all cores: on an idle 2-core machine 2 threads answer a tool call in 0.46 s against 0.76 s
with 1; on a shared, oversubscribed CPU set 1, because OpenMP threads spin-waiting for
each other made 2 threads up to 15x slower there), ``max_batch`` (sequences decoded
together, default 16: on 2 idle cores SmolLM2-135M decodes 12.8 tokens/s at 1 row, 50.0 at 8
and 87.1 at 16, ``python benchmarks/inference.py``) and ``reuse_prefix`` (default on).

Every call runs on one :class:`~toolbench.models.batching.BatchEngine`: concurrent
``generate`` calls (the planner's worker threads, the judges) share batched forward
passes, and each prompt starts from the longest stored token prefix of an earlier
sequence, so the system prompt and tool list of a search (and each parent's history in
DFSDT) are encoded once, not at every step. A LoRA ``adapter`` is merged into the weights
for inference (no extra cost per token).
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from typing import Any

from toolbench.errors import ConfigError
from toolbench.models.base import ChatModel, backends
from toolbench.models.hf_models import EMBEDDED_MODEL, TUNED_MODEL, load_causal_lm, split_model_name
from toolbench.models.kv_slots import common_prefix_length  # noqa: F401 - re-exported
from toolbench.models.text_chat import to_text_messages
from toolbench.models.tool_call_text import TEXT_FORMATS, call_prefill, parse_tool_calls
from toolbench.types import AssistantMessage, Message, Usage

logger = logging.getLogger(__name__)

# the compact ``json`` listing; with it calls are schema-constrained (toolbench.models.constrained)
DEFAULT_TEXT_FORMAT = "json"
STOP_STRINGS = {"hermes": ["</tool_call>"], "react": ["\nObservation:"], "llama3": [], "json": []}
GENERATE_OPTS = ("max_new_tokens", "temperature", "top_p", "seed", "tool_choice", "stop")


def cut_at_stop(text: str, stops: list[str]) -> tuple[str, bool]:
    """Text up to and including the first stop string (kept: it closes the call).

    >>> cut_at_stop('<tool_call>{"a": 1}</tool_call> more', ["</tool_call>"])
    ('<tool_call>{"a": 1}</tool_call>', True)
    >>> cut_at_stop("Thought: x\\nObservation: y", ["\\nObservation:"])
    ('Thought: x', True)
    """
    hits = [(text.find(s), s) for s in stops if s and s in text]
    if not hits:
        return text, False
    pos, stop = min(hits)
    keep = stop if stop.startswith("</") else ""
    return text[:pos] + keep, True


def template_supports_tools(tokenizer: Any) -> bool:
    """Whether the tokenizer's chat template renders a ``tools`` variable."""
    template = getattr(tokenizer, "chat_template", None) or ""
    return isinstance(template, str) and "tools" in template


def hf_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """Messages for ``apply_chat_template(tools=...)``: arguments as dicts, content as str.

    >>> from toolbench.types import ToolCall
    >>> hf_messages([Message("assistant", None, [ToolCall("c", "f", {"x": 1})])])[0]["tool_calls"]
    [{'id': 'c', 'type': 'function', 'function': {'name': 'f', 'arguments': {'x': 1}}}]
    """
    out = []
    for m in messages:
        item: dict[str, Any] = {"role": m.role, "content": m.content or ""}
        if m.tool_calls:
            item["tool_calls"] = [
                {"id": c.id, "type": "function", "function": {"name": c.name, "arguments": c.arguments}}
                for c in m.tool_calls
            ]
        if m.role == "tool":
            item.update({k: v for k, v in (("tool_call_id", m.tool_call_id), ("name", m.name)) if v})
        out.append(item)
    return out


@backends.register("hf")
class HFChatModel(ChatModel):
    """A local transformers chat model with text tool calling (see the module docstring)."""

    def __init__(
        self,
        name: str = "",
        *,
        adapter: str | None = None,
        device: str | None = None,
        dtype: str | None = None,
        max_new_tokens: int = 96,
        temperature: float = 0.0,
        top_p: float = 1.0,
        seed: int = 0,
        tool_format: str = "auto",
        tool_choice: Any = "auto",
        threads: int | None = None,
        reuse_prefix: bool = True,
        guided: bool = True,
        optional_args: str | None = None,
        max_batch: int = 16,
        merge_adapter: bool = True,
        thought: bool | None = None,
    ) -> None:
        if tool_format not in ("auto", "native", *TEXT_FORMATS):
            raise ConfigError(f"hf backend: tool_format must be auto, native or one of {', '.join(TEXT_FORMATS)}")
        if max_new_tokens < 1 or temperature < 0 or not 0 < top_p <= 1 or int(max_batch) < 1:
            raise ConfigError("hf backend: need max_new_tokens >= 1, temperature >= 0, 0 < top_p <= 1, "
                              "max_batch >= 1")
        self.name = name or EMBEDDED_MODEL
        if optional_args not in (None, "all", "choose", "none"):
            raise ConfigError("hf backend: optional_args must be all, choose or none")
        self.adapter, self.reuse_prefix, self.guided, self.thought = adapter, reuse_prefix, guided, thought
        chosen = threads or os.environ.get("TOOLBENCH_HF_THREADS")
        self.threads = int(chosen) if chosen else None
        self.max_batch = int(max_batch)
        base, adapter = split_model_name(self.name, adapter)
        self.adapter = adapter
        # a tuned model learnt which optional arguments to write; a base model writes them all
        self.optional_args = optional_args or ("choose" if adapter is not None else "all")
        # a tuned model may open with the plan line it learnt (one line, then the call)
        self.thought = adapter is not None if thought is None else bool(thought)
        self.model, self.tokenizer = load_causal_lm(base, device=device, dtype=dtype, adapter=adapter)
        if adapter is not None and merge_adapter:
            self.model = self.model.merge_and_unload()
        self.device = str(self.model.device)
        self.native = template_supports_tools(self.tokenizer)
        self.tool_format = tool_format
        self.defaults = {"max_new_tokens": int(max_new_tokens), "temperature": float(temperature),
                         "top_p": float(top_p), "seed": int(seed), "tool_choice": tool_choice, "stop": None}
        self._engine_lock = threading.Lock()
        self._engine: Any = None
        self._grammars: dict[str, str] = {}
        self._end_ids: set[int] | None = None
        self.counters = {"calls": 0, "prompt_tokens": 0, "reused_tokens": 0, "completion_tokens": 0}

    # -- prompt ----------------------------------------------------------------------------
    @property
    def concurrency_hint(self) -> int:
        """Requests worth sending at once: the engine batches up to ``max_batch`` of them."""
        return self.max_batch

    def text_format(self, tools: list[dict[str, Any]] | None) -> str | None:
        """The text format used to render and parse calls; ``None`` = the template's own."""
        if self.tool_format == "native" or (self.tool_format == "auto" and self.native and tools):
            return None
        return DEFAULT_TEXT_FORMAT if self.tool_format == "auto" else self.tool_format

    def build_prompt(
        self, messages: list[Message], tools: list[dict[str, Any]] | None, tool_choice: Any = "auto"
    ) -> tuple[str, str]:
        """(full prompt text, pre-filled start of the reply)."""
        fmt = self.text_format(tools)
        if fmt is None:
            prompt = self.tokenizer.apply_chat_template(
                hf_messages(messages), tools=tools or None, add_generation_prompt=True, tokenize=False
            )
            fmt = "hermes"  # the prefill of native templates (Qwen, Hermes) uses <tool_call>
        else:
            prompt = self.tokenizer.apply_chat_template(
                to_text_messages(messages, tools, fmt), add_generation_prompt=True, tokenize=False
            )
        prefill = ""
        if tools and (tool_choice == "required" or isinstance(tool_choice, dict)):
            prefill = call_prefill(fmt, tool_choice["function"]["name"] if isinstance(tool_choice, dict) else None)
        return prompt + prefill, prefill

    def uses_guided(self, tools: list[dict[str, Any]] | None, tool_choice: Any) -> bool:
        """Whether this call is decoded under the call grammar (:mod:`toolbench.models.constrained`)."""
        return bool(self.guided and tools and tool_choice != "none" and self.text_format(tools) == "json")

    # -- generation ------------------------------------------------------------------------
    @property
    def engine(self) -> Any:
        """The batch engine all calls of this model share (started on first use)."""
        with self._engine_lock:
            if self._engine is None:
                from toolbench.models.batching import BatchEngine
                from toolbench.models.decoding import end_token_ids

                if self.threads is not None:
                    import torch

                    torch.set_num_threads(self.threads)
                self._engine = BatchEngine(self.model, max_batch=self.max_batch,
                                           prefix_tokens=32_768 if self.reuse_prefix else 0)
                self._end_ids = end_token_ids(self.model, self.tokenizer)
            return self._engine

    def _grammar(self, tools: list[dict[str, Any]], tool_choice: Any) -> str:
        """The call grammar for ``tools`` (compiled once per tool list and choice)."""
        from toolbench.models.constrained import call_grammar

        forced = tool_choice["function"]["name"] if isinstance(tool_choice, dict) else None
        functions = [t.get("function", t) for t in tools]
        key = json.dumps([functions, forced], sort_keys=True)
        with self._engine_lock:
            grammar = self._grammars.get(key)
        if grammar is None:
            grammar = call_grammar(functions, forced, self.optional_args, thought=self.thought)
            with self._engine_lock:
                self._grammars[key] = grammar
                while len(self._grammars) > 256:
                    self._grammars.pop(next(iter(self._grammars)))
        return grammar

    def _decode(self, ids: list[int], params: dict[str, Any], stops: list[str],
                tools: list[dict[str, Any]] | None, guided: bool) -> list[int]:
        """New token ids after ``ids``: a schema-guided call or free text."""
        engine = self.engine
        with engine.open(ids) as session:
            self.counters["reused_tokens"] += session.reused
            if guided:
                from toolbench.models.constrained import ConstrainedCall

                grammar = self._grammar(tools or [], params["tool_choice"])
                return ConstrainedCall(session, self.tokenizer, grammar, temperature=params["temperature"],
                                       top_p=params["top_p"], seed=params["seed"],
                                       max_tokens=max(params["max_new_tokens"], 256)).run()
            from toolbench.models.decoding import decode_text

            return decode_text(session, self.tokenizer, max_new_tokens=params["max_new_tokens"],
                               temperature=params["temperature"], top_p=params["top_p"], seed=params["seed"],
                               stops=stops, end_ids=self._end_ids)

    def generate(
        self, messages: list[Message], tools: list[dict[str, Any]] | None = None, **opts: Any
    ) -> AssistantMessage:
        unknown = sorted(set(opts) - set(GENERATE_OPTS))
        if unknown:
            raise ConfigError(f"hf backend: unknown generate option(s) {', '.join(unknown)}")
        params = {**self.defaults, **{k: v for k, v in opts.items() if v is not None}}
        start = time.perf_counter()
        guided = self.uses_guided(tools, params["tool_choice"])
        # a constrained call needs no pre-filled text: the grammar forces what it must
        prompt, prefill = self.build_prompt(messages, tools, "auto" if guided else params["tool_choice"])
        ids = self.tokenizer(prompt, add_special_tokens=False)["input_ids"]
        fmt = self.text_format(tools) or "hermes"
        stops = list(params["stop"] or []) + (STOP_STRINGS[fmt] if tools else [])
        new = self._decode(ids, params, stops, tools, guided)
        text, _ = cut_at_stop(self.tokenizer.decode(new, skip_special_tokens=True), stops)
        return self._reply(prefill + text, tools, len(ids), len(new), time.perf_counter() - start)

    def _reply(self, raw: str, tools: Any, n_prompt: int, n_new: int, seconds: float) -> AssistantMessage:
        usage = Usage(llm_calls=1, prompt_tokens=n_prompt, completion_tokens=n_new, seconds=round(seconds, 6))
        self.counters["calls"] += 1
        self.counters["prompt_tokens"] += n_prompt
        self.counters["completion_tokens"] += n_new
        if not tools:
            return AssistantMessage(content=raw.strip() or None, usage=usage, raw=raw)
        parsed = parse_tool_calls(raw, self.text_format(tools) or "auto", prefix="hf")
        return AssistantMessage(
            content=parsed.content, tool_calls=parsed.tool_calls, usage=usage, raw=raw, parse_error=parsed.parse_error
        )

    # -- bookkeeping -----------------------------------------------------------------------
    def describe(self) -> dict[str, Any]:
        return {
            "backend": "hf", "name": self.name,
            "adapter": "packaged" if self.name == TUNED_MODEL else str(self.adapter) if self.adapter else None,
            "device": self.device, "dtype": str(self.model.dtype).removeprefix("torch."),
            "tool_format": self.tool_format, "native_template_tools": self.native, "guided": self.guided,
            "optional_args": self.optional_args, "thought": self.thought,
            "decoding": {k: v for k, v in self.defaults.items() if v is not None},
        }

    def stats(self) -> dict[str, Any]:
        engine = self._engine
        return {**self.counters, **({"engine": dict(engine.stats)} if engine is not None else {})}

    def close(self) -> None:
        """Stop the batch engine and drop stored prefixes (a later call starts a new one)."""
        with self._engine_lock:
            engine, self._engine = self._engine, None
        if engine is not None:
            engine.shutdown()
