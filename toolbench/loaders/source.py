"""Reading catalog and query files: JSON or JSON Lines, with errors that name the place.

:func:`read_document` parses a file once (a JSON document, or JSON Lines when the
suffix is ``.jsonl`` or the text holds one JSON value per line). :class:`Where`
remembers the file and record being read so that every :class:`InputError` names the
file, the record (1-based position or line) and the field.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolbench.errors import InputError
from toolbench.store.files import TOO_DEEP


@dataclass(frozen=True)
class Document:
    """A parsed file: ``data`` is the JSON value, or the list of records for JSON Lines.

    ``lines`` holds the 1-based line number of each record for JSON Lines files.
    """

    path: Path
    data: Any
    lines: tuple[int, ...] | None = None

    def record_label(self, index: int) -> int:
        """The number an error uses for record ``index`` (0-based): line or position.

        >>> Document(Path("a.jsonl"), [{}, {}], lines=(1, 3)).record_label(1)
        3
        >>> Document(Path("a.json"), [{}, {}]).record_label(1)
        2
        """
        return self.lines[index] if self.lines else index + 1


@dataclass(frozen=True)
class Where:
    """A position in an input file; ``error`` builds the :class:`InputError` for it.

    >>> str(Where("q.json", 3).error("missing", "api_list[0].api_name"))
    'q.json: record 3: field api_list[0].api_name: missing'
    """

    path: str
    record: int | str | None = None
    prefix: str = ""

    def field(self, name: str) -> str:
        return f"{self.prefix}{name}" if self.prefix else name

    def error(self, message: str, field: str | None = None) -> InputError:
        return InputError(message, path=self.path, record=self.record, field=field)

    def nested(self, prefix: str) -> Where:
        """The same record, with field names below ``prefix`` (e.g. ``api_list[2].``)."""
        return Where(self.path, self.record, self.prefix + prefix)


_TYPE_NAMES = {str: "a string", list: "a list", dict: "an object", bool: "true/false", int: "an integer"}


def _type_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return " or ".join(_TYPE_NAMES.get(k, k.__name__) for k in kinds)


def get_field(
    obj: dict[str, Any],
    key: str,
    kind: type | tuple[type, ...],
    where: Where,
    *,
    default: Any = ...,
) -> Any:
    """``obj[key]`` checked against ``kind``; missing keys give ``default`` or an error.

    ``None`` counts as missing when a default is given.

    >>> get_field({"a": "x"}, "a", str, Where("f"))
    'x'
    >>> get_field({}, "b", list, Where("f"), default=[])
    []
    >>> get_field({"a": 1}, "a", str, Where("f", 2))
    Traceback (most recent call last):
    toolbench.errors.InputError: f: record 2: field a: expected a string, got int
    """
    value = obj.get(key) if isinstance(obj, dict) else None
    if value is None or key not in obj:
        if default is not ...:
            return default
        raise where.error("missing required field", where.field(key))
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise where.error(f"expected {_type_name(kind)}, got bool", where.field(key))
    if not isinstance(value, kind):
        raise where.error(f"expected {_type_name(kind)}, got {type(value).__name__}", where.field(key))
    return value


def expect_object(value: Any, where: Where, what: str = "record") -> dict[str, Any]:
    """``value`` if it is a JSON object, else an error naming the place."""
    if not isinstance(value, dict):
        raise where.error(f"expected a JSON object for the {what}, got {type(value).__name__}",
                          where.prefix.rstrip(".") or None)
    return value


def _parse_lines(path: Path, text: str) -> Document:
    records: list[Any] = []
    lines: list[int] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            records.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise InputError(f"invalid JSON ({exc.msg} at column {exc.colno})", path=str(path), record=number) from exc
        except RecursionError:
            raise InputError(TOO_DEEP, path=str(path), record=number) from None
        lines.append(number)
    return Document(path, records, tuple(lines))


def read_document(path: str | Path) -> Document:
    """Parse ``path`` as JSON, or as JSON Lines (``.jsonl``, or one value per line).

    Errors (unreadable file, not UTF-8, invalid JSON) name the file and, for JSON Lines,
    the line.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError("not UTF-8 text", path=str(path)) from exc
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror or exc})", path=str(path)) from exc
    if not text.strip():
        raise InputError("the file is empty", path=str(path))
    if path.suffix == ".jsonl":
        return _parse_lines(path, text)
    try:
        return Document(path, json.loads(text))
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data" and text.lstrip().startswith("{"):
            return _parse_lines(path, text)
        raise InputError(f"invalid JSON at line {exc.lineno} column {exc.colno} ({exc.msg})", path=str(path)) from exc
    except RecursionError:
        raise InputError(TOO_DEEP, path=str(path)) from None
