"""Retrieval at scale: compressed FAISS indexes, the append-only embedding cache, batched BM25,
multi-process encoding."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from retriever import build_index, load_index
from retriever.bm25 import BM25Index
from retriever.cache import EmbeddingCache, encode_documents
from retriever.dense import DenseIndex, make_faiss_index
from retriever.documents import document_hash
from retriever.encoders import HashingEncoder
from retriever.index_store import IndexConfig
from toolbench.errors import ConfigError, InputError
from toolbench.types import ApiSpec


class _Encoder:
    """Fixed vectors for fixed texts (a seam: the FAISS side is what is under test)."""

    id, spec = "fixed-test-encoder", "hashing:32"

    def __init__(self, vectors: np.ndarray) -> None:
        self.vectors, self.dim = vectors, vectors.shape[1]

    def encode(self, texts, *, batch_size=64, show_progress=False):  # type: ignore[no-untyped-def]
        return self.vectors[[int(t.split()[-1]) for t in texts]]


def _clustered(n: int, dim: int = 32, seed: int = 0) -> np.ndarray:
    """Unit vectors around 60 centres (embeddings of real documents cluster by topic)."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((60, dim))
    vectors = (centres[rng.integers(0, 60, n)] + 0.4 * rng.standard_normal((n, dim))).astype(np.float32)
    return vectors / np.linalg.norm(vectors, axis=1, keepdims=True)


@pytest.fixture(autouse=True)
def _one_faiss_thread() -> object:
    """FAISS' OpenMP threads crawl on a busy machine; one thread keeps these tests fast."""
    import faiss

    threads = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    yield
    faiss.omp_set_num_threads(threads)


def _recall(index: object, exact: object, queries: np.ndarray, k: int = 10) -> float:
    found = index.search(queries, k)[1]  # type: ignore[attr-defined]
    truth = exact.search(queries, k)[1]  # type: ignore[attr-defined]
    return float(np.mean([len(set(a) & set(b)) / k for a, b in zip(found, truth, strict=True)]))


@pytest.mark.parametrize(("faiss_type", "extra", "floor", "max_error"), [
    ("sq8", {}, 0.9, 0.01),
    ("ivfsq8", {}, 0.9, 0.01),
    ("ivfpq", {}, 0.9, 0.01),  # PQ candidates re-ranked with SQ8 codes
    ("ivfpq", {"refine": "flat"}, 0.9, 1e-6),  # ... or with the exact vectors
    ("ivfpq", {"refine": "none"}, 0.3, 0.3),  # PQ codes alone are coarse
])
def test_compressed_indexes_recall_against_flat(faiss_type: str, extra: dict, floor: float, max_error: float) -> None:
    vectors = _clustered(4000)
    queries = _clustered(200, seed=1)
    config = IndexConfig(kind="dense", faiss_type=faiss_type, ivf_nprobe=16, pq_m=4, **extra)
    index = make_faiss_index(vectors, config)
    exact = make_faiss_index(vectors, IndexConfig(kind="dense"))
    assert _recall(index, exact, queries) >= floor
    rows = np.arange(0, 4000, 97, dtype=np.int64)  # what the hybrid uses to score candidates
    assert np.abs(index.reconstruct_batch(rows) - vectors[rows]).max() <= max_error


@pytest.mark.parametrize("faiss_type", ["ivfpq", "sq8", "ivfsq8"])
def test_compressed_index_round_trip_and_nprobe(tmp_path: Path, faiss_type: str) -> None:
    vectors = _clustered(2000)
    ids, texts = [f"C::T::api{i}" for i in range(2000)], [f"doc {i}" for i in range(2000)]
    config = IndexConfig(kind="dense", faiss_type=faiss_type, ivf_nprobe=4, pq_m=4)
    built = DenseIndex.from_vectors(ids, [document_hash(t) for t in texts], vectors, _Encoder(vectors), config)
    built.save(tmp_path)
    (tmp_path / "index.json").write_text(json.dumps(built.meta))
    loaded = DenseIndex.load(tmp_path, built.meta, _Encoder(vectors))
    assert loaded.config.faiss_type == faiss_type and loaded.config.ivf_nprobe == 4
    assert loaded.retrieve("doc 17", 5) == built.retrieve("doc 17", 5)
    assert loaded.retrieve("doc 17", 1)[0][0] == "C::T::api17"
    loaded.set_nprobe(64)
    assert loaded.config.ivf_nprobe == 64 and loaded.retrieve("doc 17", 1)[0][0] == "C::T::api17"
    compressed = (tmp_path / "dense.faiss").stat().st_size
    assert compressed < 2000 * 32 * 4 * 0.6 or faiss_type == "ivfpq"  # ivfpq keeps SQ8 codes to re-rank


