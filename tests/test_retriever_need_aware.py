"""Need-aware retrieval: the request splitter, the merges, the multi-tool set, indexes and CLI."""

from __future__ import annotations

import doctest
import json
from pathlib import Path

import pytest

import retriever.multi_tool_set
import retriever.need_aware
import retriever.requests
from retriever import build_index, load_index
from retriever.encoders import HashingEncoder
from retriever.evaluation import evaluate_index
from retriever.multi_tool_set import multi_tool_queries
from retriever.need_aware import coverage_merge, fused_merge, merge, need_aware_many, round_robin
from retriever.requests import clauses, sentences, split_requests
from toolbench.errors import ConfigError
from toolbench.types import ApiSpec, Query


@pytest.mark.parametrize("module", [retriever.requests, retriever.need_aware, retriever.multi_tool_set])
def test_docstring_examples(module: object) -> None:
    assert doctest.testmod(module).failed == 0  # type: ignore[arg-type]


@pytest.mark.parametrize(("text", "expected"), [
    ("I'm planning a trip to Istanbul. Can you provide me with the postal codes for the districts? "
     "Additionally, I would like to track a package with the task ID 987654321.",
     ["Can you provide me with the postal codes for the districts?",
      "I would like to track a package with the task ID 987654321."]),
    ("Find hotels in Rome and then convert 100 USD to EUR, also check the weather. Thanks a lot!",
     ["Find hotels in Rome", "convert 100 USD to EUR", "check the weather."]),
    ("Please list the clubs, managers and referees of Messi and get his transfers.",
     ["Please list the clubs, managers and referees of Messi", "get his transfers."]),
    ("Get the weather in St. Louis, e.g. tomorrow; then book a table.",
     ["Get the weather in St. Louis, e.g. tomorrow;", "book a table."]),
    ("weather Paris", []),
    ("", []),
])
def test_split_requests(text: str, expected: list[str]) -> None:
    assert split_requests(text) == expected


def test_sentences_and_clauses_keep_every_word() -> None:
    text = "Show Mr. Smith's 2.5 GB files and also the disk usage! Then plus one more?"
    pieces = [c for s in sentences(text) for c in clauses(s)]
    assert " ".join(pieces).split() == text.split()


WHOLE = [("A::t::a1", 5.0), ("A::t::a2", 4.8), ("A::t::a3", 4.7), ("A::t::a4", 4.6), ("B::u::b1", 4.0),
         ("B::u::b2", 3.9), ("C::v::c1", 1.0)]
PART_A = [("A::t::a1", 6.0), ("A::t::a2", 5.9), ("C::v::c1", 0.5), ("B::u::b1", 0.2)]
PART_B = [("B::u::b1", 7.0), ("B::u::b2", 6.5), ("C::v::c1", 0.1), ("A::t::a3", 0.0)]


@pytest.mark.parametrize("mode", ["fused", "coverage", "rr"])
def test_every_request_is_represented_in_the_top_k(mode: str) -> None:
    plain_top = [a for a, _ in WHOLE[:3]]
    assert not any(a.startswith("B::") for a in plain_top)
    merged = merge(mode, WHOLE, [PART_A, PART_B], 3)
    ids = [a for a, _ in merged]
    assert len(ids) == len(set(ids)) == 3
    assert ids[0] in ("A::t::a1", "B::u::b1") and any(a.startswith("B::") for a in ids)
    scores = [s for _, s in merged]
    assert scores == sorted(scores, reverse=True)


def test_merges_on_edge_cases() -> None:
    assert merge("fused", WHOLE, [], 2) == WHOLE[:2]
    assert round_robin([[], []], 3) == []
    assert coverage_merge([], [[("x", 1.0)]], 5) == [("x", pytest.approx(0.5))]
    assert [a for a, _ in fused_merge([("x", 1.0)], [[("y", 2.0)], [("z", 3.0)]], 5)] == ["x", "y", "z"]
    with pytest.raises(ValueError, match="unknown multi-request merge"):
        merge("best", WHOLE, [PART_A], 2)


