"""Every module of toolbench, planner, evaluator and data imports without heavy libraries.

A subprocess installs a meta-path finder that refuses torch, faiss, transformers,
sentence-transformers, peft, datasets, bm25s and trl, then imports every module
(``pkgutil.walk_packages``). A module that imports one of them at top level fails here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BLOCKED = ("torch", "faiss", "transformers", "sentence_transformers", "peft", "datasets", "bm25s", "trl")
PACKAGES = ("toolbench", "planner", "evaluator", "data")

SCRIPT = textwrap.dedent(
    """
    import importlib, importlib.abc, json, pkgutil, sys, traceback

    BLOCKED = set(sys.argv[1].split(","))

    class Block(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError(f"blocked heavy import: {name}")
            return None

    sys.meta_path.insert(0, Block())
    failures, imported = {}, []
    for package in sys.argv[2].split(","):
        try:
            root = importlib.import_module(package)
        except Exception as exc:
            failures[package] = f"{type(exc).__name__}: {exc}"
            continue
        imported.append(package)
        def onerror(name):
            failures[name] = traceback.format_exc(limit=1).strip().splitlines()[-1]
        for info in pkgutil.walk_packages(root.__path__, package + ".", onerror=onerror):
            if info.name.endswith("__main__"):
                continue
            try:
                importlib.import_module(info.name)
                imported.append(info.name)
            except Exception as exc:
                failures[info.name] = f"{type(exc).__name__}: {exc}"
    loaded = sorted({m.split(".")[0] for m in sys.modules} & BLOCKED)
    print(json.dumps({"failures": failures, "imported": imported, "loaded": loaded}))
    """
)


def run_blocked(packages: tuple[str, ...]) -> dict:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, ",".join(BLOCKED), ",".join(packages)],
        cwd=ROOT, capture_output=True, text=True, timeout=240, check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.slow
def test_every_module_imports_without_heavy_libraries() -> None:
    report = run_blocked(PACKAGES)
    assert report["failures"] == {}, "modules import heavy libraries at top level:\n" + "\n".join(
        f"  {name}: {error}" for name, error in sorted(report["failures"].items()))
    assert report["loaded"] == []
    assert {"toolbench.app.cli", "toolbench.loaders", "toolbench.catalog.queries"} <= set(report["imported"])


def test_the_blocker_blocks() -> None:
    script = SCRIPT.replace("for package in", "import_ok = None\nfor package in")
    result = subprocess.run(
        [sys.executable, "-c", script + "\nimport torch\n", ",".join(BLOCKED), "json"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode != 0 and "blocked heavy import: torch" in result.stderr
