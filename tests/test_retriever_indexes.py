"""Indexes: FAISS oracle, save/load round trips, encoder checks, corrupt dirs, atomic writes, cache."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from retriever import build_index, load_index
from retriever.dense import DenseIndex
from retriever.encoders import HashingEncoder
from retriever.index_store import IndexConfig
from toolbench.errors import IndexMismatchError, InputError
from toolbench.types import ApiSpec

APIS = [
    ApiSpec("Weather", "OpenWeather", "currentWeather", "Current weather conditions for a city"),
    ApiSpec("Weather", "OpenWeather", "forecast", "Five day weather forecast for a city"),
    ApiSpec("Media", "Simple YouTube Search", "Search", "Search videos on YouTube"),
    ApiSpec("Media", "Simple YouTube Search", "Video", "Details of a YouTube video by id"),
    ApiSpec("Finance", "Currency", "convert", "Convert an amount between currencies with live exchange rates"),
    ApiSpec("Food", "Recipes", "findRecipe", "Find cooking recipes by ingredient"),
]


class CountingEncoder(HashingEncoder):
    """Hashing encoder that counts how many texts it encoded (to check the cache)."""

    def __init__(self, dim: int = 64) -> None:
        super().__init__(dim)
        self.encoded = 0

    def encode(self, texts, *, batch_size=64, show_progress=False):  # type: ignore[no-untyped-def]
        self.encoded += len(texts)
        return super().encode(texts)


def _same_hits(a: list[tuple[str, float]], b: list[tuple[str, float]]) -> None:
    assert [i for i, _ in a] == [i for i, _ in b]
    assert [s for _, s in a] == pytest.approx([s for _, s in b], abs=1e-5)


def _random_unit(n: int, dim: int, seed: int) -> np.ndarray:
    vectors = np.random.default_rng(seed).standard_normal((n, dim)).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


def test_faiss_exact_equals_numpy_brute_force() -> None:
    docs, queries = _random_unit(2000, 32, 0), _random_unit(50, 32, 1)
    ids = [f"C::T::api{i}" for i in range(len(docs))]
    index = DenseIndex.from_vectors(ids, ["h"] * len(ids), docs, HashingEncoder(32), IndexConfig(kind="dense"))
    got = index.search_vectors(queries, 10)
    scores = queries @ docs.T
    for row, hits in enumerate(got):
        order = np.argsort(-scores[row], kind="stable")[:10]
        assert [a for a, _ in hits] == [ids[i] for i in order]
        assert np.allclose([s for _, s in hits], scores[row][order], atol=1e-5)


@pytest.mark.parametrize("faiss_type", ["hnsw", "ivf"])
def test_approximate_indexes_find_most_true_neighbours(faiss_type: str) -> None:
    docs, queries = _random_unit(3000, 16, 2), _random_unit(20, 16, 3)
    ids = [str(i) for i in range(len(docs))]
    config = IndexConfig(kind="dense", faiss_type=faiss_type, ivf_nprobe=24)
    index = DenseIndex.from_vectors(ids, ["h"] * len(ids), docs, HashingEncoder(16), config)
    truth = np.argsort(-(queries @ docs.T), axis=1)[:, :10]
    found = index.search_vectors(queries, 10)
    overlap = np.mean([len({ids[i] for i in t} & {a for a, _ in f}) / 10 for t, f in zip(truth, found, strict=True)])
    assert overlap >= 0.8


@pytest.mark.parametrize("kind", ["dense", "bm25", "hybrid"])
def test_build_save_load_round_trip(tmp_path: Path, kind: str) -> None:
    built = build_index(APIS, tmp_path / "idx", kind=kind, encoder=HashingEncoder(64))
    loaded = load_index(tmp_path / "idx")
    query = "five day weather forecast for Paris"
    assert loaded.kind == kind
    _same_hits(loaded.retrieve(query, 3), built.retrieve(query, 3))
    assert loaded.retrieve(query, 3)[0][0].startswith("Weather::OpenWeather::")
    meta = json.loads((tmp_path / "idx" / "index.json").read_text())
    assert meta["api_ids"] == [a.id for a in APIS] and meta["kind"] == kind
    assert not list(tmp_path.glob(".idx*")), "staging directories must be gone"


def test_no_pickle_files(tmp_path: Path) -> None:
    build_index(APIS, tmp_path / "idx", kind="hybrid", encoder=HashingEncoder(64))
    for path in (tmp_path / "idx").rglob("*"):
        if path.suffix == ".npy":
            np.load(path, allow_pickle=False)
        assert path.suffix in {"", ".json", ".npy", ".faiss"}, path


def test_hybrid_orders_by_fused_score() -> None:
    index = build_index(APIS, None, kind="hybrid", encoder=HashingEncoder(64))
    hits = index.retrieve("convert 100 dollars to euros with exchange rates", 6)
    assert hits[0][0] == "Finance::Currency::convert"
    assert [s for _, s in hits] == sorted((s for _, s in hits), reverse=True)


def test_tool_boost_lifts_the_siblings_of_a_strong_match() -> None:
    index = build_index(APIS, None, kind="hybrid", encoder=HashingEncoder(64))
    query = "current weather conditions and youtube videos"
    assert index.config.tool_boost == 2.0  # the default
    plain, boosted = (index.with_config(index.config.replace(tool_boost=w)) for w in (0.0, 2.0))
    without, with_boost = plain.retrieve(query, 6), boosted.retrieve(query, 6)
    assert sorted(without) != sorted(with_boost)
    # the best API keeps its place; its tool sibling moves into second place
    assert with_boost[0][0] == without[0][0] == "Weather::OpenWeather::currentWeather"
    assert with_boost[1][0] == "Weather::OpenWeather::forecast"
    assert [i for i, _ in without].index("Weather::OpenWeather::forecast") > 1


def test_other_encoder_is_refused(tmp_path: Path) -> None:
    build_index(APIS, tmp_path / "idx", kind="dense", encoder=HashingEncoder(64))
    with pytest.raises(IndexMismatchError, match="built with encoder hashing-v1:64"):
        load_index(tmp_path / "idx", encoder=HashingEncoder(32))
    with pytest.raises(IndexMismatchError):
        load_index(tmp_path / "idx", encoder="hashing:128")


def test_corrupt_index_directories(tmp_path: Path) -> None:
    with pytest.raises(IndexMismatchError, match="not found"):
        load_index(tmp_path / "missing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(IndexMismatchError, match="not an index"):
        load_index(tmp_path / "empty")
    build_index(APIS, tmp_path / "idx", kind="hybrid", encoder=HashingEncoder(64))
    faiss_file = tmp_path / "idx" / "dense" / "dense.faiss"
    faiss_file.write_bytes(faiss_file.read_bytes()[:50])
    with pytest.raises(IndexMismatchError, match="corrupt"):
        load_index(tmp_path / "idx")
    (tmp_path / "idx" / "index.json").write_text("{not json")
    with pytest.raises(IndexMismatchError, match="corrupt index metadata"):
        load_index(tmp_path / "idx")


def test_metadata_that_disagrees_with_files(tmp_path: Path) -> None:
    build_index(APIS, tmp_path / "idx", kind="bm25")
    meta_path = tmp_path / "idx" / "index.json"
    meta = json.loads(meta_path.read_text())
    meta["api_ids"], meta["count"] = meta["api_ids"][:-1], meta["count"] - 1
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(IndexMismatchError, match="BM25 holds 6 documents"):
        load_index(tmp_path / "idx")


def test_bad_catalogs(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="empty"):
        build_index([], tmp_path / "idx", kind="bm25")
    with pytest.raises(InputError, match="duplicate API id"):
        build_index([APIS[0], APIS[0]], tmp_path / "idx", kind="bm25")
    assert not (tmp_path / "idx").exists()


def test_never_replaces_a_directory_that_is_not_an_index(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.tex").write_text("precious")
    with pytest.raises(InputError, match="refusing to replace"):
        build_index(APIS, tmp_path / "mine", kind="bm25")
    assert (tmp_path / "mine" / "thesis.tex").read_text() == "precious"


def test_failed_rebuild_keeps_the_old_index(tmp_path: Path) -> None:
    build_index(APIS, tmp_path / "idx", kind="dense", encoder=HashingEncoder(64))

    class Broken(HashingEncoder):
        def encode(self, texts, *, batch_size=64, show_progress=False):  # type: ignore[no-untyped-def]
            raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        build_index(APIS, tmp_path / "idx", kind="dense", encoder=Broken(64), cache=False)
    assert load_index(tmp_path / "idx").retrieve("youtube video", 1)[0][0].startswith("Media::")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["idx"]


def test_embedding_cache_skips_unchanged_documents(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TOOLBENCH_CACHE", str(tmp_path / "cache"))
    encoder = CountingEncoder(64)
    first = build_index(APIS, None, kind="dense", encoder=encoder)
    assert encoder.encoded == len(APIS)
    more = [*APIS, ApiSpec("Sports", "Scores", "live", "Live football scores")]
    second = build_index(more, None, kind="dense", encoder=encoder)
    assert encoder.encoded == len(APIS) + 1  # only the new document was encoded
    _same_hits(first.retrieve("weather", 2), second.retrieve("weather", 2))
    assert list((tmp_path / "cache" / "embeddings").glob("*/vectors.f32"))


def test_k_larger_than_catalog_and_unknown_words() -> None:
    index = build_index(APIS, None, kind="bm25")
    assert index.retrieve("zzzz qqqq", 5) == []
    assert len(build_index(APIS, None, kind="dense", encoder=HashingEncoder(64)).retrieve("weather", 50)) == len(APIS)
