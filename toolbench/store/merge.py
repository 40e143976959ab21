"""Merge run directories (shards of one job, or runs of parts of a query set) into one.

:func:`merge_runs` streams: each input's trajectories are read one at a time and written
to ``OUT/results/{qid}.json`` at once, so memory holds the query ids, never the
trajectories. A query id already in ``OUT`` — from an earlier input, or from an earlier
merge into the same ``OUT`` — is compared with the stored record: an identical record is
kept once; a different one is a *conflict*: the first is kept, the other is listed in the
result and in ``OUT/conflicts.jsonl`` and never mixed in. ``OUT`` is then a normal run
directory: ``config.json`` (the first input's settings, so ``toolbench plan --out OUT``
resumes it, plus where it was merged from), ``results/`` and ``trajectories.jsonl``
(rewritten, streamed, sorted by query id). Merging again with more inputs adds to it, so
an input that is still being planned (reported in ``running``) can be merged again later.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolbench.config import save_config
from toolbench.errors import InputError
from toolbench.store.files import iter_jsonl, read_json, with_version, write_jsonl
from toolbench.store.runs import CONFIG, LOCK, SETTINGS_KEYS, TRAJECTORIES, RunDir, read_result
from toolbench.types import Trajectory, query_sort_key

logger = logging.getLogger(__name__)

CONFLICTS = "conflicts.jsonl"


@dataclass(frozen=True)
class Conflict:
    """One query id with different trajectories: ``kept`` (first seen) and ``dropped``."""

    query_id: str
    kept: str
    dropped: str
    fields: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {"query_id": self.query_id, "kept": self.kept, "dropped": self.dropped, "fields": list(self.fields)}


@dataclass
class MergeResult:
    """What :func:`merge_runs` did."""

    out: Path
    queries: int = 0
    added: int = 0
    identical: int = 0
    per_input: list[tuple[str, int]] = field(default_factory=list)  # (input, trajectories read)
    conflicts: list[Conflict] = field(default_factory=list)
    settings_differ: list[str] = field(default_factory=list)
    running: list[str] = field(default_factory=list)  # inputs a process was still writing to


def in_use(path: Path) -> bool:
    """Whether a process holds the lock of the run directory ``path`` (it is still being planned)."""
    lock = path / LOCK
    if not lock.is_file():
        return False
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no advisory locks
        return False
    with open(lock, encoding="utf-8") as handle:
        try:
            fcntl.lockf(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.lockf(handle, fcntl.LOCK_UN)
        return False


def differing_fields(a: dict[str, Any], b: dict[str, Any]) -> tuple[str, ...]:
    """Top-level keys whose values differ between two records.

    >>> differing_fields({"a": 1, "b": [1]}, {"a": 1, "b": [2], "c": 0})
    ('b', 'c')
    """
    return tuple(sorted(k for k in set(a) | set(b) if a.get(k) != b.get(k)))


def iter_run_records(path: str | Path) -> Iterator[dict[str, Any]]:
    """The trajectory records of a run directory (its result files; else its
    ``trajectories.jsonl``) or of a ``trajectories.jsonl`` file, one at a time."""
    path = Path(path)
    run = RunDir(path)
    if path.is_dir() and run.results.is_dir():
        # the finished ids (manifest + listing), then one file at a time in query-id order;
        # unreadable files are logged and skipped
        done = run.finished()
        for query_id in sorted(done, key=query_sort_key):
            record = read_result(run.results / done[query_id])
            if record is not None:
                yield record
        return
    jsonl = path / TRAJECTORIES if path.is_dir() else path
    if not jsonl.is_file() or jsonl.suffix != ".jsonl":
        raise InputError("not a run directory (no results/ or trajectories.jsonl) nor a .jsonl file", path=str(path))
    for number, record in enumerate(iter_jsonl(jsonl), 1):
        try:
            Trajectory.from_dict(record)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            raise InputError(f"not a trajectory ({exc})", path=str(jsonl), record=number) from exc
        yield record


def input_settings(path: Path) -> dict[str, Any]:
    """The planner/model/executor settings in an input's ``config.json`` (empty when it has none)."""
    file = path / CONFIG if path.is_dir() else path.parent / CONFIG
    if not file.is_file():
        return {}
    config = read_json(file)
    return dict(config.get("config") or {}) if isinstance(config, dict) else {}


