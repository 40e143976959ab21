"""`toolbench run` with [tuned] and [train]: base vs tuned students, training stages, kill and resume."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from test_pipeline import gold_config, stable

from toolbench.app.pipeline import in_group, run_pipeline, student_runs
from toolbench.app.run_config import run_config_from_dict
from toolbench.app.training import TrainSection, training_toolset
from toolbench.errors import ConfigError, InputError


def test_tuned_section_plans_base_and_tuned_and_compares_them(tmp_path: Path) -> None:
    config = run_config_from_dict(gold_config(tmp_path, tuned={"spec": "gold-test:tuned"}), tmp_path)
    result = run_pipeline(config)
    metrics = result.report.metrics
    assert {"exact: base: dfsdt", "exact: tuned: dfsdt", "exact: tuned: cot"} <= set(metrics)
    assert {"win: tuned: dfsdt vs base: dfsdt", "win: tuned: dfsdt vs tuned: cot"} <= set(metrics)
    # both students replay the same oracle: equal scores, all ties
    assert metrics["exact: base: dfsdt"]["mean"] == metrics["exact: tuned: dfsdt"]["mean"] == pytest.approx(0.5)
    assert metrics["win: tuned: dfsdt vs base: dfsdt"]["tie"] == 6
    dirs = sorted(p.name.rsplit("-", 1)[0] for p in (tmp_path / "run" / "plans").iterdir())
    assert dirs == ["base-dfsdt", "tuned-dfsdt", "tuned-reference-cot"]
    assert result.report.groups["exact: tuned: dfsdt"].keys() == {"G1", "G2", "G3"}


def test_student_runs_add_a_teacher_row_and_pairs() -> None:
    data = gold_config(Path("/tmp/unused"), train={"teacher": "openai:gpt-4o-mini", "solutions": "planner"})
    config = run_config_from_dict(data, Path("."))
    runs, pairs = student_runs(config, ("hf:smollm2", {"adapter": "x"}))
    assert [r.label for r in runs] == ["base: dfsdt", "tuned: dfsdt", "tuned: cot", "teacher: dfsdt"]
    assert pairs == [("tuned: dfsdt", "base: dfsdt"), ("tuned: dfsdt", "tuned: cot")]
    assert runs[1].model_options == {"adapter": "x"} and runs[3].spec == "openai:gpt-4o-mini"


@pytest.mark.parametrize("changes, message", [
    ({"tuned": {"spec": "hf:smollm2-tools"}, "train": {}}, "not both"),
    ({"train": {"instructions": "generate"}}, "needs a teacher"),
    ({"train": {"instructions": "file"}}, "needs a path"),
    ({"train": {"solutions": "bogus"}}, "solutions must be"),
    ({"train": {"lora": {"rnak": 4}}}, "unknown lora option"),
    ({"train": {"counts": {"G1": 0}}}, "at least one instruction"),
])
def test_bad_training_sections_are_refused(tmp_path: Path, changes: dict[str, Any], message: str) -> None:
    with pytest.raises((ConfigError, InputError), match=message):
        run_config_from_dict(gold_config(tmp_path, **changes), tmp_path)


def test_training_toolset_keeps_k_and_every_gold_api() -> None:
    retrieved = ["a", "b", "c", "d", "e"]
    assert training_toolset(retrieved, ["b"], 5) == retrieved
    assert training_toolset(retrieved, ["x", "y"], 5) == ["a", "b", "c", "y", "x"]
    assert training_toolset(retrieved, ["e", "x"], 5) == ["a", "b", "c", "x", "e"]
    assert TrainSection().lora_options()["top_layers"] == 10


def test_group_selection_does_not_confuse_g1_and_g10() -> None:
    assert in_group("G1", "G1") and in_group("G1_category", "G1") and not in_group("G10", "G1")


# ------------------------------------------------------------------ real embedded models

TINY = """
name = "tiny"
[catalog]
builtin = true
[queries]
builtin = true
groups = ["G1"]
limit = 2
[index]
kind = "dense"
k = 3
[model]
spec = "hf:smollm2"
options = { max_new_tokens = 24, thought = false }
[executor]
kind = "builtin"
[planner]
method = "cot"
options = { n_chains = 1, max_llm_calls = 2, max_actions = 2, prompt = "compact" }
[judges]
names = ["pass", "exact", "win"]
[train]
counts = { G1 = 6, G2 = 2 }
lora = { max_steps = 3, batch_size = 2, save_steps = 1, top_layers = 2 }
"""


def _run(config: Path, out: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TOOLBENCH_HF_THREADS": "1"}
    return subprocess.Popen([sys.executable, "-m", "toolbench", "run", str(config), "--out", str(out)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


@pytest.mark.slow
def test_training_stages_resume_after_a_kill_to_the_same_report(tmp_path: Path) -> None:
    """The loop on the real embedded models (tiny budgets); a SIGKILL inside the LoRA stage
    and a rerun give the report of an uninterrupted run."""
    config = tmp_path / "tiny.toml"
    config.write_text(TINY)
    whole = _run(config, tmp_path / "whole")
    assert whole.wait(timeout=900) == 0, whole.stderr.read().decode()[-2000:] if whole.stderr else ""
    stages = sorted(p.name.split("-")[0] for p in (tmp_path / "whole" / "train").iterdir())
    assert stages == ["instructions", "lora", "sft", "solutions"]
    lora = next((tmp_path / "whole" / "train").glob("lora-*"))
    assert (lora / "adapter" / "adapter_model.safetensors").is_file()
    assert json.loads((lora / "stage.json").read_text())["steps"] == 3
    solutions = next((tmp_path / "whole" / "train").glob("solutions-*"))
    first = json.loads(next((solutions / "results").glob("*.json")).read_text())
    assert first["messages"][2]["content"].startswith("Plan: ")  # the gold path's plan line

    killed = _run(config, tmp_path / "killed")
    deadline = time.monotonic() + 600
    while not list((tmp_path / "killed" / "train").glob("lora-*/checkpoints/checkpoint-1")):
        assert killed.poll() is None and time.monotonic() < deadline, "the run ended before its LoRA stage"
        time.sleep(0.2)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert not list((tmp_path / "killed" / "train").glob("lora-*/stage.json"))
    rerun = _run(config, tmp_path / "killed")
    assert rerun.wait(timeout=900) == 0, rerun.stderr.read().decode()[-2000:] if rerun.stderr else ""
    # the plan directories' names hold the adapter's path (which differs), so compare scores
    assert scores(tmp_path / "killed" / "report" / "report.json") == scores(
        tmp_path / "whole" / "report" / "report.json")


def scores(path: Path) -> dict[str, Any]:
    """Every run's score and per-group scores of a report."""
    report = stable(path)
    return {"metrics": {run: m.get("mean") for run, m in report["metrics"].items()},
            "groups": {run: {g: m.get("mean") for g, m in groups.items()} for run, groups in report["groups"].items()}}
