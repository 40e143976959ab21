"""Local inference at the hardware's limit: batched decoding of the embedded model on this CPU.

Prints, for SmolLM2-135M-Instruct in fp32 through :class:`toolbench.models.batching.BatchEngine`:

1. the **bound**: the machine's memory bandwidth (a plain array copy), the bytes one decode
   step reads (weights + the rows' KV cache) and the tokens/s that bandwidth allows;
2. aggregate **decode** tokens/s at batch 1, 2, 4, 8, 16 (each row a thread decoding its own
   prompt greedily, as planner workers do), the ratio to batch 1 and to the bound;
3. **prompt** (prefill) tokens/s, and peak memory;
4. the same decoding through transformers' own continuous batching (``generate_batch``),
   the maintained engine, for comparison;
5. end to end: schema-guided tool calls of the ``hf`` backend at concurrency 1 and 8.

    python benchmarks/inference.py                      # everything (about 10 minutes on 2 cores)
    python benchmarks/inference.py --batches 1,8 --skip-hf-cb --skip-calls
"""

from __future__ import annotations

import argparse
import resource
import threading
import time

import numpy as np


def memory_bandwidth(megabytes: int = 512, rounds: int = 5) -> float:
    """Bytes per second of a plain array copy (read + write), best of ``rounds``."""
    source = np.ones(megabytes * 2**20 // 4, dtype=np.float32)
    target = np.empty_like(source)
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        np.copyto(target, source)
        best = max(best, 2 * source.nbytes / (time.perf_counter() - start))
    return best


def step_bytes(model, rows: int, context: int) -> tuple[int, int]:
    """(weight bytes, KV-cache bytes) one decode step of ``rows`` rows reads."""
    weights = sum(p.numel() * p.element_size() for p in model.parameters())
    config = model.config
    heads = config.num_attention_heads
    kv_heads = getattr(config, "num_key_value_heads", None) or heads
    head_dim = getattr(config, "head_dim", None) or config.hidden_size // heads
    kv = rows * context * 2 * config.num_hidden_layers * kv_heads * head_dim * 4
    return weights, kv


def prompts(tokenizer, count: int, length: int) -> list[list[int]]:
    """``count`` distinct prompts of about ``length`` tokens (chat-formatted)."""
    out = []
    for i in range(count):
        text = f"Request {i}: " + " ".join(f"item {i * 97 + j} costs {j * 3 + i} dollars;" for j in range(length))
        chat = tokenizer.apply_chat_template([{"role": "user", "content": text}], add_generation_prompt=True,
                                             tokenize=False)
        ids = tokenizer(chat, add_special_tokens=False)["input_ids"]
        out.append(list(ids[-length:]))
    return out


def decode_rows(engine, batch: list[list[int]], new_tokens: int) -> tuple[float, int]:
    """Decode ``new_tokens`` greedily for every prompt at once (one thread each); returns
    (seconds of the decode phase, tokens decoded). Prompts are encoded before the clock starts."""
    sessions = [engine.open(ids) for ids in batch]
    barrier = threading.Barrier(len(sessions) + 1)
    done = [0] * len(sessions)

    def run(i: int) -> None:
        session, logits = sessions[i], sessions[i].logits
        barrier.wait()
        for _ in range(new_tokens):
            logits = session.feed([int(logits.argmax())])
            done[i] += 1

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(sessions))]
    for t in threads:
        t.start()
    barrier.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - start
    for session in sessions:
        session.close(keep=False)
    return seconds, sum(done)


