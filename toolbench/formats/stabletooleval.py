"""StableToolEval "converted" answers: one JSON file per query group.

``{qid: {"query", "available_tools", "answer": {"method", "total_steps", "final_answer",
"answer_details"}}}`` where ``answer_details`` is a nested chain of ``{"role", "message",
"next"}`` nodes: ``system`` and ``user`` (messages blanked), ``tool`` (``{"name",
"arguments", "response"}``; ``Finish`` has an empty response) and ``assistant`` (text).

:func:`convert_answer` reproduces StableToolBench's ``convert_to_answer_format.py``
byte for byte (its random choices use one ``random.Random(42)`` over the files in query-id
order, as the original does with ``random.seed(42)``); :func:`convert_trajectory`
converts our own trajectories; :func:`read_converted` reads the format back.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path
from typing import Any

from toolbench.calls import FINISH, GIVE_UP, arguments_text, final_answer_text, parse_arguments
from toolbench.errors import InputError
from toolbench.formats.common import openai_tools
from toolbench.store import atomic_write_text, read_json, safe_name
from toolbench.types import (
    FinishReason,
    Observation,
    ObservationStatus,
    Step,
    ToolCall,
    Trajectory,
    query_sort_key,
)

Node = dict[str, Any]  # {"role", "message", "next"} while building: plus "children"


def _node(role: str, message: Any) -> Node:
    return {"role": role, "message": message, "children": []}


def _chain(nodes: list[Node]) -> list[dict[str, Any]]:
    """Nest a sequence of nodes: system first; system/user messages blanked."""
    out: dict[str, Any] | None = None
    for node in reversed(nodes):
        message = "" if node["role"] in ("system", "user") else node["message"]
        out = {"role": node["role"], "message": message, "next": [out] if out else []}
    return [out] if out else []


def _entry(method: str, gen: dict[str, Any], nodes: list[Node]) -> dict[str, Any]:
    return {
        "query": gen["query"],
        "available_tools": gen["function"],
        "answer": {
            "method": method,
            "total_steps": len(nodes),
            "final_answer": gen["final_answer"],
            "answer_details": _chain(nodes),
        },
    }


def _walk(rng: random.Random, first: Node) -> list[Node]:
    """ExecutionGraph.reduce_graph_to_sequence: a random walk to a leaf (one choice per step)."""
    nodes = [first]
    while first["children"]:
        first = first["children"][rng.choice(range(len(first["children"])))]
        nodes.append(first)
    return nodes


def _linked(nodes: list[Node]) -> Node:
    for parent, child in zip(nodes, nodes[1:], strict=False):
        parent["children"] = [child]
    return nodes[0]


def _valid_nodes(gen: dict[str, Any]) -> list[Node]:
    conversation = gen["train_messages"][-1]
    nodes = [_node("system", ""), _node("user", gen["query"])]
    index = 2
    while index < len(conversation):
        message = conversation[index]
        if message["role"] == "assistant":
            if "function_call" in message:
                call = message["function_call"]
                response = conversation[index + 1]["content"] if call["name"] != FINISH else ""
                message = {"name": call["name"], "arguments": call["arguments"], "response": response}
                nodes.append(_node("tool", message))
                index += 1
            elif message.get("tool_calls") is not None:
                nodes.extend(_tool_call_nodes(message["tool_calls"], conversation[index + 1 :]))
            else:
                nodes.append(_node("assistant", message["content"]))
        elif message["role"] not in ("system", "user", "function", "tool"):
            raise InputError(f"unknown role {message['role']!r} in train_messages")
        index += 1
    return nodes


def _tool_call_nodes(calls: list[dict[str, Any]], rest: list[dict[str, Any]]) -> list[Node]:
    out = []
    for call in calls:
        name, arguments = call["function"]["name"], call["function"]["arguments"]
        if name == FINISH:
            out.append(_node("tool", {"name": name, "arguments": arguments, "response": ""}))
            break
        for reply in rest:
            if reply["role"] == "tool" and reply.get("tool_call_id") == call["id"]:
                out.append(_node("tool", {"name": name, "arguments": arguments, "response": reply["content"]}))
                break
    return out


def _cot_nodes(rng: random.Random, data: dict[str, Any]) -> list[Node]:
    trail = rng.choice(data["trys"])
    chain, nodes, index = trail["chain"], [], 0
    while index < len(chain):
        item = chain[index]
        if item["node_type"] == "Action":
            nxt = chain[index + 1]
            nodes.append(_node("tool", {"name": item["description"], "arguments": nxt["description"],
                                        "response": nxt["observation"]}))
            index += 1
        elif item["node_type"] == "Thought":
            nodes.append(_node("assistant", item["description"]))
        else:
            raise InputError(f"unknown node_type {item['node_type']!r} in a CoT chain")
        index += 1
    return nodes


def _purified(raw: dict[str, Any]) -> Node:
    """A DFS tree node as an execution node: Action+Action Input → tool, Thought → assistant."""
    kind, children = raw["node_type"], raw.get("children") or []
    if kind == "Thought":
        return {"role": "assistant", "message": raw["description"], "children": [_purified(c) for c in children]}
    if kind == "Action":
        inputs = [c for c in children if c["node_type"] == "Action Input"]
        if inputs:
            ai = inputs[0]
            rest = [c for c in children if c is not ai] + (ai.get("children") or [])
            message = {"name": raw["description"], "arguments": ai["description"],
                       "response": ai.get("observation", "")}
            return {"role": "tool", "message": message, "children": [_purified(c) for c in rest]}
    message = {k: v for k, v in raw.items() if k != "children"} | {"children": None if children else []}
    return {"role": kind, "message": message, "children": [_purified(c) for c in children]}


def convert_answer(data: dict[str, Any], method: str, rng: random.Random) -> dict[str, Any]:
    """One answer file (parsed) → one converted entry, as StableToolBench converts it."""
    gen = data["answer_generation"]
    if gen["valid_data"]:
        return _entry(method, gen, _walk(rng, _linked(_valid_nodes(gen))))
    head = [_node("system", ""), _node("user", gen["query"])]
    if "cot" in method.lower():
        return _entry(method, gen, _walk(rng, _linked(head + _cot_nodes(rng, data))))
    if "dfs" in method.lower():
        head[1]["children"] = [_purified(c) for c in data["tree"]["tree"]["children"]]
        head[0]["children"] = [head[1]]
        return _entry(method, gen, _walk(rng, head[0]))
    raise InputError(f"unknown method {method!r}: expected a CoT or DFS method name")


def convert_answer_dir(
    answer_dir: str | Path, method: str, seed: int = 42, order: list[str] | None = None
) -> dict[str, dict[str, Any]]:
    """Convert every ``{qid}_{method}.json`` in ``answer_dir``.

    Files are processed in query-id order, or in ``order`` (query ids) where given: the
    original processes them in ``os.listdir`` order, which decides the key order of its
    output and which random choices each file gets.
    """
    from toolbench.formats.toolbench_answer import split_answer_filename

    rng = random.Random(seed)
    files = [p for p in Path(answer_dir).iterdir() if p.name.endswith(".json") and method in p.name]
    out: dict[str, dict[str, Any]] = {}
    rank = {qid: k for k, qid in enumerate(order or [])}

    def key(p: Path) -> tuple[int, tuple[int, int, str]]:
        qid = p.name.split("_")[0]
        return (rank.get(qid, len(rank)), query_sort_key(qid))

    for path in sorted(files, key=key):
        qid = path.name.split("_")[0]
        split_answer_filename(path.name)
        try:
            out[qid] = convert_answer(read_json(path), method, rng)
        except (KeyError, TypeError, IndexError) as exc:
            raise InputError(f"malformed answer file ({type(exc).__name__}: {exc})", path=str(path)) from exc
    return out


def dumps_converted(converted: dict[str, Any]) -> str:
    """The converted file's text exactly as StableToolBench writes it."""
    return json.dumps(converted)


