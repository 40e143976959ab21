"""`toolbench run` end to end: config → index → plan → judge → report, and resume."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from toolbench.app.pipeline import run_pipeline, select_queries
from toolbench.app.run_config import QueriesSection, load_run_config, run_config_from_dict
from toolbench.builtin_world import builtin_instructions
from toolbench.errors import InputError
from toolbench.models.base import ChatModel, backends
from toolbench.types import AssistantMessage, Message, ToolCall, Usage

GOLD = builtin_instructions()


def gold_query(messages: list[Message]) -> Any:
    user = next(m.content for m in messages if m.role == "user")
    return next(q for q in GOLD if q.query in user)


@backends.register("gold-test")
class GoldModel(ChatModel):
    """Replays the built-in instructions' gold call chains, then answers (odd ids wrongly).

    The reply depends only on the conversation, so runs are reproducible whatever the
    interruption points.
    """

    def __init__(self, name: str = "", **options: Any) -> None:
        self.name = name or "gold"

    def generate(self, messages: list[Message], tools: list[dict[str, Any]] | None = None,
                 **opts: Any) -> AssistantMessage:
        query = gold_query(messages)
        turn = sum(m.role == "assistant" for m in messages)
        usage = Usage(llm_calls=1, prompt_tokens=100, completion_tokens=10)
        calls = query.extra["gold_calls"]
        if turn < len(calls):
            return AssistantMessage("Calling a tool.", [ToolCall(f"c{turn}", calls[turn]["name"],
                                                                 calls[turn]["arguments"])], usage=usage)
        answer = query.expected_answer if int(query.query_id[-1]) % 2 == 0 else "I do not know"
        finish = {"return_type": "give_answer", "final_answer": json.dumps(answer)}
        return AssistantMessage(None, [ToolCall("fin", "Finish", finish)], usage=usage)


def gold_config(tmp_path: Path, **changes: Any) -> dict[str, Any]:
    data = {
        "name": "gold",
        "out": str(tmp_path / "run"),
        "catalog": {"builtin": True},
        "queries": {"builtin": True, "groups": ["G1", "G2", "G3"], "limit": 2},
        "index": {"kind": "dense", "k": 8},
        "model": {"spec": "gold-test:oracle"},
        "executor": {"kind": "builtin"},
        "planner": {"method": "dfsdt", "options": {"max_llm_calls": 8, "max_actions": 6}},
        "reference": {"method": "cot", "options": {"max_llm_calls": 8, "max_actions": 6}},
        "judges": {"names": ["pass", "exact", "win"]},
    }
    data.update(changes)
    return data


def stable(report_path: Path) -> dict[str, Any]:
    """report.json without wall-clock fields and the run's own paths."""
    report = json.loads(report_path.read_text())
    report.pop("config")
    for metrics in report["metrics"].values():
        metrics.pop("seconds_per_query", None)
    for row in report["rows"]:
        row.pop("seconds", None)
    return report


def test_run_plans_judges_and_reports(tmp_path: Path) -> None:
    result = run_pipeline(run_config_from_dict(gold_config(tmp_path), tmp_path))
    out = tmp_path / "run"
    assert (out / "run_config.json").is_file() and (out / "index" / "index.json").is_file()
    assert result.report_html.is_file() and (out / "report" / "win" / "report.html").is_file()
    metrics = result.report.metrics
    # the oracle answers even ids right: 3 of the 6 queries (ids ...1 and ...2 per group)
    assert metrics["exact: main"]["mean"] == pytest.approx(0.5)
    assert metrics["pass: main"]["mean"] == pytest.approx(0.5)
    assert metrics["win: main vs reference"]["tie"] == 6
    rows = [r for r in result.report.rows if r["run"] == "pass: main"]
    assert len(rows) == 6 and all(r.get("link") or r.get("trajectory") for r in rows)


def test_interrupted_run_resumes_to_the_same_report(tmp_path: Path) -> None:
    whole = run_config_from_dict(gold_config(tmp_path / "a"), tmp_path)
    run_pipeline(whole)
    config = run_config_from_dict(gold_config(tmp_path / "b"), tmp_path)
    done: list[int] = []

    def progress(label: str, total: int) -> Any:
        def update(stats: Any) -> None:
            done.append(stats.done)
            if stats.done == 3:
                raise KeyboardInterrupt

        return update

    with pytest.raises(KeyboardInterrupt):
        run_pipeline(config, progress)
    assert not (tmp_path / "b" / "run" / "report").exists()
    run_pipeline(config)
    assert stable(tmp_path / "b" / "run" / "report" / "report.json") == stable(
        tmp_path / "a" / "run" / "report" / "report.json"
    )


