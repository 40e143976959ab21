"""DFSDT: ToolBench's depth-first search decision tree (``DFS_woFilter_w2``).

The recursion mirrors ToolBench's ``DFS_tree_search.DFS`` with ``with_filter=False``;
:func:`dfs` returns how many levels to go back:

- visiting a state numbers it (``expand_num``); a state that answered ends the search;
  a state that gave up returns 2 (its parent is abandoned, the grandparent expands its
  next child); a dead end (depth limit, failed LLM call) returns
  ``config.dead_end_backtrack``: 1 in ToolBench's published code (the parent expands its
  next child); 2 reproduces 3 of the 15 recorded ChatGPT trees (G1 57 and 69, G3 8),
  evidently made by an earlier revision that treated dead ends like give-ups;
- a state is expanded into at most ``width`` children, one LLM call each; from the second
  child on, the prompt carries a diversity message listing the earlier children's first
  actions and observations (used for that call only, never kept in the context);
- the LLM-call budget ends the search at once.
"""

from __future__ import annotations

from typing import Any

from planner.search import Node, Search

ANSWERED = 10_000


def previous_candidates(state: Node) -> list[dict[str, Any]]:
    """The earlier children of ``state`` as ToolBench lists them in the diversity prompt.

    Each child is followed down its first branch to its first call.
    """
    out = []
    for child in state.children:
        node: Node | None = child
        while node is not None and not node.terminal and not (node.message and node.message.tool_calls):
            node = node.children[0] if node.children else None
        if node is None or not (node.message and node.message.tool_calls):
            continue
        call = node.message.tool_calls[0]
        from toolbench.calls import arguments_text

        observation = node.observations[0].content if node.observations else ""
        out.append({"name": call.name, "arguments": arguments_text(call.arguments), "function_output": observation,
                    "mento-carlo-action-value": 0.0})
    return out


def _state_observation(state: Node) -> str:
    return state.observations[-1].content if state.observations else ""


def dfs(search: Search, state: Node) -> int:
    """Search below ``state``; returns the number of levels to go back."""
    search.visit(state)
    if state.terminal:
        search.terminals.append(state)
        return 2
    if state.pruned or search.depth_exceeded(state):
        state.pruned = True
        if state.gave_up:
            search.give_ups.append(state)
            return 2
        return search.config.dead_end_backtrack
    for _ in range(search.config.width):
        extra = None
        if state.children:
            previous = previous_candidates(state)
            if previous:
                extra = search.task.diversity_message(previous, _state_observation(state))
        child = search.expand(state, extra)
        result = dfs(search, child)
        if search.terminals:
            return ANSWERED
        if result > 1:
            return result - 1
    return 1


def run_dfsdt(search: Search) -> None:
    """Run DFSDT from the root (budget and cancellation propagate as exceptions)."""
    dfs(search, search.root)
