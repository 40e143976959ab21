"""Benchmark: reading, naming, exporting and validating the shared catalogs (2-core CPU).

For each shared catalog: load time (median of ``--repeat`` runs), APIs, the function
name map, OpenAI export + JSON Schema meta-validation, and the ToolBench round trip.

    python benchmarks/catalog.py                    # ../shared/data beside the project
    python benchmarks/catalog.py --repeat 5 --data /path/to/shared/data
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from toolbench.catalog import Catalog
from toolbench.catalog.exporters import export_catalog
from toolbench.catalog.queries import load_queries
from toolbench.loaders import load_catalog

ROOT = Path(__file__).resolve().parent.parent


def timed(fn: Callable[[], Any], repeat: int) -> tuple[Any, float]:
    """The last result and the median seconds over ``repeat`` calls."""
    seconds, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - start)
    return result, statistics.median(seconds)


def bench_catalog(name: str, paths: list[Path], repeat: int, tmp: Path) -> dict[str, Any]:
    catalog, load_s = timed(lambda: load_catalog(paths), repeat)
    fresh = Catalog(list(catalog))
    _, names_s = timed(lambda: Catalog(list(catalog)).name_map, repeat)
    _, export_s = timed(lambda: export_catalog(fresh, "openai", tmp / f"{name}.json"), repeat)
    tools = json.loads((tmp / f"{name}.json").read_text())
    start = time.perf_counter()
    for tool in tools:
        Draft202012Validator.check_schema(tool["function"]["parameters"])
    check_s = time.perf_counter() - start
    flat = export_catalog(catalog, "toolbench", tmp / f"{name}.flat.json")
    again = load_catalog(flat)
    same = [a.to_dict() | {"source": ""} for a in again] == [a.to_dict() | {"source": ""} for a in catalog]
    return {
        "catalog": name, "apis": len(catalog), "tools": len(catalog.tools()), "load_s": load_s,
        "apis_per_s": len(catalog) / load_s, "name_map_s": names_s, "openai_export_s": export_s,
        "schema_check_s": check_s, "unique_names": len({t["function"]["name"] for t in tools}) == len(tools),
        "toolbench_round_trip_identical": same,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    data = args.data
    catalogs = {
        "stabletoolbench": [data / "stabletoolbench" / "catalog.json"],
        "seal-tools": [data / "seal-tools" / "tool.jsonl"],
        "bfcl": sorted((data / "bfcl").glob("BFCL_*.json")),
        "stb-queries": [data / "stabletoolbench" / "queries"],
    }
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for name, paths in catalogs.items():
            rows.append(bench_catalog(name, paths, args.repeat, Path(tmp)))
    for row in rows:
        print(json.dumps({k: round(v, 4) if isinstance(v, float) else v for k, v in row.items()}))
    full = load_catalog(catalogs["stabletoolbench"])
    files = sorted((data / "stabletoolbench" / "queries").glob("*.json"))
    queries, seconds = timed(lambda: [q for f in files for q in load_queries(f, full)], args.repeat)
    print(json.dumps({"queries": len(queries), "load_queries_s": round(seconds, 4)}))


if __name__ == "__main__":
    main()
