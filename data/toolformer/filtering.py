"""The Toolformer filter criterion (pure; the losses come from :mod:`data.toolformer.scoring`).

For a call ``z`` at token position ``i`` of a text ``x`` the weighted loss is
``L_i(z) = -Σ_{j≥i} w_{j-i} · log p(x_j | z, x_1..x_{j-1})`` with the call *prepended*
to the text, and ``w_t = max(0, 1 - 0.2 t)`` normalised to sum 1. With
``L+ = L_i(call with result)`` and ``L- = min(L_i(no call), L_i(call without result))``
a call is kept when ``L- - L+ >= τ_f``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from data.toolformer.linearise import Call


def loss_weights(window: int = 5, step: float = 0.2) -> list[float]:
    """Normalised weights ``max(0, 1 - step·t)`` for ``t < window``.

    >>> [round(w, 4) for w in loss_weights()]
    [0.3333, 0.2667, 0.2, 0.1333, 0.0667]
    >>> round(sum(loss_weights()), 10)
    1.0
    """
    raw = [max(0.0, 1.0 - step * t) for t in range(window)]
    raw = [w for w in raw if w > 0]
    total = sum(raw)
    return [w / total for w in raw]


def weighted_loss(logprobs: Sequence[float], weights: Sequence[float]) -> float:
    """``-Σ w_t · logprob_t`` over the tokens the weights reach (a shorter tail uses fewer).

    >>> weighted_loss([math.log(0.5)] * 5, loss_weights())
    0.6931471805599453
    >>> round(weighted_loss([-1.0, -2.0], [0.75, 0.25]), 3)
    1.25
    """
    return -math.fsum(w * lp for w, lp in zip(weights, logprobs, strict=False))


@dataclass(frozen=True)
class Scored:
    """The three losses of one candidate call at one position and the filter's verdict."""

    position: int
    call: Call
    l_plus: float
    l_nocall: float
    l_noresult: float

    @property
    def l_minus(self) -> float:
        return min(self.l_nocall, self.l_noresult)

    @property
    def gain(self) -> float:
        """``L- - L+``: how much the result helps over the best alternative."""
        return self.l_minus - self.l_plus

    def to_dict(self) -> dict:
        return {
            "position": self.position, "tool": self.call.tool, "input": self.call.input,
            "result": self.call.result, "l_plus": self.l_plus, "l_minus": self.l_minus,
            "l_nocall": self.l_nocall, "l_noresult": self.l_noresult, "gain": self.gain,
        }


def keep(l_plus: float, l_nocall: float, l_noresult: float, tau_f: float) -> bool:
    """The paper's criterion ``min(L(no call), L(call without result)) - L(call with result) >= τ_f``.

    Both terms of the minimum matter: a result that helps only as much as the bare call
    does (the call text alone gives the answer away) is not kept.

    >>> keep(1.0, 3.0, 2.0, tau_f=1.0)
    True
    >>> keep(1.0, 3.0, 1.5, tau_f=1.0)
    False
    >>> keep(1.0, 1.2, 5.0, tau_f=0.5)
    False
    """
    return min(l_nocall, l_noresult) - l_plus >= tau_f


def best_per_position(scored: Sequence[Scored], tau_f: float | dict[str, float]) -> list[Scored]:
    """Kept candidates, at most one per position: the largest gain wins; ties go to the
    smaller ``(tool, input, result)`` so the choice never depends on sampling order.

    ``tau_f`` may be one threshold or one per tool name.

    >>> a = Scored(3, Call("Calculator", "1+1", "2"), 0.5, 2.0, 2.5)
    >>> b = Scored(3, Call("Calculator", "2*1", "2"), 0.5, 2.0, 2.5)
    >>> c = Scored(7, Call("Calculator", "9-1", "8"), 1.9, 2.0, 2.5)
    >>> [(s.position, s.call.input) for s in best_per_position([b, a, c], 0.5)]
    [(3, '1+1')]
    """
    chosen: dict[int, Scored] = {}
    for item in scored:
        threshold = tau_f[item.call.tool] if isinstance(tau_f, dict) else tau_f
        if not keep(item.l_plus, item.l_nocall, item.l_noresult, threshold):
            continue
        current = chosen.get(item.position)
        if current is None or _rank(item) < _rank(current):
            chosen[item.position] = item
    return [chosen[p] for p in sorted(chosen)]


def _rank(item: Scored) -> tuple:
    return (-item.gain, item.call.tool, item.call.input, item.call.result or "")
