"""The batch engine: batched decoding gives what one-at-a-time decoding gives, row by row.

A tiny randomly initialised Llama (seeded) keeps these fast; the slow test at the end runs
concurrent ``generate`` calls of the real embedded model.
"""

from __future__ import annotations

import threading

import pytest

from toolbench.models.batching import HIDDEN, BatchEngine
from toolbench.models.kv_slots import PrefixStore, common_prefix_length

torch = pytest.importorskip("torch")


@pytest.fixture(scope="module")
def tiny_model():
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=97, hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=4, num_key_value_heads=2, max_position_embeddings=512)
    return LlamaForCausalLM(config).eval()


def reference_logits(model, ids):
    """Logits of the last token from one plain forward pass over the whole sequence."""
    with torch.no_grad():
        return model(input_ids=torch.tensor([ids])).logits[0, -1]


def greedy(engine, prompt, steps, chunks=1):
    """Greedy tokens after ``prompt``; feeds ``chunks`` tokens at a time (forced text)."""
    out = []
    with engine.open(prompt) as session:
        logits = session.logits
        while len(out) < steps:
            picked = [int(logits.argmax())]
            for _ in range(chunks - 1):  # extra forced tokens: a fixed pattern after the pick
                picked.append((picked[-1] * 7 + 3) % 97)
            out.extend(picked)
            logits = session.feed(picked)
    return out


PROMPTS = [[1, 5, 9, 13, 2], [4] * 30, [7, 8, 9], list(range(10, 60)), [3, 3, 1], [11, 22, 33, 44, 55, 66]]


def test_prompt_logits_match_a_plain_forward(tiny_model):
    engine = BatchEngine(tiny_model, max_batch=4, prefill_chunk=7)
    for prompt in PROMPTS:
        with engine.open(prompt) as session:
            assert torch.allclose(session.logits, reference_logits(tiny_model, prompt), atol=1e-5)
            fed = session.feed([5, 6, 7])
            assert torch.allclose(fed, reference_logits(tiny_model, prompt + [5, 6, 7]), atol=1e-5)
    engine.shutdown()


@pytest.mark.parametrize("chunks", [1, 3])
def test_concurrent_sessions_equal_one_at_a_time(tiny_model, chunks):
    alone = BatchEngine(tiny_model, max_batch=1)
    expected = [greedy(alone, p, 12, chunks) for p in PROMPTS]
    alone.shutdown()
    engine = BatchEngine(tiny_model, max_batch=4, step_tokens=2, prefill_chunk=16)
    results: list = [None] * len(PROMPTS)

    def run(i):
        results[i] = greedy(engine, PROMPTS[i], 12, chunks)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(PROMPTS))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == expected
    assert engine.stats["rows_per_step"] > engine.stats["steps"]  # rows really shared steps
    engine.shutdown()


def test_prefix_reuse_gives_the_same_logits(tiny_model):
    engine = BatchEngine(tiny_model, max_batch=2)
    prompt = list(range(20, 60))
    with engine.open(prompt) as session:
        session.feed([1, 2, 3])
    with engine.open(prompt + [1, 2, 3, 4, 5]) as session:
        assert session.reused == len(prompt) + 3
        assert torch.allclose(session.logits, reference_logits(tiny_model, prompt + [1, 2, 3, 4, 5]), atol=1e-5)
    engine.shutdown()


def test_hidden_state_scores_equal_full_logits(tiny_model):
    engine = BatchEngine(tiny_model, max_batch=2)
    with engine.open([5, 6, 7], want=HIDDEN) as session:
        scores = engine.scores(session.logits, [3, 9, 40])
        assert torch.allclose(scores, reference_logits(tiny_model, [5, 6, 7])[[3, 9, 40]], atol=1e-5)
    engine.shutdown()


def test_a_failing_step_reaches_the_caller(tiny_model):
    from toolbench.errors import BackendError

    engine = BatchEngine(tiny_model, max_batch=2)
    with pytest.raises(BackendError), engine.open([1, 2, 3]) as session:
        session.feed([10_000])  # out of the vocabulary: the forward pass raises
    with engine.open([1, 2, 3]) as session:  # the engine keeps serving
        assert session.logits.shape == (97,)
    engine.shutdown()


def test_prefix_store_lookup_and_eviction():
    k = torch.zeros(1, 2, 10, 4)
    store = PrefixStore(max_tokens=25, min_reuse=2)
    store.add(list(range(10)), [(k, k)])
    reused, kv = store.lookup(list(range(6)) + [99])
    assert reused == 6 and kv[0][0].shape[2] == 6
    assert store.lookup(list(range(10)))[0] == 9  # the last prompt token is always fed
    store.add(list(range(12)), [(torch.zeros(1, 2, 12, 4),) * 2])  # extends the first entry: replaces it
    assert len(store) == 1
    store.add([50 + i for i in range(20)], [(torch.zeros(1, 2, 20, 4),) * 2])  # over budget: oldest goes
    assert len(store) == 1 and store.lookup(list(range(12)))[0] == 0
    assert common_prefix_length([1, 2], [1, 2, 3]) == 2


@pytest.mark.slow
def test_concurrent_generate_calls_equal_sequential_ones():
    from toolbench.models import load_chat_model
    from toolbench.types import Message

    tools = [{"type": "function", "function": {
        "name": "calculate", "description": "Evaluate an arithmetic expression.",
        "parameters": {"type": "object", "properties": {"expression": {"type": "string"}},
                       "required": ["expression"]}}}]
    requests = [([Message("user", f"What is {a} * {b}?")], tools) for a, b in ((37, 91), (12, 5), (250, 4))]
    requests += [([Message("user", text)], None) for text in ("Name a planet.", "Say hello in French.")]
    model = load_chat_model("hf:smollm2", max_new_tokens=16, max_batch=8)
    sequential = [model.generate(m, t).raw for m, t in requests]
    model.close()
    batched: list = [None] * len(requests)

    def run(i):
        batched[i] = model.generate(*requests[i]).raw

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(requests))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert batched == sequential
    assert model.stats()["engine"]["rows_per_step"] > model.stats()["engine"]["steps"]
    model.close()
