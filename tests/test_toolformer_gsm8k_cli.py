"""GSM8K ground truth, input/output files, resume, and the `toolbench toolformer` commands."""

from __future__ import annotations

import contextlib
import json

import pytest

from data.toolformer.corpus import done_ids, read_documents
from data.toolformer.finetune import corpus_examples, lm_example
from data.toolformer.gsm8k import gold_position, gsm8k_document, strip_marks
from toolbench.app.cli import main
from toolbench.errors import InputError


def test_strip_marks_keeps_gold_positions() -> None:
    answer = "Weng earns 12/60 = $<<12/60=0.2>>0.2 per minute.\nShe earned 0.2 x 50 = $<<0.2*50=10>>10.\n#### 10"
    plain, golds = strip_marks(answer)
    assert "<<" not in plain and plain.startswith("Weng earns 12/60 = $0.2 per minute.")
    for gold in golds:
        assert plain[gold.end:].startswith(gold.result)
        assert plain[gold.start:gold.end] == " $"
    assert [(g.expression, g.result) for g in golds] == [("12/60", "0.2"), ("0.2*50", "10")]


@pytest.mark.slow
def test_every_shared_gsm8k_record_strips_cleanly(shared_data) -> None:  # type: ignore[no-untyped-def]
    from toolbench.builtin_tools.calculator import calculate

    records = [json.loads(line) for line in (shared_data / "gsm8k" / "train.jsonl").open(encoding="utf-8")]
    agree = total = follows = 0
    for index, record in enumerate(records):
        doc, golds = gsm8k_document(record, index)
        assert "<<" not in doc.text and ">>" not in doc.text
        assert len(golds) == record["answer"].count("<<")
        for gold in golds:
            follows += doc.text[gold.end:].startswith(gold.result)  # not always: "22,500" after 4500*5=22500
            total += 1
            with contextlib.suppress(ValueError):
                agree += calculate(gold.expression) == gold.result
    assert total > 20_000 and follows / total > 0.95
    assert agree / total > 0.9  # the built-in calculator reproduces the human results


def test_gold_position_maps_to_tokens() -> None:
    doc, golds = gsm8k_document({"question": "Q", "answer": "48/2 = <<48/2=24>>24 clips"}, 0)
    offsets = [(0, 1), (1, 2), (2, 4), (4, 5), (5, 6), (6, 8), (8, 9), (9, 10), (10, 11), (11, 17)]
    # "Q", "\n", "48", "/", "2", " =", " ", "2", "4", " clips"
    assert gold_position(offsets, golds[0]) == 6


def test_inputs_and_resume(tmp_path) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": "a", "text": "one", "date": "2023-01-30"}\n'
                   '{"question": "Q?", "answer": "1+1 = <<1+1=2>>2"}\n')
    docs = read_documents(src)
    assert [d.id for d in docs] == ["a", "gsm8k-1"] and docs[0].context == {"date": "2023-01-30"}
    assert docs[1].text == "Q?\n1+1 = 2"
    (tmp_path / "t.txt").write_text("first para\n\nsecond para\n")
    assert [d.text for d in read_documents(tmp_path / "t.txt")] == ["first para", "second para"]
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": ""}\n')
    with pytest.raises(InputError, match="record 1"):
        read_documents(bad)
    out = tmp_path / "c.jsonl"
    out.write_text('{"schema_version": 1, "id": "a"}\n{"schema_version": 1, "id": "b"')  # torn by a kill
    assert done_ids(out) == {"a"}
    assert out.read_text() == '{"schema_version": 1, "id": "a"}\n'


@pytest.mark.slow  # the tokenizer needs the converted embedded model (one conversion per test session)
def test_lm_examples_from_the_corpus() -> None:
    from toolbench.models.hf_models import load_tokenizer

    tokenizer = load_tokenizer("smollm2")
    text = "It was [Calculator(2011 - 1994) -> 17] 17 years."
    plain = lm_example(text, tokenizer)
    masked = lm_example(text, tokenizer, mask_results=True)
    assert plain["input_ids"] == masked["input_ids"] and plain["labels"] == plain["input_ids"]
    hidden = [t for t, lab in zip(masked["input_ids"], masked["labels"], strict=True) if lab == -100]
    assert tokenizer.decode(hidden).strip() == "17"
    records = [{"augmented_text": text, "calls": [{}]}, {"augmented_text": "no calls", "calls": []}]
    assert len(corpus_examples(records, tokenizer)) == 2
    assert len(corpus_examples(records, tokenizer, only_with_calls=True)) == 1


@pytest.mark.slow
def test_cli_annotate_resumes_and_generate(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    src = tmp_path / "texts.jsonl"
    src.write_text('{"id": "p1", "text": "I went to Paris in 1994 and left in 2011, so 17 years."}\n'
                   '{"id": "p2", "text": "We have 4 * 30 minutes = 120 minutes."}\n')
    out = tmp_path / "cstar.jsonl"
    args = ["toolformer", "annotate", str(src), "--out", str(out), "--tools", "calculator", "--top-k", "1",
            "--samples", "2", "--threads", "1"]
    assert main([*args, "--limit", "1"]) == 0
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == ["p1"]
    assert main(args) == 0
    records = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in records] == ["p1", "p2"]
    assert all(r["stats"]["positions"] == 1 and r["stats"]["sampled"] == 2 for r in records)
    assert (tmp_path / "cstar.config.json").is_file()
    capsys.readouterr()
    assert main(args) == 0
    assert "0 of 2 documents to annotate" in capsys.readouterr().out
    assert main(["toolformer", "generate", "--max-new-tokens", "4", "--json", "2 + 2 ="]) == 0
    generated = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert generated["prompt"] == "2 + 2 =" and len(generated["calls"]) <= 1
    assert main(["toolformer", "annotate", str(tmp_path / "missing.jsonl"), "--out", str(out)]) == 2


@pytest.mark.slow
def test_cli_finetune_one_step(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from toolbench.store import write_jsonl

    corpus = tmp_path / "cstar.jsonl"
    write_jsonl(corpus, [
        {"id": "a", "augmented_text": "It was [Calculator(2011 - 1994) -> 17] 17 years.", "calls": [{}]},
        {"id": "b", "augmented_text": "We have 4 * 30 = [Calculator(4 * 30) -> 120] 120 minutes.", "calls": [{}]},
    ])
    out = tmp_path / "lora"
    assert main(["toolformer", "finetune", str(corpus), "--out", str(out), "--max-steps", "1", "--batch-size", "2",
                 "--rank", "4", "--device", "cpu"]) == 0
    assert (out / "adapter").is_dir() and (out / "metrics.json").is_file()
