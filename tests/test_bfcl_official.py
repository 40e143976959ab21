"""Development check: the official BFCL checker (``bfcl-eval``) and ours agree item by item.

Skipped unless bfcl-eval is installed (not a dependency; it pins dozens of API clients):

    pip install --no-deps bfcl-eval==2026.3.23 tenacity "tree_sitter==0.21.3" \\
        "tree-sitter-java==0.21.0" "tree-sitter-javascript==0.21.4"

The comparison itself lives in ``benchmarks/bfcl_agreement.py`` (which prints the table
quoted in docs/evaluation.md).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest
from bfcl_rules import CASES

from evaluator import bfcl
from evaluator.ast_check import category_of, check_item

for module in ("bfcl_eval", "tenacity", "tree_sitter", "tree_sitter_java", "tree_sitter_javascript"):
    if importlib.util.find_spec(module) is None:
        pytest.skip(f"{module} is not installed (see this module's docstring)", allow_module_level=True)

SCRIPT = Path(__file__).resolve().parent.parent / "benchmarks" / "bfcl_agreement.py"


@pytest.fixture(scope="module")
def bench():
    spec = importlib.util.spec_from_file_location("bfcl_agreement", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def official(bench, tmp_path_factory):
    return bench.load_official(tmp_path_factory.mktemp("bfcl_project"))


@pytest.mark.parametrize(("rule", "category", "functions", "truth", "output", "valid"), CASES,
                         ids=[c[0] for c in CASES])
def test_hand_checked_rules_are_the_official_verdicts(bench, official, rule, category, functions, truth, output,
                                                      valid):
    item = bfcl.BfclItem(f"{category}_0", [], functions, truth)
    if isinstance(output, str):
        theirs, _ = bench.official_text(official, item, category, output)
    else:
        theirs = bench.official_ast(official, item, category, output)
    ours = check_item(functions, output, truth, category_of(item.id)).valid
    assert (theirs, ours) == (valid, valid), rule


def test_shared_bfcl_files_agree_item_by_item(bench, shared_data, tmp_path):
    tallies = bench.agreement(shared_data / "bfcl", variants=8, project_root=tmp_path)
    assert set(tallies) == {"simple_python", "multiple", "parallel", "parallel_multiple", "irrelevance"}
    for name, tally in tallies.items():
        assert tally.compared >= 3000 and tally.official_crashed == 0, name
        assert tally.disagreements == [], (name, tally.disagreements[:5])
        assert tally.decoded_same == tally.decoded, name
        assert 0.2 < tally.official_valid / tally.compared < 0.8, name  # the predictions mix passes and failures


def test_a_predictions_file_is_compared(bench, shared_data, tmp_path):
    import json

    from evaluator.ast_check import ground_truth_output

    data = shared_data / "bfcl"
    parallel = bfcl.read_items(data / "BFCL_v4_parallel.json")[:3]
    irrelevance = bfcl.read_items(data / "BFCL_v4_irrelevance.json")[:2]
    lines = [{"id": parallel[0].id, "result": ground_truth_output(parallel[0].ground_truth, parallel[0].functions)},
             {"id": parallel[1].id, "result": "[calculate_em_force(b_field=5, area=2, d_time=4)]"},
             {"id": parallel[2].id, "result": "not a call"},
             {"id": irrelevance[0].id, "result": []},
             {"id": irrelevance[1].id, "result": [{irrelevance[1].functions[0]["name"]: {}}]}]
    path = tmp_path / "predictions.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    tally = bench.compare_predictions(path, data, project_root=tmp_path)
    assert (tally.compared, tally.agreed, tally.official_valid) == (5, 5, 2)
