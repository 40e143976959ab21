"""Hand-checked cases, one per documented rule of BFCL's AST checker (bfcl-eval 2026.3.23,
``eval_checker/ast_eval/ast_checker.py`` and the relevance runner), with the verdict that
checker gives. ``tests/test_eval_ast.py`` pins ours to them; ``tests/test_bfcl_official.py``
also runs the official checker on them when ``bfcl-eval`` is installed.

Each case: (rule, file category, functions, ground truth, output (calls or raw text), valid).
"""

from __future__ import annotations

from typing import Any


def fn(props: dict[str, Any], required: list[str] | None = None, name: str = "f") -> dict[str, Any]:
    """A BFCL function description."""
    return {"name": name, "description": "", "parameters": {"type": "dict", "properties": props,
                                                            "required": list(props) if required is None else required}}


INT, FLOAT, STR, BOOL, ANY = ({"type": t} for t in ("integer", "float", "string", "boolean", "any"))
DICT = {"type": "dict", "properties": {}}


def array(item: str, kind: str = "array") -> dict[str, Any]:
    return {"type": kind, "items": {"type": item}}


F_X_Y = fn({"x": INT, "y": STR}, ["x"])
TWO = [fn({"a": INT}, [], "f"), fn({"b": STR}, ["b"], "g")]

