"""A few probes of ``scripts/hardening_probes.py`` (one per kind of check), so the harness keeps working.

The whole harness (``python scripts/hardening_probes.py``, a few minutes) is the real check;
this runs one probe of each kind: a hostile id through ``plan``, a key in a run config, a
corrupt SQLite cache, a huge calculator expression, an SSRF target, a usage error, an empty
run, a held run lock, a result file of the wrong shape and ``--out`` at a file.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "hardening_probes.py"
FAMILIES = ["ids: plan --toolbench-answers", "secrets", "sqlite cache: tools call -e virtual", "tool calls: calculator",
            "ssrf: rest url", "usage: unknown option", "empty runs", "run lock", "result files: plan resume", "--out"]


def load_harness():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("hardening_probes", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.mark.slow
def test_one_probe_of_each_kind_is_clean(tmp_path: Path) -> None:
    harness = load_harness()
    probes = harness.all_probes()
    subset = [next(p for p in probes if p.family == family) for family in FAMILIES]
    results = harness.run_probes(subset, workers=2, root=tmp_path / "probes")
    assert len(results) == len(FAMILIES)
    unclean = [r for r in results if r.symptoms]
    assert not unclean, harness.table(results)
    assert "total" in harness.table(results)
