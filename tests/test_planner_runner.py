"""Runner: results per query, resume, concurrency, open domain, kill safety (subprocess)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from planner_fakes import RuleModel, tool_catalog

from planner.config import PlannerConfig
from planner.runner import run_queries, select_apis
from toolbench.errors import ConfigError, InputError
from toolbench.executors import build_executor
from toolbench.store.run_io import read_run
from toolbench.store.runs import RunDir
from toolbench.types import FinishReason, Query

ROOT = Path(__file__).resolve().parent.parent


def _setup():
    catalog, table = tool_catalog()
    executor = build_executor("python", catalog, functions=table)
    add_id = next(i for i in catalog.ids if i.endswith("add"))
    queries = [Query(str(n), f"What is {n} plus {n + 1}?", api_ids=[add_id]) for n in range(6)]
    return catalog, executor, queries


def test_run_writes_one_result_per_query_and_resumes(tmp_path):
    catalog, executor, queries = _setup()
    model = RuleModel()
    stats = run_queries(queries[:4], catalog, model, executor, PlannerConfig(), tmp_path, concurrency=3)
    assert (stats.done, stats.solved, stats.errors) == (4, 4, 0)
    assert stats.llm_calls == 8 and stats.tokens == 8 * 15
    by_id = {t.query_id: t for t in read_run(tmp_path)}
    assert by_id["2"].final_answer == "The sum is 5" and by_id["2"].usage.api_calls == 1
    assert by_id["2"].messages[-1].tool_calls[0].name == "Finish"
    config = json.loads((tmp_path / "config.json").read_text())
    assert config["config"]["planner"]["method"] == "dfsdt" and "python" in config["versions"]
    calls_before = model.calls
    stats = run_queries(queries, catalog, model, executor, PlannerConfig(), tmp_path, concurrency=2)
    assert (stats.skipped, stats.done) == (4, 2)
    assert model.calls - calls_before == 4  # only the two new queries ran
    assert len((tmp_path / "trajectories.jsonl").read_text().splitlines()) == 6


def test_resume_with_other_settings_is_refused(tmp_path):
    catalog, executor, queries = _setup()
    run_queries(queries[:1], catalog, RuleModel(), executor, PlannerConfig(), tmp_path)
    with pytest.raises(ConfigError, match="other planner settings"):
        run_queries(queries[:1], catalog, RuleModel(), executor, PlannerConfig(width=3), tmp_path)


def test_open_domain_uses_the_index():
    catalog, _ = tool_catalog()

    class Index:
        def retrieve(self, query, k):
            return [(i, 1.0) for i in sorted(catalog.ids)][:k] + [("Not::In::Catalog", 0.5)]

    ids, hits = select_apis(Query("1", "add numbers"), catalog, Index(), k=1)
    assert ids == sorted(catalog.ids)[:1] and hits[0][1] == 1.0
    with pytest.raises(InputError, match="--index"):
        select_apis(Query("1", "add numbers"), catalog, None)


def test_errors_are_recorded_and_retried(tmp_path):
    catalog, executor, queries = _setup()
    bad = Query("bad", "x", api_ids=["Nope::Nope::Nope"])
    stats = run_queries([bad, queries[0]], catalog, RuleModel(), executor, PlannerConfig(), tmp_path)
    assert (stats.done, stats.errors) == (1, 1)
    assert RunDir(tmp_path).finished_ids() == {"0"}
    assert "not in the catalog" in (tmp_path / "errors.jsonl").read_text()


SCRIPT = """
import sys, time
sys.path[:0] = [{root!r}, {root!r} + "/tests"]
from toolbench.executors import build_executor
from toolbench.types import Query
from planner.config import PlannerConfig
from planner.runner import run_queries
from planner_fakes import RuleModel, tool_catalog
catalog, table = tool_catalog()
executor = build_executor("python", catalog, functions=table)
add_id = next(i for i in catalog.ids if i.endswith("add"))
queries = [Query(str(n), f"What is {{n}} plus 1?", api_ids=[add_id]) for n in range(40)]
run_queries(queries, catalog, RuleModel(delay=0.05), executor, PlannerConfig(), {out!r}, concurrency=2)
"""


@pytest.mark.slow
def test_sigkill_midway_then_resume(tmp_path):
    out = tmp_path / "run"
    script = tmp_path / "plan.py"
    script.write_text(SCRIPT.format(root=str(ROOT), out=str(out)))
    proc = subprocess.Popen([sys.executable, str(script)], cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(RunDir(out).finished_ids()) < 5:
        time.sleep(0.05)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = RunDir(out).finished_ids()
    assert 5 <= len(finished) < 40
    for path in (out / "results").glob("*.json"):  # every file left behind is whole
        json.loads(path.read_text())
    catalog, table = tool_catalog()
    executor = build_executor("python", catalog, functions=table)
    add_id = next(i for i in catalog.ids if i.endswith("add"))
    queries = [Query(str(n), f"What is {n} plus 1?", api_ids=[add_id]) for n in range(40)]
    model = RuleModel()
    stats = run_queries(queries, catalog, model, executor, PlannerConfig(), out, concurrency=4)
    assert stats.skipped == len(finished) and stats.done == 40 - len(finished)
    assert model.calls == 2 * (40 - len(finished))
    trajectories = read_run(out)
    assert len(trajectories) == 40 and all(t.finish_reason == FinishReason.GIVE_ANSWER for t in trajectories)
    manifest = [json.loads(line)["query_id"] for line in (out / "finished.jsonl").read_text().splitlines()]
    assert sorted(manifest, key=int) == [str(n) for n in range(40)]  # each id once, none lost in the kill


def test_open_domain_run_with_a_real_bm25_index(tmp_path):
    from retriever.indexes import build_index, load_index

    catalog, table = tool_catalog()
    build_index(catalog, tmp_path / "index", kind="bm25")
    index = load_index(tmp_path / "index")
    executor = build_executor("python", catalog, functions=table)
    queries = [Query("1", "Add two integers: what is 2 plus 3?")]
    stats = run_queries(queries, catalog, RuleModel(), executor, PlannerConfig(), tmp_path / "run", index=index, k=1)
    [trajectory] = read_run(tmp_path / "run")
    assert stats.solved == 1 and trajectory.api_ids == ["Python::planner_fakes::add"]
    assert trajectory.config["retrieved"][0][0] == "Python::planner_fakes::add"


def test_one_query_that_raises_anything_never_aborts_the_run(tmp_path):
    catalog, executor, queries = _setup()

    class Flaky(RuleModel):
        def generate(self, messages, tools=None, **opts):  # type: ignore[no-untyped-def]
            if "1 plus" in messages[-1].content or "1 plus" in (messages[1].content or ""):
                raise ValueError("Exceeds the limit (4300 digits) for integer string conversion")
            return super().generate(messages, tools, **opts)

    stats = run_queries(queries[:3], catalog, Flaky(), executor, PlannerConfig(), tmp_path)
    assert (stats.done, stats.errors) == (2, 1)
    assert RunDir(tmp_path).finished_ids() == {"0", "2"}
    assert "ValueError: Exceeds the limit" in (tmp_path / "errors.jsonl").read_text()


def test_resume_with_another_model_or_executor_needs_force(tmp_path):
    catalog, executor, queries = _setup()
    run_queries(queries[:1], catalog, RuleModel(), executor, PlannerConfig(), tmp_path)

    class Other(RuleModel):
        name = "other"

        def describe(self):  # type: ignore[no-untyped-def]
            return {"backend": "other"}

    with pytest.raises(ConfigError, match="another model.*--force"):
        run_queries(queries[:2], catalog, Other(), executor, PlannerConfig(), tmp_path)
    thread_executor = build_executor("builtin", catalog)
    with pytest.raises(ConfigError, match="another executor"):
        run_queries(queries[:2], catalog, RuleModel(), thread_executor, PlannerConfig(), tmp_path)
    stats = run_queries(queries[:2], catalog, Other(), executor, PlannerConfig(), tmp_path, force=True)
    assert (stats.skipped, stats.done) == (1, 1)


def test_duplicate_ids_and_bad_k_are_refused(tmp_path):
    catalog, executor, queries = _setup()
    with pytest.raises(InputError, match="more than once"):
        run_queries([queries[0], queries[0]], catalog, RuleModel(), executor, PlannerConfig(), tmp_path)
    with pytest.raises(ConfigError, match="k "):
        run_queries(queries[:1], catalog, RuleModel(), executor, PlannerConfig(), tmp_path, k=0)
    assert not (tmp_path / "results").exists()
