"""Plain Python functions as tools: JSON Schema from type hints, descriptions from docstrings.

:func:`api_spec_from_function` turns a function into an :class:`~toolbench.types.ApiSpec`
(``int`` → ``integer``, ``float`` → ``number``, ``list[str]`` → ``array`` of ``string``,
``Literal``/``Enum`` → ``enum``, ``X | None`` → ``X`` and optional); parameter
descriptions come from the docstring's Google-style ``Args:`` or numpy-style
``Parameters`` section. ``required`` lists the parameters without defaults.

The :func:`tool` decorator does the same and registers the function in
:data:`FUNCTIONS` (API id → callable), where the ``python`` executor finds it::

    @tool(category="Mathematics")
    def add(a: int, b: int = 1) -> int:
        '''Add two integers.

        Args:
            a: The first number.
            b: The second number.
        '''
        return a + b
"""

from __future__ import annotations

import datetime as _dt
import enum
import inspect
import logging
import re
import types
import typing
from collections.abc import Callable, Iterable
from typing import Any

from toolbench.errors import InputError
from toolbench.types import ApiSpec

logger = logging.getLogger(__name__)

SPEC_ATTRIBUTE = "__toolbench_spec__"
FUNCTIONS: dict[str, Callable[..., Any]] = {}  # API id → callable, filled by @tool

_SCALARS: dict[Any, dict[str, Any]] = {
    str: {"type": "string"},
    int: {"type": "integer"},
    float: {"type": "number"},
    bool: {"type": "boolean"},
    type(None): {"type": "null"},
    _dt.date: {"type": "string", "format": "date"},
    _dt.datetime: {"type": "string", "format": "date-time"},
    dict: {"type": "object"},
    list: {"type": "array"},
    tuple: {"type": "array"},
    set: {"type": "array", "uniqueItems": True},
}


def json_schema_for_type(hint: Any) -> dict[str, Any]:
    """The JSON Schema of a Python type hint (``{}`` for ``Any`` or unknown types).

    >>> json_schema_for_type(int)
    {'type': 'integer'}
    >>> json_schema_for_type(list[float])
    {'type': 'array', 'items': {'type': 'number'}}
    >>> json_schema_for_type(typing.Literal["C", "F"])
    {'type': 'string', 'enum': ['C', 'F']}
    >>> json_schema_for_type(int | None)
    {'type': 'integer'}
    >>> json_schema_for_type(dict[str, int])
    {'type': 'object', 'additionalProperties': {'type': 'integer'}}
    """
    if hint is Any or hint is inspect.Parameter.empty:
        return {}
    if hint in _SCALARS:
        return dict(_SCALARS[hint])
    if isinstance(hint, type) and issubclass(hint, enum.Enum):
        return _enum_schema([m.value for m in hint])
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Annotated:
        schema = json_schema_for_type(args[0])
        text = next((a for a in args[1:] if isinstance(a, str)), None)
        return {**schema, "description": text} if text else schema
    if origin is typing.Literal:
        return _enum_schema(list(args))
    if origin in (typing.Union, types.UnionType):
        return _union_schema(args)
    return _generic_schema(origin, args)


def _enum_schema(values: list[Any]) -> dict[str, Any]:
    kinds = {type(v) for v in values}
    if len(kinds) == 1 and next(iter(kinds)) in _SCALARS:
        return {**_SCALARS[next(iter(kinds))], "enum": values}
    return {"enum": values}


def _union_schema(args: tuple[Any, ...]) -> dict[str, Any]:
    members = [a for a in args if a is not type(None)]
    if len(members) == 1:
        return json_schema_for_type(members[0])
    return {"anyOf": [json_schema_for_type(a) for a in members]}


