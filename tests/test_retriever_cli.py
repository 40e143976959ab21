"""CLI: toolbench index / retrieve / retriever eval on a tiny ToolBench-format catalog."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolbench.app.cli import main
from toolbench.store import read_jsonl


def _api(category: str, tool: str, name: str, description: str) -> dict:
    return {"category_name": category, "tool_name": tool, "api_name": name, "api_description": description,
            "required_parameters": [], "optional_parameters": [], "method": "GET"}


CATALOG = [
    _api("Weather", "OpenWeather", "forecast", "Five day weather forecast for a city"),
    _api("Weather", "OpenWeather", "currentWeather", "Current weather conditions"),
    _api("Media", "Simple YouTube Search", "Search", "Search videos on YouTube"),
    _api("Finance", "Currency", "convert", "Convert money between currencies at live exchange rates"),
]


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    catalog = tmp_path / "catalog.json"
    catalog.write_text(json.dumps(CATALOG))
    queries = tmp_path / "G1_tool.json"
    queries.write_text(json.dumps([
        {"query_id": 1, "query": "weather forecast for Rome next days", "api_list": [CATALOG[0]],
         "relevant APIs": [["OpenWeather", "forecast"]]},
        {"query_id": 2, "query": "convert 20 dollars into yen", "api_list": [CATALOG[3]],
         "relevant APIs": [["Currency", "convert"]]},
        {"query_id": 3, "query": "search for a missing api", "api_list": [_api("X", "Gone", "gone", "not indexed")],
         "relevant APIs": [["Gone", "gone"]]},
    ]))
    return {"catalog": catalog, "queries": queries, "index": tmp_path / "idx", "out": tmp_path / "hits.jsonl"}


def test_index_retrieve_eval(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["index", str(files["catalog"]), "--out", str(files["index"]), "--encoder", "hashing:64"]) == 0
    assert "indexed 4 APIs (hybrid)" in capsys.readouterr().out

    assert main(["retrieve", "--index", str(files["index"]), "--json", "--k", "2", "currency exchange"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert hits[0] == {"tool_name": "Currency", "api_name": "convert", "api_id": "Finance::Currency::convert",
                       "score": hits[0]["score"]}

    args = ["retrieve", "--index", str(files["index"]), "--queries", str(files["queries"]), "--k", "3"]
    assert main([*args, "--out", str(files["out"])]) == 0
    records = read_jsonl(files["out"])
    assert [r["query_id"] for r in records] == ["1", "2", "3"]
    assert len(records[0]["apis"]) == 3 and set(records[0]["apis"][0]) == {"tool_name", "api_name", "api_id", "score"}

    capsys.readouterr()
    assert main(["retriever", "eval", "--index", str(files["index"]), "--queries", str(files["queries"]),
                 "--k", "1,3", "--json"]) == 0
    printed = capsys.readouterr().out
    report = json.loads(printed[printed.index("{"):])  # the root logger may share stdout
    assert report["metrics"]["queries"] == 2
    assert report["metrics"]["missing_relevant_apis"] == 1 and report["metrics"]["skipped_queries"] == 1
    assert report["groups"]["G1_tool"]["count"] == 2
    assert 0.0 <= report["metrics"]["ndcg@3"] <= 1.0


def test_cli_errors(files: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["retrieve", "--index", str(files["index"]), "weather"]) == 2
    assert "index directory not found" in capsys.readouterr().err
    files["catalog"].write_text("[]")
    assert main(["index", str(files["catalog"]), "--out", str(files["index"]), "--kind", "bm25"]) == 2
    assert main(["index", str(files["queries"]), "--out", str(files["index"]), "--kind", "nope"]) == 2
    assert not files["index"].exists()
