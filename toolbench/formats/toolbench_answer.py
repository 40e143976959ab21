"""ToolBench answer files ``{qid}_{method}.json`` → :class:`Trajectory`.

An answer file holds ``answer_generation`` (``valid_data``, ``final_answer`` — the raw
``Finish`` argument text —, ``finish_type``, ``function``, ``train_messages``,
``query_count``, ``total_tokens``, ``query``), ``forward_args`` and either a DFSDT
``tree`` (nodes typed ``Thought``/``Action``/``Action Input`` with ``expand_num``, the
order in which the search visited them) or CoT ``trys`` (chains of such nodes).

In our :class:`SearchTree` one node is one LLM reply: its thought, its calls and their
observations. A ToolBench node that the search never visited (``expand_num == 0``) but
that has children belongs to the same reply as its children (a thought followed by its
call; parallel calls), which is how replies are recovered from the node chain.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from toolbench.calls import FINISH, GIVE_UP, arguments_text, final_answer_text, parse_arguments
from toolbench.errors import InputError
from toolbench.formats.common import legacy_to_messages, openai_tools, steps_from_messages
from toolbench.store import read_json
from toolbench.types import (
    FinishReason,
    Message,
    Observation,
    ObservationStatus,
    SearchTree,
    ToolCall,
    Trajectory,
    TreeNode,
    Usage,
    query_sort_key,
)

logger = logging.getLogger(__name__)

ANSWER_FILE_RE = re.compile(r"^([^_/]+)_(.+)\.json$")
THOUGHT, ACTION, ACTION_INPUT = "Thought", "Action", "Action Input"


def split_answer_filename(name: str) -> tuple[str, str]:
    """(query id, method) of an answer file name.

    >>> split_answer_filename("10_ChatGPT_DFS_woFilter_w2.json")
    ('10', 'ChatGPT_DFS_woFilter_w2')
    >>> split_answer_filename("1073_CoT@1.json")
    ('1073', 'CoT@1')
    """
    match = ANSWER_FILE_RE.match(Path(name).name)
    if not match:
        raise InputError("answer file names look like {qid}_{method}.json", path=name)
    return match.group(1), match.group(2)


def read_answer_file(path: str | Path) -> Trajectory:
    """Read one ToolBench answer file."""
    path = Path(path)
    qid, method = split_answer_filename(path.name)
    data = read_json(path)
    if not isinstance(data, dict) or "answer_generation" not in data:
        raise InputError("not a ToolBench answer file (no answer_generation)", path=str(path))
    try:
        return answer_to_trajectory(data, qid, method)
    except (KeyError, TypeError, IndexError, AttributeError) as exc:
        raise InputError(f"malformed ToolBench answer ({type(exc).__name__}: {exc})", path=str(path)) from exc


def read_answer_files(directory: str | Path, method: str = "") -> list[tuple[Trajectory, Path]]:
    """Every answer file under ``directory`` (recursively, optionally one method) with its
    path, in query-id order."""
    found = [(read_answer_file(path), path) for path in sorted(Path(directory).rglob("*.json"))
             if ANSWER_FILE_RE.match(path.name) and (not method or method in path.name)]
    return sorted(found, key=lambda pair: query_sort_key(pair[0].query_id))


def read_answer_dir(directory: str | Path, method: str = "") -> list[Trajectory]:
    """Read every answer file under ``directory`` (recursively), optionally one method."""
    return [trajectory for trajectory, _ in read_answer_files(directory, method)]


def read_answer_path(path: str | Path) -> list[Trajectory]:
    """A file or a directory of answer files."""
    path = Path(path)
    return read_answer_dir(path) if path.is_dir() else [read_answer_file(path)]


def answer_to_trajectory(data: dict[str, Any], qid: str, method: str) -> Trajectory:
    """Convert a parsed answer file."""
    gen = data["answer_generation"]
    tree = tree_from_toolbench(data["tree"]["tree"]) if isinstance(data.get("tree"), dict) else None
    if tree is None and data.get("trys"):
        tree = tree_from_chains([t.get("chain", []) for t in data["trys"]])
    conversation = (gen.get("train_messages") or [[]])[-1] if gen.get("valid_data") else []
    messages = legacy_to_messages(conversation) if conversation else _fallback_messages(gen, tree)
    return_type, answer = final_answer_text(gen.get("final_answer", "") if gen.get("valid_data") else "")
    return Trajectory(
        query_id=str(qid),
        query=_query_text(gen, messages),
        method=method,
        tools=openai_tools(gen.get("function") or []),
        messages=messages,
        steps=steps_from_messages(messages),
        finish_reason=_finish_reason(gen, return_type, answer),
        final_answer=answer,
        usage=Usage(llm_calls=int(gen.get("query_count", 0)), prompt_tokens=int(gen.get("total_tokens", 0)),
                    api_calls=_api_calls(tree)),
        config={"forward_args": data.get("forward_args", {}), "source": "toolbench"},
        tree=tree,
        model=method,
    )


def _finish_reason(gen: dict[str, Any], return_type: str, answer: str) -> FinishReason:
    if not gen.get("valid_data"):
        return FinishReason.NO_FINISH
    if gen.get("finish_type") == "give_up" or return_type == GIVE_UP:
        return FinishReason.GIVE_UP
    return FinishReason.GIVE_ANSWER if answer.strip() else FinishReason.NO_FINISH


def _query_text(gen: dict[str, Any], messages: list[Message]) -> str:
    if gen.get("query"):
        return str(gen["query"])
    for message in messages:
        if message.role == "user" and message.content:
            return message.content.strip().removesuffix("Begin!").strip()
    return ""


def _fallback_messages(gen: dict[str, Any], tree: SearchTree | None) -> list[Message]:
    """Without train messages: the user query plus the path to the last visited leaf."""
    messages = [Message("user", str(gen.get("query", "")))]
    if tree is None or len(tree.nodes) < 2:
        return messages
    leaf = max(tree.nodes[1:], key=lambda n: (n.expand_order, n.id))
    for node in path_to(tree, leaf.id)[1:]:
        if node.message is not None:
            messages.append(node.message)
        for obs in node.observations:
            if obs.name != FINISH:
                messages.append(Message("tool", obs.content, tool_call_id=obs.call_id, name=obs.name))
    return messages


def path_to(tree: SearchTree, node_id: int) -> list[TreeNode]:
    """The nodes from the root to ``node_id``."""
    by_id = {n.id: n for n in tree.nodes}
    path = [by_id[node_id]]
    while path[-1].parent is not None:
        path.append(by_id[path[-1].parent])
    return path[::-1]


def _api_calls(tree: SearchTree | None) -> int:
    if tree is None:
        return 0
    return sum(1 for n in tree.nodes for o in n.observations if o.name != FINISH)


def tree_from_toolbench(root: dict[str, Any]) -> SearchTree:
    """Group ToolBench nodes into one :class:`TreeNode` per LLM reply."""
    tree = SearchTree([TreeNode(id=0, parent=None, depth=0, expand_order=int(root.get("expand_num", 0)))])
    stack = [(root, 0)]
    while stack:
        state, parent_id = stack.pop(0)
        for child in state.get("children", []):
            node, last = _reply(child, len(tree.nodes), parent_id, tree.nodes[parent_id].depth + 1)
            tree.nodes.append(node)
            stack.append((last, node.id))
    return tree


def _reply(first: dict[str, Any], node_id: int, parent: int, depth: int) -> tuple[TreeNode, dict[str, Any]]:
    """Collect one reply starting at ``first``; returns the node and the last raw node."""
    content, calls, observations = None, [], []
    node = last = first
    while True:
        kind = node.get("node_type")
        if kind == THOUGHT:
            content = node.get("description", "")
        elif kind == ACTION:
            calls.append(ToolCall(f"call_{node_id}_{len(calls)}", node.get("description", ""), {}))
        elif kind == ACTION_INPUT and calls:
            calls[-1].arguments = parse_arguments(node.get("description", ""))
            observations.append(_tb_observation(node, calls[-1]))
        last = node
        children = node.get("children", [])
        if node.get("expand_num", 0) or len(children) != 1:
            break
        node = children[0]
    message = Message("assistant", content, tool_calls=calls)
    tree_node = TreeNode(id=node_id, parent=parent, depth=depth, message=message, observations=observations,
                         expand_order=int(last.get("expand_num", 0)), pruned=bool(last.get("pruned")),
                         finished=bool(last.get("finished")), note=str(last.get("node_type", "")))
    return tree_node, last


def _tb_observation(node: dict[str, Any], call: ToolCall) -> Observation:
    code = node.get("observation_code")
    try:
        status = ObservationStatus(int(code)) if code is not None else ObservationStatus.OK
    except ValueError:
        status = ObservationStatus.REQUEST_FAILED
    return Observation(call.id, str(node.get("observation", "")), status=status, name=call.name)


def tree_from_chains(chains: list[list[dict[str, Any]]]) -> SearchTree:
    """CoT tries as branches of a tree below the root (each chain node list nested)."""
    root: dict[str, Any] = {"node_type": ACTION_INPUT, "expand_num": 0, "children": []}
    for chain in chains:
        parent = root
        for k, raw in enumerate(chain):
            node = {key: v for key, v in raw.items() if key != "children"}
            following = chain[k + 1].get("node_type") if k + 1 < len(chain) else None
            ends_reply = node.get("node_type") != ACTION and following != ACTION_INPUT
            ends_reply = ends_reply and not (node.get("node_type") == THOUGHT and following == ACTION)
            node["children"], node["expand_num"] = [], 1 if ends_reply else 0
            parent["children"].append(node)
            parent = node
    tree = tree_from_toolbench(root)
    for k, node in enumerate(tree.nodes):
        node.expand_order = k
    return tree


# ---------------------------------------------------------------- writing


def _tb_node(kind: str, description: str, depth: int, **extra: Any) -> dict[str, Any]:
    node = {"is_terminal": False, "pruned": False, "finished": False, "depth": depth, "node_type": kind,
            "description": description, "Elo": 1000.0}
    node.update(extra)
    node["children"] = []
    return node


def _reply_nodes(node: TreeNode, depth: int) -> list[dict[str, Any]]:
    """One of our nodes as the ToolBench node chain Thought → (Action → Action Input)*."""
    chain: list[dict[str, Any]] = []
    message = node.message or Message("assistant", None)
    if message.content is not None or not message.tool_calls:
        chain.append(_tb_node(THOUGHT, message.content or "", depth))
    for k, call in enumerate(message.tool_calls):
        chain.append(_tb_node(ACTION, call.name, depth + len(chain)))
        extra: dict[str, Any] = {}
        if k < len(node.observations):
            obs = node.observations[k]
            if obs.content:
                extra["observation"] = obs.content
            extra["observation_code"] = int(obs.status)
        chain.append(_tb_node(ACTION_INPUT, arguments_text(call.arguments), depth + len(chain), **extra))
    for parent, child in zip(chain, chain[1:], strict=False):
        parent["children"].append(child)
    chain[-1]["pruned"] = node.pruned
    chain[-1]["expand_num"] = node.expand_order
    return chain


def tree_to_toolbench(tree: SearchTree) -> tuple[dict[str, Any], dict[int, dict[str, Any]]]:
    """Our tree as ToolBench's ``tree.tree`` JSON; also our node id → its last ToolBench node."""
    root = _tb_node(ACTION_INPUT, "", 0)
    last: dict[int, dict[str, Any]] = {tree.nodes[0].id: root} if tree.nodes else {}
    parents: dict[int, dict[str, Any]] = {}
    for node in tree.nodes[1:]:
        anchor = last[node.parent]  # type: ignore[index]
        chain = _reply_nodes(node, anchor["depth"] + 1)
        anchor["children"].append(chain[0])
        for parent, child in zip([anchor, *chain], chain, strict=False):
            parents[id(child)] = parent
        last[node.id] = chain[-1]
        if node.finished:
            _make_finish(chain[-1], parents, 2)
    _finalise(root)
    return root, last


