"""Gold solution paths: the gold call chain executed with the real built-in tools."""

from __future__ import annotations

import json

import pytest

from data.builtin_templates import generate_builtin_instructions
from data.gold_paths import gold_calls, gold_trajectories, gold_trajectory, simple_opening, value_text
from data.sft import trajectories_to_examples
from toolbench.builtin_tools.instruction_set import field_at
from toolbench.builtin_world import builtin_catalog, builtin_executor
from toolbench.errors import InputError
from toolbench.types import FinishReason, Query

FINISH = {"type": "function", "function": {"name": "Finish", "parameters": {"type": "object", "properties": {
    "return_type": {"type": "string"}, "final_answer": {"type": "string"}}, "required": ["return_type"]}}}


@pytest.fixture(scope="module")
def world():
    catalog = builtin_catalog()
    return catalog, builtin_executor(catalog)


def test_gold_paths_execute_the_real_tools(world):
    catalog, executor = world
    queries = generate_builtin_instructions({"G1": 6, "G2": 3, "G3": 3}, seed=5, catalog=catalog,
                                            executor=executor)["train"]
    trajectories = gold_trajectories(queries, executor, simple_opening(catalog, FINISH, "Solve the task."))
    assert len(trajectories) == len(queries)
    for query, trajectory in zip(queries, trajectories, strict=True):
        assert trajectory.gave_answer and trajectory.method == "gold" and not trajectory.error
        roles = [m.role for m in trajectory.messages]
        n = len(query.extra["gold_calls"])
        assert roles == ["system", "user"] + ["assistant", "tool"] * n + ["assistant"]
        calls = [c for m in trajectory.messages for c in m.tool_calls]
        assert [c.name for c in calls] == [g["name"] for g in query.extra["gold_calls"]] + ["Finish"]
        keys = query.extra["answer_keys"]
        for step, answer, key in zip(trajectory.steps, query.extra["gold_answers"], keys, strict=False):
            response = json.loads(step.observation.content)["response"]
            assert field_at(response, key) == answer  # the observation came from the real tool
            assert step.thought == ""  # no thought: the guided decoder starts with the call
        assert trajectory.final_answer == "; ".join(f"{k.rsplit('.', 1)[-1]}: {value_text(a)}"
                                                    for k, a in zip(keys, query.extra["gold_answers"], strict=True))
        assert {t["function"]["name"] for t in trajectory.tools} >= {c.name for c in calls}
    examples, dropped = trajectories_to_examples(trajectories)
    assert len(examples) == len(queries) and not dropped


def test_failing_gold_call_gives_an_error_path_that_sft_drops(world):
    catalog, executor = world
    query = Query("bad", "Is -5 prime?", api_ids=[catalog.by_function_name("is_prime").id],
                  extra={"gold_calls": [{"name": "is_prime", "arguments": {"n": "not a number"}}]})
    trajectory = gold_trajectory(query, executor, simple_opening(catalog, FINISH))
    assert trajectory.finish_reason == FinishReason.ERROR and "is_prime" in trajectory.error
    assert trajectories_to_examples([trajectory])[0] == []


def test_queries_without_gold_calls_are_refused_or_skipped(world):
    catalog, executor = world
    with pytest.raises(InputError):
        gold_calls(Query("x", "no gold"))
    with pytest.raises(InputError):
        gold_calls(Query("x", "bad gold", extra={"gold_calls": [{"arguments": {}}]}))
    assert gold_trajectories([Query("x", "no gold")], executor, simple_opening(catalog, FINISH)) == []


def test_repeated_query_ids_and_a_run_in_use_are_refused(world, tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    from toolbench.store.runs import RunDir

    catalog, executor = world
    gold = {"gold_calls": [{"name": "calculator", "arguments": {"expression": "6*7"}}]}
    repeated = [Query("1", "a", extra=gold), Query("2", "b", extra=gold), Query("1", "c", extra=gold)]
    with pytest.raises(InputError, match="'1' appears more than once"):
        gold_trajectories(repeated, executor, simple_opening(catalog, FINISH))
    queries = tmp_path / "q.jsonl"
    queries.write_text("".join(json.dumps({"query_id": q.query_id, "query": q.query, "extra": gold}) + "\n"
                               for q in repeated[:2]))
    with RunDir(tmp_path / "run").lock():  # held by this process: `toolbench data gold` in another one refuses
        other = subprocess.run([sys.executable, "-m", "toolbench", "data", "gold", str(queries), "--out",
                                str(tmp_path / "run")], capture_output=True, text=True, timeout=120, check=False,
                               cwd=Path(__file__).parent.parent)
    assert other.returncode == 2 and "in use by process" in other.stderr, other.stderr
    assert not (tmp_path / "run" / "results").exists()
