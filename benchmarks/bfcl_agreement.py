"""Development check: our BFCL checker against the official ``bfcl-eval`` one, item by item.

For every item of the shared BFCL v4 files it builds predictions (the ground truth, other
accepted values in another call order, every optional parameter given, and seeded
random mutations: numbers as other types, strings re-cased / re-punctuated / wrong, lists
as tuples or re-ordered, dict keys dropped or added, parameters dropped or added, wrong
names, calls dropped, duplicated, swapped or with values swapped between them, and
text that is not a call). Each prediction is scored by both checkers as structured calls
and, rendered as Python call text, decoded by both decoders and scored again. Irrelevance
items are scored with BFCL's relevance rule both as ``irrelevance`` and as ``relevance``.

``bfcl-eval`` is not a dependency: install it without its (API client) dependencies,

    pip install --no-deps bfcl-eval==2026.3.23 tenacity "tree_sitter==0.21.3" \\
        "tree-sitter-java==0.21.0" "tree-sitter-javascript==0.21.4"
    python benchmarks/bfcl_agreement.py [--data ../shared/data/bfcl] [--variants 8]
    python benchmarks/bfcl_agreement.py --predictions evals/bfcl-x/predictions.jsonl

Its ``ast_checker`` module imports a model table that imports every API client; that one
module is replaced by a one-entry table (our names keep their dots, as for prompting models).
"""

from __future__ import annotations

import argparse
import copy
import importlib
import os
import random
import sys
import tempfile
import types
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from evaluator import bfcl  # noqa: E402
from evaluator.ast_check import check_item, ground_truth_output  # noqa: E402
from evaluator.call_text import CallSyntaxError, parse_calls  # noqa: E402

MODEL = "toolbench"
NOT_CALLS = ["I cannot help with that.", "[]", "```python\n[f(x=1)]\n```", "[f(x=1), 3]", "f(x=lambda: 1)", ""]


@dataclass
class Official:
    """The official checker and decoder functions."""

    ast_checker: Callable[..., dict[str, Any]]
    python: Any
    decode: Callable[[str], list[dict[str, Any]]]
    is_empty_output: Callable[[Any], bool]


def load_official(project_root: str | Path) -> Official:
    """Import bfcl-eval's checker and default decoder (``project_root`` gets the folders it creates)."""
    stub = types.ModuleType("bfcl_eval.constants.model_config")
    stub.MODEL_CONFIG_MAPPING = {MODEL: types.SimpleNamespace(underscore_to_dot=False)}  # type: ignore[attr-defined]
    saved, saved_root = sys.modules.get(stub.__name__), os.environ.get("BFCL_PROJECT_ROOT")
    sys.modules[stub.__name__] = stub
    os.environ["BFCL_PROJECT_ROOT"] = str(project_root)
    try:
        checker = importlib.import_module("bfcl_eval.eval_checker.ast_eval.ast_checker")
        handler_utils = importlib.import_module("bfcl_eval.model_handler.utils")
        utils = importlib.import_module("bfcl_eval.utils")
    finally:
        if saved_root is None:
            os.environ.pop("BFCL_PROJECT_ROOT", None)
        else:
            os.environ["BFCL_PROJECT_ROOT"] = saved_root
        if saved is None:
            sys.modules.pop(stub.__name__, None)
        else:
            sys.modules[stub.__name__] = saved
    enums = importlib.import_module("bfcl_eval.constants.enums")
    return Official(checker.ast_checker, enums.Language.PYTHON, handler_utils.default_decode_ast_prompting,
                    utils.is_empty_output)


# ---- predictions -------------------------------------------------------------------------

def render(calls: list[dict[str, Any]]) -> str:
    """Calls as Python call text.

    >>> render([{"a.b": {"x": 1, "s": "hi"}}, {"f": {}}])
    "[a.b(x=1, s='hi'), f()]"
    """
    return "[" + ", ".join(f"{name}({', '.join(f'{k}={v!r}' for k, v in args.items())})"
                           for call in calls for name, args in call.items()) + "]"


