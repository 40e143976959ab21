"""Judge prompts: Jinja2 templates shipped as package data (``evaluator/prompts/*.j2``)."""

from __future__ import annotations

import functools
from typing import Any


@functools.cache
def _environment() -> Any:
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("evaluator", "prompts"),
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
        autoescape=False,
    )


def template_names() -> list[str]:
    """The names of the shipped prompt templates (without ``.j2``).

    >>> "check_answer_status" in template_names()
    True
    """
    return sorted(n.removesuffix(".j2") for n in _environment().list_templates() if n.endswith(".j2"))


def render(name: str, **variables: Any) -> str:
    """Render ``prompts/<name>.j2``; a missing variable raises (StrictUndefined).

    >>> text = render("fac", query="2+2?", answer="4", function_name="fac")
    >>> "2+2?" in text and text.endswith("}\\n")
    True
    """
    return _environment().get_template(f"{name}.j2").render(**variables)