def test_need_aware_many_batches_and_falls_back() -> None:
    calls: list[list[str]] = []

    def plain(texts: list[str], n: int) -> list[list[tuple[str, float]]]:
        calls.append(list(texts))
        return [[(f"C::{t[:4]}::x", 1.0)] for t in texts]

    queries = ["weather Paris", "Find hotels in Rome. Also, convert 5 USD to EUR."]
    out = need_aware_many(plain, queries, 3, "fused")
    assert calls == [queries, ["Find hotels in Rome.", "convert 5 USD to EUR."]]
    assert out[0] == [("C::weat::x", 1.0)] and {a for a, _ in out[1]} == {"C::Find::x", "C::conv::x"}
    calls.clear()
    assert need_aware_many(plain, queries, 3, "off") == plain(queries, 3)[:2]
    assert len(calls) == 2


def test_multi_tool_queries_are_seeded_and_labelled() -> None:
    qs = [Query(str(i), f"Query {i}.", relevant_api_ids=[f"Cat{i % 3}::Tool{i}::a", f"Cat{i % 3}::Tool{i}::b"],
                group="G1_tool") for i in range(12)]
    first, again = multi_tool_queries(qs, 5, seed=3), multi_tool_queries(qs, 5, seed=3)
    assert [q.query_id for q in first] == [q.query_id for q in again]
    assert [q.query_id for q in first] != [q.query_id for q in multi_tool_queries(qs, 5, seed=4)]
    for query in first:
        cats = {a.split("::")[0] for a in query.relevant_api_ids}
        assert len(query.relevant_api_ids) == 4 and len(cats) == (1 if query.group == "G2_like" else 2)
    assert len(multi_tool_queries(qs, 5, seed=0, max_relevant=3)) == 0


APIS = [
    ApiSpec("Travel", "Hotels", "searchHotels", "Search hotels in a city with prices and ratings"),
    ApiSpec("Travel", "Hotels", "hotelDetails", "Details and photos of one hotel"),
    ApiSpec("Travel", "Hotels", "hotelReviews", "Guest reviews of a hotel"),
    ApiSpec("Finance", "Currency", "convert", "Convert an amount between currencies with live exchange rates"),
    ApiSpec("Weather", "OpenWeather", "forecast", "Five day weather forecast for a city"),
    ApiSpec("Food", "Recipes", "findRecipe", "Find cooking recipes by ingredient"),
]


def test_index_config_multi_is_saved_and_overridable(tmp_path: Path) -> None:
    build_index(APIS, tmp_path / "idx", kind="bm25", multi="rr")
    assert load_index(tmp_path / "idx").config.multi == "rr"
    assert load_index(tmp_path / "idx", multi="off").config.multi == "off"
    with pytest.raises(ConfigError, match="multi must be one of"):
        load_index(tmp_path / "idx", multi="always")
    meta = json.loads((tmp_path / "idx" / "index.json").read_text())
    del meta["config"]["multi"]  # an index written before the option: the default applies
    (tmp_path / "idx" / "index.json").write_text(json.dumps(meta))
    assert load_index(tmp_path / "idx").config.multi == "fused"


@pytest.mark.parametrize("kind", ["bm25", "hybrid"])
def test_two_tool_instruction_retrieves_both_tools(kind: str) -> None:
    index = build_index(APIS, None, kind=kind, encoder="hashing:64" if kind == "hybrid" else None)
    query = "Search hotels in Rome with photos, details and reviews of each hotel. Also, convert 100 USD to EUR."
    fused = [a for a, _ in index.retrieve(query, 3)]
    assert "Finance::Currency::convert" in fused and fused[0].startswith("Travel::Hotels")
    assert index.retrieve("hotel reviews", 2) == index.with_config(index.config.replace(multi="off")).retrieve(
        "hotel reviews", 2)