def test_changing_only_the_judges_does_not_replan(tmp_path: Path) -> None:
    run_pipeline(run_config_from_dict(gold_config(tmp_path), tmp_path))
    plans = sorted(p.name for p in (tmp_path / "run" / "plans").iterdir())
    judges = {"names": ["pass", "exact"]}
    result = run_pipeline(run_config_from_dict(gold_config(tmp_path, judges=judges), tmp_path))
    assert sorted(p.name for p in (tmp_path / "run" / "plans").iterdir()) == plans
    assert "win: main vs reference" not in result.report.metrics


def test_toml_config_paths_and_errors(tmp_path: Path) -> None:
    path = tmp_path / "run.toml"
    path.write_text('name = "x"\n[catalog]\npaths = ["cat.json"]\n[queries]\npath = "q.jsonl"\n')
    config = load_run_config(path)
    assert config.catalog.paths == (str(tmp_path / "cat.json"),) and config.queries.path == str(tmp_path / "q.jsonl")
    path.write_text('[catalog]\nbuiltin = true\n[queries]\nbuiltin = true\n[judges]\nnames = ["win"]\n')
    with pytest.raises(Exception, match="win judge needs a \\[reference\\]"):
        load_run_config(path)
    path.write_text("[catalog]\nbuiltin = true\n[queries]\nbuiltin = true\n[index]\nkind = 'faiss'\n")
    with pytest.raises(InputError, match="index"):
        load_run_config(path)
    path.write_text("[catalog\n")
    with pytest.raises(InputError, match="invalid TOML"):
        load_run_config(path)


def test_query_selection_keeps_every_group() -> None:
    queries = select_queries(QueriesSection(builtin=True, groups=("G1", "G3"), limit=2))
    assert [q.group for q in queries] == ["G1", "G1", "G3", "G3"]
    with pytest.raises(InputError, match="no queries"):
        select_queries(QueriesSection(builtin=True, groups=("G9",)))


@pytest.mark.slow
def test_demo_command_on_embedded_models(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`toolbench demo` for real (SmolLM2, MiniLM, built-in tools) on one instruction per group."""
    from toolbench.app.cli import main

    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--limit", "1"]) == 0
    report = json.loads((out / "report" / "report.json").read_text())
    runs = {"exact: base: dfsdt", "exact: tuned: dfsdt", "exact: tuned: cot", "win: tuned: dfsdt vs base: dfsdt"}
    assert runs <= set(report["metrics"])
    assert report["metrics"]["pass: tuned: dfsdt"]["n"] == 3
    tuned = [json.loads(p.read_text()) for p in out.glob("plans/tuned-dfsdt-*/results/*.json")]
    assert len(tuned) == 3 and all(t["usage"]["llm_calls"] >= 1 for t in tuned)
    assert all(t["config"]["retrieved"] for t in tuned)  # open domain: APIs came from the index
    assert all(t["model"] == "smollm2-tools" for t in tuned)  # the packaged adapter
    assert "report.html" in capsys.readouterr().out


SECRET = "hunter2-not-a-token-5f3a9c"


@backends.register("leaky-test")
class LeakyModel(GoldModel):
    """The gold model, but it repeats its key in every message it writes (a careless model)."""

    def __init__(self, name: str = "", api_key: str = "", **options: Any) -> None:
        super().__init__(name, **options)
        self.api_key = api_key

    def generate(self, messages: list[Message], tools: list[dict[str, Any]] | None = None,
                 **opts: Any) -> AssistantMessage:
        reply = super().generate(messages, tools, **opts)
        reply.content = f"{reply.content or ''} (my key is {self.api_key}, Bearer abcdefghijklmnopqrstuvwx)"
        return reply


def test_no_file_a_run_writes_holds_a_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TB_TEST_API_KEY", SECRET)
    model = {"spec": "leaky-test:oracle", "options": {"api_key": "${TB_TEST_API_KEY}"}}
    config = run_config_from_dict(gold_config(tmp_path, model=model, judges={"names": ["pass", "exact"]}), tmp_path)
    assert config.model.options["api_key"] == SECRET  # the model gets the value ...
    run_pipeline(config)
    files = [p for p in (tmp_path / "run").rglob("*") if p.is_file()]
    assert len(files) > 5
    for path in files:  # ... and no file gets it
        text = path.read_bytes().decode("utf-8", "replace")
        assert SECRET not in text and "abcdefghijklmnopqrstuvwx" not in text, path
    saved = json.loads((tmp_path / "run" / "run_config.json").read_text())
    assert saved["config"]["model"]["options"]["api_key"] == "${TB_TEST_API_KEY}"
    results = list((tmp_path / "run").rglob("results/*.json"))
    assert results and "***" in results[0].read_text()
