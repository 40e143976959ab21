"""CoT@n (ReACT): ``n`` independent chains from the root, no backtracking.

A chain ends when it answers (the search ends), gives up, hits the depth limit or an
LLM call fails; the next chain starts from the opening messages.
"""

from __future__ import annotations

from planner.search import Search


def run_chain(search: Search) -> None:
    """One chain from the root."""
    state = search.root
    while True:
        search.visit(state)
        if state.terminal:
            search.terminals.append(state)
            return
        if state.pruned or search.depth_exceeded(state):
            state.pruned = True
            if state.gave_up:
                search.give_ups.append(state)
            return
        state = search.expand(state)


def run_cot(search: Search) -> None:
    """CoT@n: chains until one answers or ``n_chains`` have run."""
    for _ in range(search.config.n_chains):
        run_chain(search)
        if search.terminals:
            return
