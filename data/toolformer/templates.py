"""Render a tool's few-shot prompt P(x) (package data, Jinja2 with ``StrictUndefined``).

The rendered prompt ends with ``Output:`` and a newline, so the document's own tokens
follow it unchanged (the sampler and the scorer see the same token ids of ``x``).
"""

from __future__ import annotations

import functools
from pathlib import Path

from toolbench.errors import ConfigError

PROMPT_DIR = Path(__file__).parent / "prompts"


@functools.lru_cache(maxsize=1)
def _environment():  # type: ignore[no-untyped-def]
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(PROMPT_DIR)), undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True, autoescape=False,
    )


def prompt_names() -> list[str]:
    """The packaged prompt templates.

    >>> prompt_names()
    ['calculator.j2', 'calendar.j2']
    """
    return sorted(p.name for p in PROMPT_DIR.glob("*.j2"))


def render_prompt(name: str, text: str) -> str:
    """P(x) for template ``name`` (a packaged name or a path to a .j2 file).

    >>> render_prompt("calculator.j2", "It was 17 years.").endswith("Input:\\nIt was 17 years.\\nOutput:\\n")
    True
    """
    import jinja2

    path = Path(name)
    try:
        if path.suffix == ".j2" and path.is_file():
            template = _environment().from_string(path.read_text(encoding="utf-8"))
        else:
            template = _environment().get_template(name)
        return template.render(text=text)
    except jinja2.TemplateNotFound:
        raise ConfigError(f"unknown Toolformer prompt {name!r} (packaged: {', '.join(prompt_names())})") from None
    except jinja2.UndefinedError as exc:
        raise ConfigError(f"prompt {name!r}: {exc}") from exc
