"""Core types: every wire form round-trips through JSON and ignores unknown keys."""

from __future__ import annotations

import json

import pytest

from toolbench.types import (
    ApiSpec,
    AssistantMessage,
    FinishReason,
    Message,
    Observation,
    ObservationStatus,
    Provenance,
    Query,
    Report,
    SearchTree,
    Step,
    ToolCall,
    Trajectory,
    TreeNode,
    Usage,
    Verdict,
    make_api_id,
)

CALL = ToolCall("call_1", "search_for_yt", {"q": "cats", "n": 3})
OBS = Observation("call_1", '{"items": []}', status=ObservationStatus.OK, provenance=Provenance.CACHE,
                  name="search_for_yt", response={"items": []}, coercions=["n: '3' -> 3"], seconds=0.25)
MESSAGE = Message("assistant", "Let me search.", tool_calls=[CALL])
TREE = SearchTree([TreeNode(0, None, 0), TreeNode(1, 0, 1, message=MESSAGE, observations=[OBS], expand_order=1,
                                                  pruned=True, note="give up")])
EXAMPLES = [
    ApiSpec("Data", "YT", "Search", "Find videos", {"type": "object", "properties": {"q": {"type": "string"}},
                                                    "required": ["q"]}, "YouTube", "GET", "https://x", {"a": "str"},
            None, {"q": "Query"}, "toolbench"),
    CALL,
    OBS,
    Observation("c2", "", error="no such function", status=ObservationStatus.NO_SUCH_FUNCTION),
    MESSAGE,
    Message("tool", '{"ok": 1}', tool_call_id="call_1", name="search_for_yt"),
    Usage(1, 100, 20, 2, 1.5),
    AssistantMessage("hi", [CALL], Usage(1, 5, 6), raw="raw text", parse_error=None),
    Query("q1", "Find cat videos", ["Data::YT::Search"], ["Data::YT::Search"], {"n": 1}, "G1_tool", {"k": [1]}),
    Step("thought", CALL, OBS),
    Step(),
    TREE,
    Trajectory("q1", "Find cat videos", "dfs", ["Data::YT::Search"], [{"type": "function"}], [MESSAGE],
               [Step("t", CALL, OBS)], FinishReason.GIVE_ANSWER, "Here", Usage(2, 10, 10), {"w": 2}, TREE, "m", ""),
    Verdict("q1", "Solved", "good", "pass", {"raw": 1}, 2, True),
    Report("pass", {"sopr": 0.5}, {"G1": {"sopr": 0.5}}, [{"query_id": "q1"}], {"judge": "pass"}),
]


@pytest.mark.parametrize("value", EXAMPLES, ids=lambda v: type(v).__name__)
def test_round_trip_through_json(value: object) -> None:
    wire = json.loads(json.dumps(value.to_dict()))
    again = type(value).from_dict(wire)
    assert again == value
    assert again.to_dict() == wire


@pytest.mark.parametrize("value", EXAMPLES, ids=lambda v: type(v).__name__)
def test_unknown_keys_are_ignored(value: object) -> None:
    wire = {**value.to_dict(), "schema_version": 1, "from_the_future": True}
    assert type(value).from_dict(wire) == value


def test_enums_are_plain_json() -> None:
    wire = OBS.to_dict()
    assert wire["status"] == 0 and wire["provenance"] == "cache"
    assert Trajectory("q", "x", "cot").to_dict()["finish_reason"] == "no_finish"


def test_query_ids_become_strings() -> None:
    assert Query.from_dict({"query_id": 588, "query": "x"}).query_id == "588"
    assert Verdict.from_dict({"query_id": 7, "label": "Solved"}).query_id == "7"


def test_api_spec_helpers() -> None:
    api = EXAMPLES[0]
    assert api.id == make_api_id("Data", "YT", "Search") == "Data::YT::Search"
    assert api.required == ["q"] and api.optional == []
    assert ApiSpec("C", "T", "A").parameters == {"type": "object", "properties": {}, "required": []}


def test_usage_adds_and_message_to_openai() -> None:
    assert Usage(1, 2, 3, 4, 0.5) + Usage(1, 1, 1, 1, 0.5) == Usage(2, 3, 4, 5, 1.0)
    openai = MESSAGE.to_openai()
    assert openai["tool_calls"][0]["function"] == {"name": "search_for_yt", "arguments": '{"q":"cats","n":3}'}
    assert Message("tool", "x", tool_call_id="c", name="f").to_openai() == {
        "role": "tool", "content": "x", "tool_call_id": "c", "name": "f"}


def test_observation_ok_and_trajectory_gave_answer() -> None:
    assert OBS.ok and not EXAMPLES[3].ok
    assert EXAMPLES[12].gave_answer
    assert not Trajectory("q", "x", "cot", finish_reason=FinishReason.GIVE_ANSWER, final_answer="  ").gave_answer
    assert [n.id for n in TREE.children(0)] == [1]
