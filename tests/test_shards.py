"""``--shard i/n``: a fixed, disjoint, complete split for ``plan``, ``run`` and ``data instructions``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from data.instructions import InstructionConfig, generate_instructions
from toolbench.app.cli import main
from toolbench.app.pipeline import run_pipeline, select_queries
from toolbench.app.run_config import run_config_from_dict
from toolbench.builtin_world import builtin_catalog
from toolbench.errors import ConfigError, InputError
from toolbench.models.base import ChatModel, backends
from toolbench.shards import Shard, parse_shard, shard_number
from toolbench.store.runs import RunDir
from toolbench.types import AssistantMessage, Message, ToolCall, Usage

IDS = [str(i) for i in range(600)] + [f"G1-{i}" for i in range(300)]


def test_shards_are_disjoint_cover_everything_and_are_balanced():
    parts = [parse_shard(f"{i}/3").select(IDS, str) for i in (1, 2, 3)]
    assert sorted(id_ for part in parts for id_ in part) == sorted(IDS)  # complete and disjoint
    assert all(250 <= len(part) <= 350 for part in parts)
    assert parse_shard("1/1").select(IDS, str) == IDS


def test_the_split_is_the_same_in_every_process():
    # str hashes are salted per process; the shard of an id must not be
    code = "from toolbench.shards import shard_number; print([shard_number(str(i), 7) for i in range(40)])"
    runs = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                           env={"PYTHONHASHSEED": seed, "PATH": ""}).stdout for seed in ("1", "2")}
    assert runs == {str([shard_number(str(i), 7) for i in range(40)]) + "\n"}


@pytest.mark.parametrize("spec", ["3/2", "0/0", "x", "1/0", "0/3", "1/2/3", "-1/2"])
def test_bad_specs_are_input_errors(spec):
    with pytest.raises(InputError, match=f"--shard {spec}: give i/n"):
        parse_shard(spec)


def _queries(path: Path, n: int) -> Path:
    path.write_text("".join(json.dumps({"schema_version": 1, "query_id": str(i), "query": "What is 6*7?",
                                        "api_ids": ["Mathematics::Calculator::calculator"]}) + "\n"
                            for i in range(n)))
    return path


def _script(path: Path, n: int) -> Path:
    finish = {"name": "Finish", "arguments": '{"return_type": "give_answer", "final_answer": "42"}'}
    path.write_text("".join(json.dumps({"content": None, "tool_calls": [{"id": "b", "type": "function",
                                                                          "function": finish}]}) + "\n"
                            for _ in range(n)))
    return path


@pytest.mark.parametrize("command", [["plan", "Q", "--out", "R"], ["run", "C"],
                                     ["data", "instructions", "--model", "scripted:", "--out", "R"]])
@pytest.mark.parametrize("spec", ["3/2", "0/0", "x"])
def test_cli_bad_shard_is_one_line_exit_2(tmp_path, capsys, command, spec):
    config = tmp_path / "c.toml"
    config.write_text('[catalog]\nbuiltin = true\n[queries]\nbuiltin = true\n[model]\nspec = "scripted:"\n')
    paths = {"Q": str(_queries(tmp_path / "q.jsonl", 2)), "R": str(tmp_path / "r"), "C": str(config)}
    code = main([paths.get(arg, arg) for arg in command] + ["--shard", spec])
    err = capsys.readouterr().err
    assert code == 2 and err.strip().count("\n") == 0 and f"--shard {spec}: give i/n" in err
    assert not (tmp_path / "r").exists()


def test_plan_shards_are_resumable_run_dirs_that_partition_the_queries(tmp_path, capsys):
    queries = _queries(tmp_path / "q.jsonl", 12)
    found = []
    for i in (1, 2, 3):
        out = tmp_path / f"shard{i}"
        args = ["plan", str(queries), "--executor", "builtin", "--method", "cot", "--concurrency", "1",
                "--model", f"scripted:{_script(tmp_path / 's.jsonl', 12)}", "--shard", f"{i}/3", "--out", str(out)]
        assert main(args) == 0, capsys.readouterr().err
        assert f"shard {i}/3:" in capsys.readouterr().out
        found.append(RunDir(out).finished_ids())
        assert json.loads((out / "config.json").read_text())["config"]["shard"] == f"{i}/3"
        (tmp_path / "s.jsonl").write_text("")  # resume: nothing left, the empty script is never asked
        assert main(args) == 0 and "0 planned (" in capsys.readouterr().out
    assert sorted(found[0] | found[1] | found[2], key=int) == [str(i) for i in range(12)]
    assert sum(len(part) for part in found) == 12
    assert found == [{q for q in map(str, range(12)) if shard_number(q, 3) == i} for i in (1, 2, 3)]


@backends.register("shard-test")
class AnswerModel(ChatModel):
    """Finishes every query at once with a fixed answer (the reply depends only on the input)."""

    def __init__(self, name: str = "", **options: Any) -> None:
        self.name = name or "answer"

    def generate(self, messages: list[Message], tools: list[dict[str, Any]] | None = None,
                 **opts: Any) -> AssistantMessage:
        finish = {"return_type": "give_answer", "final_answer": "done"}
        return AssistantMessage(None, [ToolCall("fin", "Finish", finish)], usage=Usage(llm_calls=1))


def _run_config(tmp_path: Path, name: str) -> dict[str, Any]:
    return {"name": name, "out": str(tmp_path / name), "catalog": {"builtin": True},
            "queries": {"path": str(_queries(tmp_path / "q.jsonl", 9))}, "index": {"kind": "none"},
            "model": {"spec": "shard-test:x"}, "executor": {"kind": "builtin"},
            "planner": {"method": "cot", "options": {"max_llm_calls": 2}}, "judges": {"names": ["pass"]}}


def test_run_shards_plan_and_judge_their_share(tmp_path):
    everything = {q.query_id for q in select_queries(run_config_from_dict(_run_config(tmp_path, "all"),
                                                                          tmp_path).queries)}
    seen: list[set[str]] = []
    for i in (1, 2, 3):
        config = run_config_from_dict(_run_config(tmp_path, f"s{i}"), tmp_path).replace(shard=f"{i}/3")
        result = run_pipeline(config)
        [plans] = result.plan_dirs.values()
        seen.append(RunDir(plans).finished_ids())
        assert sum(result.report.metrics["pass: main"]["labels"].values()) == len(seen[-1])  # judged: this share
        assert json.loads((Path(config.out) / "run_config.json").read_text())["config"]["shard"] == f"{i}/3"
    assert set().union(*seen) == everything and sum(map(len, seen)) == len(everything) == 9


def test_run_shard_with_training_is_refused(tmp_path):
    with pytest.raises(ConfigError, match="train once without it"):
        run_config_from_dict({**_run_config(tmp_path, "t"), "train": {}}, tmp_path).replace(shard="1/2")


class PromptRecorder(ChatModel):
    """Answers each generation prompt with one instruction naming the first offered API."""

    def __init__(self) -> None:
        self.name, self.prompts = "recorder", []

    def generate(self, messages: list[Message], tools: Any = None, **opts: Any) -> AssistantMessage:
        prompt = messages[-1].content
        self.prompts.append(prompt)
        doc = json.loads(next(line for line in prompt.splitlines() if line.startswith('{"tool_name"')))
        item = {"query": f"Request number {len(self.prompts)} of this model",
                "related_apis": [[doc.get("tool_name"), doc.get("api_name")]]}
        return AssistantMessage(json.dumps([item]))


def test_instruction_shards_send_exactly_the_unsharded_prompts():
    catalog = builtin_catalog()
    config = InstructionConfig(mode="single", prompts=10, per_prompt=1, seed=3)
    whole = PromptRecorder()
    generate_instructions(whole, catalog, config)
    parts = [PromptRecorder() for _ in range(3)]
    ids = []
    for i, model in enumerate(parts, 1):
        result = generate_instructions(model, catalog, config, shard=Shard(i, 3))
        ids += [q.query_id for q in result.queries]
        assert all(q.query_id == f"gen-G1-p{q.extra['prompt']}-0" and shard_number(str(q.extra["prompt"]), 3) == i
                   for q in result.queries)
    assert sorted(p for m in parts for p in m.prompts) == sorted(whole.prompts)
    assert len(ids) == len(set(ids))


def test_an_empty_shard_is_a_clear_error(tmp_path, capsys):
    assert shard_number("0", 3) == 1
    with pytest.raises(InputError, match="shard 2/3 holds none of the 1 queries; use fewer shards"):
        parse_shard("2/3").select(["0"], str)
    assert parse_shard("2/3").select([], str) == []
    code = main(["plan", str(_queries(tmp_path / "q.jsonl", 1)), "--executor", "builtin", "--model", "scripted:",
                 "--shard", "2/3", "--out", str(tmp_path / "r")])
    assert code == 2 and "shard 2/3 holds none of the 1 queries" in capsys.readouterr().err