def _first_values(truth: list[dict[str, Any]], pick: Callable[[list[Any]], Any]) -> list[dict[str, Any]]:
    out = []
    for call in truth:
        for name, accepted in call.items():
            args = {p: pick([v for v in values if v != ""]) for p, values in accepted.items()
                    if any(v != "" for v in values)}
            out.append({name: {p: _collapse(v, pick) for p, v in args.items()}})
    return out


def _collapse(value: Any, pick: Callable[[list[Any]], Any]) -> Any:
    if isinstance(value, dict):
        return {k: pick([x for x in v if x != ""]) for k, v in value.items() if any(x != "" for x in v)}
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return [_collapse(v, pick) for v in value]
    return value


def _mutate_value(value: Any, rng: random.Random, accepted: list[Any]) -> Any:
    choices: list[Callable[[], Any]] = [lambda: "", lambda: None, lambda: rng.choice(accepted) if accepted else 0]
    if isinstance(value, bool):
        choices += [lambda: int(value), lambda: not value, lambda: str(value)]
    elif isinstance(value, int | float):
        choices += [lambda: float(value), lambda: int(value), lambda: str(value), lambda: value + 1, lambda: -value]
    elif isinstance(value, str):
        choices += [value.upper, lambda: value.replace(" ", "_"), lambda: value + ".", lambda: value + "x",
                    lambda: f" {value}, ", lambda: [value]]
    elif isinstance(value, list):
        choices += [lambda: tuple(value), lambda: list(reversed(value)), lambda: [], lambda: value[:-1],
                    lambda: [str(v) for v in value], lambda: [float(v) if type(v) is int else v for v in value],
                    lambda: [int(v) if type(v) is float else v for v in value], lambda: value + value[:1]]
    elif isinstance(value, dict):
        keys = list(value)
        choices += [lambda: {k: v for k, v in value.items() if k != rng.choice(keys or ["-"])},
                    lambda: {**value, "extra_key": 1}, lambda: {k: _mutate_value(v, rng, []) for k, v in value.items()}]
    return rng.choice(choices)()


def _mutate(calls: list[dict[str, Any]], item: bfcl.BfclItem, rng: random.Random) -> list[dict[str, Any]]:
    calls = copy.deepcopy(calls)
    if not calls:
        return calls
    index = rng.randrange(len(calls))
    (name, args), = calls[index].items()
    accepted = next((a for t in item.ground_truth or [] for n, a in t.items() if n == name), {})
    kind = rng.choice(["value"] * 6 + ["drop_param", "add_param", "rename", "drop_call", "duplicate", "swap",
                                       "exchange"])
    params = list(args) or list(accepted)
    if kind == "value" and params:
        param = rng.choice(params)
        pool = [v for values in accepted.values() for v in values]
        args[param] = _mutate_value(args.get(param, rng.choice(pool) if pool else 0), rng, pool)
    elif kind == "drop_param" and args:
        args.pop(rng.choice(list(args)))
    elif kind == "add_param":
        args[rng.choice(["extra_param", *accepted])] = rng.choice([1, "x", 2.5])
    elif kind == "rename":
        calls[index] = {rng.choice([name + "_v2", name.split(".")[-1], rng.choice(item.functions)["name"]]): args}
    elif kind == "drop_call":
        calls.pop(index)
    elif kind == "duplicate":
        calls.insert(index, copy.deepcopy(calls[index]))
    elif kind == "swap":
        rng.shuffle(calls)
    elif kind == "exchange" and len(calls) > 1 and params:
        other = rng.choice([c for i, c in enumerate(calls) if i != index])
        (_, other_args), = other.items()
        param = rng.choice(params)
        if param in other_args:
            args[param], other_args[param] = other_args[param], args.get(param)
    return calls


Prediction = tuple[str, list[dict[str, Any]], bfcl.BfclItem]


