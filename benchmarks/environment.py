"""Executor overhead per call (target: p50 <= 1 ms for local tools).

Measures, for cheap built-in tools, the time of ``Executor.call`` (dispatch, validation,
timeout worker, observation JSON) against calling the Python function directly — for each
isolation: ``none``, ``thread`` and ``process`` (the default: reused worker processes,
one pipe round trip per call) — and the virtual executor's cache-hit and simulator paths.
Run:

    python benchmarks/environment.py --calls 2000
"""

from __future__ import annotations

import argparse
import platform
import statistics
import tempfile
import time
from pathlib import Path

from toolbench.builtin_world import builtin_catalog, builtin_executor, builtin_function_table
from toolbench.catalog import Catalog
from toolbench.executors import build_executor
from toolbench.executors.cache import ResponseCache
from toolbench.types import ApiSpec, ToolCall

ISOLATIONS = ("none", "thread", "process")
CALLS = [
    ("calculator", {"expression": "(12 + 30) * 1.5"}),
    ("day_of_week", {"date": "2024-07-04"}),
    ("is_prime", {"n": "97"}),  # coerced
    ("count_words", {"text": "the quick brown fox"}),
]


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    pick = lambda q: ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000  # noqa: E731
    return {"p50_ms": pick(0.5), "p90_ms": pick(0.9), "p99_ms": pick(0.99), "mean_ms": statistics.fmean(ordered) * 1000}


def time_calls(call, n: int) -> list[float]:  # type: ignore[no-untyped-def]
    samples = []
    for i in range(n):
        name, args = CALLS[i % len(CALLS)]
        start = time.perf_counter()
        call(name, args)
        samples.append(time.perf_counter() - start)
    return samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    n = parser.parse_args().calls
    catalog = builtin_catalog()
    table = builtin_function_table()
    ids = {name: catalog.by_function_name(name).id for name, _ in CALLS}
    fixed = {"is_prime": {"n": 97}}
    for name, args in CALLS:  # warm-up: imports, caches
        table[ids[name]](**fixed.get(name, args))
    rows = {}
    rows["direct function call"] = time_calls(lambda nm, a: table[ids[nm]](**fixed.get(nm, a)), n)
    for isolation in ISOLATIONS:
        executor = builtin_executor(isolation=isolation)
        executor.call(ToolCall("c", "calculator", {"expression": "1"}))  # warm-up: starts a worker
        rows[f"builtin executor, isolation={isolation}"] = time_calls(
            lambda nm, a, ex=executor: ex.call(ToolCall("c", nm, a)), n
        )
        executor.close()
    with tempfile.TemporaryDirectory() as tmp:
        api = ApiSpec("Data", "Users", "Get User", template_response={"data": {"id": "int", "name": "str"}},
                      parameters={"type": "object", "properties": {"id": {"type": "integer"}}, "required": ["id"]})
        path = Path(tmp) / "cache.sqlite"
        virtual = build_executor("virtual", Catalog([api]), cache=path)
        rows["virtual executor, simulator (cache miss)"] = [
            _timed(lambda i=i: virtual.call(ToolCall("c", "get_user_for_users", {"id": i}))) for i in range(n)
        ]
        cache = ResponseCache(path)
        for i in range(n):
            cache.put(api.id, {"id": -i - 1}, {"data": {"id": i, "name": "x"}}, "real")
        rows["virtual executor, cache hit"] = [
            _timed(lambda i=i: virtual.call(ToolCall("c", "get_user_for_users", {"id": -i - 1}))) for i in range(n)
        ]
        virtual.close()
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
          f"calls per row: {n}")
    print(f"{'path':45s} {'p50 ms':>8s} {'p90 ms':>8s} {'p99 ms':>8s} {'mean ms':>8s}")
    for label, samples in rows.items():
        p = percentiles(samples)
        print(f"{label:45s} {p['p50_ms']:8.3f} {p['p90_ms']:8.3f} {p['p99_ms']:8.3f} {p['mean_ms']:8.3f}")
    direct = percentiles(rows["direct function call"])["p50_ms"]
    for isolation in ISOLATIONS:
        own = percentiles(rows[f"builtin executor, isolation={isolation}"])["p50_ms"]
        verdict = "OK" if own - direct <= 1.0 else "OVER TARGET"
        print(f"executor overhead p50 (isolation={isolation}): {own - direct:.3f} ms  [{verdict}, target <= 1 ms]")


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
