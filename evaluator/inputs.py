"""Load what the judges read: runs in any supported format, their groups and trajectory links.

Formats are read by :mod:`toolbench.formats` (our run directories and ``trajectories.jsonl``,
ToolBench answer directories ``{qid}_{method}.json``, StableToolEval converted files).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from toolbench.catalog.queries import group_from_filename
from toolbench.errors import InputError
from toolbench.formats import detect_format, read_trajectories
from toolbench.types import Query, Trajectory


@dataclass
class LoadedRun:
    """One run's trajectories, its display name and where each trajectory lives on disk."""

    name: str
    path: Path
    format: str
    trajectories: list[Trajectory]
    files: dict[str, Path] = field(default_factory=dict)

    def groups(self) -> dict[str, str]:
        """``{query_id: group}`` from the trajectories (``config["group"]``), else from a
        group-like folder name (``.../G1_answer/``, ``.../G1_instruction``)."""
        fallback = group_from_filename(self.path.name)
        out = {}
        for t in self.trajectories:
            where = self.files.get(t.query_id)
            by_dir = group_from_filename(where.parent.name) if where is not None and where != self.path else ""
            out[t.query_id] = str(t.config.get("group") or by_dir or fallback)
        return {q: g for q, g in out.items() if g}

    def links(self, out_dir: str | Path) -> dict[str, str]:
        """Trajectory file paths relative to ``out_dir`` (for the report's per-query table)."""
        base = Path(out_dir).resolve()
        return {q: os.path.relpath(p.resolve(), base) for q, p in sorted(self.files.items())}


def run_name(path: Path, fmt: str) -> str:
    """A readable name: the directory name, or ``model/group`` for a converted file.

    >>> run_name(Path("preds/chatgpt_cot/G1_instruction.json"), "stabletooleval")
    'chatgpt_cot/G1_instruction'
    >>> run_name(Path("runs/dfs"), "trajectories")
    'dfs'
    >>> run_name(Path("answer/chatgpt_dfs/G1_instruction"), "toolbench")
    'chatgpt_dfs/G1_instruction'
    """
    if path.is_file() or path.suffix in (".json", ".jsonl"):
        if fmt == "stabletooleval":
            return f"{path.parent.name}/{path.stem}"
        return path.parent.name if path.name == "trajectories.jsonl" else path.stem
    if group_from_filename(path.name):
        return f"{path.parent.name}/{path.name}"
    return path.name or str(path)


def _trajectory_files(path: Path, fmt: str, trajectories: list[Trajectory]) -> dict[str, Path]:
    if path.is_file():
        return {t.query_id: path for t in trajectories}
    if fmt == "trajectories":
        from toolbench.store.runs import RunDir

        run = RunDir(path)
        files = {t.query_id: run.result_path(t.query_id) for t in trajectories}
        return {q: p for q, p in files.items() if p.is_file()}
    return {}


def _answer_files(path: Path) -> tuple[list[Trajectory], dict[int, Path]]:
    """ToolBench answer files one by one (ids repeat across G1/G2/G3 folders); group from the folder."""
    from toolbench.formats.toolbench_answer import ANSWER_FILE_RE, read_answer_file

    trajectories, files = [], {}
    for file in sorted(p for p in path.rglob("*.json") if ANSWER_FILE_RE.match(p.name)):
        t = read_answer_file(file)
        if not t.config.get("group") and group_from_filename(file.parent.name):
            t.config["group"] = group_from_filename(file.parent.name)
        files[id(t)] = file
        trajectories.append(t)
    return trajectories, files


def qualify_duplicates(trajectories: list[Trajectory]) -> None:
    """Where query ids repeat (ToolBench numbers queries per group), make them ``group/id``.

    >>> ts = [Trajectory("10", "q", "m", config={"group": "G1"}), Trajectory("10", "q", "m", config={"group": "G2"})]
    >>> qualify_duplicates(ts); [t.query_id for t in ts]
    ['G1/10', 'G2/10']
    """
    ids = [t.query_id for t in trajectories]
    if len(set(ids)) == len(ids):
        return
    for t in trajectories:
        if t.config.get("group"):
            t.query_id = f"{t.config['group']}/{t.query_id}"
    if len({t.query_id for t in trajectories}) != len(trajectories):
        raise InputError("query ids repeat within one run (and groups do not tell them apart)")


def load_run(path: str | Path, fmt: str = "auto", name: str | None = None) -> LoadedRun:
    """Read one run (see the module docstring)."""
    path = Path(path)
    fmt = detect_format(path) if fmt == "auto" else fmt
    if fmt == "toolbench" and path.is_dir():
        trajectories, by_object = _answer_files(path)
        qualify_duplicates(trajectories)
        files = {t.query_id: by_object[id(t)] for t in trajectories}
    else:
        trajectories = read_trajectories(path, fmt)
        files = _trajectory_files(path, fmt, trajectories)
        qualify_duplicates(trajectories)
    return LoadedRun(name or run_name(path, fmt), path, fmt, trajectories, files)


def load_runs(paths: list[str | Path], fmt: str = "auto") -> list[LoadedRun]:
    """Read several runs; names made unique with ``#2``, ``#3`` suffixes."""
    runs, seen = [], {}
    for p in paths:
        run = load_run(p, fmt)
        count = seen.get(run.name, 0) + 1
        seen[run.name] = count
        if count > 1:
            run.name = f"{run.name}#{count}"
        runs.append(run)
    return runs


def merged_groups(runs: list[LoadedRun], queries: list[Query] | None = None) -> dict[str, str]:
    """Query id → group: from the queries when given, else from the trajectories."""
    groups: dict[str, str] = {}
    for run in runs:
        groups.update(run.groups())
    for q in queries or []:
        if q.group:
            groups[q.query_id] = q.group
    return groups
