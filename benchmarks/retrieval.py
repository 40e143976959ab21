"""Retrieval benchmark on ../shared/data: throughput, latency, memory, quality, 100k scale.

Usage (from the repository root)::

    python benchmarks/retrieval.py                       # everything, trains a retriever (~minutes)
    python benchmarks/retrieval.py --trained runs/retriever-g1   # reuse a trained model
    python benchmarks/retrieval.py --skip-train --scale 20000    # quicker

Quality: StableToolBench G1 queries split by query id (seed 0, 30 % held out); training
uses only the train part; NDCG@k is reported on the held-out part per group, and on
Seal-Tools dev.jsonl (its own 4,076-tool catalog). Latency is single-query, including
query encoding, with torch limited to ``--threads`` CPU threads.
"""

from __future__ import annotations

import argparse
import json
import logging
import resource
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from retriever import build_index  # noqa: E402
from retriever.cache import EmbeddingCache  # noqa: E402
from retriever.dense import DenseIndex  # noqa: E402
from retriever.documents import catalog_documents, document_hash  # noqa: E402
from retriever.encoders import load_encoder  # noqa: E402
from retriever.evaluation import evaluate_index  # noqa: E402
from retriever.index_store import IndexConfig  # noqa: E402
from retriever.splits import split_queries  # noqa: E402

GROUPS = ("G1_instruction", "G1_category", "G1_tool")


def rss_mb() -> float:
    """Peak resident memory of this process so far (MB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def current_rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def latency_ms(index: Any, queries: list[str], k: int = 5) -> dict[str, float]:
    for query in queries:  # warm up: torch/oneDNN set up kernels per input shape on first use
        index.retrieve(query, k)
    times = []
    for query in queries:
        started = time.perf_counter()
        index.retrieve(query, k)
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return {"p50_ms": round(statistics.median(times), 2), "p95_ms": round(times[int(0.95 * (len(times) - 1))], 2)}


def quality_rows(name: str, index: Any, queries: list[Any]) -> list[dict[str, Any]]:
    """One row per query group and one for all: NDCG@1/@5, recall@5, completeness@5."""
    report = evaluate_index(index, queries, (1, 5))
    keys = ("ndcg@1", "ndcg@5", "recall@5", "completeness@5")
    groups = {**report.groups, "all": {**report.metrics, "count": report.metrics["queries"]}}
    return [{"ranker": name, "group": g, "n": v["count"], **{k: v[k] for k in keys}} for g, v in groups.items()]


def quality_row(name: str, index: Any, queries: list[Any]) -> dict[str, Any]:
    report = evaluate_index(index, queries, (1, 5))
    row = {"ranker": name, "ndcg@1": report.metrics["ndcg@1"], "ndcg@5": report.metrics["ndcg@5"],
           "recall@5": report.metrics["recall@5"], "completeness@5": report.metrics["completeness@5"],
           "queries": report.metrics["queries"]}
    row.update({f"ndcg@5 {g}": v["ndcg@5"] for g, v in report.groups.items()})
    return row


def print_table(title: str, rows: list[dict[str, Any]]) -> None:
    print(f"\n## {title}")
    keys = list(dict.fromkeys(k for row in rows for k in row))
    print(" | ".join(keys))
    for row in rows:
        cells = [f"{row[k]:.3f}" if isinstance(row.get(k), float) else str(row.get(k, "")) for k in keys]
        print(" | ".join(cells))


def eval_split(queries: list[Any], part: str) -> tuple[list[Any], list[Any]]:
    """(train, evaluated): ``held-out`` = the 30 % split (seed 0); ``validation`` = 30 % of
    its train part (seed 1), training on the rest; ``train`` = the whole train part (zero-shot
    choices only: nothing is trained); never the held-out part."""
    train, test = split_queries(queries, 0.3, seed=0)
    if part == "validation":
        return split_queries(train, 0.3, seed=1)
    return ([], train) if part == "train" else (train, test)


class MemoEncoder:
    """Remembers query vectors, so comparing merge modes encodes each request once (quality only)."""

    def __init__(self, encoder: Any) -> None:
        self.inner, self.memo = encoder, {}
        self.id, self.spec, self.dim = encoder.id, encoder.spec, encoder.dim

    def encode(self, texts: Any, *, batch_size: int = 64, show_progress: bool = False) -> Any:
        import numpy as np

        missing = [t for t in dict.fromkeys(texts) if t not in self.memo]
        if missing:
            self.memo.update(zip(missing, self.inner.encode(missing, batch_size=batch_size), strict=True))
        return np.stack([self.memo[t] for t in texts]) if texts else self.inner.encode(texts)


def memoised(index: Any) -> Any:
    """The index with its dense part's encoder wrapped in :class:`MemoEncoder` (a copy)."""
    dense = getattr(index, "dense", index)
    if not hasattr(dense, "encoder"):
        return index
    copy = type(dense)(dense.api_ids, dense.faiss_index, MemoEncoder(dense.encoder), dense.meta)
    return copy if dense is index else type(index)(copy, index.bm25, index.meta)


