"""Retrieval at 100k and 1M synthetic APIs: FAISS index types, BM25 and encoding speed.

Each index is built in a child process and then loaded and queried in another, so build time,
peak memory (``ru_maxrss``) and the memory of a serving process are measured cleanly:

* vectors (dim 384, L2-normalised, seeded): ``gaussian`` (random; the hardest case for IVF and
  PQ, whose neighbours are spread evenly) or ``catalog`` (real all-MiniLM-L6-v2 vectors of the
  StableToolBench catalog's documents, each synthetic API = a catalog vector + 0.3 x another +
  seeded noise, so vectors cluster by topic as real API embeddings do);
* queries: the first 200 StableToolBench G1_tool queries, encoded with the real MiniLM;
* recall@10 of each index against ``flat`` (exact) on the same vectors and queries;
* latency: FAISS search of one query vector (``search``), MiniLM encoding of one query
  (``encode``) and ``DenseIndex.retrieve`` end to end (both);
* BM25 over documents recycled from the catalog: build, one-by-one and batched (threads) latency;
* encoding speed: MiniLM on a 10k-document sample with 1 and 2 processes, extrapolated to 1M.

    nice -n 10 python benchmarks/retrieval_scale.py --sizes 100000
    nice -n 10 python benchmarks/retrieval_scale.py --sizes 1000000 --types flat,ivfpq,sq8,ivfsq8
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DIM = 384


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field):
            return round(int(line.split()[1]) / 1024, 1)
    return 0.0


def peak_rss_mb() -> float:
    """Peak RSS of this process (VmHWM: unlike ru_maxrss it does not inherit the parent's peak)."""
    return _status_mb("VmHWM:")


def current_rss_mb() -> float:
    return _status_mb("VmRSS:")


def percentiles(times_ms: list[float]) -> dict[str, float]:
    times_ms = sorted(times_ms)
    p95 = times_ms[int(0.95 * (len(times_ms) - 1))]
    return {"p50_ms": round(statistics.median(times_ms), 2), "p95_ms": round(p95, 2)}


def catalog_texts(data: Path) -> tuple[list[str], list[str]]:
    """(documents of the StableToolBench catalog, the first 200 G1_tool queries)."""
    from retriever.documents import catalog_documents
    from toolbench.loaders import load_catalog

    _, documents = catalog_documents(load_catalog([str(data / "stabletoolbench" / "catalog.json")]))
    queries = [q["query"] for q in json.loads((data / "stabletoolbench/queries/G1_tool.json").read_text())][:200]
    return documents, queries


def synthetic_vectors(n: int, kind: str, work: Path) -> Any:
    """``n`` seeded unit vectors of dim 384 (see the module docstring), generated in chunks."""
    import numpy as np

    out = np.empty((n, DIM), dtype=np.float32)
    rng = np.random.default_rng(0)
    base = np.load(work / "catalog_vectors.npy") if kind == "catalog" else None
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        noise = rng.standard_normal((stop - start, DIM), dtype=np.float32)
        if base is None:
            chunk = noise
        else:
            rows = np.arange(start, stop)
            chunk = base[rows % len(base)] + 0.3 * base[(rows * 7919 + 13) % len(base)] + 0.3 / DIM**0.5 * noise
        out[start:stop] = chunk / np.linalg.norm(chunk, axis=1, keepdims=True)
    return out


def api_ids(n: int) -> list[str]:
    return [f"Synthetic::tool{i // 10}::api{i}" for i in range(n)]


def child_build(args: argparse.Namespace) -> dict[str, Any]:
    """Build one index over the synthetic vectors and save it; flat also writes the ground truth."""
    import numpy as np

    from retriever.dense import DenseIndex
    from retriever.encoders import load_encoder
    from retriever.index_store import IndexConfig, staged_directory

    vectors = synthetic_vectors(args.n, args.vectors, args.work)
    rss_vectors = current_rss_mb()
    config = IndexConfig(kind="dense", faiss_type=args.type, ivf_nlist=args.nlist, ivf_nprobe=args.nprobe)
    started = time.perf_counter()
    index = DenseIndex.from_vectors(api_ids(args.n), [""] * args.n, vectors, load_encoder(None), config)
    build_s = time.perf_counter() - started
    if args.type == "flat":
        queries = np.load(args.work / "queries.npy")
        np.save(args.work / f"truth_{args.vectors}_{args.n}.npy", index.faiss_index.search(queries, 10)[1])
    out = args.work / f"index_{args.vectors}_{args.n}_{args.type}"
    with staged_directory(out) as staging:
        index.save(staging)
    return {"build_s": round(build_s, 1), "build_peak_rss_mb": peak_rss_mb(), "rss_vectors_mb": rss_vectors,
            "faiss_file_mb": round((out / "dense.faiss").stat().st_size / 2**20, 1)}


def child_serve(args: argparse.Namespace) -> dict[str, Any]:
    """Load a saved index as a server would, then measure memory, recall@10 and latency."""
    import numpy as np

    from retriever import load_index

    rss_start = current_rss_mb()
    index = load_index(args.work / f"index_{args.vectors}_{args.n}_{args.type}")
    texts = json.loads((args.work / "queries.json").read_text())
    index.encode_queries(texts[:5])  # load MiniLM and warm it up
    result: dict[str, Any] = {"rss_python_mb": rss_start, "rss_loaded_mb": current_rss_mb()}
    queries = np.load(args.work / "queries.npy")
    truth = np.load(args.work / f"truth_{args.vectors}_{args.n}.npy")
    sweep = [int(p) for p in args.nprobe_sweep.split(",")] if args.type.startswith("ivf") else [0]
    for nprobe in sweep:
        if nprobe:
            index.set_nprobe(nprobe)
        found = index.faiss_index.search(queries, 10)[1]
        recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth, strict=True)]))
        times = []
        for vector in queries:
            started = time.perf_counter()
            index.faiss_index.search(vector[None, :], 10)
            times.append((time.perf_counter() - started) * 1000)
        result[f"nprobe={nprobe}" if nprobe else "search"] = {"recall@10": round(recall, 4), **percentiles(times)}
    encode, both = [], []
    for text in texts:
        started = time.perf_counter()
        index.encode_queries([text])
        encode.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        index.retrieve(text, 10)
        both.append((time.perf_counter() - started) * 1000)
    result.update(encode=percentiles(encode), retrieve_end_to_end=percentiles(both), serve_peak_rss_mb=peak_rss_mb())
    return result


