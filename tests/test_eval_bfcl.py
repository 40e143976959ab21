"""`toolbench bench bfcl` and `toolbench eval ast` with a scripted model."""

from __future__ import annotations

import json

import pytest

from evaluator import api, bfcl
from evaluator.ast_check import ground_truth_output
from toolbench.app.cli import main
from toolbench.models.scripted import ScriptedModel


@pytest.fixture
def data(shared_data):
    return shared_data / "bfcl"


def _reply(calls):
    return {"content": None, "tool_calls": [
        {"id": f"c{i}", "name": bfcl.tool_name(name), "arguments": args}
        for i, call in enumerate(calls) for name, args in call.items()]}


def _script(data, n, wrong=()):
    """Replies for the first n simple_python items: ground truth, except items in ``wrong`` (no call)."""
    items = bfcl.read_items(data / "BFCL_v4_simple_python.json")[:n]
    return [{"content": "I cannot help."} if i in wrong else _reply(ground_truth_output(it.ground_truth, it.functions))
            for i, it in enumerate(items)]


def test_tools_for_converts_bfcl_schemas(data):
    item = bfcl.read_items(data / "BFCL_v4_simple_python.json")[1]
    tools, names = bfcl.tools_for(item.functions)
    fn = tools[0]["function"]
    assert fn["name"] == "math_factorial" and names == {"math_factorial": "math.factorial"}
    assert fn["parameters"]["type"] == "object"


def test_bench_scores_a_scripted_model(data):
    model = ScriptedModel(replies=_script(data, 4, wrong={2}))
    items, predictions, verdicts, usage = api.bench_bfcl(model, data, categories=["simple_python"], limit=4)
    assert [v.label for v in verdicts] == ["correct", "correct", "incorrect", "correct"]
    # a reply without tool calls is scored as BFCL scores a model's text: it does not parse as calls
    assert verdicts[2].reason == "ast_decoder:decoder_failed" and predictions[items[2].id] == "I cannot help."
    assert predictions["simple_python_1"] == [{"math.factorial": {"number": 5}}]
    assert usage.llm_calls == 4
    tools = model.calls[0]["tools"]
    assert tools[0]["function"]["name"] == "calculate_triangle_area"


def test_bench_cli_writes_report_and_predictions(data, tmp_path, capsys):
    script = tmp_path / "replies.jsonl"
    script.write_text("".join(json.dumps(r) + "\n" for r in _script(data, 3, wrong={0})))
    out = tmp_path / "bench"
    code = main(["bench", "bfcl", "--model", f"scripted:{script}", "--data", str(data), "-c", "simple_python",
                 "--limit", "3", "-o", str(out)])
    assert code == 0
    report = json.loads((out / "report.json").read_text())
    (run, metrics), = report["metrics"].items()
    assert metrics["mean"] == pytest.approx(2 / 3) and metrics["n"] == 3
    assert report["groups"][run]["simple"]["n"] == 3
    assert len((out / "predictions.jsonl").read_text().splitlines()) == 3
    assert "66.7" in capsys.readouterr().out