class _Merger:
    """The state of one merge: which input first gave each query id."""

    def __init__(self, out: Path) -> None:
        self.run = RunDir(out)
        self.result = MergeResult(out)
        self.owner: dict[str, str] = {}

    def adopt_existing(self) -> None:
        if (self.run.path / TRAJECTORIES).is_file() and not self.run.results.is_dir():
            raise InputError("holds a trajectories.jsonl without results/; merge into a new directory",
                             path=str(self.run.path))
        for query_id in self.run.finished(repair=True):  # ids only: no result file is parsed
            self.owner[query_id] = f"{self.run.path} (already merged)"

    def add(self, record: dict[str, Any], source: str) -> None:
        query_id = str(record["query_id"])
        record = with_version(record)
        if query_id not in self.owner:
            self.run.write_record(record)
            self.owner[query_id] = source
            self.result.added += 1
            return
        kept = read_result(self.run.result_path(query_id))
        if kept == record:
            self.result.identical += 1
            return
        fields = differing_fields(kept or {}, record)
        self.result.conflicts.append(Conflict(query_id, self.owner[query_id], source, fields))
        logger.warning("query %s: %s differs from %s in %s; kept the first", query_id, source,
                       self.owner[query_id], ", ".join(fields))

    def ordered_records(self) -> Iterator[dict[str, Any]]:
        for query_id in sorted(self.owner, key=query_sort_key):
            record = read_result(self.run.result_path(query_id))
            if record is not None:
                yield record


def merge_runs(inputs: list[str | Path], out: str | Path,
               progress: Callable[[str, int], None] | None = None) -> MergeResult:
    """Stream the trajectories of ``inputs`` into the run directory ``out`` (see the module docstring).

    ``progress(input, records so far)`` is called after each record.
    """
    out = Path(out)
    sources = [Path(p) for p in inputs]
    if not sources:
        raise InputError("give at least one run to merge")
    for source in sources:
        if not source.exists():
            raise InputError("no such run directory or trajectories file", path=str(source))
        if source.resolve() == out.resolve():
            raise InputError("is also the output (--out); merge into another directory", path=str(source))
    merger = _Merger(out)
    with merger.run.lock():
        merger.adopt_existing()
        for source in sources:
            if source.is_dir() and in_use(source):
                logger.warning("%s is still being planned; merging what it has finished", source)
                merger.result.running.append(str(source))
            count = 0
            for record in iter_run_records(source):
                merger.add(record, str(source))
                count += 1
                if progress is not None:
                    progress(str(source), count)
            merger.result.per_input.append((str(source), count))
        _finish(merger, sources)
    return merger.result


def _finish(merger: _Merger, sources: list[Path]) -> None:
    """Write conflicts.jsonl, trajectories.jsonl and config.json of the merged run."""
    result, run = merger.result, merger.run
    result.queries = len(merger.owner)
    write_jsonl(run.path / CONFLICTS, (c.to_dict() for c in result.conflicts))
    write_jsonl(run.path / TRAJECTORIES, merger.ordered_records())
    settings = [input_settings(s) for s in sources]
    first = next((s for s in settings if s), {})
    result.settings_differ = [k for k in SETTINGS_KEYS
                              if len({json.dumps(s.get(k), sort_keys=True) for s in settings if s}) > 1]
    previous = input_settings(run.path) if (run.path / CONFIG).is_file() else {}
    merged_from = [*previous.get("merged_from", []), *(str(s) for s in sources)]
    config = {**(previous or first), "merged_from": list(dict.fromkeys(merged_from)), "shard": ""}
    save_config(run.path, config, CONFIG)
