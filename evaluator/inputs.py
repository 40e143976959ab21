"""Load what the judges read: runs in any supported format, their groups and trajectory links.

Runs are read by :func:`toolbench.store.run_io.read_run_source` (our run directories and
``trajectories.jsonl``, ToolBench answer directories ``{qid}_{method}.json``, StableToolEval
converted files), which also says which file each trajectory came from.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from toolbench.catalog.queries import group_from_filename
from toolbench.errors import InputError
from toolbench.store.run_io import RunSource, read_run_source
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


def _groups_from_folders(source: RunSource) -> None:
    """ToolBench answer trees (ids repeat across G1/G2/G3 folders): the group from the folder."""
    for t, file in zip(source.trajectories, source.files, strict=True):
        if file is not None and not t.config.get("group") and group_from_filename(file.parent.name):
            t.config["group"] = group_from_filename(file.parent.name)


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
    source = read_run_source(path, fmt)
    if source.format == "toolbench" and source.path.is_dir():
        _groups_from_folders(source)
    qualify_duplicates(source.trajectories)
    files = {t.query_id: f for t, f in zip(source.trajectories, source.files, strict=True) if f is not None}
    return LoadedRun(name or run_name(source.path, source.format), source.path, source.format, source.trajectories,
                     files)


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