def child_bm25(args: argparse.Namespace) -> dict[str, Any]:
    """BM25 over ``n`` documents recycled from the catalog: build, latency one by one and batched."""
    from retriever.bm25 import BM25Index
    from retriever.index_store import IndexConfig

    documents, texts = catalog_texts(args.data)
    docs = [f"{documents[i % len(documents)]} variant {i}" for i in range(args.n)]
    started = time.perf_counter()
    index = BM25Index.build(api_ids(args.n), docs, IndexConfig(kind="bm25", multi="off"))
    build_s = time.perf_counter() - started
    del docs
    single = []
    for text in texts:
        started = time.perf_counter()
        index.plain_many([text], 10)
        single.append((time.perf_counter() - started) * 1000)
    batched = {}
    for threads in (1, 2):
        started = time.perf_counter()
        index.plain_many(texts, 10, threads=threads)
        batched[f"threads={threads}_ms_per_query"] = round((time.perf_counter() - started) * 1000 / len(texts), 2)
    return {"build_s": round(build_s, 1), "one_by_one": percentiles(single), **batched, "peak_rss_mb": peak_rss_mb()}


def child_encode(args: argparse.Namespace) -> dict[str, Any]:
    """Encode a 10k-document sample with MiniLM in ``processes`` processes."""
    from retriever.encoders import load_encoder

    documents, _ = catalog_texts(args.data)
    sample = [f"{documents[i % len(documents)]} variant {i}" for i in range(args.n)]
    encoder = load_encoder(None, processes=args.processes)
    encoder.encode(sample[:64])  # load the model before timing
    started = time.perf_counter()
    encoder.encode(sample, batch_size=64)
    seconds = time.perf_counter() - started
    rate = args.n / seconds
    return {"documents": args.n, "processes": args.processes, "seconds": round(seconds, 1),
            "docs_per_s": round(rate, 1), "extrapolated_1M_hours": round(1_000_000 / rate / 3600, 2)}


CHILDREN = {"build": child_build, "serve": child_serve, "bm25": child_bm25, "encode": child_encode}


