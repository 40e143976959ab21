"""The library API importable from ``toolbench`` itself (lazy names included)."""

from __future__ import annotations

import subprocess
import sys

import pytest

import toolbench


@pytest.mark.parametrize("name", toolbench.__all__)
def test_every_public_name_resolves(name: str) -> None:
    assert getattr(toolbench, name) is not None


def test_unknown_names_raise_attribute_error() -> None:
    with pytest.raises(AttributeError):
        toolbench.no_such_name  # noqa: B018


def test_import_toolbench_stays_light() -> None:
    code = ("import sys, toolbench; toolbench.load_catalog, toolbench.build_executor, toolbench.load_chat_model; "
            "print(sorted({'torch', 'transformers', 'faiss', 'sentence_transformers'} & set(sys.modules)))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip() == "[]"