def test_bench_cli_passes_model_options(data, tmp_path, capsys):
    """--model-option KEY=VALUE loads the model with those options; predictions made with other
    options are not reused on resume."""
    out = tmp_path / "bench"
    right = json.dumps(_script(data, 2))
    base = ["bench", "bfcl", "--model", "scripted:", "--data", str(data), "-c", "simple_python", "--limit", "2",
            "-o", str(out)]
    assert main([*base, "--model-option", f"replies={right}"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert report["config"]["model_options"] == {"replies": json.loads(right)}
    assert next(iter(report["metrics"].values()))["mean"] == 1.0
    wrong = json.dumps(_script(data, 2, wrong={0, 1}))
    assert main([*base, "--model-option", f"replies={wrong}"]) == 0
    assert next(iter(json.loads((out / "report.json").read_text())["metrics"].values()))["mean"] == 0.0
    capsys.readouterr()
    assert main([*base, "--model-option", "oops"]) == 2
    assert "--model-option" in capsys.readouterr().err


def test_eval_ast_cli_on_predictions(data, tmp_path):
    items = bfcl.read_items(data / "BFCL_v4_parallel.json")[:5]
    preds = tmp_path / "preds.jsonl"
    lines = [{"id": i.id, "result": ground_truth_output(i.ground_truth, i.functions)} for i in items]
    lines[1]["result"] = lines[1]["result"][:1]
    preds.write_text("".join(json.dumps(x) + "\n" for x in lines))
    out = tmp_path / "ast"
    assert main(["eval", "ast", "--predictions", str(preds), "--answers",
                 str(data / "possible_answer/BFCL_v4_parallel.json"), "-o", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    rows = {r["query_id"]: r for r in report["rows"]}
    # items not in the predictions file count as no call
    assert rows["parallel_1"]["majority"] == "incorrect" and rows["parallel_1"]["reason"] == "wrong_count"
    assert rows["parallel_0"]["majority"] == "correct" and rows["parallel_199"]["majority"] == "incorrect"


def test_bad_predictions_file_is_a_clear_error(data, tmp_path, capsys):
    preds = tmp_path / "preds.jsonl"
    preds.write_text('{"id": "parallel_0", "result": [["not", "a call"]]}\n')
    code = main(["eval", "ast", "--predictions", str(preds), "--answers",
                 str(data / "possible_answer/BFCL_v4_parallel.json"), "-o", str(tmp_path / "o")])
    assert code == 2 and "record 1" in capsys.readouterr().err


@pytest.mark.parametrize("truth", ['"oops"', '{"f": {"x": [1]}}', '[{"f": "x"}]', '[{"f": {"x": 5}}]', '[3]',
                                   '[{"f": {"x": [1]}, "g": {}}]'])
def test_mis_shaped_answers_are_a_clear_error(data, tmp_path, capsys, truth):
    preds, answers = tmp_path / "preds.jsonl", tmp_path / "answers.jsonl"
    preds.write_text('{"id": "parallel_0", "result": [{"f": {"x": 1}}]}\n')
    answers.write_text(f'{{"id": "parallel_0", "ground_truth": {truth}}}\n')
    code = main(["eval", "ast", "--predictions", str(preds), "--answers", str(answers), "--questions",
                 str(data / "BFCL_v4_parallel.json"), "-o", str(tmp_path / "o")])
    assert code == 2 and "record 1: ground_truth" in capsys.readouterr().err


def test_bench_resumes_after_a_kill(data, tmp_path):
    resume = tmp_path / "partial.jsonl"
    first = ScriptedModel(replies=_script(data, 2))
    api.bench_bfcl(first, data, categories=["simple_python"], limit=2, resume=resume)
    with resume.open("a") as handle:
        handle.write('{"id": "simple_python_2", "resu')  # torn line from a kill
    second = ScriptedModel(replies=_script(data, 3)[2:])
    items, predictions, verdicts, _ = api.bench_bfcl(second, data, categories=["simple_python"], limit=3,
                                                     resume=resume)
    assert len(second.calls) == 1 and [v.label for v in verdicts] == ["correct"] * 3
    # another model does not reuse these predictions
    third = ScriptedModel(name="", replies=_script(data, 3))
    third.name = "other"
    api.bench_bfcl(third, data, categories=["simple_python"], limit=3, resume=resume)
    assert len(third.calls) == 3


def test_bench_parses_calls_written_as_text(data):
    """A model that writes its calls (BFCL's default Python-call format) is scored on them."""
    items = bfcl.read_items(data / "BFCL_v4_parallel.json")[:3]
    texts = ['[spotify.play(artist="Taylor Swift", duration=20), spotify.play(artist="Maroon 5", duration=15)]',
             "```[not python(]```", "Sorry, I can't."]
    model = ScriptedModel(replies=[{"content": t} for t in texts])
    _, predictions, verdicts, _ = api.bench_bfcl(model, data, categories=["parallel"], limit=3)
    assert items[0].id == "parallel_0" and predictions["parallel_0"] == texts[0]
    assert [v.label for v in verdicts] == ["correct", "incorrect", "incorrect"]
    assert verdicts[1].reason == "ast_decoder:decoder_failed"
    assert "not Python call syntax" in verdicts[1].raw["errors"][0]


def test_relevance_and_irrelevance_are_scored(data, tmp_path):
    """irrelevance: right when no valid call; live_relevance (no possible answers): right with at least one call."""
    source = bfcl.read_items(data / "BFCL_v4_irrelevance.json")[:2]
    questions = tmp_path / "BFCL_v4_live_relevance.json"
    questions.write_text("".join(json.dumps({"id": f"live_relevance_{i}-{i}-0", "question": [item.messages],
                                             "function": item.functions}) + "\n" for i, item in enumerate(source)))
    items = bfcl.read_items(questions)
    assert [i.category for i in items] == ["relevance", "relevance"] and items[0].ground_truth is None
    name = source[0].functions[0]["name"]
    rel = api.ast_verdicts(items, {items[0].id: f"[{name}(x=1)]", items[1].id: "I don't know."})
    assert [v.label for v in rel] == ["correct", "incorrect"] and rel[1].reason == "relevance:no_call"
    irr_items = bfcl.read_items(data / "BFCL_v4_irrelevance.json")[:3]
    irr = api.ast_verdicts(irr_items, {irr_items[0].id: "[]", irr_items[1].id: f"{name}(y='a')",
                                       irr_items[2].id: [{name: {}}]})
    assert [v.label for v in irr] == ["correct", "incorrect", "incorrect"]


def test_eval_ast_reads_bfcl_result_files(data, tmp_path):
    """BFCL's own result files: text for prompting models, {name: JSON string} for function-calling ones."""
    items = bfcl.read_items(data / "BFCL_v4_simple_python.json")[:3]
    preds = tmp_path / "result.jsonl"
    lines = [{"id": items[0].id, "result": "[calculate_triangle_area(base=10, height=5)]"},
             {"id": items[1].id, "result": [{"math.factorial": '{"number": 5}'}]},
             {"id": items[2].id, "result": [{"math.hypot": "{not json"}]}]
    preds.write_text("".join(json.dumps(x) + "\n" for x in lines))
    out = tmp_path / "ast"
    assert main(["eval", "ast", "--predictions", str(preds), "--answers",
                 str(data / "possible_answer/BFCL_v4_simple_python.json"), "--matching", "bipartite",
                 "-o", str(out)]) == 0
    report = json.loads((out / "report.json").read_text())
    rows = {r["query_id"]: r for r in report["rows"]}
    assert [rows[i.id]["majority"] for i in items] == ["correct", "correct", "incorrect"]
    assert rows[items[2].id]["reason"] == "ast_decoder:decoder_failed"


def test_unknown_matching_is_a_clear_error(data, tmp_path, capsys):
    preds = tmp_path / "preds.jsonl"
    preds.write_text('{"id": "parallel_0", "result": []}\n')
    code = main(["eval", "ast", "--predictions", str(preds), "--answers",
                 str(data / "possible_answer/BFCL_v4_parallel.json"), "--matching", "greedy",
                 "-o", str(tmp_path / "o")])
    assert code == 2 and "--matching must be one of bfcl, bipartite" in capsys.readouterr().err


@pytest.mark.parametrize("item_id", ["simple_java_0", "simple_javascript_2", "multi_turn_base_0"])
def test_uncovered_categories_are_refused(tmp_path, capsys, item_id):
    questions = tmp_path / "BFCL_v4_x.json"
    questions.write_text(json.dumps({"id": item_id, "question": [[]], "function": []}) + "\n")
    preds = tmp_path / "preds.jsonl"
    preds.write_text(json.dumps({"id": item_id, "result": []}) + "\n")
    answers = tmp_path / "answers.jsonl"
    answers.write_text(json.dumps({"id": item_id, "ground_truth": []}) + "\n")
    code = main(["eval", "ast", "--predictions", str(preds), "--answers", str(answers), "--questions", str(questions),
                 "-o", str(tmp_path / "o")])
    assert code == 2 and "not supported" in capsys.readouterr().err