def with_multi(index: Any, mode: str, request_ranker: str = "hybrid") -> Any:
    config = index.config.replace(multi=mode)
    return index.with_config(config.replace(request_ranker=request_ranker) if index.kind == "hybrid" else config)


def ranker_rows(indexes: dict[str, Any], modes: list[str], queries: list[Any],
                request_rankers: list[str]) -> list[dict[str, Any]]:
    """Rows for every index, plain and with each need-aware merge mode (hybrid indexes: with
    each request ranker; named in the row when more than one is compared)."""
    rows = []
    for name, index in indexes.items():
        index = memoised(index)
        rows += quality_rows(name, with_multi(index, "off"), queries)
        for mode in (m for m in modes if m != "off"):
            for ranker in request_rankers if index.kind == "hybrid" else ["hybrid"]:
                label = f"{name} + need-aware {mode}"
                if index.kind == "hybrid" and len(request_rankers) > 1:
                    label += f" (requests: {ranker})"
                rows += quality_rows(label, with_multi(index, mode, ranker), queries)
    return rows


class Boosted:
    """A single ranker (BM25 or dense) with the hybrid's tool boost applied to its top ``depth``."""

    def __init__(self, index: Any, weight: float, depth: int = 100) -> None:
        self.index, self.weight, self.depth = index, weight, depth
        self.api_ids = index.api_ids

    def retrieve_many(self, queries: list[str], k: int) -> list[list[tuple[str, float]]]:
        from retriever.fusion import tool_boost

        ranked = self.index.plain_many(queries, max(k, self.depth))
        return [tool_boost(r, self.weight)[:k] for r in ranked]


def ndcg5(index: Any, queries: list[Any]) -> float:
    return evaluate_index(index, queries, (5,)).metrics["ndcg@5"]


def sweep(hybrid: Any, queries: list[Any], part: str) -> dict[str, Any]:
    """The grids that chose the shipped hybrid settings, on ``queries`` (plain, no request split):
    fusion x dense weight (tool boost 0 and the default 2) and the tool boost for each ranker."""
    hybrid = memoised(with_multi(hybrid, "off"))
    weights, boosts = (0.3, 0.4, 0.5, 0.6, 0.7), (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)
    out: dict[str, Any] = {}
    for boost in (0.0, 2.0):
        rows = []
        for fusion in ("rrf", "minmax", "zscore"):
            row: dict[str, Any] = {"fusion": fusion}
            for w in weights:
                config = hybrid.config.replace(fusion=fusion, dense_weight=w, tool_boost=boost)
                row[f"w={w}"] = ndcg5(hybrid.with_config(config), queries)
            rows.append(row)
        out[f"fusion_tool_boost_{boost:g}"] = rows
        print_table(f"NDCG@5 on the {part} part ({len(queries)} G1 queries): fusion x dense weight, "
                    f"tool boost {boost:g}", rows)
    rows = [{"ranker": "hybrid (z-score, w=0.5)",
             **{f"boost {b:g}": ndcg5(hybrid.with_config(hybrid.config.replace(tool_boost=b)), queries)
                for b in boosts}}]
    for name, part_index in (("BM25", hybrid.bm25), ("dense", hybrid.dense)):
        rows.append({"ranker": name, **{f"boost {b:g}": ndcg5(Boosted(part_index, b), queries) for b in boosts}})
    out["tool_boost"] = rows
    print_table(f"NDCG@5 on the {part} part ({len(queries)} G1 queries): tool boost", rows)
    return out