def run_child(args: argparse.Namespace, role: str, **extra: Any) -> dict[str, Any]:
    """Run one measurement in a fresh process; its JSON result, or the error it printed."""
    command = [sys.executable, __file__, "--child", role, "--work", str(args.work), "--data", str(args.data),
               "--nprobe-sweep", args.nprobe_sweep]
    for key, value in extra.items():
        command += [f"--{key.replace('_', '-')}", str(value)]
    started = time.perf_counter()
    proc = subprocess.run(command, capture_output=True, text=True)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode or not lines:
        return {"error": proc.stderr.strip().splitlines()[-1:] or f"exit {proc.returncode}"}
    result = json.loads(lines[-1])
    result["wall_s"] = round(time.perf_counter() - started, 1)
    return result


def prepare(args: argparse.Namespace, vector_kinds: list[str]) -> None:
    """Encode the probe queries (and, for ``catalog`` vectors, the catalog documents) with MiniLM."""
    import numpy as np

    from retriever.cache import encode_documents
    from retriever.encoders import load_encoder

    args.work.mkdir(parents=True, exist_ok=True)
    documents, queries = catalog_texts(args.data)
    encoder = load_encoder(None)
    (args.work / "queries.json").write_text(json.dumps(queries))
    np.save(args.work / "queries.npy", encoder.encode(queries))
    if "catalog" in vector_kinds:
        np.save(args.work / "catalog_vectors.npy", encode_documents(encoder, documents))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--work", type=Path, default=ROOT / "runs" / "bench-retrieval-scale")
    parser.add_argument("--sizes", default="100000", help="comma-separated numbers of synthetic APIs")
    parser.add_argument("--types", default="flat,hnsw,ivfpq,sq8,ivfsq8", help="FAISS types (flat always runs first)")
    parser.add_argument("--vectors", default="gaussian,catalog", help="gaussian and/or catalog")
    parser.add_argument("--nlist", type=int, default=0, help="IVF lists (0: about 4 x sqrt(n))")
    parser.add_argument("--nprobe", type=int, default=16, help="IVF lists searched (saved in the index)")
    parser.add_argument("--nprobe-sweep", default="16,64,256", help="nprobe values measured when serving IVF types")
    parser.add_argument("--no-bm25", action="store_true")
    parser.add_argument("--encode", default="", help="encoding speed: processes to compare, e.g. 1,2 (10k docs)")
    parser.add_argument("--encode-docs", type=int, default=10_000)
    parser.add_argument("--child", choices=sorted(CHILDREN), help=argparse.SUPPRESS)
    parser.add_argument("--n", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--type", default="flat", help=argparse.SUPPRESS)
    parser.add_argument("--processes", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child](args)))
        return
    kinds = [k for k in args.vectors.split(",") if k]
    types = ["flat"] + [t for t in args.types.split(",") if t and t != "flat"]
    prepare(args, kinds)
    results: dict[str, Any] = {"machine": os.uname().nodename, "cpus": os.cpu_count(), "faiss_types": types}
    for processes in [int(p) for p in args.encode.split(",") if p]:
        key = f"encode_{args.encode_docs}_docs_{processes}_proc"
        results[key] = run_child(args, "encode", n=args.encode_docs, processes=processes)
        print(f"## {key}: {json.dumps(results[key])}", flush=True)
    for n in [int(s) for s in args.sizes.split(",")]:
        if not args.no_bm25:
            results[f"bm25_{n}"] = run_child(args, "bm25", n=n)
            print(f"## bm25 {n:,}: {json.dumps(results[f'bm25_{n}'])}", flush=True)
        for kind in kinds:
            for faiss_type in types:
                common = {"n": n, "vectors": kind, "type": faiss_type, "nlist": args.nlist, "nprobe": args.nprobe}
                row = {"build": run_child(args, "build", **common)}
                if "error" not in row["build"]:
                    row["serve"] = run_child(args, "serve", **common)
                results[f"{kind}_{n}_{faiss_type}"] = row
                print(f"## {kind} {n:,} {faiss_type}: {json.dumps(row)}", flush=True)
                if "error" not in row["build"]:
                    import shutil

                    if faiss_type != "flat":
                        shutil.rmtree(args.work / f"index_{kind}_{n}_{faiss_type}", ignore_errors=True)
            import shutil

            shutil.rmtree(args.work / f"index_{kind}_{n}_flat", ignore_errors=True)
    out = args.work / f"results_{args.sizes.replace(',', '_')}.json"
    out.write_text(json.dumps(results, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
