"""Python-call text parsed without evaluation (BFCL's default output format)."""

from __future__ import annotations

import pytest

from evaluator.call_text import CallSyntaxError, OutputFormatError, decode_output, parse_calls


@pytest.mark.parametrize(("text", "expected"), [
    ('[get_weather(city="Paris", days=3), f(x=[1,2])]', [{"get_weather": {"city": "Paris", "days": 3}},
                                                         {"f": {"x": [1, 2]}}]),
    ("math.factorial(n=5)", [{"math.factorial": {"n": 5}}]),
    ("a.b.c.d(x=None, y=True)", [{"a.b.c.d": {"x": None, "y": True}}]),
    ("```\n[f(x=-1.5, y=(1, 2), z={'k': [0.5]})]\n```", [{"f": {"x": -1.5, "y": (1, 2), "z": {"k": [0.5]}}}]),
    ("f(unit=celsius, n=2**3, s='a' + 'b', r=10/4, l=[0]*3)", [{"f": {"unit": "celsius", "n": 8, "s": "ab",
                                                                    "r": 2.5, "l": [0, 0, 0]}}]),
    ("f(g=h(x=1), s=len(y), t=a[0], e=...)", [{"f": {"g": {"h": {"x": 1}}, "s": "len(y)", "t": "a[0]", "e": "..."}}]),
    ("f(x=__import__('os').system('rm'))", [{"f": {"x": "__import__('os').system('rm')"}}]),  # text, never run
    ("f(1, b=2)", [{"f": {"b": 2}}]),  # positional arguments are dropped, as in BFCL
    ("[]", []),
    ("f()", [{"f": {}}]),
])
def test_parses(text, expected):
    assert parse_calls(text) == expected


@pytest.mark.parametrize(("text", "reason"), [
    ("I cannot help with that.", "not Python call syntax"),
    ("[f(a=1), 42]", "expected a function call"),
    ("[f(x=lambda: 1)]", "unsupported expression Lambda"),
    ("f(x=os.environ)", "unsupported expression Attribute"),
    ("f(x={1, 2})", "unsupported expression Set"),
    ("f(x=[i for i in y])", "unsupported expression ListComp"),
    ("f(x=b'raw')", "unsupported literal"),
    ("f(x=9**9**9)", "exponent too large"),
    ("f(x=1/0)", "ZeroDivisionError"),
    ("f(x='a' * 10**9)", "unsupported expression"),
    ("f(**kw)", "'**' arguments"),
    ("f(x=-y)", "unsupported expression"),
    ("[" * 500 + "]" * 500, "not Python call syntax"),
])
def test_rejects_with_a_reason(text, reason):
    with pytest.raises(CallSyntaxError, match=reason.replace("*", r"\*")):
        parse_calls(text)


def test_decode_output_forms():
    assert decode_output([{"f": {"a": 1}}]) == [{"f": {"a": 1}}]
    assert decode_output([{"f": '{"a": [1, 2]}'}]) == [{"f": {"a": [1, 2]}}]
    with pytest.raises(OutputFormatError):
        decode_output([{"f": {}, "g": {}}])
    with pytest.raises(OutputFormatError):
        decode_output({"f": {}})  # type: ignore[arg-type]
    with pytest.raises(CallSyntaxError, match="not JSON"):
        decode_output([{"f": "{oops"}])
