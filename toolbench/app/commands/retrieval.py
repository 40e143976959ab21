"""``toolbench index``, ``toolbench retrieve`` and ``toolbench retriever train|eval``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import typer

from toolbench.errors import ConfigError

MULTI_HELP = "Multi-request instructions: fused (retrieve per request, merge), coverage, rr or off."
retriever_app = typer.Typer(help="Train and evaluate API retrievers.", no_args_is_help=True)


def api_parts(api_id: str) -> dict[str, str]:
    """Tool and API name of an API id.

    >>> api_parts("Data::Simple YouTube Search::Search")
    {'tool_name': 'Simple YouTube Search', 'api_name': 'Search'}
    """
    parts = api_id.split("::")
    return {"tool_name": "::".join(parts[1:-1]), "api_name": parts[-1]}


def _hits(ranked: list[tuple[str, float]]) -> list[dict[str, Any]]:
    return [{**api_parts(a), "api_id": a, "score": round(s, 6)} for a, s in ranked]


def _load_queries(paths: list[str], catalog_paths: list[str] | None = None) -> list[Any]:
    from toolbench.catalog.queries import load_queries

    catalog = None
    if catalog_paths:
        from toolbench.loaders import load_catalog

        catalog = load_catalog(catalog_paths)
    out = []
    for path in paths:
        out.extend(load_queries(path) if catalog is None else _lenient(path, catalog))
    return out


def _lenient(path: str, catalog: Any) -> list[Any]:
    """Queries resolved through ``catalog``; unknown APIs are kept (they are counted later)."""
    from toolbench.catalog.queries import load_queries
    from toolbench.errors import InputError

    try:
        return load_queries(path, catalog)
    except InputError:  # an API absent from the catalog: load anyway, training counts and skips it
        return load_queries(path)


def _split(queries: list[Any], part: str, held_out: float, seed: int) -> list[Any]:
    from retriever.splits import split_queries

    if part == "all":
        return queries
    if part not in ("train", "held-out"):
        raise ConfigError(f"--split must be all, train or held-out, not {part!r}")
    train, test = split_queries(queries, held_out, seed)
    return train if part == "train" else test


def index_command(
    catalog: list[str] = typer.Argument(..., help="Catalog files or folders (any supported format)."),
    out: Path = typer.Option(..., "--out", "-o", help="Index directory to write (atomically)."),
    encoder: str | None = typer.Option(None, "--encoder", help="Model dir, trained retriever dir, or hashing:DIM."),
    kind: str = typer.Option("hybrid", "--kind", help="dense, bm25 or hybrid."),
    faiss_type: str = typer.Option("flat", "--faiss",
                                   help="flat (exact), hnsw, ivf, or compressed: sq8, ivfsq8, ivfpq (large catalogs)."),
    nprobe: int = typer.Option(16, "--nprobe", min=1, help="IVF types: lists searched per query (saved)."),
    nlist: int = typer.Option(0, "--nlist", min=0, help="IVF types: number of lists (0: about 4 x sqrt(APIs))."),
    refine: str = typer.Option("sq8", "--refine", help="ivfpq: re-rank candidates with sq8 codes, flat (exact) "
                                                        "vectors or none."),
    encode_processes: int = typer.Option(1, "--encode-processes", min=1,
                                         help="Encode documents with N worker processes (sentence-transformers)."),
    fusion: str = typer.Option("zscore", "--fusion", help="Hybrid fusion: zscore, minmax or rrf."),
    dense_weight: float = typer.Option(0.5, "--dense-weight", help="Hybrid: weight of the dense ranker."),
    tool_boost: float = typer.Option(2.0, "--tool-boost", min=0.0,
                                     help="Hybrid: add this x the best score of each API's tool (0: off)."),
    multi: str = typer.Option("fused", "--multi", help=MULTI_HELP),
    request_ranker: str = typer.Option("hybrid", "--request-ranker",
                                       help="Hybrid, with --multi: rank each request hybrid (requests encoded too) "
                                            "or by bm25 (one encoder pass per instruction: faster, less accurate)."),
    fmt: str | None = typer.Option(None, "--format", "-f", help="Catalog format (default: detect)."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Do not use the embedding cache."),
) -> None:
    """Index a catalog once for retrieval."""
    import time

    from retriever import build_index
    from retriever.index_store import IndexConfig
    from toolbench.loaders import load_catalog

    apis = load_catalog(catalog, fmt=fmt)
    started = time.monotonic()
    config = IndexConfig(kind=kind, faiss_type=faiss_type, fusion=fusion, dense_weight=dense_weight,
                         tool_boost=tool_boost, multi=multi, request_ranker=request_ranker, ivf_nprobe=nprobe,
                         ivf_nlist=nlist, refine=refine)
    if encode_processes > 1 and kind != "bm25":
        from retriever.encoders import load_encoder

        encoder = load_encoder(encoder, processes=encode_processes)  # type: ignore[assignment]
    build_index(apis, out, kind=kind, encoder=encoder, config=config, cache=not no_cache, show_progress=True)
    typer.echo(f"indexed {len(apis):,} APIs ({kind}) into {out} in {time.monotonic() - started:.1f} s")


def retrieve_command(
    instruction: str | None = typer.Argument(None, help="An instruction (or use --queries)."),
    index: Path = typer.Option(..., "--index", help="Index directory."),
    queries: Path | None = typer.Option(None, "--queries", help="ToolBench query JSON or JSONL (query, query_id)."),
    k: int = typer.Option(5, "--k", min=1, help="How many APIs per query."),
    out: Path | None = typer.Option(None, "--out", "-o", help="JSONL output for --queries."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
    multi: str | None = typer.Option(None, "--multi", help=MULTI_HELP + " Default: the index's setting."),
    nprobe: int | None = typer.Option(None, "--nprobe", min=1, help="IVF indexes: lists searched (default: saved)."),
) -> None:
    """Retrieve the best APIs for an instruction or for every query of a file."""
    from retriever import load_index

    if (instruction is None) == (queries is None):
        raise ConfigError("give either an instruction or --queries FILE")
    idx = load_index(index, multi=multi, nprobe=nprobe)
    if instruction is not None:
        hits = _hits(idx.retrieve(instruction, k))
        if as_json:
            typer.echo(json.dumps(hits, indent=2))
        else:
            _print_hits(instruction, hits)
        return
    qs = _load_queries([str(queries)])
    records = [{"query_id": q.query_id, "query": q.query, "apis": _hits(r)}
               for q, r in zip(qs, idx.retrieve_many([q.query for q in qs], k), strict=True)]
    if out is None:
        for record in records:
            typer.echo(json.dumps(record, ensure_ascii=False))
        return
    from toolbench.store import write_jsonl

    write_jsonl(out, records)
    typer.echo(f"wrote top-{k} APIs of {len(records):,} queries to {out}")


def _print_hits(instruction: str, hits: list[dict[str, Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=instruction, title_justify="left")
    for column in ("#", "tool", "API", "score"):
        table.add_column(column, justify="right" if column in ("#", "score") else "left")
    for rank, hit in enumerate(hits, start=1):
        table.add_row(str(rank), hit["tool_name"], hit["api_name"], f"{hit['score']:.4f}")
    Console().print(table)


def train_command(
    catalog: list[str] = typer.Option(..., "--catalog", help="Catalog files (repeat the option)."),
    queries: list[str] = typer.Option(..., "--queries", help="ToolBench or Seal-Tools query files (repeat)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output dir (model/ inside is the encoder)."),
    base_model: str = typer.Option("all-MiniLM-L6-v2", "--base-model", help="Encoder to fine-tune."),
    epochs: float = typer.Option(2.0, "--epochs"),
    batch_size: int = typer.Option(32, "--batch-size"),
    seed: int = typer.Option(0, "--seed"),
    split: str = typer.Option("train", "--split", help="Train on: all, train (default) or held-out."),
    held_out: float = typer.Option(0.3, "--held-out", help="Held-out fraction of the query-id split."),
    pseudo: list[str] = typer.Option(
        [], "--pseudo-queries", help="JSONL {query, api_id} or {query, relevant_api_ids} (e.g. from "
        "`toolbench data instructions --every-tool`); added to training, never split."),
) -> None:
    """Fine-tune the retriever encoder (MultipleNegativesRankingLoss + hard negatives)."""
    from retriever.training import TrainConfig, train_retriever
    from retriever.training_data import read_pseudo_queries
    from toolbench.loaders import load_catalog

    apis = load_catalog(catalog)
    qs = _split(_load_queries(queries, catalog), split, held_out, seed)
    extra = [p for path in pseudo for p in read_pseudo_queries(path, apis)]
    config = TrainConfig(base_model=base_model, epochs=epochs, batch_size=batch_size, seed=seed)
    model = train_retriever(qs, apis, out, config, extra_pairs=extra)
    typer.echo(f"trained on {len(qs):,} queries (+{len(extra):,} pseudo-queries); encoder saved to {model}")
    typer.echo(f"next: toolbench index {' '.join(catalog)} --encoder {out} --out INDEX_DIR")


def eval_command(
    index: Path = typer.Option(..., "--index", help="Index directory."),
    queries: list[str] = typer.Option(..., "--queries", help="Query files with relevant APIs (repeat)."),
    ks: str = typer.Option("1,3,5,10", "--k", help="Cut-offs, comma-separated."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
    split: str = typer.Option("all", "--split", help="Evaluate on: all (default), train or held-out."),
    held_out: float = typer.Option(0.3, "--held-out", help="Held-out fraction of the query-id split."),
    seed: int = typer.Option(0, "--seed"),
    out: Path | None = typer.Option(None, "--out", "-o", help="Write the full report (with rows) as JSON."),
    multi: str | None = typer.Option(None, "--multi", help=MULTI_HELP + " Default: the index's setting."),
) -> None:
    """NDCG@k, recall@k, completeness@k and MRR of an index, per query group."""
    from retriever import load_index
    from retriever.evaluation import evaluate_index, parse_ks

    try:
        cutoffs = parse_ks(ks)
    except ValueError as exc:
        raise ConfigError(str(exc)) from exc
    qs = _split(_load_queries(queries), split, held_out, seed)
    report = evaluate_index(load_index(index, multi=multi), qs, cutoffs)
    report.config.update(index=str(index), queries=queries, split=split, multi=multi)
    if out is not None:
        from toolbench.store import atomic_write_json

        atomic_write_json(out, report.to_dict())
    if as_json:
        typer.echo(json.dumps({"metrics": report.metrics, "groups": report.groups}, indent=2))
        return
    _print_report(report, cutoffs)


def _print_report(report: Any, ks: list[int]) -> None:
    from rich.console import Console
    from rich.table import Table

    columns = [f"{m}@{k}" for m in ("ndcg", "recall", "completeness") for k in ks] + ["mrr"]
    table = Table(title=f"{report.name} ({report.metrics['queries']} queries)", title_justify="left")
    table.add_column("group")
    table.add_column("n", justify="right")
    for column in columns:
        table.add_column(column, justify="right")
    rows = list(report.groups.items()) + [("all", {**report.metrics, "count": report.metrics["queries"]})]
    for name, values in rows:
        table.add_row(name, str(values["count"]), *(f"{values[c]:.3f}" for c in columns))
    Console().print(table)
    if report.metrics["missing_relevant_apis"]:
        Console().print(f"{report.metrics['missing_relevant_apis']} relevant APIs not in the index; "
                        f"{report.metrics['skipped_queries']} queries skipped")


def register(app: typer.Typer) -> None:
    """Add this module's commands to ``app``."""
    app.command("index")(index_command)
    app.command("retrieve")(retrieve_command)
    retriever_app.command("train")(train_command)
    retriever_app.command("eval")(eval_command)
    app.add_typer(retriever_app, name="retriever")
