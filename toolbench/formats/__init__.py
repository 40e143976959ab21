"""Readers and writers for other projects' result files.

- :mod:`toolbench.formats.toolbench_answer`: ToolBench answer trees ``{qid}_{method}.json``
  (``tree``, ``answer_generation`` with ``train_messages``, ``forward_args``).
- :mod:`toolbench.formats.stabletooleval`: StableToolEval "converted" answers, one JSON
  file per query group (``{qid: {query, available_tools, answer}}``), and the converter
  from answer trees to that format.

Every reader returns :class:`toolbench.types.Trajectory` objects; :data:`READERS` maps a
format name to its path reader and :func:`read_trajectories` picks one by looking at the
path.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from toolbench.types import Trajectory


def _toolbench(path: str | Path) -> list[Trajectory]:
    from toolbench.formats.toolbench_answer import read_answer_path

    return read_answer_path(path)


def _stabletooleval(path: str | Path) -> list[Trajectory]:
    from toolbench.formats.stabletooleval import read_converted

    return read_converted(path)


def _ours(path: str | Path) -> list[Trajectory]:
    from toolbench.store.runs import read_run

    return read_run(path)


READERS: dict[str, Callable[[str | Path], list[Trajectory]]] = {
    "toolbench": _toolbench,
    "stabletooleval": _stabletooleval,
    "trajectories": _ours,
}


def detect_format(path: str | Path) -> str:
    """Guess the format of ``path`` (a file or directory) from names and content."""
    from toolbench.formats.stabletooleval import looks_converted
    from toolbench.formats.toolbench_answer import ANSWER_FILE_RE

    path = Path(path)
    if path.is_dir():
        if (path / "results").is_dir() or (path / "trajectories.jsonl").is_file():
            return "trajectories"
        first = next(iter(sorted(path.rglob("*.json"))), None)
        if first is None or looks_converted(first) or not ANSWER_FILE_RE.match(first.name):
            return "stabletooleval"
        return "toolbench"
    if path.suffix == ".jsonl":
        return "trajectories"
    return "stabletooleval" if looks_converted(path) else "toolbench"


def read_trajectories(path: str | Path, fmt: str = "auto") -> list[Trajectory]:
    """Read trajectories from ``path`` in format ``fmt`` (``auto`` detects it)."""
    from toolbench.errors import ConfigError

    name = detect_format(path) if fmt == "auto" else fmt
    if name not in READERS:
        raise ConfigError(f"unknown trajectory format {fmt!r} (known: {', '.join(sorted(READERS))}, auto)")
    return READERS[name](path)
