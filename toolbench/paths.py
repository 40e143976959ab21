"""Where the project keeps caches (converted models, embeddings, LLM replies)."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir(*parts: str) -> Path:
    """The cache directory: ``$TOOLBENCH_CACHE`` or ``~/.cache/toolbench``, plus ``parts``.

    The directory is created on first use.
    """
    root = Path(os.environ.get("TOOLBENCH_CACHE") or Path.home() / ".cache" / "toolbench")
    path = root.joinpath(*parts)
    path.mkdir(parents=True, exist_ok=True)
    return path
