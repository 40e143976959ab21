"""Small JSON helpers shared by every module."""

from __future__ import annotations

import json
from typing import Any


def dumps_compact(value: Any) -> str:
    """JSON without spaces, non-ASCII kept.

    >>> dumps_compact({"b": 1, "a": "é"})
    '{"b":1,"a":"é"}'
    """
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def canonical_json(value: Any) -> str:
    """Sorted, compact JSON: equal values give byte-identical strings (cache keys).

    >>> canonical_json({"b": 1, "a": [2, {"d": 0, "c": 1}]})
    '{"a":[2,{"c":1,"d":0}],"b":1}'
    """
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True, default=str)
