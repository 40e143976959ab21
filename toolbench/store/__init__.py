"""Files on disk: atomic writes and versioned JSONL (:mod:`.files`) and run directories (:mod:`.runs`).

The names of :mod:`toolbench.store.files` are re-exported here (``from toolbench.store
import write_jsonl``); import the other modules by their own names.
"""

from toolbench.store.files import (
    append_jsonl,
    atomic_write_json,
    atomic_write_text,
    check_version,
    dumps_record,
    iter_jsonl,
    iter_numbered_jsonl,
    read_json,
    read_jsonl,
    safe_name,
    with_version,
    write_jsonl,
)

__all__ = [
    "append_jsonl", "atomic_write_json", "atomic_write_text", "check_version", "dumps_record", "iter_jsonl",
    "iter_numbered_jsonl", "read_json", "read_jsonl", "safe_name", "with_version", "write_jsonl",
]
