"""Catalog loaders: many tool-description formats into one :class:`~toolbench.catalog.Catalog`.

>>> from toolbench.loaders import FORMATS
>>> FORMATS.names()
['bfcl', 'mcp', 'openai', 'python', 'seal-tools', 'toolbench', 'toolbench-queries', 'toolbench-tool']

The format of each file is detected from its content (:func:`detect_format`), or
forced with ``fmt``. A directory is read recursively (``*.json``, ``*.jsonl``; e.g. a
ToolBench ``toolenv/tools`` tree, where the folder name is the category). Duplicates
merge by (category, tool, API). Any bad record raises :class:`~toolbench.errors.InputError`
naming the file, record and field, and nothing is returned: files never half-load.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolbench.catalog import Catalog
from toolbench.errors import InputError
from toolbench.loaders import function_formats as _fn
from toolbench.loaders import seal_tools as _seal
from toolbench.loaders import toolbench_format as _tb
from toolbench.loaders.python_format import PYTHON, load_python, looks_like_python_target
from toolbench.loaders.source import Document, read_document
from toolbench.registry import Registry
from toolbench.types import ApiSpec

logger = logging.getLogger(__name__)

PathLike = str | Path


@dataclass(frozen=True)
class Format:
    """A catalog format: how to recognise parsed content and how to load it."""

    name: str
    description: str
    detect: Callable[[Any], bool]
    load: Callable[[Document], list[ApiSpec]]


FORMATS: Registry[Format] = Registry("catalog format")
# Detection order matters: the most specific shapes first.
_DETECTION_ORDER: list[str] = []


def register_format(fmt: Format) -> Format:
    """Add a format (detected after the ones already registered)."""
    FORMATS.register(fmt.name)(fmt)
    _DETECTION_ORDER.append(fmt.name)
    return fmt


def _not_a_document(_: Any) -> bool:
    return False


def _python_document(document: Document) -> list[ApiSpec]:  # pragma: no cover - targets are not parsed
    return load_python(document.path)


for _format in (
    Format(_tb.QUERIES, "ToolBench / StableToolBench query file (api_list of each query)",
           _tb.is_query_file, _tb.load_query_apis),
    Format(_seal.SEAL, "Seal-Tools tool.jsonl", _seal.is_seal, _seal.load_seal),
    Format(_fn.BFCL, "BFCL question file (function lists)", _fn.is_bfcl, _fn.load_bfcl),
    Format(_tb.FLAT, "flat JSON list of ToolBench API docs (StableToolBench catalog.json)",
           _tb.is_flat, _tb.load_flat),
    Format(_tb.TOOL, "ToolBench tool file <Category>/<tool>.json", _tb.is_tool_file, _tb.load_tool_file),
    Format(_fn.MCP, "MCP tools/list result (name, description, inputSchema)", _fn.is_mcp, _fn.load_mcp),
    Format(_fn.OPENAI, "OpenAI chat-completions tools list", _fn.is_openai, _fn.load_openai),
    Format(PYTHON, "Python functions: file.py, pkg.module or pkg.module:function",
           _not_a_document, _python_document),
):
    register_format(_format)


def detect_format(document: Document) -> str:
    """The name of the format whose shape ``document`` has; :class:`InputError` if none."""
    for name in _DETECTION_ORDER:
        if FORMATS.get(name).detect(document.data):
            return name
    known = ", ".join(FORMATS.names())
    raise InputError(f"unknown catalog format (name one with --format; known: {known})", path=str(document.path))


def _files_of(directory: Path) -> list[Path]:
    files = [p for p in directory.rglob("*") if p.is_file() and p.suffix in (".json", ".jsonl")]
    files = [p for p in files if not any(part.startswith(".") for part in p.relative_to(directory).parts)]
    if not files:
        raise InputError("no .json or .jsonl files in this folder", path=str(directory))
    return sorted(files)


def load_specs(path: PathLike, fmt: str | None = None) -> list[ApiSpec]:
    """The ApiSpecs of one file, folder or Python target (duplicates not merged yet)."""
    if fmt is not None:
        FORMATS.get(fmt)  # unknown names raise ConfigError listing the known ones
    target = str(path)
    if fmt == PYTHON or (fmt is None and looks_like_python_target(target) and not Path(target).is_dir()):
        return load_python(target)
    path = Path(path)
    if path.is_dir():
        return [spec for file in _files_of(path) for spec in load_specs(file, fmt)]
    if not path.exists():
        raise InputError("no such file or folder", path=target)
    document = read_document(path)
    if document.data in ([], {}) or document.data == {"tools": []}:
        logger.warning("%s: no APIs in this file", path)
        return []
    name = fmt or detect_format(document)
    try:
        specs = FORMATS.get(name).load(document)
    except RecursionError:  # a schema nested deeper than the recursive schema walks can follow
        raise InputError("a schema is nested too deeply to read", path=target) from None
    logger.debug("%s: %d APIs (%s)", path, len(specs), name)
    return specs


def _as_paths(paths: PathLike | Iterable[PathLike]) -> list[PathLike]:
    if isinstance(paths, (str, Path)):
        return [paths]
    return list(paths)


def load_catalog(paths: PathLike | Iterable[PathLike], fmt: str | None = None) -> Catalog:
    """One :class:`Catalog` from files, folders and Python targets (see module docstring).

    Everything is read and checked before the catalog is built, so an error leaves
    nothing half-loaded.
    """
    specs: list[ApiSpec] = []
    items = _as_paths(paths)
    if not items:
        raise InputError("no catalog paths given")
    for item in items:
        specs.extend(load_specs(item, fmt))
    return Catalog(specs)


__all__ = [
    "FORMATS", "Document", "Format", "detect_format", "load_catalog", "load_specs", "read_document",
    "register_format",
]
