"""Atomic files and versioned JSONL records.

Every output is written to a temporary file in the same directory and renamed into
place, so a kill never leaves a half-written file. JSONL records carry
``schema_version``; readers refuse versions they do not know.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from toolbench.errors import InputError, SchemaVersionError
from toolbench.types import SCHEMA_VERSION

MAX_NAME = 100
TOO_DEEP = "JSON nested too deeply to read"  # json raises RecursionError past ~1000 levels
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def safe_name(name: object, max_length: int = MAX_NAME) -> str:
    """A file name (no folder, no suffix) for a name that comes from data: ids, groups, tools.

    Plain names (ASCII letters, digits, ``._-``, not starting with ``.``, at most
    ``max_length`` characters) are kept; anything else — ``/``, ``..``, NUL, spaces,
    non-ASCII, long names, the empty name — is replaced by ``_`` and gets a hash of the
    original, so distinct names stay distinct and the result never leaves its folder.

    >>> safe_name("1073"), safe_name("a/b c"), safe_name("../../x"), safe_name("/abs/x")
    ('1073', 'a_b_c-9f597a63', '_._.._x-9bdbf20b', '_abs_x-f454995a')
    >>> len(safe_name("q" * 300)), safe_name("é"), safe_name(""), safe_name("a\\x00b")
    (100, '_-bf15be71', '_-da39a3ee', 'a_b-4a3dec2d')
    """
    text = str(name)
    safe = _UNSAFE.sub("_", text)
    if safe.startswith("."):
        safe = "_" + safe[1:]
    if safe == text and 0 < len(safe) <= max_length:
        return safe
    digest = hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{safe[: max_length - 9] or '_'}-{digest}"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


_FILE_MODE = 0o666 & ~_umask()


def atomic_write_text(path: str | Path, text: str) -> Path:
    """Write ``text`` to ``path`` atomically (temp file + fsync + rename).

    The file gets the usual permissions (0666 less the umask), not mkstemp's 0600.
    """
    return atomic_write_lines(path, [text])


def atomic_write_lines(path: str | Path, chunks: Iterable[str]) -> Path:
    """Write ``chunks`` one after the other to ``path`` atomically, holding one at a time
    (temp file + fsync + rename; the usual permissions, 0666 less the umask)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.chmod(tmp, _FILE_MODE)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            for chunk in chunks:
                handle.write(chunk)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def atomic_write_json(path: str | Path, value: Any, *, indent: int | None = 2) -> Path:
    """Write ``value`` as (sorted-key) JSON atomically."""
    text = json.dumps(value, ensure_ascii=False, indent=indent, sort_keys=True, default=str)
    return atomic_write_text(path, text + "\n")


def json_array_chunks(items: Iterable[Any], *, indent: int = 2) -> Iterator[str]:
    r"""The text of ``json.dumps(list(items), indent=indent, sort_keys=True)`` plus a newline,
    one item at a time (for :func:`atomic_write_lines`: a JSON array written with flat memory).

    >>> import json
    >>> items = [{"b": 1, "a": [1, 2]}, "x"]
    >>> "".join(json_array_chunks(items)) == json.dumps(items, indent=2, sort_keys=True) + "\n"
    True
    >>> "".join(json_array_chunks([]))
    '[]\n'
    """
    pad = "\n" + " " * indent
    first = True
    for item in items:
        text = json.dumps(item, ensure_ascii=False, indent=indent, sort_keys=True, default=str)
        yield ("[" if first else ",") + pad + text.replace("\n", pad)
        first = False
    yield "[]\n" if first else "\n]\n"


def with_version(record: dict[str, Any]) -> dict[str, Any]:
    """Return ``record`` with ``schema_version`` first.

    >>> with_version({"a": 1})
    {'schema_version': 1, 'a': 1}
    """
    return {"schema_version": SCHEMA_VERSION, **{k: v for k, v in record.items() if k != "schema_version"}}


def check_version(record: dict[str, Any], *, path: str | Path, line: int) -> dict[str, Any]:
    """Refuse records without a known ``schema_version``; return the record."""
    version = record.get("schema_version")
    if version != SCHEMA_VERSION:
        raise SchemaVersionError(
            f"schema_version {version!r} is not supported (expected {SCHEMA_VERSION})",
            path=str(path),
            record=line,
            field="schema_version",
        )
    return record


def dumps_record(record: dict[str, Any]) -> str:
    """One JSONL line (no newline) of a versioned record."""
    return json.dumps(with_version(record), ensure_ascii=False, default=str)


def write_jsonl(path: str | Path, records: Iterable[dict[str, Any]]) -> Path:
    """Write versioned records to ``path`` atomically, one at a time (memory stays flat)."""
    return atomic_write_lines(path, (dumps_record(r) + "\n" for r in records))


def append_jsonl(path: str | Path, record: dict[str, Any]) -> None:
    """Append one versioned record and fsync (for logs where a torn tail is tolerated)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        handle.write(dumps_record(record) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def iter_numbered_jsonl(path: str | Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield ``(line number, record)`` of a JSONL file; bad lines raise :class:`InputError`."""
    path = Path(path)
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", path=str(path)) from exc
    with handle:
        for number, raw in enumerate(handle, start=1):
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                raise InputError(f"not UTF-8 text ({exc.reason})", path=str(path), record=number) from exc
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise InputError(f"invalid JSON ({exc.msg})", path=str(path), record=number) from exc
            except RecursionError:
                raise InputError(TOO_DEEP, path=str(path), record=number) from None
            if not isinstance(record, dict):
                raise InputError("expected a JSON object", path=str(path), record=number)
            yield number, record


def iter_jsonl(path: str | Path, *, versioned: bool = True) -> Iterator[dict[str, Any]]:
    """Yield the records of a JSONL file; bad lines raise :class:`InputError` naming them."""
    for number, record in iter_numbered_jsonl(path):
        yield check_version(record, path=path, line=number) if versioned else record


def read_jsonl(path: str | Path, *, versioned: bool = True) -> list[dict[str, Any]]:
    """All records of a JSONL file (see :func:`iter_jsonl`)."""
    return list(iter_jsonl(path, versioned=versioned))


def read_json(path: str | Path) -> Any:
    """Parse a JSON file; errors name the file, line and column."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror})", path=str(path)) from exc
    except UnicodeDecodeError as exc:
        raise InputError("not UTF-8 text", path=str(path)) from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"invalid JSON at line {exc.lineno} column {exc.colno} ({exc.msg})", path=str(path)) from exc
    except RecursionError:
        raise InputError(TOO_DEEP, path=str(path)) from None
