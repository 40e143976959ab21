"""Read and write a run in any supported format: the one reader every consumer uses.

Formats, by name (:data:`RUN_READERS`, :data:`RUN_WRITERS`):

- ``trajectories`` — our run directories (``results/``, ``trajectories.jsonl``; see
  :mod:`toolbench.store.runs`) and ``trajectories.jsonl`` files
- ``toolbench`` — ToolBench answer files ``{qid}_{method}.json``, one file or a folder tree
- ``stabletooleval`` — StableToolEval converted answers, one file or a folder of them

:func:`detect_format` tells them apart by names and content; :func:`read_run` returns
the trajectories and :func:`read_run_source` also says which file each came from.
:func:`iter_run` and :func:`iter_run_source` stream them instead: for our run directories
and ``trajectories.jsonl`` files one trajectory is in memory at a time (ToolBench answer
trees and converted files are read whole, as before).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from toolbench.errors import InputError
from toolbench.formats.stabletooleval import looks_converted, read_converted, write_groups
from toolbench.formats.toolbench_answer import ANSWER_FILE_RE, read_answer_file, read_answer_files, write_answer_dir
from toolbench.registry import Registry
from toolbench.store.files import check_version, iter_numbered_jsonl
from toolbench.store.runs import TRAJECTORIES, RunDir, write_trajectories
from toolbench.types import Trajectory

Sourced = Iterable[tuple[Trajectory, Path | None]]

RUN_READERS: Registry[Callable[[Path], Sourced]] = Registry("run format")
RUN_WRITERS: Registry[Callable[[Path, list[Trajectory], str], list[Path]]] = Registry("run format")


@dataclass
class RunSource:
    """The trajectories of one run, its format and the file each trajectory was read from."""

    path: Path
    format: str
    trajectories: list[Trajectory]
    files: list[Path | None] = field(default_factory=list)


def detect_format(path: str | Path) -> str:
    """Guess the format of ``path`` (a file or directory) from names and content."""
    path = Path(path)
    if path.is_dir():
        if (path / "results").is_dir() or (path / TRAJECTORIES).is_file():
            return "trajectories"
        first = next(iter(sorted(path.rglob("*.json"))), None)
        if first is None:
            raise InputError("no results/, trajectories.jsonl, ToolBench answer files or converted files found",
                             path=str(path))
        if looks_converted(first) or not ANSWER_FILE_RE.match(first.name):
            return "stabletooleval"
        return "toolbench"
    if path.suffix == ".jsonl":
        return "trajectories"
    return "stabletooleval" if looks_converted(path) else "toolbench"


def iter_run_source(path: str | Path, fmt: str = "auto") -> Iterator[tuple[Trajectory, Path | None]]:
    """Stream ``(trajectory, file it came from)`` of the run at ``path`` (``auto`` detects the
    format); a run with no finished query raises :class:`InputError` once it is found empty."""
    path = Path(path)
    if not path.exists():
        raise InputError("no such run directory or trajectories file", path=str(path))
    name = detect_format(path) if fmt == "auto" else fmt
    empty = True
    for pair in RUN_READERS.get(name)(path):
        empty = False
        yield pair
    if empty:  # an empty results/ folder or file: nothing to convert, judge or train on
        raise InputError("the run holds no finished queries", path=str(path))


def iter_run(path: str | Path, fmt: str = "auto") -> Iterator[Trajectory]:
    """Stream the trajectories of the run at ``path`` (see :func:`iter_run_source`)."""
    return (t for t, _ in iter_run_source(path, fmt))


def read_run_source(path: str | Path, fmt: str = "auto") -> RunSource:
    """Read the run at ``path`` in format ``fmt`` (``auto`` detects it)."""
    path = Path(path)
    name = detect_format(path) if fmt == "auto" and path.exists() else fmt
    pairs = list(iter_run_source(path, name))
    return RunSource(path, name, [t for t, _ in pairs], [f for _, f in pairs])


def read_run(path: str | Path, fmt: str = "auto") -> list[Trajectory]:
    """The trajectories of the run at ``path`` (see the module docstring for the formats)."""
    return read_run_source(path, fmt).trajectories


def write_run(out: str | Path, trajectories: list[Trajectory], fmt: str, method: str = "") -> list[Path]:
    """Write ``trajectories`` into the folder ``out`` in format ``fmt``; returns the files written."""
    return RUN_WRITERS.get(fmt)(Path(out), trajectories, method)


@RUN_READERS.register("trajectories")
def _read_ours(path: Path) -> Sourced:
    """A ``trajectories.jsonl`` file or a run directory (result files win over the merged
    file, so a run killed before its merge is read completely), streamed."""
    if path.is_file():
        return ((t, path) for t in _jsonl_trajectories(path))
    run = RunDir(path)
    if run.results.is_dir():
        return ((t, _existing(run.result_path(t.query_id))) for t in run.iter_trajectories())
    if (path / TRAJECTORIES).is_file():
        return ((t, None) for t in _jsonl_trajectories(path / TRAJECTORIES))
    found = _read_toolbench(path)
    if not found:
        raise InputError("no results/, trajectories.jsonl or ToolBench answer files found", path=str(path))
    return found


def _jsonl_trajectories(path: Path) -> Iterator[Trajectory]:
    """The trajectories of a JSONL file; a record of another shape is an :class:`InputError` naming its line."""
    for number, record in iter_numbered_jsonl(path):
        check_version(record, path=path, line=number)
        try:
            yield Trajectory.from_dict(record)
        except (KeyError, TypeError, ValueError, AttributeError, RecursionError) as exc:
            raise InputError(f"not a trajectory ({type(exc).__name__}: {exc})", path=str(path),
                             record=number) from None


def _existing(path: Path) -> Path | None:
    return path if path.is_file() else None


@RUN_READERS.register("toolbench")
def _read_toolbench(path: Path) -> list[tuple[Trajectory, Path | None]]:
    if path.is_dir():
        return list(read_answer_files(path))
    return [(read_answer_file(path), path)]


@RUN_READERS.register("stabletooleval")
def _read_converted(path: Path) -> Sourced:
    files = sorted(path.rglob("*.json")) if path.is_dir() else [path]
    return [(t, file) for file in files for t in read_converted(file)]


@RUN_WRITERS.register("trajectories")
def _write_ours(out: Path, trajectories: list[Trajectory], method: str) -> list[Path]:
    return [write_trajectories(out / TRAJECTORIES, trajectories)]


@RUN_WRITERS.register("toolbench")
def _write_toolbench(out: Path, trajectories: list[Trajectory], method: str) -> list[Path]:
    return write_answer_dir(out, trajectories, method or (trajectories[0].method if trajectories else "plan"))


@RUN_WRITERS.register("stabletooleval")
def _write_converted(out: Path, trajectories: list[Trajectory], method: str) -> list[Path]:
    return write_groups(out, trajectories, method or None)