def two_request(texts: list[str]) -> list[str]:
    """The instructions the splitter cuts into exactly two requests."""
    from retriever.requests import split_requests

    return [t for t in texts if len(split_requests(t)) == 2]


def stabletoolbench(data: Path, args: argparse.Namespace, results: dict[str, Any]) -> None:
    from retriever.multi_tool_set import multi_tool_queries
    from toolbench.catalog.queries import load_queries
    from toolbench.loaders import load_catalog

    catalog = load_catalog(data / "stabletoolbench" / "catalog.json")
    queries = [q for g in GROUPS for q in load_queries(data / "stabletoolbench" / "queries" / f"{g}.json")]
    train, test = eval_split(queries, args.eval)
    multi = multi_tool_queries(test, per_group=args.multi_per_group, seed=args.multi_seed)
    texts = [q.query for q in test]
    encoder = load_encoder(None)
    _, docs = catalog_documents(catalog)
    encoder.encode(docs[:32])  # load the model before timing
    started = time.perf_counter()
    vectors = encoder.encode(docs, batch_size=64)
    encode_s = time.perf_counter() - started
    EmbeddingCache(encoder.id).add([document_hash(d) for d in docs], vectors)  # reused by build_index
    results["build"] = {"apis": len(catalog), "encode_docs_per_s": round(len(docs) / encode_s, 1)}
    config = IndexConfig(fusion=args.fusion, tool_boost=args.tool_boost, dense_weight=args.dense_weight)
    started = time.perf_counter()
    bm25 = build_index(catalog, None, kind="bm25", config=config)
    results["build"]["bm25_docs_per_s"] = round(len(catalog) / (time.perf_counter() - started), 1)
    hybrid = build_index(catalog, None, kind="hybrid", encoder=encoder, config=config)  # embeddings now cached
    hybrid_off = with_multi(hybrid, "off")
    indexes = {"BM25": bm25, "dense zero-shot": hybrid.dense, "hybrid zero-shot": hybrid}
    trained = trained_model(args, catalog, train)
    if trained:
        tuned = build_index(catalog, None, kind="hybrid", encoder=str(trained),
                            config=config.replace(dense_weight=args.trained_dense_weight))
        indexes.update({"dense trained": tuned.dense, "hybrid trained": tuned})
        results["trained_model"] = str(trained)
    if args.sweep:
        results["sweep"] = sweep(hybrid, test, args.eval)
    title = f"{args.eval} part: train {len(train)}, evaluated"
    sets = [("g1", f"StableToolBench G1 {title} {len(test)}", test),
            ("multi", f"multi-tool set from the G1 {args.eval} part ({len(multi)} instructions, "
                      f"seed {args.multi_seed})", multi)]
    for path in args.multi_queries:  # evaluated only: never used to choose a setting
        extra = load_queries(path)
        sets.append((f"file {path.name}", f"{path.name} ({len(extra)} instructions, evaluated only)", extra))
    for key, label, qs in sets:
        rows = ranker_rows(indexes, args.multi, qs, args.request_ranker)
        results[f"quality_{key}"] = rows
        print_table(label, rows)
    pairs = two_request([*texts, *(q.query for q in multi)])[:100]
    many = [q.query for q in multi][:100]
    latency = {"bm25": latency_ms(with_multi(bm25, "off"), texts),
               "dense": latency_ms(with_multi(hybrid.dense, "off"), texts),
               "hybrid": latency_ms(hybrid_off, texts), "hybrid, two-request": latency_ms(hybrid_off, pairs)}
    for mode in (m for m in args.multi if m != "off"):
        latency[f"hybrid {mode}, G1 queries"] = latency_ms(with_multi(hybrid, mode), texts)
        for ranker in args.request_ranker:
            latency[f"hybrid {mode} (requests: {ranker}), two-request"] = latency_ms(
                with_multi(hybrid, mode, ranker), pairs)
            latency[f"hybrid {mode} (requests: {ranker}), multi-tool set"] = latency_ms(
                with_multi(hybrid, mode, ranker), many)
    results["latency_2.5k"] = {**latency, "queries": {"g1": len(texts), "two-request": len(pairs),
                                                      "multi-tool set": len(many)}}
    if not args.skip_seal:
        seal_tools(data, trained, results)