def bench_engine(model, tokenizer, batches: list[int], prompt_tokens: int, new_tokens: int,
                 bandwidth: float) -> None:
    from toolbench.models.batching import BatchEngine

    engine = BatchEngine(model, max_batch=max(batches), prefix_tokens=0)
    print(f"\n## decode (greedy, one thread per row, prompt of ~{prompt_tokens} tokens)")
    print("batch  tokens/s  x batch 1  bound tokens/s  achieved/bound")
    base = None
    for rows in batches:
        batch = prompts(tokenizer, rows, prompt_tokens)
        seconds, tokens = decode_rows(engine, batch, new_tokens)
        rate = tokens / seconds
        base = base or rate
        weights, kv = step_bytes(model, rows, prompt_tokens + new_tokens // 2)
        bound = rows * bandwidth / (weights + kv)
        print(f"{rows:5d}  {rate:8.1f}  {rate / base:9.2f}  {bound:13.1f}  {rate / bound:14.2f}")
    long = prompts(tokenizer, 1, 512)[0]
    start = time.perf_counter()
    engine.open(long).close(keep=False)
    seconds = time.perf_counter() - start
    print(f"\nprompt (prefill): {len(long) / seconds:.0f} tokens/s ({len(long)} tokens, chunks of "
          f"{engine.prefill_chunk})")
    engine.shutdown()


def bench_transformers_cb(model, tokenizer, rows: int, prompt_tokens: int, new_tokens: int) -> None:
    """transformers' continuous batching (``generate_batch``) on the same kind of prompts."""
    from transformers import GenerationConfig

    batch = prompts(tokenizer, rows, prompt_tokens)
    config = GenerationConfig(max_new_tokens=new_tokens, do_sample=False, eos_token_id=-1,
                              pad_token_id=tokenizer.pad_token_id)
    try:
        start = time.perf_counter()
        outputs = model.generate_batch(inputs=batch, generation_config=config, progress_bar=False)
        seconds = time.perf_counter() - start
    except Exception as exc:  # noqa: BLE001 - report, the comparison is optional
        print(f"\ntransformers generate_batch failed: {type(exc).__name__}: {exc}")
        return
    tokens = sum(len(o.generated_tokens) for o in outputs.values())
    print(f"\ntransformers continuous batching (generate_batch), {rows} prompts: {tokens / seconds:.1f} tokens/s "
          f"({tokens} tokens in {seconds:.1f} s, prompt encoding included)")


def bench_calls(concurrency: list[int], rounds: int) -> None:
    from toolbench.models import load_chat_model
    from toolbench.types import Message

    tools = [{"type": "function", "function": {
        "name": name, "description": description, "parameters": {
            "type": "object", "properties": {arg: {"type": "string"}}, "required": [arg]}}}
        for name, description, arg in (("calculate", "Evaluate an arithmetic expression.", "expression"),
                                       ("weekday", "Day of the week of a date.", "date"),
                                       ("country_info", "Facts about a country.", "country"))]
    questions = [f"What is {a} * {b}?" for a, b in zip(range(12, 60, 3), range(7, 40, 2), strict=False)]
    model = load_chat_model("hf:smollm2", max_new_tokens=24)
    print("\n## schema-guided tool calls (hf backend)")
    print("concurrency  calls/s  x concurrency 1")
    base = None
    for workers in concurrency:
        work = [[Message("user", q)] for q in questions[: workers * rounds]]
        start = time.perf_counter()
        threads = [threading.Thread(target=lambda chunk: [model.generate(m, tools) for m in chunk],
                                    args=(work[i::workers],)) for i in range(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        rate = len(work) / (time.perf_counter() - start)
        base = base or rate
        print(f"{workers:11d}  {rate:7.2f}  {rate / base:15.2f}")
    model.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--batches", default="1,2,4,8,16")
    parser.add_argument("--prompt-tokens", type=int, default=400)
    parser.add_argument("--new-tokens", type=int, default=32)
    parser.add_argument("--threads", type=int, default=0, help="torch threads (0: torch's default)")
    parser.add_argument("--skip-hf-cb", action="store_true", help="skip transformers' generate_batch")
    parser.add_argument("--skip-calls", action="store_true", help="skip the guided tool-call section")
    args = parser.parse_args()

    import torch

    from toolbench.models.hf_models import load_causal_lm

    if args.threads:
        torch.set_num_threads(args.threads)
    model, tokenizer = load_causal_lm("smollm2")
    bandwidth = memory_bandwidth()
    weights, kv = step_bytes(model, 1, args.prompt_tokens)
    print(f"torch threads {torch.get_num_threads()}; memory bandwidth (copy) {bandwidth / 1e9:.1f} GB/s")
    print(f"one decode step reads {weights / 1e6:.0f} MB of weights + {kv / 1e6:.1f} MB of KV cache per row "
          f"(~{args.prompt_tokens} tokens): bound {bandwidth / (weights + kv):.1f} tokens/s at batch 1")
    batches = [int(b) for b in args.batches.split(",")]
    bench_engine(model, tokenizer, batches, args.prompt_tokens, args.new_tokens, bandwidth)
    if not args.skip_hf_cb:
        bench_transformers_cb(model, tokenizer, 8, args.prompt_tokens, args.new_tokens)
    if not args.skip_calls:
        bench_calls([1, 8], rounds=2)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak RSS {peak:.0f} MB")


if __name__ == "__main__":
    main()
