"""The Toolformer filter criterion on hand-computed losses."""

from __future__ import annotations

import math

import pytest

from data.toolformer.filtering import Scored, best_per_position, keep, loss_weights, weighted_loss
from data.toolformer.linearise import Call


def test_weights_are_the_papers_normalised_window() -> None:
    assert loss_weights() == pytest.approx([1 / 3, 0.8 / 3, 0.6 / 3, 0.4 / 3, 0.2 / 3])
    assert sum(loss_weights()) == pytest.approx(1.0)
    assert loss_weights(window=2, step=0.5) == pytest.approx([2 / 3, 1 / 3])
    assert len(loss_weights(window=10)) == 5  # weights beyond t = 4 are zero and dropped


def test_weighted_loss_by_hand() -> None:
    # p = 0.5, 0.25, 1, 1, 0.5 -> -(1/3 ln .5 + .8/3 ln .25 + .2/3 ln .5)
    logprobs = [math.log(0.5), math.log(0.25), 0.0, 0.0, math.log(0.5)]
    expected = -(1 / 3 * math.log(0.5) + 0.8 / 3 * math.log(0.25) + 0.2 / 3 * math.log(0.5))
    assert weighted_loss(logprobs, loss_weights()) == pytest.approx(expected)
    assert expected == pytest.approx(0.6469, abs=1e-4)  # 0.2310 + 0.3697 + 0.0462
    # a text ending two tokens after the call: only the first two weights apply
    assert weighted_loss([math.log(0.5)] * 2, loss_weights()) == pytest.approx(1.8 / 3 * math.log(2))


def test_keep_uses_both_terms_of_the_minimum() -> None:
    # L+ = 0.40; no call 2.00; call without result 0.45 -> L- = 0.45, gain 0.05: rejected
    assert not keep(0.40, 2.00, 0.45, tau_f=0.5)
    # the same result with an uninformative bare call: gain 1.6 -> kept
    assert keep(0.40, 2.00, 2.10, tau_f=1.0)
    # the bare call helps, the no-call loss is small -> rejected
    assert not keep(0.40, 0.60, 3.00, tau_f=0.5)
    # boundary: exactly tau_f is kept
    assert keep(1.0, 2.0, 2.5, tau_f=1.0)


def test_best_candidate_per_position_is_deterministic() -> None:
    weak = Scored(4, Call("Calculator", "48/2", "24"), 1.0, 2.0, 2.0)      # gain 1.0
    strong = Scored(4, Call("Calculator", "48 / 2", "24"), 0.5, 2.0, 2.0)  # gain 1.5
    twin = Scored(4, Call("Calculator", "24 + 0", "24"), 0.5, 2.0, 2.0)    # gain 1.5, sorts first
    other_tool = Scored(9, Call("Calendar", "", "Today is Monday, 2023-01-30."), 0.1, 0.8, 0.9)  # gain 0.7
    rejected = Scored(12, Call("Calculator", "1+1", "2"), 1.0, 1.2, 1.3)
    for order in ([weak, strong, twin, other_tool, rejected], [rejected, other_tool, twin, strong, weak]):
        kept = best_per_position(order, {"Calculator": 0.5, "Calendar": 0.5})
        assert [(k.position, k.call.input) for k in kept] == [(4, "24 + 0"), (9, "")]
    assert best_per_position([other_tool], {"Calculator": 0.5, "Calendar": 1.0}) == []
    assert strong.l_minus == 2.0 and strong.gain == 1.5
    assert strong.to_dict()["gain"] == 1.5