def _make_finish(node: dict[str, Any], parents: dict[int, dict[str, Any]], budget: int) -> None:
    """ToolBench ``make_finish``: mark up to ``budget`` more Action Input ancestors finished."""
    while node is not None:
        node["finished"] = True
        budget -= node["node_type"] == ACTION_INPUT
        if budget < 0:
            return
        node = parents.get(id(node))  # type: ignore[assignment]


def _finalise(node: dict[str, Any]) -> None:
    children = node.pop("children")
    node.setdefault("expand_num", 0)
    ordered = {k: node[k] for k in ("is_terminal", "pruned", "finished", "depth", "node_type", "description", "Elo")}
    for key in ("observation", "observation_code"):
        if key in node:
            ordered[key] = node[key]
    ordered["child_count"] = len(children)
    ordered["expand_num"] = node["expand_num"]
    if node["node_type"] == ACTION_INPUT:
        ordered["io_state"] = {}
    node.clear()
    node.update(ordered)
    node["children"] = children
    for child in children:
        _finalise(child)


def _size_depth(node: dict[str, Any]) -> tuple[int, int]:
    sizes = [_size_depth(c) for c in node["children"]]
    return 1 + sum(s for s, _ in sizes), 1 + max((d for _, d in sizes), default=0)


def legacy_messages(messages: list[Message]) -> list[dict[str, Any]]:
    """Our messages in ToolBench's shape (``function_call`` / ``function`` role)."""
    out: list[dict[str, Any]] = []
    for m in messages:
        if m.role == "assistant" and len(m.tool_calls) == 1:
            call = m.tool_calls[0]
            out.append({"role": "assistant", "content": m.content,
                        "function_call": {"name": call.name, "arguments": arguments_text(call.arguments)}})
        elif m.role == "assistant" and m.tool_calls:
            out.append(m.to_openai())
        elif m.role == "tool":
            out.append({"role": "function", "name": m.name or "", "content": m.content})
        else:
            out.append({"role": m.role, "content": m.content})
    return out