def _generic_schema(origin: Any, args: tuple[Any, ...]) -> dict[str, Any]:
    import collections.abc as abc

    if origin in (list, set, frozenset, abc.Sequence, abc.Iterable, abc.Set):
        schema: dict[str, Any] = {"type": "array"}
        if args:
            schema["items"] = json_schema_for_type(args[0])
        return schema
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return {"type": "array", "items": json_schema_for_type(args[0])}
        items = [json_schema_for_type(a) for a in args]
        return {"type": "array", "prefixItems": items, "minItems": len(items), "maxItems": len(items)}
    if origin in (dict, abc.Mapping):
        schema = {"type": "object"}
        if len(args) == 2 and args[1] is not Any:
            schema["additionalProperties"] = json_schema_for_type(args[1])
        return schema
    return {}


# ---------------------------------------------------------------- docstrings

_GOOGLE_SECTIONS = re.compile(
    r"^\s*(Args|Arguments|Parameters|Params|Keyword Args|Keyword Arguments|Returns|Return|Yields|Raises|"
    r"Examples?|Notes?|See Also|References|Attributes|Warnings?|Todo)\s*:\s*$"
)
_NUMPY_HEADER = re.compile(r"^\s*([A-Z][A-Za-z ]+)\s*$")
_NUMPY_RULE = re.compile(r"^\s*-{3,}\s*$")
_PARAM_HEADS = {"args", "arguments", "parameters", "params", "keyword args", "keyword arguments"}
_GOOGLE_ITEM = re.compile(r"^(\*{0,2}\w+)\s*(\([^)]*\))?\s*:\s*(.*)$")
_NUMPY_ITEM = re.compile(r"^(\*{0,2}\w+)\s*(:.*)?$")


def parse_docstring(doc: str | None) -> tuple[str, dict[str, str]]:
    """Split a docstring into its description and per-parameter descriptions.

    Google style (``Args:`` with ``name (type): text``) and numpy style
    (``Parameters`` underlined with dashes, ``name : type`` then indented text).

    >>> parse_docstring('''Add numbers.
    ...
    ...     Args:
    ...         a (int): The first
    ...             number.
    ...         b: The second.
    ...     Returns:
    ...         The sum.
    ... ''')
    ('Add numbers.', {'a': 'The first number.', 'b': 'The second.'})
    >>> parse_docstring('''Scale.
    ...
    ...     Parameters
    ...     ----------
    ...     x : float
    ...         Value to scale.
    ...     ''')
    ('Scale.', {'x': 'Value to scale.'})
    """
    lines = inspect.cleandoc(doc or "").splitlines()
    sections = _split_sections(lines)
    summary_lines = sections.pop("", [])
    summary_lines = _cut_doctest(summary_lines)
    description = " ".join(" ".join(summary_lines).split())
    params: dict[str, str] = {}
    for head, body in sections.items():
        numpy = head.startswith("numpy:")
        if head.removeprefix("numpy:") in _PARAM_HEADS:
            params.update(_parse_items(body, numpy=numpy))
    return description, params


def _split_sections(lines: list[str]) -> dict[str, list[str]]:
    """Lines grouped by section heading (``""`` for the text before the first one)."""
    sections: dict[str, list[str]] = {"": []}
    current = ""
    index = 0
    while index < len(lines):
        line = lines[index]
        google = _GOOGLE_SECTIONS.match(line)
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if google:
            current = google.group(1).lower()
            sections.setdefault(current, [])
        elif _NUMPY_HEADER.match(line) and _NUMPY_RULE.match(following):
            current = "numpy:" + line.strip().lower()
            sections.setdefault(current, [])
            index += 1
        else:
            sections[current].append(line)
        index += 1
    return sections


def _cut_doctest(lines: list[str]) -> list[str]:
    for number, line in enumerate(lines):
        if line.strip().startswith(">>>"):
            return lines[:number]
    return lines


