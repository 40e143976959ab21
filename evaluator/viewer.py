"""One trajectory as a static HTML page: the query, the retrieved APIs, the search tree.

The tree is shown in visit order (the order the search expanded its nodes): each node's
thought, its calls with arguments, their observations (long ones folded away with a
``<details>`` element, no script), status codes, Finish / give-up, and where the search
went back up the tree (backtracking). The path the trajectory reports is highlighted, in
the visit list and in a compact outline of the tree. A CoT run is one chain (or n chains
for CoT@n, each restarting from the query). Works for our runs (``Trajectory.tree``) and
for ToolBench answer trees read by :mod:`toolbench.formats.toolbench_answer`; a
trajectory without a tree (StableToolEval converted answers) is shown as its one path.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from evaluator import formatting as fmt
from toolbench.types import (
    FinishReason,
    Message,
    ObservationStatus,
    SearchTree,
    Step,
    Trajectory,
    TreeNode,
)

OBSERVATION_LIMIT = 400
FINISH = "Finish"


@dataclass
class CallView:
    """One tool call of a node and what came back."""

    name: str
    arguments: str
    observation: str = ""
    preview: str = ""
    status: str = ""
    status_cls: str = ""


@dataclass
class NodeView:
    """One node (one LLM reply) as the page shows it."""

    id: int
    parent: int | None
    depth: int
    visit: int | None
    thought: str
    calls: list[CallView] = field(default_factory=list)
    badges: list[str] = field(default_factory=list)
    chosen: bool = False
    pruned: bool = False
    back_from: int | None = None  # visit number the search went back up from to reach this node
    parent_visit: int | None = None  # the parent's visit number (None: the query)
    new_chain: bool = False


@dataclass
class TrajectoryView:
    """Everything a trajectory page shows."""

    trajectory: Trajectory
    nodes: list[NodeView]
    outline: list[NodeView]
    chain: bool
    retrieved: list[tuple[str, str]]
    offered: list[tuple[str, str]]
    usage: list[tuple[str, str]]


def preview(text: str, limit: int = OBSERVATION_LIMIT) -> str:
    """The first ``limit`` characters of ``text`` (whole when short).

    >>> preview("abcdef", 3), preview("abc", 3)
    ('abc…', 'abc')
    """
    return text if len(text) <= limit else text[:limit] + "…"


def arguments_text(arguments: dict[str, Any]) -> str:
    """Call arguments as indented JSON (raw text kept as it was written).

    >>> arguments_text({"_raw": "{bad"}), arguments_text({})
    ('{bad', '{}')
    >>> print(arguments_text({"city": "Paris"}))
    {
      "city": "Paris"
    }
    """
    if set(arguments) == {"_raw"}:
        return str(arguments["_raw"])
    return json.dumps(arguments, indent=2, ensure_ascii=False, sort_keys=False, default=str) if arguments else "{}"


def status_text(status: int) -> str:
    """ToolBench's observation status code with its meaning.

    >>> status_text(0), status_text(11), status_text(99)
    ('0 ok', '11 error field', '99')
    """
    try:
        return f"{int(status)} {ObservationStatus(int(status)).name.lower().replace('_', ' ')}"
    except ValueError:
        return str(status)


def visit_order(tree: SearchTree) -> list[TreeNode]:
    """The nodes below the root in the order the search visited them (unvisited ones last).

    >>> t = SearchTree([TreeNode(0, None, 0), TreeNode(1, 0, 1, expand_order=2), TreeNode(2, 0, 1, expand_order=1),
    ...                 TreeNode(3, 1, 2)])
    >>> [n.id for n in visit_order(t)]
    [2, 1, 3]
    """
    below = [n for n in tree.nodes if n.parent is not None]
    return sorted(below, key=lambda n: (n.expand_order <= 0, n.expand_order, n.id))


def backtracks(ordered: list[TreeNode]) -> dict[int, int]:
    """Node id → the node the search was at before it went back up to reach it.

    >>> ns = [TreeNode(1, 0, 1, expand_order=1), TreeNode(2, 1, 2, expand_order=2), TreeNode(3, 0, 1, expand_order=3)]
    >>> backtracks(ns)
    {3: 2}
    """
    out, previous = {}, None
    for node in ordered:
        if node.expand_order <= 0:
            break
        if previous is not None and node.parent != previous.id:
            out[node.id] = previous.id
        previous = node
    return out


def _ancestors(by_id: dict[int, TreeNode], node_id: int) -> list[int]:
    path = [node_id]
    while by_id[path[-1]].parent is not None:
        path.append(by_id[path[-1]].parent)  # type: ignore[arg-type]
    return path[::-1]


def _calls_of(node: TreeNode) -> list[tuple[str, str]]:
    calls = node.message.tool_calls if node.message else []
    return [(c.name, json.dumps(c.arguments, sort_keys=True, default=str)) for c in calls]


def _answered(node: TreeNode) -> bool:
    return node.note == "give_answer" or any(o.status == ObservationStatus.FINISH for o in node.observations)


def chosen_path(trajectory: Trajectory) -> list[int]:
    """Node ids from the root to the node the trajectory reports (empty when none matches).

    An answer is the first answering node visited; otherwise the node whose path makes the
    same calls as the trajectory's steps (the most recently visited of equals).
    """
    tree = trajectory.tree
    if tree is None or len(tree.nodes) < 2:
        return []
    by_id = {n.id: n for n in tree.nodes}
    ordered = visit_order(tree)
    if trajectory.finish_reason == FinishReason.GIVE_ANSWER:
        answers = [n for n in ordered if _answered(n)]
        if answers:
            return _ancestors(by_id, answers[0].id)
    target = [(s.action.name, json.dumps(s.action.arguments, sort_keys=True, default=str))
              for s in trajectory.steps if s.action is not None]
    paths = {n.id: [c for i in _ancestors(by_id, n.id) for c in _calls_of(by_id[i])] for n in ordered}
    for same in (lambda p: p == target, lambda p: [c[0] for c in p] == [c[0] for c in target]):
        found = [n for n in ordered if same(paths[n.id])]
        if found:
            best = max(found, key=lambda n: (n.expand_order, -n.id))
            return _ancestors(by_id, best.id)
    return []


def _badges(node: TreeNode) -> list[str]:
    badges = []
    if _answered(node):
        badges.append("Finish: answer")
    if node.note == "give_up" or any(o.status == ObservationStatus.GIVE_UP for o in node.observations):
        badges.append("Finish: give up and restart")
    if node.note in ("llm_error", "parse_error"):
        badges.append(node.note.replace("_", " "))
    if node.pruned and len(badges) == 0:
        badges.append("dead end")
    if node.expand_order <= 0:
        badges.append("not visited")
    return badges


def node_view(node: TreeNode, limit: int = OBSERVATION_LIMIT) -> NodeView:
    """What the page shows of one node."""
    message = node.message or Message("assistant", None)
    calls = []
    for k, call in enumerate(message.tool_calls):
        obs = node.observations[k] if k < len(node.observations) else None
        content = ""
        if obs is not None:
            content = obs.content if not obs.error else f"{obs.content}\n[error] {obs.error}".strip()
        status = "" if obs is None else status_text(obs.status)
        calls.append(CallView(call.name, arguments_text(call.arguments), content, preview(content, limit), status,
                              "" if obs is None or obs.ok or call.name == FINISH else "error"))
    for obs in node.observations[len(message.tool_calls):]:  # e.g. feedback on an unreadable reply
        calls.append(CallView("(no call)", "", obs.content, preview(obs.content, limit), status_text(obs.status),
                              "error"))
    return NodeView(node.id, node.parent, node.depth, node.expand_order if node.expand_order > 0 else None,
                    (message.content or "").strip(), calls, _badges(node), pruned=node.pruned)


def is_chain_method(method: str) -> bool:
    """True for CoT / ReACT methods (independent chains, no backtracking).

    >>> is_chain_method("CoT@1"), is_chain_method("ChatGPT_DFS_woFilter_w2"), is_chain_method("gpt-3.5_react")
    (True, False, True)
    """
    lowered = method.lower()
    return lowered.startswith("cot") or "_cot" in lowered or "react" in lowered


def tree_from_steps(steps: list[Step]) -> SearchTree:
    """A one-chain tree (one node per step) for a trajectory that recorded no tree.

    >>> from toolbench.types import ToolCall
    >>> t = tree_from_steps([Step("t", ToolCall("1", "f", {})), Step("", ToolCall("2", "Finish", {}))])
    >>> [(n.id, n.parent, n.expand_order) for n in t.nodes]
    [(0, None, 0), (1, 0, 1), (2, 1, 2)]
    """
    nodes = [TreeNode(0, None, 0)]
    for k, step in enumerate(steps, start=1):
        message = Message("assistant", step.thought or None, tool_calls=[step.action] if step.action else [])
        observations = [step.observation] if step.observation is not None else []
        nodes.append(TreeNode(k, k - 1, k, message, observations, expand_order=k))
    return SearchTree(nodes)


def _outline(tree: SearchTree, views: dict[int, NodeView]) -> list[NodeView]:
    """Pre-order walk (children in creation order) for the compact outline."""
    kids: dict[int | None, list[int]] = {}
    for n in tree.nodes:
        kids.setdefault(n.parent, []).append(n.id)
    out: list[NodeView] = []
    stack = list(reversed(kids.get(0, [])))
    while stack:
        node_id = stack.pop()
        out.append(views[node_id])
        stack.extend(reversed(kids.get(node_id, [])))
    return out


def _usage(t: Trajectory) -> list[tuple[str, str]]:
    u = t.usage
    return [("LLM calls", fmt.amount(u.llm_calls)), ("tokens", fmt.amount(u.total_tokens)),
            ("API calls", fmt.amount(u.api_calls)), ("seconds", fmt.amount(round(u.seconds, 1)))]


def _apis(t: Trajectory) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    retrieved = [(str(item[0]), f"{float(item[1]):.3f}") for item in t.config.get("retrieved") or []
                 if isinstance(item, (list, tuple)) and len(item) >= 2]
    offered = [(str(tool.get("function", tool).get("name", "")), preview(str(tool.get("function", tool).get(
        "description", "")), 160)) for tool in t.tools]
    if not offered:
        offered = [(api_id, "") for api_id in t.api_ids]
    return retrieved, offered


def trajectory_view(trajectory: Trajectory, limit: int = OBSERVATION_LIMIT) -> TrajectoryView:
    """The page content of one trajectory."""
    recorded = trajectory.tree is not None and len(trajectory.tree.nodes) > 1
    tree = trajectory.tree if recorded and trajectory.tree is not None else tree_from_steps(trajectory.steps)
    ordered = visit_order(tree)
    views = {n.id: node_view(n, limit) for n in ordered}
    for node_id in chosen_path(trajectory) if recorded else list(views):
        if node_id in views:
            views[node_id].chosen = True
    chain = is_chain_method(trajectory.method) or all(
        len([c for c in tree.nodes if c.parent == n.id]) <= 1 for n in tree.nodes)
    for view in views.values():
        view.parent_visit = views[view.parent].visit if view.parent in views else None
    for node_id, previous in backtracks(ordered).items():
        views[node_id].back_from = views[previous].visit
        views[node_id].new_chain = chain and views[node_id].parent == 0
    retrieved, offered = _apis(trajectory)
    return TrajectoryView(trajectory, [views[n.id] for n in ordered], _outline(tree, views), chain, retrieved,
                          offered, _usage(trajectory))


def render_trajectory(trajectory: Trajectory, *, links: dict[str, str] | None = None,
                      verdicts: list[tuple[str, str, str]] | None = None) -> str:
    """The whole page; ``links`` (label → href) go in the navigation bar, ``verdicts``
    are (judge: run, label, reason) rows shown under the answer."""
    from evaluator.html_report import render_page

    view = trajectory_view(trajectory)
    return render_page("viewer.html.j2", view=view, t=trajectory, links=links or {}, verdicts=verdicts or [])
