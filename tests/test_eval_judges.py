"""LLM judges with a scripted model and a fake ChatModel at the seam."""

from __future__ import annotations

import re
from typing import Any

import pytest

from evaluator import api
from evaluator.cache import JudgeCache
from evaluator.pass_rate import PassConfig
from evaluator.pass_rate import judge_pass as raw_judge_pass
from evaluator.structured import CHECK_ANSWER, StructuredAsker, parse_text
from toolbench.errors import BackendError
from toolbench.models.base import ChatModel
from toolbench.models.scripted import ScriptedModel
from toolbench.types import (
    AssistantMessage,
    FinishReason,
    Message,
    Observation,
    Step,
    ToolCall,
    Trajectory,
    Usage,
    Verdict,
)


def _traj(qid: str, answer: str = "", finished: bool = True, steps: int = 1) -> Trajectory:
    step = Step("look up", ToolCall("c1", "capital_for_geo", {"country": "France"}), Observation("c1", "Paris"))
    return Trajectory(qid, f"What is the capital of France? ({qid})", "CoT@1", steps=[step] * steps,
                      finish_reason=FinishReason.GIVE_ANSWER if finished else FinishReason.NO_FINISH,
                      final_answer=answer)


def _call(name: str, **args: Any) -> dict[str, Any]:
    return {"content": None, "tool_calls": [{"id": "j", "name": name, "arguments": args}]}


