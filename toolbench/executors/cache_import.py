"""Import a StableToolBench response cache folder into our content-addressed cache.

StableToolBench's server keeps ``{cache}/{Category}/{tool}_for_{Category}/{api}.json``,
each a JSON object mapping ``str(tool_input)`` (a Python ``repr`` of the argument dict)
to ``{"error": ..., "response": ...}``. Those keys depend on dict order and quoting; here
each key is parsed with :func:`ast.literal_eval` (literals only, never code), mapped to
the catalog's API and function-argument names, repaired like a live call would be, and
stored under its canonical content address. Entries with an error are skipped.
"""

from __future__ import annotations

import ast
import contextlib
import json
import logging
from collections import Counter
from pathlib import Path
from typing import Any

from toolbench.catalog import Catalog
from toolbench.catalog.names import change_name, standardize
from toolbench.errors import InputError
from toolbench.executors.cache import ResponseCache
from toolbench.executors.validation import ArgumentError, check_arguments
from toolbench.types import ApiSpec

logger = logging.getLogger(__name__)

ORIGIN = "stabletoolbench"


def standard_category(category: str) -> str:
    """The folder name StableToolBench uses for a category.

    >>> standard_category("Data, Text/Video"), standard_category("Business_Software")
    ('Data_Text_Video', 'Business_Software')
    """
    text = category.replace(" ", "_").replace(",", "_").replace("/", "_")
    while "__" in text:
        text = text.replace("__", "_")
    return text


def cache_location(api: ApiSpec) -> tuple[str, str, str]:
    """``(category folder, tool folder, api file stem)`` of an API in a StableToolBench cache.

    >>> cache_location(ApiSpec("Data", "Simple YouTube Search", "Video Info"))
    ('Data', 'simple_youtube_search_for_Data', 'video_info')
    """
    category = standard_category(api.category)
    return category, f"{standardize(api.tool)}_for_{category}", change_name(standardize(api.name))


def parse_input_key(key: str) -> dict[str, Any] | None:
    """The argument dict of a cache key (``str(dict)`` or JSON); ``None`` when it is not one.

    >>> parse_input_key("{'city': 'Paris', 'days': 3}"), parse_input_key('{"a": true}'), parse_input_key("x")
    ({'city': 'Paris', 'days': 3}, {'a': True}, None)
    """
    for parse in (ast.literal_eval, json.loads):
        try:
            value = parse(key)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError, json.JSONDecodeError):
            continue
        if isinstance(value, dict):
            return value
    return None


def import_stabletoolbench_cache(folder: str | Path, catalog: Catalog, cache: ResponseCache) -> dict[str, int]:
    """Copy the usable entries of a StableToolBench cache folder; return counts."""
    root = Path(folder)
    if not root.is_dir():
        raise InputError("not a folder", path=str(root))
    locations = {cache_location(api): api for api in catalog}
    counts: Counter[str] = Counter()
    for path in sorted(root.glob("*/*/*.json")):
        api = locations.get((path.parent.parent.name, path.parent.name, path.stem))
        if api is None:
            counts["files_without_api"] += 1
            continue
        try:
            records = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            logger.warning("%s: skipped (%s)", path, exc)
            counts["unreadable_files"] += 1
            continue
        counts["files"] += 1
        for key, value in (records.items() if isinstance(records, dict) else []):
            counts[_import_one(api, key, value, cache)] += 1
    return dict(counts)


def _import_one(api: ApiSpec, key: str, value: Any, cache: ResponseCache) -> str:
    arguments = parse_input_key(key)
    if arguments is None:
        return "bad_keys"
    if not isinstance(value, dict) or "response" not in value or value.get("error"):
        return "error_entries"
    original_to_argument = {original: name for name, original in api.parameter_aliases.items()}
    arguments = {original_to_argument.get(k, k): v for k, v in arguments.items()}
    with contextlib.suppress(ArgumentError):  # invalid ones are kept as recorded (a live call would refuse them)
        arguments, _ = check_arguments(arguments, api.parameters)
    return "imported" if cache.put(api.id, arguments, value["response"], ORIGIN) else "already_cached"