def write_converted(path: str | Path, converted: dict[str, Any]) -> Path:
    return atomic_write_text(path, dumps_converted(converted))


# ---------------------------------------------------------------- our trajectories


def convert_trajectory(trajectory: Trajectory, method: str | None = None) -> dict[str, Any]:
    """One of our trajectories as a converted entry (the chosen path)."""
    nodes = [_node("system", ""), _node("user", trajectory.query)]
    for step in trajectory.steps:
        if step.action is None:
            nodes.append(_node("assistant", step.thought))
            continue
        if step.thought:
            nodes.append(_node("assistant", step.thought))
        response = "" if step.action.name == FINISH or step.observation is None else step.observation.content
        nodes.append(_node("tool", {"name": step.action.name, "arguments": arguments_text(step.action.arguments),
                                    "response": response}))
    gen = {"query": trajectory.query, "function": [t.get("function", t) for t in trajectory.tools],
           "final_answer": _raw_final_answer(trajectory)}
    return _entry(method or trajectory.method, gen, nodes)


def _raw_final_answer(trajectory: Trajectory) -> str:
    if trajectory.finish_reason == FinishReason.GIVE_ANSWER:
        return json.dumps({"return_type": "give_answer", "final_answer": trajectory.final_answer})
    if trajectory.finish_reason == FinishReason.GIVE_UP:
        return json.dumps({"return_type": GIVE_UP})
    return ""