def predictions(item: bfcl.BfclItem, variants: int) -> Iterator[Prediction]:
    """(kind, calls, item) predictions for one item (seeded by its id); ``item`` may carry a
    widened ground truth (see :func:`widened`)."""
    truth = item.ground_truth or []
    base = ground_truth_output(truth, item.functions)
    yield "ground_truth", base, item
    yield "last_values_reversed", list(reversed(_first_values(truth, lambda vs: vs[-1] if vs else 0))), item
    yield "all_optional_given", _first_values(truth, lambda vs: vs[0] if vs else 0), item
    rng = random.Random(item.id)
    for _ in range(variants):
        calls = _mutate(base, item, rng)
        yield "mutated", _mutate(calls, item, rng) if rng.random() < 0.3 else calls, item
    if wide := widened(item):
        yield "widened", base, wide
        yield "widened_reversed", list(reversed(base)), wide


def widened(item: bfcl.BfclItem) -> bfcl.BfclItem | None:
    """A parallel item whose first expected call also accepts the second one's values (same
    function): the ground-truth calls in reverse order then pass a maximum matching but not
    BFCL's greedy pass, so the matching procedure is exercised on real items."""
    truth = copy.deepcopy(item.ground_truth or [])
    if len(truth) < 2 or next(iter(truth[0])) != next(iter(truth[1])):
        return None
    first, second = next(iter(truth[0].values())), next(iter(truth[1].values()))
    for param, values in first.items():
        values.extend(v for v in second.get(param, []) if v not in values)
    return bfcl.BfclItem(item.id, item.messages, item.functions, truth)


# ---- comparison --------------------------------------------------------------------------

@dataclass
class Tally:
    """Agreement counts of one category."""

    compared: int = 0
    agreed: int = 0
    official_valid: int = 0
    official_crashed: int = 0
    decoded_same: int = 0
    decoded: int = 0
    disagreements: list[tuple[str, str, Any]] = field(default_factory=list)

    def add(self, item_id: str, how: str, ours: bool, theirs: bool | None, output: Any) -> None:
        if theirs is None:
            self.official_crashed += 1
            return
        self.compared += 1
        self.agreed += ours == theirs
        self.official_valid += theirs
        if ours != theirs:
            self.disagreements.append((item_id, how, output))


def official_ast(official: Official, item: bfcl.BfclItem, file_category: str, output: Any) -> bool | None:
    """The official verdict on structured calls (None when the official checker raises)."""
    try:
        result = official.ast_checker(item.functions, copy.deepcopy(output), item.ground_truth, official.python,
                                      file_category, MODEL)
    except Exception:  # the official checker has no error handling of its own; count, don't compare
        return None
    return bool(result["valid"])


def official_text(official: Official, item: bfcl.BfclItem, file_category: str, text: str) -> tuple[bool | None, Any]:
    """The official verdict on raw text (decode, then as BFCL's runners do)."""
    try:
        decoded = official.decode(text)
    except Exception:
        decoded = None
    if "relevance" in file_category:
        called = decoded is not None and not official.is_empty_output(decoded)
        return (not called if "irrelevance" in file_category else called), decoded
    if decoded is None:
        return False, None
    return official_ast(official, item, file_category, decoded), decoded


def _ours_decoded(text: str) -> Any:
    try:
        return parse_calls(text)
    except CallSyntaxError:
        return None


