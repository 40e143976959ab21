"""The run-directory layout shared by every command that produces trajectories.

::

    runs/NAME/
      config.json            the run's configuration and library versions
      results/{qid}.json     one finished query (a Trajectory record), written atomically
      finished.jsonl         the finished query ids, one line each (appended + fsync'd after
                             each result file is in place; an index, results/ is the truth)
      trajectories.jsonl     all finished queries merged (rewritten atomically on merge)
      errors.jsonl           one record per query that raised (appended; retried on resume)

A query counts as finished when its result file exists and parses. A run killed at any
moment leaves only whole result files behind (temp file + rename), so resuming skips exactly
the finished query ids and redoes the rest. Finding them costs one directory listing and one
read of ``finished.jsonl``, never a parse per result file: a result file the manifest does
not name (a kill between the rename and the append, an old run directory without a
manifest, files copied in by hand) is parsed and added; a manifest line whose file is gone
is dropped; a torn last line is ignored. :meth:`RunDir.finished` with ``repair=True`` (the
planner, under the run's lock) rewrites a manifest that was stale. ``trajectories.jsonl``
is derived from ``results/`` and can always be rebuilt with :func:`merge_results`; readers
(:meth:`RunDir.iter_trajectories`) stream, holding the ids and one trajectory at a time. To
read a run in any format use :func:`toolbench.store.run_io.read_run` (or
:func:`~toolbench.store.run_io.iter_run` to stream it).
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from toolbench.errors import InputError
from toolbench.secrets import redact, redact_text
from toolbench.store import (
    append_jsonl,
    atomic_write_json,
    check_version,
    dumps_record,
    safe_name,
    with_version,
    write_jsonl,
)
from toolbench.store.files import atomic_write_lines
from toolbench.types import Trajectory, query_sort_key

logger = logging.getLogger(__name__)

RESULTS_DIR = "results"
TRAJECTORIES = "trajectories.jsonl"
ERRORS = "errors.jsonl"
CONFIG = "config.json"
LOCK = ".lock"
SETTINGS_KEYS = ("planner", "model", "executor")  # config.json keys that must match to resume or merge runs
MANIFEST = "finished.jsonl"


def result_filename(query_id: str) -> str:
    """The file name of one query's result; ids are made file-system safe (:func:`safe_name`).

    >>> result_filename("1073")
    '1073.json'
    >>> result_filename("a/b c"), result_filename("../../etc/passwd")
    ('a_b_c-9f597a63.json', '_._.._etc_passwd-936d7c04.json')
    """
    return f"{safe_name(query_id)}.json"


class RunDir:
    """One run directory (see the module docstring)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._append_lock = threading.Lock()

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold ``.lock`` for the block; another process working on this run gets an :class:`InputError`."""
        try:
            import fcntl
        except ImportError:  # pragma: no cover - Windows: no advisory locks, no check
            yield
            return
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / LOCK, "a+", encoding="utf-8") as handle:
            try:
                # a POSIX record lock: held by this process only (forked tool workers do not inherit
                # it) and released by the kernel when the process dies, however it dies
                fcntl.lockf(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                handle.seek(0)
                owner = handle.read().strip() or "another process"
                raise InputError(f"the run is in use by {owner}; wait for it or use another --out",
                                 path=str(self.path)) from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"process {os.getpid()}")
            handle.flush()
            try:
                yield
            finally:
                fcntl.lockf(handle, fcntl.LOCK_UN)

    @property
    def results(self) -> Path:
        return self.path / RESULTS_DIR

    @property
    def manifest(self) -> Path:
        return self.path / MANIFEST

    def result_path(self, query_id: str) -> Path:
        return self.results / result_filename(query_id)

    def write_result(self, trajectory: Trajectory) -> Path:
        """Write one finished query atomically (secrets masked, see :mod:`toolbench.secrets`)."""
        return self.write_record(redact(with_version(trajectory.to_dict())))

    def write_record(self, record: dict[str, Any]) -> Path:
        """Write one trajectory record to ``results/`` atomically, then append its id to the manifest."""
        query_id = str(record["query_id"])
        path = atomic_write_json(self.result_path(query_id), record, indent=None)
        self._append_manifest(query_id)
        return path

    def _append_manifest(self, query_id: str) -> None:
        """Append one manifest line (one ``write`` under a lock) and fsync it outside the lock,
        so threads finishing together share the disk flushes instead of queueing for them."""
        line = (dumps_record({"query_id": query_id}) + "\n").encode("utf-8")
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.manifest, "ab", buffering=0) as handle:
            with self._append_lock:
                written = 0
                while written < len(line):
                    written += handle.write(line[written:]) or 0
            os.fsync(handle.fileno())

    def write_error(self, query_id: str, error: str) -> None:
        """Record a query that raised (it is not finished and will be retried)."""
        append_jsonl(self.path / ERRORS, {"query_id": str(query_id), "error": redact_text(error)})

    def finished(self, *, repair: bool = False) -> dict[str, str]:
        """Finished query id → its result file name (see the module docstring).

        Costs a listing of ``results/`` and a read of the manifest; only result files the
        manifest does not name are parsed. ``repair`` rewrites a stale or torn manifest
        (call it only while holding :meth:`lock`).
        """
        names = _result_names(self.results)
        listed, clean = read_manifest(self.manifest)
        done = {qid: name for qid in listed if (name := result_filename(qid)) in names}
        for name in sorted(names - set(done.values())):
            record = _read_result(self.results / name)
            if record is not None:
                done.setdefault(str(record["query_id"]), name)
        stale = not clean or set(done) != set(listed)
        if repair and stale and (done or self.manifest.exists()):
            logger.info("rebuilding %s (%d finished queries)", self.manifest, len(done))
            with self._append_lock:
                atomic_write_lines(self.manifest, (dumps_record({"query_id": q}) + "\n" for q in done))
        return done

    def finished_ids(self) -> set[str]:
        """Query ids with a result file (see :meth:`finished`)."""
        return set(self.finished())

    def iter_trajectories(self) -> Iterator[Trajectory]:
        """The finished trajectories sorted by query id (numeric ids numerically), read one at a
        time (memory holds the ids, not the trajectories); unreadable files are logged and skipped."""
        done = self.finished()
        for query_id in sorted(done, key=query_sort_key):
            record = _read_result(self.results / done[query_id])
            if record is not None:
                yield Trajectory.from_dict(record)

    def iter_results(self) -> list[Trajectory]:
        """All finished trajectories, sorted by query id (:meth:`iter_trajectories` as a list)."""
        return list(self.iter_trajectories())

    def merge(self) -> Path:
        """(Re)write ``trajectories.jsonl`` from ``results/`` atomically, streaming."""
        return write_jsonl(self.path / TRAJECTORIES, (t.to_dict() for t in self.iter_trajectories()))


def _result_names(folder: Path) -> set[str]:
    """The ``*.json`` file names in ``folder`` (empty when it does not exist); no file is opened."""
    try:
        with os.scandir(folder) as entries:
            return {e.name for e in entries if e.name.endswith(".json") and not e.name.startswith(".")}
    except (FileNotFoundError, NotADirectoryError):
        return set()


def read_manifest(path: Path) -> tuple[list[str], bool]:
    """The query ids of a manifest in file order, without repeats, and whether every line was whole.

    A missing file is empty and clean; a line that does not parse (a torn last line after a
    kill) is skipped and makes it unclean.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], True
    ids: dict[str, None] = {}
    clean = not data or data.endswith(b"\n")
    for number, raw in enumerate(data.splitlines(), 1):
        if not raw.strip():
            continue
        try:
            record = json.loads(raw)
            ids[str(check_version(record, path=path, line=number)["query_id"])] = None
        except (ValueError, InputError, TypeError, KeyError, AttributeError) as exc:
            logger.warning("ignoring line %d of %s (%s)", number, path, exc)
            clean = False
    return list(ids), clean


