"""BFCL AST checker on the real BFCL v4 files: ground truth scores 100%, perturbations fail
with the right error type."""

from __future__ import annotations

import copy

import pytest
from bfcl_rules import CASES

from evaluator import bfcl
from evaluator.ast_check import category_of, check_call, check_item, ground_truth_output

CATEGORIES = ["simple_python", "multiple", "parallel", "parallel_multiple", "irrelevance"]


@pytest.fixture(scope="module")
def items(shared_data):
    out = {}
    for path in bfcl.question_files(shared_data / "bfcl"):
        out[bfcl._file_category(path)] = bfcl.read_items(path)
    return out


@pytest.mark.parametrize("category", CATEGORIES)
def test_ground_truth_scores_100_percent(items, category):
    results = [check_item(i.functions, ground_truth_output(i.ground_truth or [], i.functions), i.ground_truth,
                          i.category) for i in items[category]]
    failures = [(i.id, r.error_type, r.errors) for i, r in zip(items[category], results, strict=True) if not r.valid]
    assert len(results) >= 200 and failures == []


@pytest.mark.parametrize("category", ["simple_python", "multiple", "parallel", "parallel_multiple"])
def test_every_accepted_value_and_reversed_order_pass(items, category):
    """Last accepted value instead of the first; parallel calls in reverse order."""
    for item in items[category]:
        truth = [{n: {p: list(reversed(v)) for p, v in acc.items()}} for call in item.ground_truth for n, acc in
                 call.items()]
        output = list(reversed(ground_truth_output(truth, item.functions)))
        result = check_item(item.functions, output, item.ground_truth, item.category)
        assert result.valid, (item.id, result.errors)


def _first_with(items, predicate):
    return next(i for i in items if predicate(i))


def _perturbed(item, change):
    output = ground_truth_output(item.ground_truth, item.functions)
    change(output)
    return check_item(item.functions, output, item.ground_truth, item.category)


def _param_of_type(item, kind):
    call = item.ground_truth[0]
    name = next(iter(call))
    fn = next(f for f in item.functions if f["name"] == name)
    for p in fn["parameters"].get("required", []):
        if fn["parameters"]["properties"][p]["type"] == kind and p in call[name]:
            return name, p
    return None


def test_wrong_name(items):
    item = items["simple_python"][0]
    result = _perturbed(item, lambda out: out.__setitem__(0, {"other_function": next(iter(out[0].values()))}))
    assert (result.valid, result.error_type) == (False, "wrong_func_name")


def test_missing_required(items):
    item = items["simple_python"][0]
    result = _perturbed(item, lambda out: next(iter(out[0].values())).pop("base"))
    assert result.error_type == "missing_required" and "'base'" in result.errors[0]


def test_wrong_type(items):
    item = _first_with(items["simple_python"], lambda i: _param_of_type(i, "integer"))
    name, param = _param_of_type(item, "integer")
    result = _perturbed(item, lambda out: out[0][name].__setitem__(param, str(out[0][name][param])))
    assert result.error_type == "type_error:simple"


def test_wrong_value(items):
    item = _first_with(items["simple_python"], lambda i: _param_of_type(i, "integer"))
    name, param = _param_of_type(item, "integer")
    result = _perturbed(item, lambda out: out[0][name].__setitem__(param, out[0][name][param] + 1000))
    assert result.error_type == "value_error:others"
    item = _first_with(items["simple_python"], lambda i: _param_of_type(i, "string"))
    name, param = _param_of_type(item, "string")
    result = _perturbed(item, lambda out: out[0][name].__setitem__(param, "zzz not a value"))
    assert result.error_type == "value_error:string"


def test_extra_call(items):
    for category in ("simple_python", "multiple", "parallel"):
        item = items[category][0]
        result = _perturbed(item, lambda out: out.append(copy.deepcopy(out[0])))
        assert result.error_type == "wrong_count", category


def test_parallel_wrong_value_names_the_unmatched_call(items):
    item = items["parallel"][0]  # spotify.play for Taylor Swift / Maroon 5
    result = _perturbed(item, lambda out: out[1]["spotify.play"].__setitem__("duration", 99))
    assert result.error_type == "value_error:others"
    assert "has no matching call" in result.errors[0]


def test_irrelevance_means_no_call(items):
    item = items["irrelevance"][0]
    fn = item.functions[0]
    bad = check_item(item.functions, [{fn["name"]: {}}], None, item.category)
    assert (bad.valid, bad.error_type) == (False, "irrelevance:function_called")
    assert check_item(item.functions, [], None, item.category).valid


def test_unexpected_param_and_string_normalisation():
    fn = {"name": "f", "parameters": {"type": "dict", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
    truth = {"f": {"city": ["New York City"]}}
    assert check_call(fn, {"f": {"city": "new-york city"}}, truth).valid
    assert check_call(fn, {"f": {"city": "New York City", "x": 1}}, truth).error_type == "unexpected_param"


def test_parallel_matching_bfcl_greedy_by_default_bipartite_on_request():
    """A first call that fits both ground truths is taken by the first one (BFCL's pass), which
    leaves the second without a match; a maximum matching pairs them."""
    fn = {"name": "f", "parameters": {"type": "dict", "properties": {"a": {"type": "integer"}}, "required": []}}
    truth = [{"f": {"a": [1, 2]}}, {"f": {"a": [1]}}]
    output = [{"f": {"a": 1}}, {"f": {"a": 2}}]
    greedy = check_item([fn], output, truth, "parallel")
    assert not greedy.valid and "ground truth #1 (f) has no matching call" in greedy.errors[0]
    assert check_item([fn], output, truth, "parallel", matching="bipartite").valid
    assert check_item([fn], list(reversed(output)), truth, "parallel").valid
    with pytest.raises(ValueError, match="matching"):
        check_item([fn], output, truth, "parallel", matching="hungarian")


@pytest.mark.parametrize(("rule", "category", "functions", "truth", "output", "valid"), CASES,
                         ids=[c[0] for c in CASES])
def test_bfcl_rules(rule, category, functions, truth, output, valid):
    """One hand-checked case per rule of BFCL's checker (see tests/bfcl_rules.py)."""
    result = check_item(functions, output, truth, category_of(f"{category}_0"))
    assert result.valid is valid, (rule, result.error_type, result.errors)