class KeywordJudge(ChatModel):
    """Decides by keywords in the prompt: 'Paris' solves, 'maybe' is unsure; prefers answers with 'Paris'."""

    name = "keyword-judge"

    def __init__(self) -> None:
        self.prompts: list[str] = []

    def generate(self, messages: list[Message], tools: list[dict[str, Any]] | None = None,
                 **opts: Any) -> AssistantMessage:
        prompt = messages[-1].content or ""
        self.prompts.append(prompt)
        fn = tools[0]["function"]["name"] if tools else ""
        usage = Usage(llm_calls=1, prompt_tokens=len(prompt) // 4, completion_tokens=5)
        if fn == "select_better_answer":
            a0 = prompt.split("Answer 0:")[1].split("Answer 1:")[0]
            args = {"index": 0 if "Paris" in a0 else 1, "reason": "mentions Paris"}
        elif fn == "check_task_solvable":
            args = {"task_status": "Unsolvable", "reason": "no tool"}
        else:
            final = prompt.split("Final answer:")[1]
            status = "Unsure" if "maybe" in final and fn == "check_answer_status" else (
                "Solved" if "Paris" in final else "Unsolved")
            args = {"answer_status": status, "reason": f"{fn} says {status}"}
        return AssistantMessage(None, [ToolCall("j", fn, args)], usage)


@pytest.fixture
def cache(tmp_path):
    with JudgeCache(tmp_path / "judge.sqlite") as c:
        yield c


def test_pass_judge_with_scripted_tool_calls(cache):
    model = ScriptedModel(replies=[_call("check_answer_status", answer_status="Solved", reason="complete")])
    asker = StructuredAsker(model, cache)
    verdicts = raw_judge_pass([_traj("1", "Paris"), _traj("2", finished=False)], asker)
    assert [(v.label, v.by_rule) for v in verdicts] == [("Solved", False), ("Unsolved", True)]
    assert verdicts[0].reason == "complete" and verdicts[0].judge == "scripted:inline"
    # forced tool call, and the prompt holds the query and the answer
    call = model.calls[0]
    assert call["opts"]["tool_choice"]["function"]["name"] == "check_answer_status"
    assert "capital of France" in call["messages"][0].content and "Paris" in call["messages"][0].content


def test_unsure_looks_at_the_trajectory():
    judge = KeywordJudge()
    verdict = raw_judge_pass([_traj("1", "maybe Paris")], StructuredAsker(judge))[0]
    assert verdict.label == "Solved"
    assert set(verdict.raw) == {"check_answer_status", "parse_answer_status"}
    assert "capital_for_geo" in judge.prompts[1] and "Step 1:" in judge.prompts[1]


def test_text_replies_are_parsed_and_garbage_is_retried_then_an_error_verdict():
    model = ScriptedModel(replies=[
        {"content": "I cannot decide."},
        {"content": 'Here you go: {"reason": "fine", "answer_status": "unsolved"}'},
        {"content": "???"}, {"content": "Solved or Unsolved"}, {"content": ""},
    ])
    asker = StructuredAsker(model, retries=2)
    first, second = raw_judge_pass([_traj("1", "Lyon"), _traj("2", "Lyon")], asker)
    assert (first.label, first.reason) == ("Unsolved", "fine")
    assert second.label == "Error" and "unusable reply" in second.reason
    assert model.remaining == 0


def test_backend_failure_becomes_an_error_verdict_not_a_crash():
    class Down(ChatModel):
        name = "down"

        def generate(self, messages, tools=None, **opts):
            raise BackendError("server unreachable")

    verdict = raw_judge_pass([_traj("1", "Paris")], StructuredAsker(Down(), retries=1))[0]
    assert verdict.label == "Error" and "server unreachable" in verdict.reason


def test_judgings_are_cached_by_judging_number(cache):
    judge = KeywordJudge()
    trajectories = [_traj("1", "Paris"), _traj("2", "Lyon")]
    first = api.judge_pass(trajectories, StructuredAsker(judge, cache), judgings=3)
    assert len(first) == 6 and len(judge.prompts) == 6
    again = api.judge_pass(trajectories, StructuredAsker(judge, cache), judgings=3)
    assert len(judge.prompts) == 6  # every reply came from the cache
    assert [v.to_dict() for v in again] == [
        {**v.to_dict(), "raw": {k: {**r, "cached": True} for k, r in v.raw.items()}} for v in first]
    assert cache.hits == 6


def test_solvability_check_variant():
    verdicts = raw_judge_pass([_traj("1", "Lyon"), _traj("2", "Paris"), _traj("3")], StructuredAsker(KeywordJudge()),
                              PassConfig(solvability_check=True))
    assert [v.raw["passed"] for v in verdicts] == ["Passed", "Passed", "Failed"]  # Unsolved + Unsolvable → Passed
    assert verdicts[0].raw["task_status"] == "Unsolvable"


def test_win_labels_decide_first_then_both_orders():
    judge = KeywordJudge()
    cand = [_traj("1", "Paris"), _traj("2", "Lyon"), _traj("3", "It is Paris, France", steps=2),
            _traj("4", "Paris")]
    ref = [_traj("1", "Lyon"), _traj("2", "Paris"), _traj("3", "Paris", steps=1), _traj("4", "Paris")]
    verdicts = {v.query_id: v for v in api.judge_win(cand, ref, StructuredAsker(judge), judgings=1)}
    assert verdicts["1"].label == "win" and verdicts["1"].by_rule
    assert verdicts["2"].label == "loss" and verdicts["2"].by_rule
    assert verdicts["4"].label == "tie" and verdicts["4"].reason == "identical answers"
    # both solved and different: asked in both orders; both mention Paris -> each order picks index 0 -> tie
    assert verdicts["3"].label == "tie" and [o["index"] for o in verdicts["3"].raw["orders"]] == [0, 0]
    compare_prompts = [p for p in judge.prompts if "Answer 0:" in p]
    assert len(compare_prompts) == 2 and compare_prompts[0] != compare_prompts[1]


def test_win_both_orders_agree():
    class PrefersShort(KeywordJudge):
        def generate(self, messages, tools=None, **opts):
            if tools and tools[0]["function"]["name"] == "select_better_answer":
                p = messages[-1].content
                a0 = p.split("Answer 0:")[1].split("Answer 1:")[0]
                a1 = p.split("Answer 1:")[1]
                steps = [int(re.search(r"Total steps: (\d+)", a).group(1)) for a in (a0, a1)]
                return AssistantMessage(None, [ToolCall("j", "select_better_answer",
                                                        {"index": 0 if steps[0] < steps[1] else 1, "reason": "short"})])
            return super().generate(messages, tools, **opts)

    cand, ref = [_traj("1", "Paris", steps=1)], [_traj("1", "Paris!", steps=3)]
    assert api.judge_win(cand, ref, StructuredAsker(PrefersShort()))[0].label == "win"
    assert api.judge_win(ref, cand, StructuredAsker(PrefersShort()))[0].label == "loss"


def test_win_uses_given_pass_verdicts_without_llm_calls():
    judge = KeywordJudge()
    cand, ref = [_traj("1", "a")], [_traj("1", "b")]
    from evaluator.win_rate import judge_win

    out = judge_win(cand, ref, StructuredAsker(judge), candidate_pass=[Verdict("1", "Solved")],
                    reference_pass=[Verdict("1", "Unsure")])
    assert out[0].label == "win" and judge.prompts == []


def test_fac_judge():
    verdicts = api.judge_fac([_traj("1", "Paris"), _traj("2", "Lyon"), _traj("3", finished=False)],
                             StructuredAsker(KeywordJudge()))
    assert [v.label for v in verdicts] == ["Solved", "Unsolved", "Unsolved"]
    assert verdicts[2].by_rule


@pytest.mark.parametrize(("text", "value"), [
    ('{"answer_status": "Solved", "reason": "x"}', "Solved"),
    ('```json\n{"reason": "r", "answer_status": "Unsure"}\n```', "Unsure"),
    ("**answer_status**: Unsolved", "Unsolved"),
    ("Status: Unsolved.", "Unsolved"),
    ("The answer is not complete, so it is not Solved.", None),
    ("no idea", None),
])
def test_parse_text(text, value):
    assert parse_text(text, CHECK_ANSWER)[0] == value


def test_parallel_workers_give_the_same_verdicts():
    trajectories = [_traj(str(i), "Paris" if i % 2 else "maybe Lyon") for i in range(12)]
    serial = api.judge_pass(trajectories, StructuredAsker(KeywordJudge()), judgings=2, cache=False)
    parallel_asker = StructuredAsker(KeywordJudge(), workers=4)
    parallel = api.judge_pass(trajectories, parallel_asker, judgings=2, cache=False)
    assert [v.to_dict() for v in serial] == [v.to_dict() for v in parallel]
    assert parallel_asker.calls == 12 * 2 + 6 * 2  # 6 "maybe" answers per judging need a second look
