"""A deterministic, schema-guided API simulator.

It answers in the shape of an API's ``template_response`` (ToolBench's type skeletons:
``"str"``, ``"int"``, ``"float"``, ``"bool"``, ``"NoneType"``, ``"empty list"``,
``"list of str with length 10"``, list items carrying ``"_list_length": n``). Every value
is derived from a SHA-256 of (seed, API id, canonical arguments, JSON path), so the same
call gives a byte-identical response in any process; string fields named like an
argument echo that argument. Responses are plainly marked: dicts carry
``"_simulated": true`` and the observation's provenance is ``simulated``.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import re
from typing import Any

from toolbench.jsonutil import canonical_json
from toolbench.types import ApiSpec

SIMULATED_KEY = "_simulated"
MAX_LIST_ITEMS = 3
MAX_DEPTH = 40
_LIST_OF = re.compile(r"^list of (\w+) with length (\d+)$")
_WORDS = ("alpha", "bravo", "cedar", "delta", "ember", "fjord", "gamma", "harbor", "iris", "juniper",
          "kepler", "lumen", "maple", "nova", "orbit", "pixel", "quartz", "river", "sierra", "tundra")


class Simulator:
    """Deterministic responses for one seed.

    >>> api = ApiSpec("Data", "Users", "Get User", template_response={"id": "int", "name": "str"})
    >>> sim = Simulator(seed=0)
    >>> a = sim.respond(api, {"name": "Ada"})
    >>> a == sim.respond(api, {"name": "Ada"}), a["name"], a["_simulated"], isinstance(a["id"], int)
    (True, 'Ada', True, True)
    """

    def __init__(self, seed: int = 0) -> None:
        self.seed = seed

    def respond(self, api: ApiSpec, arguments: dict[str, Any]) -> Any:
        """The simulated response of ``api`` to ``arguments``."""
        base = f"{self.seed}\x00{api.id}\x00{canonical_json(arguments)}"
        template = parse_template(api.template_response)
        if template is None:
            return self._generic(api, arguments, base)
        value = _Fill(base, arguments).value(template, "$", 0)
        if isinstance(value, dict):
            return {SIMULATED_KEY: True, **value}
        return value

    def _generic(self, api: ApiSpec, arguments: dict[str, Any], base: str) -> dict[str, Any]:
        fill = _Fill(base, arguments)
        return {
            SIMULATED_KEY: True,
            "message": f"Simulated response of {api.name} ({api.tool}); no response template is known.",
            "input": arguments,
            "result": fill.text("result", "$.result"),
            "id": fill.integer("$.id"),
        }


def parse_template(template: Any) -> Any:
    """The template as a JSON value (``None`` when there is none).

    ToolBench sometimes stores it as JSON text, sometimes cut mid-way; text that does
    not parse is returned as a ``"str"`` leaf.

    >>> parse_template('{"a": "int"}'), parse_template('{"a": "in'), parse_template(None)
    ({'a': 'int'}, 'str', None)
    """
    if template is None or template == "" or template == {}:
        return None
    if isinstance(template, str):
        try:
            return json.loads(template)
        except json.JSONDecodeError:
            return "str"
    return template


class _Fill:
    """Fills one template for one call; every value depends on its JSON path."""

    def __init__(self, base: str, arguments: dict[str, Any]) -> None:
        self.base = base
        self.arguments = {str(k).lower(): v for k, v in arguments.items()}

    def number(self, path: str) -> int:
        digest = hashlib.sha256(f"{self.base}\x00{path}".encode()).digest()
        return int.from_bytes(digest[:8], "big")

    def integer(self, path: str) -> int:
        return self.number(path) % 1000 + 1

    def text(self, key: str, path: str) -> str:
        n = self.number(path)
        lower = key.lower()
        echo = self.arguments.get(lower)
        if isinstance(echo, (str, int, float)) and not isinstance(echo, bool):
            return str(echo)
        word = _WORDS[n % len(_WORDS)]
        if "url" in lower or "link" in lower or "href" in lower:
            return f"https://example.com/{word}/{n % 100000}"
        if "email" in lower or "mail" in lower:
            return f"{word}{n % 1000}@example.com"
        if "date" in lower or "time" in lower or lower.endswith("_at"):
            return (_dt.date(2020, 1, 1) + _dt.timedelta(days=n % 2000)).isoformat()
        if lower in ("id", "_id", "uuid") or lower.endswith("id"):
            return f"{n:016x}"[:12]
        return f"{word}-{n % 10000:04d}"

    def leaf(self, kind: str, key: str, path: str) -> Any:
        if kind in ("int", "integer"):
            return self.integer(path)
        if kind in ("float", "number"):
            return round((self.number(path) % 100000) / 100, 2)
        if kind in ("bool", "boolean"):
            return bool(self.number(path) & 1)
        if kind in ("NoneType", "null", "None"):
            return None
        if kind in ("empty list", "list", "array"):
            return []
        if kind in ("dict", "object", "empty dict"):
            return {}
        match = _LIST_OF.match(kind)
        if match:
            count = min(int(match.group(2)), MAX_LIST_ITEMS)
            return [self.leaf(match.group(1), key, f"{path}[{i}]") for i in range(count)]
        if kind in ("str", "string"):
            return self.text(key, path)
        return kind  # a literal example value: keep it

    def value(self, template: Any, path: str, depth: int, key: str = "") -> Any:
        if depth > MAX_DEPTH:
            return None
        if isinstance(template, dict):
            return {
                k: self.value(v, f"{path}.{k}", depth + 1, k) for k, v in template.items() if k != "_list_length"
            }
        if isinstance(template, list):
            return self._list(template, path, depth, key)
        if isinstance(template, str):
            return self.leaf(template, key, path)
        if isinstance(template, bool):
            return bool(self.number(path) & 1)
        if isinstance(template, int):
            return self.integer(path)
        if isinstance(template, float):
            return round((self.number(path) % 100000) / 100, 2)
        return template

    def _list(self, template: list[Any], path: str, depth: int, key: str) -> list[Any]:
        if not template:
            return []
        first = template[0]
        length = first.get("_list_length", 1) if isinstance(first, dict) else len(template)
        count = max(1, min(int(length) if isinstance(length, int) else 1, MAX_LIST_ITEMS))
        if isinstance(first, str) and _LIST_OF.match(first):
            return self.leaf(first, key, path)  # ["list of str with length 10"]
        return [self.value(first, f"{path}[{i}]", depth + 1, key) for i in range(count)]


def conforms(value: Any, template: Any) -> bool:
    """Whether ``value`` has the shape of a ToolBench template (keys and leaf types).

    >>> conforms({"a": 1, "b": ["x"]}, {"a": "int", "b": ["list of str with length 4"]})
    True
    >>> conforms({"a": "1"}, {"a": "int"})
    False
    """
    template = parse_template(template)
    if isinstance(value, dict) and SIMULATED_KEY in value:
        value = {k: v for k, v in value.items() if k != SIMULATED_KEY}
    return _conforms(value, template)


_LEAF_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,), "string": (str,), "int": (int,), "integer": (int,), "float": (float, int), "number": (float, int),
    "bool": (bool,), "boolean": (bool,), "NoneType": (type(None),), "empty list": (list,), "list": (list,),
}


def _conforms(value: Any, template: Any) -> bool:
    if isinstance(template, dict):
        keys = [k for k in template if k != "_list_length"]
        if not isinstance(value, dict) or set(value) != set(keys):
            return False
        return all(_conforms(value[k], template[k]) for k in keys)
    if isinstance(template, list):
        if not template:
            return value == []
        if isinstance(template[0], str) and _LIST_OF.match(template[0]):
            return _conforms(value, template[0])
        return isinstance(value, list) and all(_conforms(v, template[0]) for v in value)
    if isinstance(template, str):
        match = _LIST_OF.match(template)
        if match:
            return isinstance(value, list) and all(_conforms(v, match.group(1)) for v in value)
        kinds = _LEAF_TYPES.get(template)
        if kinds is None:
            return True
        return isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
    return True