def _parse_items(body: list[str], *, numpy: bool = False) -> dict[str, str]:
    """Parameter entries of one section: an entry starts at the least-indented lines."""
    nonblank = [line for line in body if line.strip()]
    if not nonblank:
        return {}
    base = min(len(line) - len(line.lstrip()) for line in nonblank)
    items: dict[str, list[str]] = {}
    name = None
    for line in nonblank:
        indent = len(line) - len(line.lstrip())
        text = line.strip()
        if indent == base:
            name, first = _item_head(text, numpy=numpy)
            if name is not None:
                items[name] = [first] if first else []
        elif name is not None:
            items[name].append(text)
    return {key: " ".join(" ".join(parts).split()) for key, parts in items.items()}


def _item_head(text: str, *, numpy: bool) -> tuple[str | None, str]:
    """``(name, first description text)`` of an entry's first line."""
    match = (_NUMPY_ITEM if numpy else _GOOGLE_ITEM).match(text)
    if match is None:
        return None, ""
    return match.group(1).lstrip("*"), "" if numpy else match.group(3)


# ---------------------------------------------------------------- specs


def _json_default(value: Any) -> tuple[bool, Any]:
    """``(ok, value)``: a default usable in JSON Schema."""
    if isinstance(value, enum.Enum):
        value = value.value
    if value is None or isinstance(value, (str, int, float, bool)):
        return True, value
    if isinstance(value, (list, tuple)) and all(isinstance(v, (str, int, float, bool)) for v in value):
        return True, list(value)
    return False, None


def parameters_schema(fn: Callable[..., Any], docs: dict[str, str] | None = None) -> dict[str, Any]:
    """The JSON Schema object of ``fn``'s parameters (``self``/``*args``/``**kwargs`` skipped).

    >>> def f(x: int, unit: str = "m", tags: list[str] | None = None) -> None: ...
    >>> s = parameters_schema(f, {"x": "A length."})
    >>> s["required"], s["properties"]["x"], s["properties"]["unit"]
    (['x'], {'type': 'integer', 'description': 'A length.'}, {'type': 'string', 'default': 'm'})
    >>> s["properties"]["tags"]
    {'type': 'array', 'items': {'type': 'string'}, 'default': None}
    """
    docs = docs or {}
    try:
        hints = typing.get_type_hints(fn, include_extras=True)
    except Exception as exc:  # unresolvable forward references
        raise InputError(f"cannot read the type hints of {_qualname(fn)} ({exc})") from exc
    properties: dict[str, Any] = {}
    required: list[str] = []
    for param in inspect.signature(fn).parameters.values():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD) or param.name in ("self", "cls"):
            continue
        schema = json_schema_for_type(hints.get(param.name, Any))
        if docs.get(param.name) and "description" not in schema:
            schema["description"] = docs[param.name]
        if param.default is param.empty:
            required.append(param.name)
        else:
            ok, default = _json_default(param.default)
            if ok:
                schema["default"] = default
        properties[param.name] = schema
    return {"type": "object", "properties": properties, "required": required}


def _qualname(fn: Callable[..., Any]) -> str:
    return f"{getattr(fn, '__module__', '?')}.{getattr(fn, '__qualname__', repr(fn))}"


def api_spec_from_function(
    fn: Callable[..., Any],
    *,
    tool: str | None = None,
    category: str | None = None,
    name: str | None = None,
    description: str | None = None,
    tool_description: str = "",
    template_response: Any = None,
) -> ApiSpec:
    """An :class:`ApiSpec` for a plain function (see the module docstring).

    The API name and native function name are ``fn.__name__`` (or ``name``); the tool
    defaults to the last part of the function's module, the category to ``Python``.

    >>> def weekday(date: str) -> str:
    ...     '''The weekday of a date.
    ...
    ...     Args:
    ...         date: ISO date, e.g. 2024-01-01.
    ...     '''
    >>> spec = api_spec_from_function(weekday, tool="dates", category="Date and Time")
    >>> spec.id, spec.native_name, spec.description
    ('Date and Time::dates::weekday', 'weekday', 'The weekday of a date.')
    >>> spec.parameters["properties"]["date"]["description"], spec.required
    ('ISO date, e.g. 2024-01-01.', ['date'])
    """
    if not callable(fn):
        raise InputError(f"{fn!r} is not callable")
    summary, docs = parse_docstring(inspect.getdoc(fn))
    fn_name = name or getattr(fn, "__name__", "")
    if not fn_name or fn_name == "<lambda>":
        raise InputError("a tool function needs a name (pass name=...)")
    module = getattr(fn, "__module__", None) or "python"
    return ApiSpec(
        category=category or "Python",
        tool=tool or module.rsplit(".", 1)[-1],
        name=fn_name,
        description=description if description is not None else summary,
        parameters=parameters_schema(fn, docs),
        tool_description=tool_description,
        template_response=template_response,
        native_name=fn_name,
        source=f"python:{module}",
    )


