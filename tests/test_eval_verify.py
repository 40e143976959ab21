"""Verification of solution paths for self-training: honest about unsupported and contradicting answers."""

from __future__ import annotations

from typing import Any

import pytest

from evaluator.verify import KEPT_EXACT, KEPT_JUDGE, KEPT_RULES, summarise, verify_path, verify_paths
from toolbench.calls import FINISH, GIVE_ANSWER
from toolbench.types import (
    FinishReason,
    Observation,
    ObservationStatus,
    Query,
    Step,
    ToolCall,
    Trajectory,
    Verdict,
    VerdictLabel,
)


def step(name: str, arguments: dict[str, Any], response: Any = None, error: str = "") -> Step:
    status = ObservationStatus.INVALID_INPUT if error else ObservationStatus.OK
    return Step("", ToolCall(f"c_{name}", name, arguments),
                Observation(f"c_{name}", str(response), error=error, status=status, response=response, name=name))


def path(query: str, steps: list[Step], answer: str, qid: str = "1",
         finish: FinishReason = FinishReason.GIVE_ANSWER) -> Trajectory:
    finish_call = ToolCall("f", FINISH, {"return_type": GIVE_ANSWER, "final_answer": answer})
    done = [*steps, Step("", finish_call, Observation("f", "", status=ObservationStatus.FINISH))]
    return Trajectory(qid, query, "DFS_woFilter_w2", steps=done, finish_reason=finish, final_answer=answer)


ADD = "Add 143 to 69."
CALC = step("calculator", {"expression": "69 + 143"}, {"expression": "69 + 143", "result": 212})


# ------------------------------------------------------------------ the two adversarial cases of issue 15

def test_a_right_looking_number_no_tool_produced_is_rejected() -> None:
    query = Query("1", ADD, expected_answer=212)
    # the exact check alone would pass: 212 is right, but the only call failed
    failed = step("calculator", {"expression": "69 plus 143"}, None, error="cannot parse the expression")
    clock = step("get_time", {}, {"time": "12:00"})
    check = verify_path(path(ADD, [failed, clock], "The sum is 212."), query)
    assert not check.kept and check.reason.startswith("ungrounded"), check.reason
    # no tool at all
    assert verify_path(path(ADD, [], "212"), query).reason == "no successful tool call"
    # the model invents 212 and passes it to a tool that echoes it: an echo grounds nothing
    echo = step("number_to_words", {"number": 212}, {"number": 212, "words": "two hundred twelve"})
    check = verify_path(path(ADD, [echo], "212 (two hundred twelve)"), query)
    assert not check.kept and "no tool produced" in check.reason, check.reason


def test_an_answer_contradicting_its_tool_outputs_is_rejected() -> None:
    mean = step("mean", {"numbers": [10, 20, 45]}, {"mean": 25.0, "count": 3})
    # 3 was produced (count), so the number is "grounded"; but the answer names it as the mean
    check = verify_path(path("What is the mean of 10, 20 and 45?", [mean], "The mean is 3."))
    assert not check.kept and check.reason.startswith("contradicts its tools: the answer says mean 3"), check.reason
    # the last call corrected the first; the answer keeps the stale value
    again = step("calculator", {"expression": "69 + 142"}, {"expression": "69 + 142", "result": 211})
    check = verify_path(path("Add 142 to 69.", [CALC, again], "It is 212."))
    assert not check.kept
    assert check.reason.endswith("keeps 212 from an earlier calculator call; the last one returned 211")
    # a yes against the tool's false
    prime = step("is_prime", {"n": 9}, {"n": 9, "is_prime": False})
    check = verify_path(path("Is 9 prime?", [prime], "Yes, 9 is prime."))
    assert not check.kept and "opens with 'yes'" in check.reason


# ------------------------------------------------------------------ kept paths

@pytest.mark.parametrize("answer", ["result: 212", "143 + 69 = 212", "The sum is 212.0", "It comes to 212!"])
def test_grounded_exact_answers_are_kept(answer: str) -> None:
    check = verify_path(path(ADD, [CALC], answer), Query("1", ADD, expected_answer=212))
    assert check.kept and check.reason == KEPT_EXACT


