"""Toolformer call syntax: rendering, parsing, insertion and its inverse; prompts (snapshot)."""

from __future__ import annotations

import hashlib

import pytest

from data.toolformer.linearise import Call, Markers, PlacedCall, insert_calls, parse_call, parse_partial, strip_calls
from data.toolformer.templates import render_prompt
from toolbench.errors import ConfigError


def test_render_and_parse_round_trip() -> None:
    for call in (Call("Calculator", "(2 + 3) * 4", "20"), Call("Calendar", "", None),
                 Call("QA", "Who wrote Hamlet?", "William Shakespeare")):
        assert parse_call(call.render()) == call
    assert parse_call("[Calculator((2+3)*4)]") == Call("Calculator", "(2+3)*4", None)
    assert parse_call("[Calculator(1+1) ->   2 ]") == Call("Calculator", "1+1", "2")


@pytest.mark.parametrize("text", ["Calculator(1+1)", "[Calculator 1+1]", "[(1+1)]", "[Calculator(1+1) -> 2",
                                  "[1x(2)]"])
def test_malformed_calls_are_rejected(text: str) -> None:
    assert parse_call(text) is None


def test_partial_parse_stops_at_arrow_or_close() -> None:
    assert parse_partial("Calculator(12/60)] 0.2 per") == Call("Calculator", "12/60")
    assert parse_partial("Calculator(12/60) -> 5]") == Call("Calculator", "12/60")
    assert parse_partial("Calculator(12/60") is None
    assert parse_partial("the answer]") is None


def test_configurable_markers() -> None:
    markers = Markers("<API>", "</API>", "→")
    call = Call("Calculator", "400 / 1400", "0.29")
    assert call.render(markers) == "<API>Calculator(400 / 1400) → 0.29</API>"
    assert parse_call(call.render(markers), markers) == call
    assert parse_call(call.render(), markers) is None
    with pytest.raises(ConfigError):
        Markers("[", "[", "->")


def test_insert_and_strip_are_inverse_with_several_calls() -> None:
    text = "Out of 1400 participants, 400 (or 29%) passed, $12 each.\nTotal: 4800 dollars."
    placed = [PlacedCall(text.index(" 29%"), Call("Calculator", "400 / 1400", "0.29")),
              PlacedCall(text.index("12"), Call("Calculator", "4800 / 400", "12")),
              PlacedCall(text.index(" 4800"), Call("Calendar", "", "Today is Monday, 2023-01-30."))]
    augmented = insert_calls(text, placed)
    assert "(or [Calculator(400 / 1400) -> 0.29] 29%)" in augmented
    assert "$[Calculator(4800 / 400) -> 12]12" in augmented
    plain, found = strip_calls(augmented)
    assert plain == text
    assert sorted(found, key=lambda p: p.offset) == sorted(placed, key=lambda p: p.offset)
    with pytest.raises(ValueError):
        insert_calls("short", [PlacedCall(99, Call("Calculator", "1", "1"))])


def test_prompt_snapshot() -> None:
    prompt = render_prompt("calculator.j2", "It was 17 years.")
    assert prompt.startswith("Your task is to add calls to a Calculator API to a piece of text.")
    assert prompt.count("Input:\n") == 6 and prompt.count("[Calculator(") == 7
    assert prompt.endswith(
        "Input:\nFrom this, we have 4 * 30 minutes = 120 minutes.\nOutput:\n"
        "From this, we have 4 * 30 minutes = [Calculator(4 * 30)] 120 minutes.\n\n"
        "Input:\nIt was 17 years.\nOutput:\n"
    )
    calendar = render_prompt("calendar.j2", "x")
    assert "The current day of the week is [Calendar()] Wednesday." in calendar
    assert calendar.endswith("Input:\nx\nOutput:\n")
    # snapshot: any edit of the packaged prompts must update these digests deliberately
    assert hashlib.sha256(prompt.encode()).hexdigest()[:16] == "cc77ab8b854ddeca"
    assert hashlib.sha256(calendar.encode()).hexdigest()[:16] == "f6f4b900d85528c3"
    with pytest.raises(ConfigError):
        render_prompt("nope.j2", "x")