def register_function(fn: Callable[..., Any], spec: ApiSpec) -> None:
    """Make ``fn`` callable by the ``python`` executor under ``spec.id``."""
    previous = FUNCTIONS.get(spec.id)
    if previous is not None and previous is not fn:
        logger.warning("tool %s is registered again (now %s)", spec.id, _qualname(fn))
    FUNCTIONS[spec.id] = fn


def tool(
    fn: Callable[..., Any] | None = None,
    *,
    tool: str | None = None,
    category: str | None = None,
    name: str | None = None,
    description: str | None = None,
    tool_description: str = "",
    template_response: Any = None,
) -> Any:
    """Decorator: describe ``fn`` as a tool and register it; the function is unchanged.

    Usable bare (``@tool``) or with options (``@tool(category="Mathematics")``). The
    spec is attached as ``fn.__toolbench_spec__``.

    >>> @tool(tool="demo", category="Examples")
    ... def double(x: int) -> int:
    ...     '''Double a number.'''
    ...     return 2 * x
    >>> spec_of(double).id, double(4), FUNCTIONS["Examples::demo::double"] is double
    ('Examples::demo::double', 8, True)
    """
    options = dict(
        tool=tool, category=category, name=name, description=description,
        tool_description=tool_description, template_response=template_response,
    )

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        spec = api_spec_from_function(func, **options)
        setattr(func, SPEC_ATTRIBUTE, spec)
        register_function(func, spec)
        return func

    return decorate(fn) if fn is not None else decorate


def is_tool(fn: Any) -> bool:
    """Whether ``fn`` was decorated with :func:`tool`."""
    return callable(fn) and isinstance(getattr(fn, SPEC_ATTRIBUTE, None), ApiSpec)


def spec_of(fn: Callable[..., Any]) -> ApiSpec:
    """The spec of a decorated function, or one derived from it now."""
    spec = getattr(fn, SPEC_ATTRIBUTE, None)
    return spec if isinstance(spec, ApiSpec) else api_spec_from_function(fn)


def tools_in_module(module: types.ModuleType, *, all_public: bool = False) -> list[Callable[..., Any]]:
    """The tool functions a module defines, in definition order.

    Decorated functions only; with ``all_public`` (or when none is decorated) every public
    function defined in the module itself.
    """
    members: list[Callable[..., Any]] = []
    for key, value in vars(module).items():
        if (inspect.isfunction(value) or is_tool(value)) and not key.startswith("_") and value not in members:
            members.append(value)
    decorated = [f for f in members if is_tool(f)]
    if decorated and not all_public:
        return decorated
    return [f for f in members if getattr(f, "__module__", None) == module.__name__]


def function_table(functions: Iterable[Callable[..., Any]]) -> tuple[list[ApiSpec], dict[str, Callable[..., Any]]]:
    """Specs and an API id → callable map for some functions (decorated or not)."""
    specs: list[ApiSpec] = []
    table: dict[str, Callable[..., Any]] = {}
    for fn in functions:
        spec = spec_of(fn)
        specs.append(spec)
        table[spec.id] = fn
    return specs, table