def test_numbers_are_normalised_and_rounding_and_prose_signs_are_accepted() -> None:
    big = step("population", {"city": "Lyon"}, {"city": "Lyon", "population": 1234567.0})
    assert verify_path(path("How many people live in Lyon?", [big], "About 1,234,567 people.")).kept
    change = step("percent_change", {"old_value": 803, "new_value": 454}, {"percent_change": -43.46})
    assert verify_path(path("Percentage change from 803 to 454?", [change], "A decrease of 43.5%.")).kept


def test_a_wrong_answer_fails_the_exact_check_even_when_grounded() -> None:
    check = verify_path(path(ADD, [CALC], "212"), Query("1", ADD, expected_answer=213))
    assert not check.kept and check.reason.startswith("ungrounded: no tool produced the expected")


def test_unknown_answers_need_a_produced_value_and_a_judge_when_given() -> None:
    city = step("capital", {"country": "France"}, {"country": "France", "capital": "Paris"})
    query = "What is the capital of France?"
    assert verify_path(path(query, [city], "Paris")).reason == KEPT_RULES
    assert verify_path(path(query, [city], "France has a capital.")).reason.startswith("ungrounded")
    solved = Verdict("1", VerdictLabel.SOLVED, "ok", "pass")
    assert verify_path(path(query, [city], "Paris"), verdict=solved).reason == KEPT_JUDGE
    unsolved = Verdict("1", VerdictLabel.UNSOLVED, "wrong city", "pass")
    assert verify_path(path(query, [city], "Paris"), verdict=unsolved).reason == "pass judge: Unsolved (wrong city)"


def test_paths_without_finish_or_repeating_a_failed_call_are_never_kept() -> None:
    assert not verify_path(path(ADD, [CALC], "212", finish=FinishReason.BUDGET)).kept
    assert verify_path(path(ADD, [CALC], " ")).reason == "empty final answer"
    bad = step("calculator", {"expression": "69 plus 143"}, None, error="cannot parse")
    check = verify_path(path(ADD, [bad, bad, CALC], "212"))
    assert not check.kept and check.reason.startswith("repeats a failed call: calculator")
    assert verify_path(path(ADD, [bad, CALC], "212")).kept  # a failure fixed by a different call is fine


def test_identical_paths_are_kept_once_and_counts_add_up() -> None:
    paths = [path(ADD, [CALC], "212", "a"), path(ADD, [CALC], "212.", "b"), path("Add 69 to 143.", [CALC], "212", "c"),
             path(ADD, [], "212", "d")]
    checks = verify_paths(paths)
    assert [c.kept for c in checks] == [True, False, True, False]
    assert checks[1].reason == "duplicate: the same calls and answer as a"
    assert summarise(checks) == {"paths": 4, "kept": 2, "kept_by": {KEPT_RULES: 2},
                                 "rejected_by": {"duplicate": 1, "no successful tool call": 1}}


def test_every_gold_path_the_exact_judge_accepts_verifies() -> None:
    """The gold call chains (the round-0 data) pass every check: the checks reject no honest
    path of any template (dates, hashes, chains, booleans, echoed texts, multi-part answers)."""
    from data.builtin_templates import generate_builtin_instructions
    from data.gold_paths import gold_trajectory, simple_opening
    from evaluator.exact import judge_exact
    from toolbench.builtin_world import builtin_catalog, builtin_executor

    catalog = builtin_catalog()
    executor = builtin_executor(catalog)
    queries = generate_builtin_instructions({"G1": 120, "G2": 80, "G3": 80}, seed=11, heldout_fraction=0.0,
                                            catalog=catalog)["train"]
    opening = simple_opening(catalog, {"type": "function", "function": {"name": FINISH, "parameters": {}}})
    trajectories = [gold_trajectory(q, executor, opening) for q in queries]
    exact = {v.query_id for v in judge_exact(trajectories, queries) if v.label == VerdictLabel.CORRECT}
    checks = verify_paths(trajectories, queries)
    rejected = [(c.query_id, c.reason) for c in checks if c.query_id in exact and not c.kept]
    assert not rejected
    assert {c.query_id for c in checks if c.kept} == exact
    assert len(exact) > 0.95 * len(queries)
