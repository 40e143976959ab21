"""The run-directory layout shared by every command that produces trajectories.

::

    runs/NAME/
      config.json            the run's configuration and library versions
      results/{qid}.json     one finished query (a Trajectory record), written atomically
      trajectories.jsonl     all finished queries merged (rewritten atomically on merge)
      errors.jsonl           one record per query that raised (appended; retried on resume)

A query counts as finished when its result file exists and parses. A run killed at any
moment leaves only whole files behind (temp file + rename), so resuming skips exactly
the finished query ids and redoes the rest. ``trajectories.jsonl`` is derived from
``results/`` and can always be rebuilt with :func:`merge_results`. To read a run in any
format use :func:`toolbench.store.run_io.read_run`.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from toolbench.errors import InputError
from toolbench.secrets import redact, redact_text
from toolbench.store import (
    append_jsonl,
    atomic_write_json,
    check_version,
    safe_name,
    with_version,
    write_jsonl,
)
from toolbench.types import Trajectory, query_sort_key

logger = logging.getLogger(__name__)

RESULTS_DIR = "results"
TRAJECTORIES = "trajectories.jsonl"
ERRORS = "errors.jsonl"
CONFIG = "config.json"
LOCK = ".lock"


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

    def result_path(self, query_id: str) -> Path:
        return self.results / result_filename(query_id)

    def write_result(self, trajectory: Trajectory) -> Path:
        """Write one finished query atomically (secrets masked, see :mod:`toolbench.secrets`)."""
        record = redact(with_version(trajectory.to_dict()))
        return atomic_write_json(self.result_path(trajectory.query_id), record, indent=None)

    def write_error(self, query_id: str, error: str) -> None:
        """Record a query that raised (it is not finished and will be retried)."""
        append_jsonl(self.path / ERRORS, {"query_id": str(query_id), "error": redact_text(error)})

    def finished_ids(self) -> set[str]:
        """Query ids with a readable result file (unreadable files are ignored and logged)."""
        done: set[str] = set()
        if not self.results.is_dir():
            return done
        for path in sorted(self.results.glob("*.json")):
            record = _read_result(path)
            if record is not None:
                done.add(str(record["query_id"]))
        return done

    def iter_results(self) -> list[Trajectory]:
        """All finished trajectories, sorted by query id (numeric ids numerically)."""
        out = []
        if self.results.is_dir():
            for path in self.results.glob("*.json"):
                record = _read_result(path)
                if record is not None:
                    out.append(Trajectory.from_dict(record))
        return sorted(out, key=lambda t: query_sort_key(t.query_id))

    def merge(self) -> Path:
        """(Re)write ``trajectories.jsonl`` from ``results/`` atomically."""
        return write_jsonl(self.path / TRAJECTORIES, (t.to_dict() for t in self.iter_results()))


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
    except (OSError, ValueError, InputError, TypeError, KeyError, AttributeError) as exc:
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