def compare_file(official: Official, path: Path, variants: int, tally: Tally, matching: str = "bfcl") -> None:
    """Score every prediction of one question file with both checkers."""
    file_category = bfcl._file_category(path)
    for item in bfcl.read_items(path):
        if item.category == "irrelevance":
            texts = [render([{f["name"]: {}}]) for f in item.functions[:1]] + NOT_CALLS
            for category in ("irrelevance", "relevance"):
                for text in texts:
                    theirs, _ = official_text(official, item, category, text)
                    ours = check_item(item.functions, text, None, category).valid
                    tally.add(item.id, f"{category}:text", ours, theirs, text)
            continue
        for kind, calls, scored in predictions(item, variants):
            ours = check_item(scored.functions, calls, scored.ground_truth, scored.category, matching).valid
            tally.add(item.id, kind, ours, official_ast(official, scored, file_category, calls), calls)
            text = render(calls)
            theirs, decoded = official_text(official, scored, file_category, text)
            tally.decoded += 1
            tally.decoded_same += _ours_decoded(text) == decoded
            tally.add(item.id, f"{kind}:text", check_item(scored.functions, text, scored.ground_truth,
                                                          scored.category, matching).valid, theirs, text)
        for text in NOT_CALLS[:1] + NOT_CALLS[2:]:
            theirs, _ = official_text(official, item, file_category, text)
            tally.add(item.id, "not_calls:text", check_item(item.functions, text, item.ground_truth,
                                                            item.category).valid, theirs, text)


def agreement(
    data: Path, variants: int = 8, project_root: str | Path | None = None, matching: str = "bfcl"
) -> dict[str, Tally]:
    """Per question file: how often the two checkers agree (ours with ``matching``)."""
    with tempfile.TemporaryDirectory() as tmp:
        official = load_official(project_root or tmp)
    out = {}
    for path in bfcl.question_files(data):
        out[bfcl._file_category(path)] = tally = Tally()
        compare_file(official, path, variants, tally, matching)
    return out


def compare_predictions(path: Path, data: Path, project_root: str | Path | None = None) -> Tally:
    """Both checkers on a predictions file (e.g. ``bench bfcl``'s ``predictions.jsonl``)."""
    with tempfile.TemporaryDirectory() as tmp:
        official = load_official(project_root or tmp)
    items = {i.id: (i, bfcl._file_category(p)) for p in bfcl.question_files(data) for i in bfcl.read_items(p)}
    tally = Tally()
    for item_id, output in bfcl.read_predictions(path).items():
        item, file_category = items[item_id]
        if isinstance(output, str):
            theirs, _ = official_text(official, item, file_category, output)
        elif "relevance" in file_category:
            called = not official.is_empty_output(output)
            theirs = not called if "irrelevance" in file_category else called
        else:
            theirs = official_ast(official, item, file_category, output)
        tally.add(item_id, "prediction", check_item(item.functions, output, item.ground_truth, item.category).valid,
                  theirs, output)
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data" / "bfcl")
    parser.add_argument("--variants", type=int, default=8, help="Random mutations per item.")
    parser.add_argument("--matching", default="bfcl", choices=["bfcl", "bipartite"], help="Our parallel matching.")
    parser.add_argument("--predictions", type=Path, help="Compare on this predictions file instead.")
    args = parser.parse_args()
    if args.predictions:
        t = compare_predictions(args.predictions, args.data)
        print(f"{args.predictions}: {t.agreed}/{t.compared} agree, official valid {t.official_valid}, "
              f"official crashed {t.official_crashed}")
        for item_id, _, output in t.disagreements:
            print(f"disagree: {item_id}: {output!r}"[:300])
        return
    results = agreement(args.data, args.variants, matching=args.matching)
    print("| file | predictions compared | agree | official valid | official crashed | decoded alike |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, t in results.items():
        decoded = f"{t.decoded_same}/{t.decoded}" if t.decoded else "-"
        print(f"| {name} | {t.compared} | {t.agreed} ({100 * t.agreed / max(t.compared, 1):.2f}%) | "
              f"{t.official_valid} | {t.official_crashed} | {decoded} |")
    kinds = Counter(how for t in results.values() for _, how, _ in t.disagreements)
    for item_id, how, output in islice((d for t in results.values() for d in t.disagreements), 20):
        print(f"disagree: {item_id} {how}: {output!r}"[:300])
    if kinds:
        print("disagreements by kind:", dict(kinds))


if __name__ == "__main__":
    main()
