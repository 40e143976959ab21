"""The example configs in examples/ load, validate and point at real, runnable inputs."""

from __future__ import annotations

from pathlib import Path

import pytest

from toolbench.app.pipeline import build_catalog, select_queries
from toolbench.app.run_config import load_run_config
from toolbench.executors import build_executor
from toolbench.types import ToolCall

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def test_own_functions_example_runs_its_tools(tmp_path: Path) -> None:
    config = load_run_config(EXAMPLES / "own_functions" / "run.toml", out=str(tmp_path / "run"))
    catalog = build_catalog(config.catalog)
    queries = select_queries(config.queries)
    assert len(catalog) == 3 and [q.expected_answer for q in queries] == [1013.37, 1628.89, 28.2743]
    with build_executor(config.executor.kind, catalog, **config.executor.options) as executor:
        observation = executor.call(ToolCall("1", "loan_payment", {"principal": 200000, "annual_rate": 4.5,
                                                                 "years": 30}))
    assert observation.ok and observation.response == 1013.37


def test_stabletoolbench_example_reads_the_shared_world(shared_data: Path, monkeypatch: pytest.MonkeyPatch,
                                                        tmp_path: Path) -> None:
    monkeypatch.setenv("STB", str(shared_data / "stabletoolbench"))
    monkeypatch.setenv("TOOLBENCH_MODEL", "my-model")
    monkeypatch.setenv("TOOLBENCH_JUDGE", "my-judge")
    config = load_run_config(EXAMPLES / "stabletoolbench.toml", out=str(tmp_path / "run"))
    assert config.model.spec == "openai:my-model" and config.judges.judgings == 3
    catalog = build_catalog(config.catalog)
    queries = select_queries(config.queries)
    assert len(catalog) == 2490 and len(queries) > 100
    assert all(api_id in catalog for q in queries for api_id in q.api_ids)


def test_stabletoolbench_example_needs_its_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("STB", raising=False)
    with pytest.raises(Exception, match="STB is not set"):
        load_run_config(EXAMPLES / "stabletoolbench.toml")