def trained_model(args: argparse.Namespace, catalog: Any, train: list[Any]) -> Path | None:
    if args.trained:
        return Path(args.trained)
    if args.skip_train:
        return None
    from retriever.training import TrainConfig, train_retriever
    from retriever.training_data import read_pseudo_queries

    extra = [pair for path in args.pseudo_queries for pair in read_pseudo_queries(path, catalog)]
    started = time.perf_counter()
    model = train_retriever(train, catalog, args.work / "trained", TrainConfig(), extra_pairs=extra)
    print(f"trained in {time.perf_counter() - started:.0f} s")
    return model


def seal_tools(data: Path, trained: Path | None, results: dict[str, Any]) -> None:
    from toolbench.catalog.queries import load_queries
    from toolbench.loaders import load_catalog

    catalog = load_catalog(data / "seal-tools" / "tool.jsonl")
    queries = load_queries(data / "seal-tools" / "dev.jsonl", catalog)
    hybrid = build_index(catalog, None, kind="hybrid")
    rows = [quality_row("BM25", hybrid.bm25, queries), quality_row("dense zero-shot", hybrid.dense, queries),
            quality_row("hybrid zero-shot", hybrid, queries)]
    if trained:
        tuned = build_index(catalog, None, kind="hybrid", encoder=str(trained))
        rows.append(quality_row("hybrid trained on G1", tuned, queries))
    results["quality_seal_tools_dev"] = rows
    print_table(f"Seal-Tools dev ({len(queries)} queries, {len(catalog)} APIs)", rows)


