"""The project's error tree.

Model mistakes (bad JSON from the model, unknown tools, invalid arguments, tools that
fail) never raise: they become :class:`toolbench.types.Observation` objects the model
sees. What raises is everything the *user* or *our code* got wrong, sorted here so the
CLI can print one clear line for user errors and a traceback for bugs.

    ToolbenchError
    ├── InputError          bad user input: a file, a record, a field (exit code 2)
    │   └── SchemaVersionError   a JSONL record of an unknown schema_version
    ├── ConfigError         invalid configuration or unknown registry name (exit code 2)
    ├── MissingDependencyError   an optional package or embedded model is not installed
    ├── BackendError        an LLM server or backend failed after retries
    └── IndexMismatchError  an index used with another encoder / corrupt index
"""

from __future__ import annotations


class ToolbenchError(Exception):
    """Base class of every error this project raises on purpose."""

    exit_code = 1


class InputError(ToolbenchError):
    """Bad user input. The message names the file, the record and the field.

    >>> str(InputError("bad type", path="q.json", record=3, field="query"))
    'q.json: record 3: field query: bad type'
    """

    exit_code = 2

    def __init__(
        self,
        message: str,
        *,
        path: str | None = None,
        record: int | str | None = None,
        field: str | None = None,
    ) -> None:
        self.path, self.record, self.field, self.reason = path, record, field, message
        parts = [str(path)] if path is not None else []
        if record is not None:
            parts.append(f"record {record}")
        if field is not None:
            parts.append(f"field {field}")
        parts.append(message)
        super().__init__(": ".join(parts))


class SchemaVersionError(InputError):
    """A record written by a newer (or unknown) version of this project."""


class ConfigError(ToolbenchError):
    """Invalid configuration value or unknown registered name."""

    exit_code = 2


class MissingDependencyError(ToolbenchError):
    """An optional package or embedded model is missing; the message says how to install it."""

    exit_code = 2


class BackendError(ToolbenchError):
    """An LLM backend failed (server down, timeouts exhausted, unusable reply)."""


class IndexMismatchError(ToolbenchError):
    """A retrieval index is corrupt or was built with another encoder."""

    exit_code = 2