CASES: list[tuple[str, str, list[dict[str, Any]], list[dict[str, Any]] | None, Any, bool]] = [
    # types
    ("int accepted for float", "simple_python", [fn({"x": FLOAT})], [{"f": {"x": [2.0]}}], [{"f": {"x": 2}}], True),
    ("float refused for int", "simple_python", [fn({"x": INT})], [{"f": {"x": [2]}}], [{"f": {"x": 2.0}}], False),
    ("bool refused for int", "simple_python", [fn({"x": INT})], [{"f": {"x": [1]}}], [{"f": {"x": True}}], False),
    ("string refused for float", "simple_python", [fn({"x": FLOAT})], [{"f": {"x": [5]}}], [{"f": {"x": "5"}}],
     False),
    ("float for float with an int answer (compared with ==)", "simple_python", [fn({"x": FLOAT})],
     [{"f": {"x": [5]}}], [{"f": {"x": 5.0}}], True),
    ("float matching a bool answer (==, as BFCL)", "simple_python", [fn({"x": FLOAT})], [{"f": {"x": [True]}}],
     [{"f": {"x": 1.0}}], True),
    ("no int for float inside lists", "simple_python", [fn({"x": array("float")})], [{"f": {"x": [[1.0, 2.0]]}}],
     [{"f": {"x": [1, 2]}}], False),
    ("list items of the answer's type", "simple_python", [fn({"x": array("integer")})],
     [{"f": {"x": [["a", "b"]]}}], [{"f": {"x": ["a", "b"]}}], True),
    ("tuple value for a tuple parameter", "simple_python", [fn({"x": array("integer", "tuple")})],
     [{"f": {"x": [[1, 2]]}}], "[f(x=(1, 2))]", True),
    ("tuple value refused for an array", "simple_python", [fn({"x": array("integer")})], [{"f": {"x": [[1, 2]]}}],
     "[f(x=(1, 2))]", False),
    ("any is a string", "simple_python", [fn({"x": ANY})], [{"f": {"x": ["Blue Sky"]}}], [{"f": {"x": "blue-sky"}}],
     True),
    # variables (a value of the answer's own type, compared as is)
    ("bare name as a variable", "simple_python", [fn({"x": INT})], [{"f": {"x": ["n"]}}], "[f(x=n)]", True),
    ("variables are not normalised", "simple_python", [fn({"x": INT})], [{"f": {"x": ["my_var"]}}],
     [{"f": {"x": "MyVar"}}], False),
    # strings, lists, dicts
    ("strings normalised", "simple_python", [fn({"x": STR})], [{"f": {"x": ["April 1, 2024"]}}],
     [{"f": {"x": "april 1 2024"}}], True),
    ("wrong string", "simple_python", [fn({"x": STR})], [{"f": {"x": ["Paris"]}}], [{"f": {"x": "London"}}], False),
    ("list items normalised", "simple_python", [fn({"x": array("string")})], [{"f": {"x": [["New York"]]}}],
     [{"f": {"x": ["new-york"]}}], True),
    ("list order matters", "simple_python", [fn({"x": array("string")})], [{"f": {"x": [["a", "b"]]}}],
     [{"f": {"x": ["b", "a"]}}], False),
    ("empty list when optional", "simple_python", [fn({"x": array("string")}, [])], [{"f": {"x": ["", ["a"]]}}],
     [{"f": {"x": []}}], True),
    ("dict optional key left out", "simple_python", [fn({"x": DICT})], [{"f": {"x": [{"a": [1], "b": ["", 2]}]}}],
     [{"f": {"x": {"a": 1}}}], True),
    ("dict key missing", "simple_python", [fn({"x": DICT})], [{"f": {"x": [{"a": [1], "b": [2]}]}}],
     [{"f": {"x": {"a": 1}}}], False),
    ("dict extra key", "simple_python", [fn({"x": DICT})], [{"f": {"x": [{"a": [1]}]}}],
     [{"f": {"x": {"a": 1, "c": 3}}}], False),
    ("dict values normalised", "simple_python", [fn({"x": DICT})], [{"f": {"x": [{"city": ["New York"]}]}}],
     [{"f": {"x": {"city": "new york"}}}], True),
    ("list of dicts in order", "simple_python", [fn({"x": array("dict")})],
     [{"f": {"x": [[{"k": ["a"]}, {"k": ["b"]}]]}}], [{"f": {"x": [{"k": "a"}, {"k": "b"}]}}], True),
    ("list of dicts out of order", "simple_python", [fn({"x": array("dict")})],
     [{"f": {"x": [[{"k": ["a"]}, {"k": ["b"]}]]}}], [{"f": {"x": [{"k": "b"}, {"k": "a"}]}}], False),
    ("empty list of dicts when optional", "simple_python", [fn({"x": array("dict")}, [])],
     [{"f": {"x": ["", [{"k": ["a"]}]]}}], [{"f": {"x": []}}], True),
    # parameters
    ("optional parameter left out", "simple_python", [F_X_Y], [{"f": {"x": [1], "y": ["", "a"]}}],
     [{"f": {"x": 1}}], True),
    ("empty string for an optional string", "simple_python", [F_X_Y], [{"f": {"x": [1], "y": ["", "a"]}}],
     [{"f": {"x": 1, "y": ""}}], True),
    ("parameter the answer lists left out", "simple_python", [F_X_Y], [{"f": {"x": [1], "y": ["a"]}}],
     [{"f": {"x": 1}}], False),
    ("required parameter missing", "simple_python", [F_X_Y], [{"f": {"x": [1], "y": ["", "a"]}}],
     [{"f": {"y": "a"}}], False),
    ("parameter not in the answer", "simple_python", [F_X_Y], [{"f": {"x": [1]}}], [{"f": {"x": 1, "y": "a"}}],
     False),
    ("parameter not in the schema", "simple_python", [F_X_Y], [{"f": {"x": [1]}}], [{"f": {"x": 1, "z": 1}}], False),
    ("positional arguments dropped", "simple_python", [F_X_Y], [{"f": {"x": [5]}}], "[f(5)]", False),
    # names and counts
    ("dotted name in text", "simple_python", [fn({"number": INT}, name="math.factorial")],
     [{"math.factorial": {"number": [5]}}], "[math.factorial(number=5)]", True),
    ("wrong name", "simple_python", [F_X_Y], [{"f": {"x": [1]}}], [{"g": {"x": 1}}], False),
    ("two calls for a simple item", "simple_python", [F_X_Y], [{"f": {"x": [1]}}], [{"f": {"x": 1}}] * 2, False),
    ("multiple: the right function", "multiple", TWO, [{"g": {"b": ["hi"]}}], [{"g": {"b": "Hi"}}], True),
    ("multiple: the wrong function", "multiple", TWO, [{"g": {"b": ["hi"]}}], [{"f": {"a": 1}}], False),
    # text
    ("arithmetic in text", "simple_python", [fn({"x": INT})], [{"f": {"x": [8]}}], "[f(x=2**3)]", True),
    ("calls without brackets", "simple_python", [fn({"x": INT})], [{"f": {"x": [1]}}], "f(x=1)", True),
    ("prose is no call", "simple_python", [fn({"x": INT})], [{"f": {"x": [1]}}], "Sure! f(x=1)", False),
    ("a fenced block is not parsed", "simple_python", [fn({"x": INT})], [{"f": {"x": [1]}}],
     "```python\n[f(x=1)]\n```", False),
    # parallel matching
    ("parallel in any order", "parallel", [fn({"a": INT})], [{"f": {"a": [1]}}, {"f": {"a": [2]}}],
     [{"f": {"a": 2}}, {"f": {"a": 1}}], True),
    ("greedy: the first expected call takes the first call that fits", "parallel", [fn({"a": INT})],
     [{"f": {"a": [1, 2]}}, {"f": {"a": [1]}}], [{"f": {"a": 1}}, {"f": {"a": 2}}], False),
    ("greedy: passes in the other order", "parallel", [fn({"a": INT})], [{"f": {"a": [1, 2]}}, {"f": {"a": [1]}}],
     [{"f": {"a": 2}}, {"f": {"a": 1}}], True),
    ("parallel multiple in any order", "parallel_multiple", TWO, [{"f": {"a": [1]}}, {"g": {"b": ["x"]}}],
     [{"g": {"b": "X"}}, {"f": {"a": 1}}], True),
    ("parallel: a call missing", "parallel", [fn({"a": INT})], [{"f": {"a": [1]}}, {"f": {"a": [2]}}],
     [{"f": {"a": 1}}], False),
    # relevance
    ("irrelevance: no call", "irrelevance", [F_X_Y], None, "I can't do that.", True),
    ("irrelevance: empty list", "irrelevance", [F_X_Y], None, "[]", True),
    ("irrelevance: a call", "irrelevance", [F_X_Y], None, "[f(x=1)]", False),
    ("irrelevance: a call with bad arguments is still a call", "irrelevance", [F_X_Y], None, "[g(q=2)]", False),
    ("relevance: a call", "live_relevance", [F_X_Y], None, "[f(x=1)]", True),
    ("relevance: prose", "live_relevance", [F_X_Y], None, "Hello", False),
]