def read_result(path: Path) -> dict[str, Any] | None:
    """The record of one result file when it parses as a trajectory; ``None`` (logged) for anything else."""
    return _read_result(path)


def _read_result(path: Path) -> dict[str, Any] | None:
    """A result record that parses as a trajectory; ``None`` (logged) for anything else."""
    try:
        record = json.loads(path.read_bytes().decode("utf-8"))
        if not isinstance(record, dict):
            raise InputError("not a JSON object")
        check_version(record, path=path, line=1)
        Trajectory.from_dict(record)
        return record
    except (OSError, ValueError, InputError, TypeError, KeyError, AttributeError, RecursionError) as exc:
        logger.warning("ignoring unreadable result file %s (%s)", path, exc)
        return None


def merge_results(run_dir: str | Path) -> Path:
    """Rebuild ``trajectories.jsonl`` of ``run_dir`` from its result files."""
    return RunDir(run_dir).merge()


def pending(queries: Iterable[Any], run_dir: str | Path) -> list[Any]:
    """The queries (objects with ``query_id``) of ``run_dir`` that are not finished yet."""
    done = RunDir(run_dir).finished_ids()
    return [q for q in queries if str(q.query_id) not in done]


def write_trajectories(path: str | Path, trajectories: Iterable[Trajectory]) -> Path:
    """Write trajectories as a versioned JSONL file atomically."""
    return write_jsonl(path, (t.to_dict() for t in trajectories))