def test_compressed_index_via_build_index_and_hybrid(tmp_path: Path) -> None:
    apis = [ApiSpec("Cat", f"Tool{i // 5}", f"api{i}", f"weather forecast city number {i} " * (1 + i % 3))
            for i in range(400)]
    config = IndexConfig(faiss_type="ivfpq", pq_m=4)
    build_index(apis, tmp_path / "idx", kind="hybrid", encoder=HashingEncoder(32), config=config, cache=False)
    index = load_index(tmp_path / "idx", HashingEncoder(32))
    assert index.dense.config.faiss_type == "ivfpq"
    assert len(index.retrieve("weather forecast city number 7", 5)) == 5


def test_bad_faiss_type_and_too_few_vectors() -> None:
    with pytest.raises(ConfigError, match="faiss_type must be one of"):
        IndexConfig(faiss_type="pq")
    with pytest.raises(ConfigError, match="refine must be one of"):
        IndexConfig(refine="exact")
    with pytest.raises(InputError, match="at least 256 vectors"):
        make_faiss_index(_clustered(100), IndexConfig(faiss_type="ivfpq", pq_m=4))
    with pytest.raises(ConfigError, match="pq_m must divide"):
        make_faiss_index(_clustered(500), IndexConfig(faiss_type="ivfpq", pq_m=7))


