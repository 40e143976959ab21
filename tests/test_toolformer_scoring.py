"""The batched scorer against one full forward pass per candidate, cached vs uncached sampling,
and one document through sample → execute → score → filter (real SmolLM2)."""

from __future__ import annotations

import pytest

from data.toolformer.annotate import Document, annotate_document, annotated_record, call_prefix
from data.toolformer.config import AnnotateConfig, paper_tool
from data.toolformer.filtering import loss_weights
from data.toolformer.linearise import Call
from data.toolformer.sampling import opener_tokens, sample_calls, stop_tokens
from data.toolformer.scoring import batches_by_tokens, plan_rows
from data.toolformer.tools import ToolRunner
from toolbench.types import Observation

TEXT = "Natalia sold 48/2 = 24 clips in May.\nShe sold 48+24 = 72 clips."


@pytest.fixture(scope="module")
def lm():  # type: ignore[no-untyped-def]
    from data.toolformer.scoring import CausalLM

    return CausalLM.load("smollm2", threads=1)


def test_row_planning_shares_prefixes() -> None:
    rows = plan_rows([((), 3), ((), 9), ((5, 6), 1), ((5, 6), 2)], n_tokens=10, window=5)
    assert rows == {(): 9, (5, 6): 6}
    with pytest.raises(ValueError):
        plan_rows([((), 0)], n_tokens=10, window=5)
    assert sorted(i for b in batches_by_tokens([3, 9, 4, 4], 10) for i in b) == [0, 1, 2, 3]


@pytest.mark.slow
def test_batched_scorer_matches_one_forward_pass_per_candidate(lm) -> None:  # type: ignore[no-untyped-def]
    ids, _ = lm.encode(TEXT)
    calls = [Call("Calculator", "48/2", "24"), Call("Calculator", "48+24", "72"), Call("Calendar", "", "x")]
    prefixes = [()] + [call_prefix(lm, c, AnnotateConfig().markers, with_result=r) for c in calls for r in (1, 0)]
    positions = [1, 7, 12, len(ids) - 3, len(ids) - 1]  # includes windows cut short by the end of the text
    requests = [(p, i) for p in prefixes for i in positions]
    weights = loss_weights()
    # a tiny token budget forces several padded batches of different widths
    fast = lm.weighted_losses(ids, requests, weights, batch_tokens=64)
    slow = lm.oracle_losses(ids, requests, weights)
    assert max(abs(a - b) for a, b in zip(fast, slow, strict=True)) < 1e-4
    assert lm.weighted_losses(ids, requests[:3], weights) == pytest.approx(fast[:3], abs=1e-4)


@pytest.mark.slow
def test_cached_sampling_equals_re_encoding_the_prompt(lm) -> None:  # type: ignore[no-untyped-def]
    markers = AnnotateConfig().markers
    ids = lm.ids("From this, we have 4 * 30 minutes = 120 minutes.")
    _, spaced = opener_tokens(lm, markers)
    probs, cache = lm.opener_probs(ids, [spaced], n_last=len(ids))
    assert len(probs) == len(ids) and all(0.0 <= p <= 1.0 for p in probs)
    stops = stop_tokens(lm, markers)
    cached = lm.sample(cache, 10, [spaced], 3, stops, 8, 1.0, seed=7)
    fresh = lm.sample_uncached(ids[:10], [spaced], 3, stops, 8, 1.0, seed=7)
    assert cached == fresh
    assert all(len(row) <= 8 for row in cached)


class Calc:
    """A recording executor that does arithmetic on the two-number GSM8K forms only."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def call(self, call):  # type: ignore[no-untyped-def]
        from toolbench.builtin_tools.calculator import evaluate
        from toolbench.types import ObservationStatus

        self.seen.append(call.arguments["expression"])
        try:
            return Observation(call.id, "", response={"result": evaluate(call.arguments["expression"])})
        except ValueError as exc:
            return Observation(call.id, "", error=str(exc), status=ObservationStatus.INVALID_INPUT)


@pytest.mark.slow
def test_one_document_end_to_end(lm) -> None:  # type: ignore[no-untyped-def]
    tool = paper_tool("calculator", top_k=3, samples=3, tau_f=-100.0)  # keep everything that executes
    config = AnnotateConfig(tools=(tool,), max_call_tokens=12)
    ids, offsets = lm.encode(TEXT)
    found, stats = sample_calls(lm, TEXT, ids, offsets, tool, config, doc_key="d")
    assert stats.positions == 3 and stats.sampled == 9
    assert stats.malformed + stats.duplicates + len(found) == 9
    runner = ToolRunner(Calc(), [tool])
    result = annotate_document(lm, runner, Document("d", TEXT), config)
    record = annotated_record(result, config.markers)
    assert record["stats"]["executed"] == len(record["candidates"])
    assert len({c["position"] for c in record["calls"]}) == len(record["calls"])  # best one per position
    for cand in record["candidates"]:
        assert cand["l_minus"] == min(cand["l_nocall"], cand["l_noresult"])
        assert cand["gain"] == pytest.approx(cand["l_minus"] - cand["l_plus"])
    from data.toolformer.linearise import strip_calls

    plain, placed = strip_calls(record["augmented_text"])
    assert plain == TEXT and len(placed) == len(record["calls"])
