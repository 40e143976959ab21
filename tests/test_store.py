"""Atomic writes and versioned JSONL."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolbench.errors import InputError, SchemaVersionError
from toolbench.store import (
    append_jsonl,
    atomic_write_json,
    atomic_write_text,
    read_json,
    read_jsonl,
    write_jsonl,
)
from toolbench.types import SCHEMA_VERSION, Query


def test_jsonl_round_trip_carries_schema_version(tmp_path: Path) -> None:
    queries = [Query("1", "a"), Query("2", "b", api_ids=["C::T::A"])]
    path = write_jsonl(tmp_path / "sub" / "q.jsonl", [q.to_dict() for q in queries])
    lines = path.read_text().splitlines()
    assert all(json.loads(line)["schema_version"] == SCHEMA_VERSION for line in lines)
    assert [Query.from_dict(r) for r in read_jsonl(path)] == queries
    append_jsonl(path, Query("3", "c").to_dict())
    assert len(read_jsonl(path)) == 3


@pytest.mark.parametrize("version", [None, 0, 2, "1"])
def test_unknown_schema_version_is_refused(tmp_path: Path, version: object) -> None:
    record = {"query_id": "1", "query": "a"}
    if version is not None:
        record["schema_version"] = version
    path = tmp_path / "q.jsonl"
    good = {"schema_version": 1, "query_id": "0", "query": "ok"}
    path.write_text(json.dumps(good) + "\n" + json.dumps(record) + "\n")
    with pytest.raises(SchemaVersionError) as info:
        read_jsonl(path)
    assert (info.value.record, info.value.field) == (2, "schema_version")
    assert len(read_jsonl(path, versioned=False)) == 2


def test_bad_jsonl_lines_name_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"schema_version": 1}\n\n[1, 2]\n')
    with pytest.raises(InputError, match=r"bad.jsonl: record 3: expected a JSON object"):
        read_jsonl(path)
    path.write_text('{"schema_version": 1}\n{"torn": \n')
    with pytest.raises(InputError, match=r"record 2: invalid JSON"):
        read_jsonl(path)
    with pytest.raises(InputError, match="cannot read file"):
        read_jsonl(tmp_path / "missing.jsonl")


def test_atomic_writes_leave_no_temp_files(tmp_path: Path) -> None:
    atomic_write_json(tmp_path / "a.json", {"b": 1, "a": [1]})
    assert read_json(tmp_path / "a.json") == {"a": [1], "b": 1}
    atomic_write_text(tmp_path / "a.json", "replaced")
    assert (tmp_path / "a.json").read_text() == "replaced"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]


def test_failed_write_keeps_the_old_file(tmp_path: Path) -> None:
    target = atomic_write_json(tmp_path / "a.json", {"ok": True})
    with pytest.raises(TypeError):
        atomic_write_text(target, object())  # type: ignore[arg-type]
    assert read_json(target) == {"ok": True}
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json"]


def test_read_json_errors(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_text('{"a": }')
    with pytest.raises(InputError, match=r"x.json: invalid JSON at line 1 column 7"):
        read_json(path)
    path.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(InputError, match="not UTF-8"):
        read_json(path)
    path.write_text("[" * 100_000 + "]" * 100_000)  # json raises RecursionError: an input error, not a traceback
    with pytest.raises(InputError, match="x.json: JSON nested too deeply"):
        read_json(path)
    path.write_text('{"a": ' + "[" * 100_000 + "]" * 100_000 + "}\n")
    with pytest.raises(InputError, match="x.json: record 1: JSON nested too deeply"):
        read_jsonl(path)


HOSTILE_NAMES = ["../../x", "/abs/x", "a\x00b", "q" * 300, "Ünïcødé/名前", "", ".", "..", ".hidden", "C:\\win", "a b"]


def test_safe_name_keeps_every_name_inside_its_folder() -> None:
    from toolbench.store import safe_name

    names = [safe_name(n) for n in HOSTILE_NAMES]
    assert len(set(names)) == len(names)  # distinct names stay distinct
    for original, name in zip(HOSTILE_NAMES, names, strict=True):
        assert 0 < len(name) <= 100 and name not in (".", "..") and not name.startswith("."), original
        assert all(c.isascii() and (c.isalnum() or c in "._-") for c in name), name
    assert safe_name("G1_instruction") == "G1_instruction" and safe_name("1073") == "1073"


@pytest.mark.parametrize("fmt", ["toolbench", "stabletooleval", "trajectories"])
def test_run_writers_never_write_outside_their_folder(tmp_path: Path, fmt: str) -> None:
    from toolbench.store.run_io import write_run
    from toolbench.store.runs import RunDir
    from toolbench.types import FinishReason, Trajectory

    out = tmp_path / "deep" / "out"
    trajectories = [Trajectory(name or "empty", "q", "dfsdt", finish_reason=FinishReason.GIVE_UP,
                               config={"group": name}) for name in HOSTILE_NAMES]
    paths = write_run(out, trajectories, fmt, method="../m")
    run = RunDir(tmp_path / "deep" / "run")
    paths += [run.write_result(t) for t in trajectories]
    for path in paths:
        assert path.resolve().is_relative_to(tmp_path / "deep"), path
    assert sorted(p.name for p in tmp_path.iterdir()) == ["deep"]
    assert run.finished_ids() == {t.query_id for t in trajectories}
