"""Benchmarks of the LLM backends (2-core CPU friendly).

1. hf backend speed: prompt (prefill) tokens/s and generation tokens/s, measured
   separately, with and without KV-prefix reuse.
2. Valid tool-call rate of the hf backend per text format (and with/without the
   pre-filled call start), on built-in-style prompts.
3. openai backend throughput against the local OpenAI-compatible server (sync vs async).

    python benchmarks/models.py --quick          # small sizes
    python benchmarks/models.py --section formats
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import jsonschema

from toolbench.models import load_chat_model
from toolbench.models.local_server import LocalOpenAIServer
from toolbench.types import Message


def _tool(name, description, props, required):
    return {"type": "function", "function": {"name": name, "description": description, "parameters": {
        "type": "object", "properties": props, "required": required}}}


TOOLS = [
    _tool("calculate", "Evaluate an arithmetic expression.", {"expression": {"type": "string"}}, ["expression"]),
    _tool("weekday", "Day of the week of a date (YYYY-MM-DD).", {"date": {"type": "string"}}, ["date"]),
    _tool("convert_units", "Convert a quantity between units.",
          {"value": {"type": "number"}, "from_unit": {"type": "string"}, "to_unit": {"type": "string"}},
          ["value", "from_unit", "to_unit"]),
    _tool("country_info", "Capital, currency and languages of a country.", {"country": {"type": "string"}},
          ["country"]),
    _tool("Finish", "Give the final answer to the user.", {"answer": {"type": "string"}}, ["answer"]),
]
PROMPTS = [
    ("What is 37 * 91?", "calculate"),
    ("Which day of the week was 2024-03-01?", "weekday"),
    ("Convert 5 miles to kilometers.", "convert_units"),
    ("What is the capital of Japan?", "country_info"),
    ("How much is 1234 + 4321?", "calculate"),
    ("What weekday is 2025-12-25?", "weekday"),
    ("Convert 100 fahrenheit to celsius.", "convert_units"),
    ("Which currency does Brazil use?", "country_info"),
]
SYSTEM = "You solve tasks by calling one function at a time."


def valid_call(reply, tools) -> bool:
    """One call, to an offered function, with arguments that satisfy its schema."""
    schemas = {t["function"]["name"]: t["function"]["parameters"] for t in tools}
    if reply.parse_error or len(reply.tool_calls) != 1 or reply.tool_calls[0].name not in schemas:
        return False
    try:
        jsonschema.validate(reply.tool_calls[0].arguments, schemas[reply.tool_calls[0].name])
    except jsonschema.ValidationError:
        return False
    return True


def bench_formats(n_prompts: int, max_new_tokens: int) -> None:
    print("\n## valid tool-call rate, hf:smollm2, greedy")
    print("format  decoding          valid  right_tool  s/call")
    configs = [("json", "guided", True, "auto")]
    configs += [(fmt, "free", False, choice) for fmt in ("json", "hermes", "llama3", "react")
                for choice in ("auto", "required")]
    for fmt, label, guided, choice in configs:
        model = load_chat_model("hf:smollm2", tool_format=fmt, max_new_tokens=max_new_tokens, tool_choice=choice,
                                guided=guided)
        valid = right = 0
        start = time.perf_counter()
        for prompt, expected in PROMPTS[:n_prompts]:
            reply = model.generate([Message("system", SYSTEM), Message("user", prompt)], TOOLS)
            ok = valid_call(reply, TOOLS)
            valid += ok
            right += ok and reply.tool_calls[0].name == expected
        per = (time.perf_counter() - start) / n_prompts
        label = label + ("+prefill" if choice == "required" else "")
        print(f"{fmt:7} {label:17} {valid}/{n_prompts}    {right}/{n_prompts}       {per:.2f}")


def bench_speed(rounds: int, new_tokens: int) -> None:
    model = load_chat_model("hf:smollm2", reuse_prefix=False)
    tok = model.tokenizer
    long_prompt = " ".join(["The quick brown fox jumps over the lazy dog."] * 50)
    ids = tok(long_prompt, return_tensors="pt").input_ids
    for threads, n_rounds, n_new in ((1, rounds, new_tokens), (2, 1, 8)):
        prefill, gen = _speed(model, ids, threads, n_rounds, n_new)
        print(f"\n## hf:smollm2 speed, {threads} torch thread(s)")
        print(f"prompt (prefill) tokens/s: {prefill:.0f} (prompt of {ids.shape[1]} tokens)")
        print(f"generation tokens/s: {gen:.1f} ({n_new} new tokens after 32, KV cache on)")
    _bench_reuse(rounds)


def _speed(model, ids, threads: int, rounds: int, new_tokens: int) -> tuple[float, float]:
    import torch

    lm, tok = model.model, model.tokenizer
    torch.set_num_threads(threads)
    with torch.no_grad():
        lm(ids[:, :16])  # warm-up
        prefill, gen = [], []
        for _ in range(rounds):
            start = time.perf_counter()
            lm(ids)
            prefill.append(ids.shape[1] / (time.perf_counter() - start))
            short = ids[:, :32]
            start = time.perf_counter()
            out = lm.generate(short, max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False,
                              pad_token_id=tok.pad_token_id)
            gen.append((out.shape[1] - short.shape[1]) / (time.perf_counter() - start))
    torch.set_num_threads(1)
    return statistics.median(prefill), statistics.median(gen)


def _bench_reuse(rounds: int) -> None:
    """A ReAct-style chain: each step's prompt extends the previous one."""
    for reuse in (False, True):
        model = load_chat_model("hf:smollm2", reuse_prefix=reuse, max_new_tokens=24, tool_choice="required")
        history = [Message("system", SYSTEM), Message("user", PROMPTS[0][0])]
        start = time.perf_counter()
        for step in range(rounds):
            reply = model.generate(history, TOOLS)
            history += [reply.to_message(), Message("user", f"Observation {step}: ok")]
        print(f"4-step chain with reuse_prefix={reuse}: {(time.perf_counter() - start) / rounds:.2f} s/call,"
              f" reused {model.stats()['reused_tokens']} of {model.stats()['prompt_tokens']} prompt tokens")


def bench_openai(n: int, latency: float) -> None:
    print(f"\n## openai backend vs local server ({latency * 1000:.0f} ms latency), {n} calls")
    with LocalOpenAIServer(latency=latency) as server:
        model = load_chat_model("openai:local", base_url=server.base_url)
        msgs = [Message("user", "hi")]
        model.generate(msgs)
        start = time.perf_counter()
        for _ in range(n):
            model.generate(msgs)
        sync = n / (time.perf_counter() - start)

        async def many():
            await asyncio.gather(*(model.agenerate(msgs) for _ in range(n)))

        start = time.perf_counter()
        asyncio.run(many())
        conc = n / (time.perf_counter() - start)
    print(f"sync: {sync:.1f} calls/s   async (all {n} at once): {conc:.1f} calls/s")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--section", choices=["speed", "formats", "openai", "all"], default="all")
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    if args.section in ("speed", "all"):
        bench_speed(rounds=3 if args.quick else 5, new_tokens=32 if args.quick else 64)
    if args.section in ("formats", "all"):
        bench_formats(n_prompts=4 if args.quick else len(PROMPTS), max_new_tokens=48)
    if args.section in ("openai", "all"):
        bench_openai(n=20 if args.quick else 100, latency=0.05)


if __name__ == "__main__":
    main()