@pytest.mark.slow
def test_real_encoder_need_aware_beats_plain_on_built_multi_tool_set(shared_data: Path) -> None:
    """Integration: embedded MiniLM, the real 2,490-API catalog, the multi-tool set of the held-out part."""
    from retriever.splits import split_queries
    from toolbench.catalog.queries import load_queries
    from toolbench.loaders import load_catalog

    data = shared_data / "stabletoolbench"
    catalog = load_catalog(data / "catalog.json")
    queries = [q for g in ("G1_instruction", "G1_category", "G1_tool")
               for q in load_queries(data / "queries" / f"{g}.json")]
    _, held_out = split_queries(queries, 0.3, seed=0)
    multi = multi_tool_queries(held_out, per_group=20, seed=0)
    hybrid = build_index(catalog, None, kind="hybrid")
    plain = evaluate_index(hybrid.with_config(hybrid.config.replace(multi="off")), multi, (5,))
    need = evaluate_index(hybrid, multi, (5,))
    assert hybrid.config.multi == "fused" and need.metrics["queries"] == 40
    assert need.metrics["ndcg@5"] > plain.metrics["ndcg@5"]
    assert need.metrics["completeness@5"] >= plain.metrics["completeness@5"]


def test_need_aware_many_ranks_requests_with_their_own_ranker() -> None:
    def whole(texts: list[str], n: int) -> list[list[tuple[str, float]]]:
        return [[("C::whole::x", 1.0)] for _ in texts]

    seen: list[list[str]] = []

    def requests(texts: list[str], n: int) -> list[list[tuple[str, float]]]:
        seen.append(list(texts))
        return [[(f"C::{t[:4]}::x", 1.0)] for t in texts]

    out = need_aware_many(whole, ["Find hotels in Rome. Also, convert 5 USD to EUR."], 3, "fused",
                          requests_plain=requests)
    assert seen == [["Find hotels in Rome.", "convert 5 USD to EUR."]]
    assert {a for a, _ in out[0]} == {"C::whole::x", "C::Find::x", "C::conv::x"}


class CountingEncoder(HashingEncoder):
    """The hashing encoder, counting how many texts it encodes."""

    def __init__(self) -> None:
        super().__init__(64)
        self.texts = 0

    def encode(self, texts, *, batch_size=64, show_progress=False):  # type: ignore[no-untyped-def]
        self.texts += len(texts)
        return super().encode(texts, batch_size=batch_size, show_progress=show_progress)


def test_hybrid_ranks_requests_by_bm25_with_one_encoder_pass(tmp_path: Path) -> None:
    query = "Search hotels in Rome with photos, details and reviews of each hotel. Also, convert 100 USD to EUR."
    encoder = CountingEncoder()
    built = build_index(APIS, tmp_path / "idx", kind="hybrid", encoder=encoder)
    assert built.config.request_ranker == "hybrid"
    index = built.with_config(built.config.replace(request_ranker="bm25"))
    encoder.texts = 0
    lexical = [a for a, _ in index.retrieve(query, 3)]
    assert encoder.texts == 1  # the whole instruction only; its two requests are ranked by BM25
    assert "Finance::Currency::convert" in lexical
    encoded = index.with_config(index.config.replace(request_ranker="hybrid"))
    encoder.texts = 0
    assert "Finance::Currency::convert" in [a for a, _ in encoded.retrieve(query, 3)]
    assert encoder.texts == 3
    with pytest.raises(ConfigError, match="request_ranker must be one of"):
        index.config.replace(request_ranker="dense")
    meta = json.loads((tmp_path / "idx" / "index.json").read_text())
    del meta["config"]["request_ranker"]  # an index written before the option: the default applies
    (tmp_path / "idx" / "index.json").write_text(json.dumps(meta))
    assert load_index(tmp_path / "idx", encoder).config.request_ranker == "hybrid"
