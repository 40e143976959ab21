"""The text of an API that gets embedded and keyword-indexed (one function, used everywhere).

The most discriminative fields come first (tool, API name, description) because
Sentence-BERT encoders truncate long inputs; names are also given in a spaced form
(``getWeatherByCity`` → ``get weather by city``) so keyword search and encoders see words.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Any

from toolbench.types import ApiSpec

MAX_PARAMETERS = 12
MAX_RESPONSE_KEYS = 16
MAX_DESCRIPTION_CHARS = 600

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_NON_WORD = re.compile(r"[^0-9A-Za-z]+")


def humanize(name: str) -> str:
    """Split a code-style name into lower-case words.

    >>> humanize("getWeatherByCity")
    'get weather by city'
    >>> humanize("/open-api/v1.0/indoor_air-quality/")
    'open api v1 0 indoor air quality'
    >>> humanize("HTMLParser2")
    'html parser2'
    """
    spaced = _CAMEL.sub(" ", name)
    return " ".join(_NON_WORD.sub(" ", spaced).lower().split())


def _clip(text: str, limit: int) -> str:
    """Whitespace-normalised ``text`` cut to ``limit`` characters.

    >>> _clip("a  b\\n c", 3)
    'a b'
    """
    return " ".join(str(text).split())[:limit]


def response_keys(template: Any, limit: int = MAX_RESPONSE_KEYS) -> list[str]:
    """Field names of a response template (breadth first, unique, at most ``limit``).

    >>> response_keys({"results": [{"title": "str", "url": "str"}], "count": "int"})
    ['results', 'count', 'title', 'url']
    """
    keys: list[str] = []
    queue = [template]
    while queue and len(keys) < limit:
        value = queue.pop(0)
        if isinstance(value, dict):
            keys.extend(k for k in map(str, value) if k not in keys)
            queue.extend(value.values())
        elif isinstance(value, list):
            queue.extend(value[:1])
    return keys[:limit]


def _parameters_text(api: ApiSpec) -> str:
    props = api.parameters.get("properties", {}) or {}
    parts = []
    for name, schema in list(props.items())[:MAX_PARAMETERS]:
        desc = _clip(schema.get("description", ""), 80) if isinstance(schema, dict) else ""
        shown = humanize(api.parameter_aliases.get(name, name)) or name
        parts.append(f"{shown} ({desc})" if desc else shown)
    return ", ".join(parts)


def api_document(api: ApiSpec) -> str:
    """The text that represents ``api`` for retrieval and training.

    >>> api = ApiSpec("Data", "Simple YouTube Search", "videoDetails", "Get a video's details",
    ...               {"type": "object", "properties": {"id": {"description": "video id"}}})
    >>> print(api_document(api))
    Simple YouTube Search: video details. Get a video's details. Category: Data. Parameters: id (video id).
    """
    name = humanize(api.name) or api.name
    fields = [f"{api.tool}: {name}."]
    if api.description.strip() and humanize(api.description) != name:
        fields.append(_clip(api.description, MAX_DESCRIPTION_CHARS).rstrip(".") + ".")
    if api.tool_description.strip():
        fields.append(f"Tool: {_clip(api.tool_description, 300).rstrip('.')}.")
    fields.append(f"Category: {api.category}.")
    params = _parameters_text(api)
    if params:
        fields.append(f"Parameters: {params}.")
    keys = response_keys(api.template_response)
    if keys:
        fields.append(f"Returns: {', '.join(humanize(k) or k for k in keys)}.")
    return " ".join(fields)


def document_hash(text: str) -> str:
    """A stable content hash of a document (sha256, 32 hex characters).

    >>> document_hash("abc")
    'ba7816bf8f01cfea414140de5dae2223'
    """
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def catalog_documents(apis: Iterable[ApiSpec]) -> tuple[list[str], list[str]]:
    """API ids and their documents, in catalog order."""
    ids, docs = [], []
    for api in apis:
        ids.append(api.id)
        docs.append(api_document(api))
    return ids, docs