def synthetic_scale(n: int, texts: list[str], documents: list[str], results: dict[str, Any]) -> None:
    """FAISS over ``n`` random unit vectors (flat, HNSW) and a hybrid with BM25 over ``n`` documents
    recycled from the real catalog; latency includes MiniLM query encoding."""
    import numpy as np

    from retriever.bm25 import BM25Index
    from retriever.hybrid import HybridIndex

    encoder = load_encoder(None)
    before = current_rss_mb()
    vectors = np.random.default_rng(0).standard_normal((n, encoder.dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    ids = [f"Synthetic::tool{i // 10}::api{i}" for i in range(n)]
    out: dict[str, Any] = {"apis": n}
    for faiss_type in ("flat", "hnsw"):
        started = time.perf_counter()
        config = IndexConfig(kind="dense", faiss_type=faiss_type)
        index = DenseIndex.from_vectors(ids, [""] * n, vectors, encoder, config)
        out[faiss_type] = {"build_s": round(time.perf_counter() - started, 2), **latency_ms(index, texts),
                           "rss_mb_after": round(current_rss_mb(), 1)}
        if faiss_type == "flat":
            started = time.perf_counter()
            docs = [f"{documents[i % len(documents)]} variant {i}" for i in range(n)]
            hybrid_config = IndexConfig(kind="hybrid")
            hybrid = HybridIndex.from_parts(index, BM25Index.build(ids, docs, hybrid_config), hybrid_config)
            out["hybrid"] = {"bm25_build_s": round(time.perf_counter() - started, 2), **latency_ms(hybrid, texts),
                             "rss_mb_after": round(current_rss_mb(), 1)}
            del hybrid, docs
        del index
    out["rss_mb_before"] = round(before, 1)
    results[f"synthetic_{n}"] = out
    print(f"\n## synthetic {n:,} APIs (query encoding included): {json.dumps(out)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--work", type=Path, default=ROOT / "runs" / "bench-retrieval")
    parser.add_argument("--trained", help="a trained retriever dir (skip training)")
    parser.add_argument("--skip-train", action="store_true")
    parser.add_argument("--pseudo-queries", action="append", default=[], type=Path,
                        help="also train on these pseudo-queries (e.g. toolbench data instructions --every-tool)")
    parser.add_argument("--trained-dense-weight", type=float, default=0.5,
                        help="dense weight of the trained hybrid (0.5 chosen on a validation part of the train split)")
    parser.add_argument("--eval", choices=("held-out", "validation", "train"), default="held-out",
                        help="evaluate on the held-out 30 %% (default), on a validation part of the train split, "
                             "or on the whole train split (zero-shot only, with --skip-train)")
    parser.add_argument("--fusion", default="zscore", help="hybrid fusion: zscore, minmax or rrf")
    parser.add_argument("--dense-weight", type=float, default=0.5, help="hybrid weight of the dense ranker")
    parser.add_argument("--tool-boost", type=float, default=2.0, help="tool boost (0: off)")
    parser.add_argument("--multi", action="append", default=None,
                        help="need-aware merge modes to compare (repeat; default: off and fused)")
    parser.add_argument("--multi-per-group", type=int, default=100,
                        help="instructions per group (G2_like, G3_like) of the multi-tool set")
    parser.add_argument("--multi-seed", type=int, default=0)
    parser.add_argument("--request-ranker", action="append", default=None, choices=("bm25", "hybrid"),
                        help="hybrid + need-aware: how requests are ranked (repeat to compare; default hybrid)")
    parser.add_argument("--multi-queries", action="append", default=[], type=Path,
                        help="extra multi-tool query files to evaluate only, e.g. StableToolBench's "
                             "solvable_queries/test_instruction/G2_category.json (repeatable)")
    parser.add_argument("--sweep", action="store_true",
                        help="also print the grids that chose the hybrid defaults (fusion x dense weight, "
                             "tool boost) on the evaluated part; use with --eval validation")
    parser.add_argument("--skip-seal", action="store_true", help="skip the Seal-Tools table")
    parser.add_argument("--scale", type=int, default=100_000)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if args.eval == "train" and not (args.skip_train and not args.trained):
        parser.error("--eval train evaluates the training queries: use it with --skip-train (zero-shot only)")
    args.multi = args.multi or ["off", "fused"]
    args.request_ranker = args.request_ranker or ["hybrid"]
    logging.basicConfig(level=logging.WARNING)
    import torch

    torch.set_num_threads(args.threads)
    results: dict[str, Any] = {"threads": args.threads}
    stabletoolbench(args.data, args, results)
    probe = [q["query"] for q in json.loads((args.data / "stabletoolbench/queries/G1_tool.json").read_text())][:100]
    if args.scale:
        from toolbench.loaders import load_catalog

        _, documents = catalog_documents(load_catalog(args.data / "stabletoolbench" / "catalog.json"))
        synthetic_scale(args.scale, probe, documents, results)
    results["peak_rss_mb"] = round(rss_mb(), 1)
    print(f"\n## build / latency\n{json.dumps({k: results[k] for k in ('build', 'latency_2.5k')}, indent=1)}")
    print(f"peak RSS {results['peak_rss_mb']} MB")
    args.work.mkdir(parents=True, exist_ok=True)
    (args.work / "results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
