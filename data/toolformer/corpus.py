"""Input texts and the augmented corpus C* (JSONL, one record per document, resumable).

Inputs: a ``.jsonl`` file of records with a text field (``text`` by default; an ``id``
and a ``date`` for the calendar are used when present; GSM8K records with ``question``
and ``answer`` are recognised and their ``<<a=b>>`` marks stripped), or a plain-text
file with one document per blank-line-separated paragraph.

Output: each annotated document is appended as one versioned record (and fsynced) as
soon as it is done; a re-run skips the ids already in the file, and a torn last line
left by a kill is dropped (atomically) before appending.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from data.toolformer.annotate import Document
from data.toolformer.gsm8k import gsm8k_document
from toolbench.errors import InputError
from toolbench.store import append_jsonl, atomic_write_text, check_version

logger = logging.getLogger(__name__)


def read_documents(path: str | Path, *, text_field: str = "text", id_field: str = "id") -> list[Document]:
    """Documents from ``path`` (see the module docstring); ids must be unique."""
    path = Path(path)
    if not path.is_file():
        raise InputError("no such file", path=str(path))
    docs = list(_jsonl_documents(path, text_field, id_field) if path.suffix in (".jsonl", ".json")
                else _text_documents(path))
    seen: set[str] = set()
    for doc in docs:
        if doc.id in seen:
            raise InputError(f"duplicate document id {doc.id!r}", path=str(path), field=id_field)
        seen.add(doc.id)
    return docs


def _jsonl_documents(path: Path, text_field: str, id_field: str) -> Iterator[Document]:
    from toolbench.store import iter_numbered_jsonl

    for number, record in iter_numbered_jsonl(path):
        yield _document(record, number, path, text_field, id_field)


def _document(record: dict[str, Any], number: int, path: Path, text_field: str, id_field: str) -> Document:
    if text_field not in record and {"question", "answer"} <= set(record):
        doc, _ = gsm8k_document(record, number - 1)
        return Document(str(record.get(id_field, doc.id)), doc.text)
    text = record.get(text_field)
    if not isinstance(text, str) or not text.strip():
        raise InputError("missing or empty text", path=str(path), record=number, field=text_field)
    context = {k: v for k, v in record.items() if k not in (text_field, id_field)}
    return Document(str(record.get(id_field, f"{path.stem}-{number}")), text, context)


def _text_documents(path: Path) -> Iterator[Document]:
    paragraphs = [p.strip() for p in path.read_text(encoding="utf-8").split("\n\n")]
    for number, paragraph in enumerate((p for p in paragraphs if p), start=1):
        yield Document(f"{path.stem}-{number}", paragraph)


def done_ids(out: str | Path) -> set[str]:
    """Ids already annotated in ``out``; a torn (unparsable) last line is removed first."""
    out = Path(out)
    if not out.exists():
        return set()
    lines = out.read_text(encoding="utf-8").splitlines(keepends=True)
    ids: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not line.endswith("\n"):
                raise ValueError("unterminated line")
        except ValueError as exc:
            if number == len(lines):
                logger.warning("%s: dropping a torn last line", out)
                atomic_write_text(out, "".join(lines[:-1]))
                break
            raise InputError(f"invalid JSON ({exc})", path=str(out), record=number) from exc
        ids.add(str(check_version(record, path=out, line=number)["id"]))
    return ids


def append_record(out: str | Path, record: dict[str, Any]) -> None:
    append_jsonl(out, record)


def read_corpus(path: str | Path) -> list[dict[str, Any]]:
    """The records of an augmented corpus (versions checked)."""
    from toolbench.store import read_jsonl

    return read_jsonl(path)