def write_groups(out_dir: str | Path, trajectories: list[Trajectory], method: str | None = None) -> list[Path]:
    """Write one converted file per query group (``Trajectory.config['group']`` or ``all``)."""
    groups: dict[str, dict[str, Any]] = {}
    for t in trajectories:
        group = str(t.config.get("group") or "all")
        groups.setdefault(group, {})[t.query_id] = convert_trajectory(t, method)
    return [write_converted(Path(out_dir) / f"{safe_name(g)}.json", entries) for g, entries in sorted(groups.items())]


# ---------------------------------------------------------------- reading


def looks_converted(path: str | Path) -> bool:
    """Whether a JSON file is a converted-answers file (by content)."""
    try:
        data = read_json(path)
    except InputError:
        return False
    return isinstance(data, dict) and all(isinstance(v, dict) and "answer" in v for v in list(data.values())[:3])


def read_converted(path: str | Path) -> list[Trajectory]:
    """Read a converted file, or every ``*.json`` converted file in a directory."""
    path = Path(path)
    if path.is_dir():
        return [t for p in sorted(path.rglob("*.json")) for t in read_converted(p)]
    data = read_json(path)
    if not isinstance(data, dict):
        raise InputError("a converted answers file is a JSON object {qid: entry}", path=str(path))
    group = path.stem
    out = []
    for qid, entry in data.items():
        try:
            out.append(converted_to_trajectory(str(qid), entry, group))
        except (KeyError, TypeError, AttributeError) as exc:
            raise InputError(f"malformed entry ({type(exc).__name__}: {exc})", path=str(path), record=qid) from exc
    return out


def converted_to_trajectory(qid: str, entry: dict[str, Any], group: str = "") -> Trajectory:
    """One converted entry → :class:`Trajectory` (no messages: the format keeps none)."""
    answer = entry["answer"]
    steps = _steps_from_details(answer.get("answer_details") or [])
    return_type, final = final_answer_text(answer.get("final_answer") or "")
    if return_type == GIVE_UP:
        reason = FinishReason.GIVE_UP
    else:
        reason = FinishReason.GIVE_ANSWER if final.strip() else FinishReason.NO_FINISH
    api_calls = sum(1 for s in steps if s.action is not None and s.action.name != FINISH)
    from toolbench.types import Usage

    return Trajectory(query_id=qid, query=str(entry.get("query", "")), method=str(answer.get("method", "")),
                      tools=openai_tools(entry.get("available_tools") or []), steps=steps,
                      finish_reason=reason, final_answer=final, usage=Usage(api_calls=api_calls),
                      config={"group": group, "source": "stabletooleval",
                              "total_steps": answer.get("total_steps")})


def _steps_from_details(details: list[dict[str, Any]]) -> list[Step]:
    steps: list[Step] = []
    node = details[0] if details else None
    while node is not None:
        if node.get("role") == "assistant":
            steps.append(Step(thought=str(node.get("message", ""))))
        elif node.get("role") == "tool":
            msg = node["message"] if isinstance(node.get("message"), dict) else _cut_tool_message(node.get("message"))
            call = ToolCall(f"call_{len(steps)}", str(msg.get("name", "")), parse_arguments(msg.get("arguments", "")))
            status = ObservationStatus.FINISH if call.name == FINISH else ObservationStatus.OK
            steps.append(Step(action=call, observation=Observation(call.id, str(msg.get("response", "")),
                                                                   status=status, name=call.name)))
        nxt = node.get("next") or []
        node = nxt[0] if nxt else None
    return steps


_CUT_NAME = re.compile(r"'name': '([^']*)'")


def _cut_tool_message(text: Any) -> dict[str, Any]:
    """Older converted files keep ``str(message)[:100]``: recover the function name only.

    >>> _cut_tool_message("{'name': 'vin_decode_for_v4', 'arguments': '{")["name"]
    'vin_decode_for_v4'
    """
    match = _CUT_NAME.search(str(text or ""))
    return {"name": match.group(1) if match else "", "arguments": "", "response": "", "truncated": True}