def test_cli_index_with_ivfpq_and_nprobe(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from toolbench.app.cli import main

    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps([{"category_name": "Cat", "tool_name": f"Tool{i // 5}", "api_name": f"api{i}",
                                    "api_description": f"weather forecast city number {i}"} for i in range(300)]))
    assert main(["index", str(catalog), "--out", str(tmp_path / "idx"), "--kind", "dense", "--encoder", "hashing:32",
                 "--faiss", "ivfpq", "--nprobe", "7", "--no-cache"]) == 0
    assert json.loads((tmp_path / "idx" / "index.json").read_text())["config"]["ivf_nprobe"] == 7
    capsys.readouterr()
    assert main(["retrieve", "weather forecast city number 12", "--index", str(tmp_path / "idx"), "--nprobe", "30",
                 "--json", "--k", "1"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert [h["api_id"] for h in hits] == [a for a, _ in load_index(tmp_path / "idx", nprobe=30).retrieve(
        "weather forecast city number 12", 1)]
    bad = ["index", str(catalog), "--out", str(tmp_path / "bad"), "--faiss", "pq", "--encoder", "hashing:32"]
    assert main(bad) == 2
    assert "faiss_type must be one of" in capsys.readouterr().err


# --- embedding cache ---------------------------------------------------------------------------

def _keys(n: int, start: int = 0) -> list[str]:
    return [document_hash(f"doc {i}") for i in range(start, start + n)]


def test_cache_appends_without_rewriting(tmp_path: Path) -> None:
    cache = EmbeddingCache("enc", tmp_path)
    first = np.random.default_rng(0).standard_normal((5, 8)).astype(np.float32)
    cache.add(_keys(5), first)
    vec_file = cache.directory / "vectors.f32"
    head = vec_file.read_bytes()
    inode = vec_file.stat().st_ino
    second = np.random.default_rng(1).standard_normal((3, 8)).astype(np.float32)
    cache.add(_keys(3, 5) + _keys(1), np.concatenate([second, first[:1]]))  # a known key is not added again
    assert vec_file.stat().st_ino == inode and vec_file.read_bytes()[:len(head)] == head
    assert vec_file.stat().st_size == 8 * 8 * 4
    found, missing = EmbeddingCache("enc", tmp_path).lookup(_keys(9))
    assert missing == [8]
    np.testing.assert_array_equal(np.stack([found[i] for i in range(8)]), np.concatenate([first, second]))


def test_cache_survives_a_torn_append(tmp_path: Path) -> None:
    cache = EmbeddingCache("enc", tmp_path)
    rows = np.arange(4 * 8, dtype=np.float32).reshape(4, 8)
    cache.add(_keys(4), rows)
    with open(cache.directory / "vectors.f32", "ab") as handle:  # a crash mid-append: half a row ...
        handle.write(b"\x01" * 13)
    with open(cache.directory / "keys.txt", "ab") as handle:  # ... and half a key line
        handle.write(_keys(1, 4)[0][:10].encode())
    fresh = EmbeddingCache("enc", tmp_path)
    found, missing = fresh.lookup(_keys(5))
    assert missing == [4] and np.stack([found[i] for i in range(4)]).tolist() == rows.tolist()
    fresh.add(_keys(1, 4), np.full((1, 8), 7.0, dtype=np.float32))  # the next append cuts the torn tail
    found, missing = EmbeddingCache("enc", tmp_path).lookup(_keys(5))
    assert missing == [] and found[4].tolist() == [7.0] * 8 and found[3].tolist() == rows[3].tolist()
    assert (cache.directory / "vectors.f32").stat().st_size == 5 * 8 * 4


def test_cache_keys_without_rows_are_ignored(tmp_path: Path) -> None:
    cache = EmbeddingCache("enc", tmp_path)
    cache.add(_keys(2), np.ones((2, 4), dtype=np.float32))
    with open(cache.directory / "keys.txt", "ab") as handle:  # keys written, rows lost (no fsync)
        handle.write("".join(k + "\n" for k in _keys(2, 2)).encode())
    assert EmbeddingCache("enc", tmp_path).lookup(_keys(4))[1] == [2, 3]


def test_old_cache_format_is_read_and_migrated(tmp_path: Path) -> None:
    directory = EmbeddingCache("enc", tmp_path).directory
    directory.mkdir(parents=True)
    old = np.random.default_rng(0).standard_normal((3, 8)).astype(np.float32)
    np.save(directory / "vectors.npy", old, allow_pickle=False)
    (directory / "keys.json").write_text(json.dumps({"encoder_id": "enc", "keys": _keys(3)}))
    found, missing = EmbeddingCache("enc", tmp_path).lookup(_keys(4))
    assert missing == [3] and found[2].tolist() == old[2].tolist()
    cache = EmbeddingCache("enc", tmp_path)
    cache.add(_keys(1, 3), np.zeros((1, 8), dtype=np.float32))
    assert not (directory / "vectors.npy").exists()
    found, missing = EmbeddingCache("enc", tmp_path).lookup(_keys(4))
    assert missing == [] and found[0].tolist() == old[0].tolist()


def test_encode_documents_uses_the_cache(tmp_path: Path) -> None:
    encoder = HashingEncoder(32)
    docs = [f"document number {i}" for i in range(10)]
    cache = EmbeddingCache(encoder.id, tmp_path)
    first = encode_documents(encoder, docs[:6], cache=cache)
    both = encode_documents(encoder, docs, cache=EmbeddingCache(encoder.id, tmp_path))
    np.testing.assert_array_equal(both[:6], first)
    np.testing.assert_array_equal(both, encoder.encode(docs))


# --- BM25 ----------------------------------------------------------------------------------------

def test_bm25_batched_equals_one_by_one() -> None:
    words = ["weather", "city", "video", "search", "currency", "convert", "recipe", "football", "score", "news"]
    rng = np.random.default_rng(0)
    docs = [" ".join(rng.choice(words, size=int(rng.integers(1, 6)))) for _ in range(500)]
    docs[:20] = ["weather city"] * 20  # many exact ties at the k-th place
    index = BM25Index.build([f"C::T::a{i}" for i in range(500)], docs, IndexConfig(kind="bm25"))
    queries = [" ".join(rng.choice(words, size=int(rng.integers(1, 4)))) for _ in range(60)]
    queries += ["weather city", "zzzz unknown", "", "weather"]
    for k in (1, 5, 10, 499, 500, 1000):
        batched = index.plain_many(queries, k, threads=2)
        assert batched == [index.plain_many([q], k)[0] for q in queries]
    assert index.plain_many(queries, 10, threads=1) == index.plain_many(queries, 10, threads=2)


@pytest.mark.slow
def test_multi_process_encoding_matches_one_process() -> None:
    from retriever.encoders import load_encoder

    texts = [f"Search videos about topic {i} and get weather in city {i}" for i in range(300)]
    one = load_encoder(None).encode(texts)
    two = load_encoder(None, processes=2).encode(texts)
    assert two.shape == one.shape
    assert float(np.abs(one - two).max()) < 1e-4