def _train_messages(messages: list[Message]) -> list[list[dict[str, Any]]]:
    """ToolBench's ``train_messages``: the conversation up to each assistant turn with calls."""
    turns = [k for k, m in enumerate(messages) if m.role == "assistant" and m.tool_calls]
    return [legacy_messages(messages[: k + 1]) for k in turns]


def _raw_final(trajectory: Trajectory) -> str:
    import json

    for step in reversed(trajectory.steps):
        if step.action is not None and step.action.name == FINISH:
            return arguments_text(step.action.arguments)
    if trajectory.finish_reason == FinishReason.GIVE_ANSWER:
        return json.dumps({"return_type": "give_answer", "final_answer": trajectory.final_answer})
    return ""


def trajectory_to_answer(trajectory: Trajectory) -> dict[str, Any]:
    """One of our trajectories as a ToolBench answer file (``{qid}_{method}.json``)."""
    cfg = trajectory.config
    valid = trajectory.finish_reason in (FinishReason.GIVE_ANSWER, FinishReason.GIVE_UP)
    generation = {
        "valid_data": valid, "query_count": trajectory.usage.llm_calls, "total_tokens": trajectory.usage.total_tokens,
        "final_answer": _raw_final(trajectory) if valid else "",
        "finish_type": "give_up" if trajectory.finish_reason == FinishReason.GIVE_UP else "give_answer",
        "function": [t.get("function", t) for t in trajectory.tools], "chain": [],
        "query": trajectory.query,
    }
    if valid:
        generation["train_messages"] = _train_messages(trajectory.messages)
    out: dict[str, Any] = {"win": trajectory.finish_reason == FinishReason.GIVE_ANSWER}
    if trajectory.tree is not None and len(trajectory.tree.nodes) > 0:
        root, _ = tree_to_toolbench(trajectory.tree)
        size, depth = _size_depth(root)
        out["tree"] = {"size": size, "max_length": depth, "tree": root}
    out["forward_args"] = {
        "single_chain_max_step": cfg.get("toolbench_depth") or 2 * int(cfg.get("max_actions", 6)),
        "tree_beam_size": cfg.get("width", 2), "max_query_count": cfg.get("max_llm_calls", 200), "answer": 1,
        "with_filter": False,
    }
    out["compare_candidates"] = []
    out["answer_generation"] = generation
    return out


def write_answer_dir(directory: str | Path, trajectories: list[Trajectory], method: str) -> list[Path]:
    """Write ``{qid}_{method}.json`` for each trajectory (atomically; names made safe by ``safe_name``)."""
    from toolbench.store import atomic_write_json, safe_name

    return [atomic_write_json(Path(directory) / f"{safe_name(t.query_id)}_{safe_name(method)}.json",
                              trajectory_to_answer(t), indent=2)
            for t in trajectories]
