"""Decoding with tools on a scripted language model (the seam), plus one real-model smoke test."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from data.toolformer.config import DecodeConfig, paper_tool
from data.toolformer.decoding import generate_with_tools
from data.toolformer.linearise import Call
from data.toolformer.tools import ToolRunner
from toolbench.types import Observation, ObservationStatus, ToolCall

VOCAB = ["<eos>", "[", " [", "Calculator", "(", "6*7", "6/0", ")", " ->", "]", " ", "The", " answer", " is",
         " 42", ".", " 4", "2"]


class ScriptedLM:
    """Greedy tokenizer over VOCAB; the next-token ranking is a function of the text so far."""

    def __init__(self, script: dict[str, list[str]], expression: str = "6*7") -> None:
        self.script, self.expression = script, expression
        self.fed: list[list[int]] = []

    def ids(self, text: str) -> list[int]:
        out = []
        while text:
            token = max((t for t in VOCAB if text.startswith(t)), key=len)
            out.append(VOCAB.index(token))
            text = text[len(token):]
        return out

    def decode(self, ids: Sequence[int]) -> str:
        return "".join(VOCAB[i] for i in ids)

    def tokens_containing(self, *needles: str) -> set[int]:
        return {i for i, t in enumerate(VOCAB) if any(n in t for n in needles)}

    @property
    def eos_ids(self) -> set[int]:
        return {0}

    def start(self):  # type: ignore[no-untyped-def]
        from data.toolformer.scoring import DecodeState

        return DecodeState(ids=[])

    def feed(self, state, new_ids: Sequence[int], k: int) -> list[int]:  # type: ignore[no-untyped-def]
        self.fed.append(list(new_ids))
        state.ids.extend(new_ids)
        text = self.decode(state.ids)
        for suffix, ranking in sorted(self.script.items(), key=lambda kv: -len(kv[0])):
            if text.endswith(suffix):
                return [VOCAB.index(t) for t in ranking][:k]
        return [0]

    def rewind(self, state, length: int) -> None:  # type: ignore[no-untyped-def]
        del state.ids[length:]


def script(expression: str = "6*7") -> dict[str, list[str]]:
    return {
        "is": [" 4", " [", " 42"],       # the opener is 2nd: a call starts when k >= 2
        " [": ["Calculator"], "Calculator": ["("], "(": [expression], expression: [")"], ")": [" ->"],
        " ->": [" 4"],                    # what the model would make up; the tool's result replaces it
        "]": [" 42"], " 4": ["2"], "2": ["."], " 42": ["."], ".": ["<eos>"],
    }


class RecordingExecutor:
    def __init__(self) -> None:
        self.calls: list[ToolCall] = []

    def call(self, call: ToolCall) -> Observation:
        self.calls.append(call)
        if call.arguments.get("expression") == "6/0":
            return Observation(call.id, "", error="division by zero", status=ObservationStatus.INVALID_INPUT)
        return Observation(call.id, "{}", response={"result": 42})


def runner() -> ToolRunner:
    return ToolRunner(RecordingExecutor(), [paper_tool("calculator")])


def test_call_starts_when_opener_in_top_k_and_tool_runs_at_arrow() -> None:
    lm, tools = ScriptedLM(script()), runner()
    out = generate_with_tools(lm, tools, "The answer is", DecodeConfig(top_k=10))
    assert out.text == " [Calculator(6*7) -> 42] 42."
    assert out.calls == [{"offset": 0, "tool": "Calculator", "input": "6*7", "result": "42"}]
    assert [c.arguments for c in tools.executor.calls] == [{"expression": "6*7"}]
    # the spliced call is fed as the tool's text, not the model's made-up " 4"
    assert lm.ids(" [Calculator(6*7) -> 42]") in lm.fed


def test_no_call_when_opener_is_outside_top_k() -> None:
    tools = runner()
    out = generate_with_tools(ScriptedLM(script()), tools, "The answer is", DecodeConfig(top_k=1))
    assert out.text == " 42." and out.calls == [] and tools.executor.calls == []


def test_failed_tool_drops_the_call_and_decoding_goes_on() -> None:
    tools = runner()
    out = generate_with_tools(ScriptedLM(script("6/0")), tools, "The answer is", DecodeConfig(top_k=10))
    assert out.text == " 42." and out.dropped == 1 and out.calls == []


def test_max_calls_zero_disables_tools() -> None:
    out = generate_with_tools(ScriptedLM(script()), runner(), "The answer is", DecodeConfig(top_k=10, max_calls=0))
    assert out.calls == []


@pytest.mark.slow
def test_real_model_generates_with_at_most_one_call() -> None:
    from data.toolformer.scoring import CausalLM
    from data.toolformer.tools import builtin_runner

    lm = CausalLM.load("smollm2", threads=1)
    prompt = "Natalia sold 48/2 = [Calculator(48/2) -> 24] 24 clips. She sold 48+24 ="
    out = generate_with_tools(lm, builtin_runner([paper_tool("calculator")]), prompt,
                              DecodeConfig(top_k=10, max_new_tokens=12))
    assert 0 < out.tokens <= 12 + 40
    assert len(out.calls) <= 1
    for call in out.calls:
        assert Call(call["tool"], call["input"], call["result"]).render() in out.text
