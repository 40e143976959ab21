"""``toolbench catalog stats/export/formats`` and the one-line error contract."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from toolbench.app.cli import main

ROOT = Path(__file__).resolve().parent.parent


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_stats_of_the_packaged_example(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "catalog", "stats", "--json")
    stats = json.loads(out)
    assert code == 0
    assert (stats["categories"], stats["tools"], stats["apis"]) == (3, 3, 10)
    assert stats["by_format"] == {"toolbench": {k: v for k, v in stats.items() if k in stats["by_format"]["toolbench"]}}
    code, out, _ = run(capsys, "catalog", "stats")
    assert code == 0 and "example catalog" in out and "total" in out and "10" in out


def test_stats_table_per_source_format(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tools = tmp_path / "fs.json"
    tools.write_text(json.dumps({"tools": [{"name": "read", "inputSchema": {"type": "object"}}]}))
    from toolbench.app.commands.catalog import example_catalog_path

    code, out, _ = run(capsys, "catalog", "stats", str(example_catalog_path()), str(tools), "--json")
    stats = json.loads(out)
    assert code == 0 and stats["apis"] == 11 and sorted(stats["by_format"]) == ["mcp", "toolbench"]
    assert stats["by_format"]["mcp"]["apis"] == 1
    code, out, _ = run(capsys, "catalog", "stats", str(tools), "--format", "mcp")
    assert code == 0 and "mcp" in out


def test_export_openai_and_toolbench(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from toolbench.app.commands.catalog import example_catalog_path

    out_file = tmp_path / "out" / "tools.json"
    code, out, _ = run(capsys, "catalog", "export", str(example_catalog_path()), "--format", "openai",
                       "--out", str(out_file))
    assert code == 0 and "wrote 10 APIs as openai" in out
    tools = json.loads(out_file.read_text())
    for tool in tools:
        Draft202012Validator.check_schema(tool["function"]["parameters"])
    flat = tmp_path / "flat.json"
    assert run(capsys, "catalog", "export", str(out_file), "--format", "toolbench", "--out", str(flat))[0] == 0
    code, out, _ = run(capsys, "catalog", "stats", str(flat), "--json")
    assert json.loads(out)["apis"] == 10


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('[{"category_name": "C", "tool_name": "T", "api_name": 5}]', "record 1: field api_name: expected a string"),
        ("[{", "invalid JSON at line 1 column 3"),
        ('{"what": 1}', "unknown catalog format"),
        ("[" * 100_000 + "]" * 100_000, "JSON nested too deeply"),
    ],
)
def test_bad_input_is_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str,
                                      message: str) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    code, out, err = run(capsys, "catalog", "stats", str(bad))
    assert code == 2 and out == ""
    assert err.strip().count("\n") == 0 and message in err and str(bad) in err


def test_bad_export_requests(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "catalog", "export", "x.json", "--format", "yaml", "--out", str(tmp_path / "y"))
    assert code == 2 and "unknown export format 'yaml'" in err
    code, _, err = run(capsys, "catalog", "stats", str(tmp_path / "missing.json"))
    assert code == 2 and "no such file or folder" in err
    assert not (tmp_path / "y").exists()


def test_show_one_api(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "catalog", "show", "molar_mass_for_element_facts")
    shown = json.loads(out)
    assert code == 0 and shown["id"] == "Science::Element Facts::Molar mass"
    assert shown["tool"]["function"]["parameters"]["required"] == ["formula"]
    code, out, _ = run(capsys, "catalog", "show", "Science::Element Facts::Molar mass")
    assert code == 0 and json.loads(out)["function_name"] == "molar_mass_for_element_facts"
    code, _, err = run(capsys, "catalog", "show", "nope")
    assert code == 2 and "no API with function name or id 'nope'" in err


def test_logs_go_to_stderr_and_json_stays_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    code, out, err = run(capsys, "-v", "catalog", "stats", str(empty), "--json")
    assert code == 0 and json.loads(out)["apis"] == 0
    assert "no APIs in this file" in err


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    from toolbench import __version__

    code, out, _ = run(capsys, "--version")
    assert code == 0 and out.strip() == f"toolbench-kit {__version__}"


def test_formats_lists_readers_and_writers(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "catalog", "formats")
    assert code == 0 and "read   seal-tools" in out and "write  openai" in out


def test_console_script_no_traceback_unless_debug(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('[{"category_name": "C"}]')
    cmd = [sys.executable, "-m", "toolbench", "catalog", "stats", str(bad)]
    plain = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert plain.returncode == 2 and "Traceback" not in plain.stderr
    assert plain.stderr.strip() == f"error: {bad}: record 1: field tool_name: missing required field"
    debug = subprocess.run([*cmd[:3], "--debug", *cmd[3:]], cwd=ROOT, capture_output=True, text=True,
                           timeout=120, check=False)
    assert debug.returncode != 0 and "Traceback" in debug.stderr and "InputError" in debug.stderr


@pytest.mark.slow
def test_stats_of_the_shared_catalog(shared_data: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "catalog", "stats", str(shared_data / "stabletoolbench" / "catalog.json"), "--json")
    stats = json.loads(out)
    assert code == 0 and stats["apis"] == 2490 and stats["function_names"] == 2490
    assert stats["by_format"]["toolbench"]["apis"] == 2490


@pytest.mark.slow
def test_export_of_the_shared_catalog(shared_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out_file = tmp_path / "openai.json"
    code, _, _ = run(capsys, "catalog", "export", str(shared_data / "stabletoolbench" / "catalog.json"),
                     "--format", "openai", "--out", str(out_file))
    tools = json.loads(out_file.read_text())
    assert code == 0 and len(tools) == 2490
    assert len({t["function"]["name"] for t in tools}) == 2490


@pytest.mark.parametrize("args", [
    ["catalog", "stats", "--colour", "red"],  # unknown option
    ["plan", "--out", "o"],  # missing argument
    ["plan", "q.jsonl", "--out", "o", "--limit", "many"],  # not an integer
    ["plan", "q.jsonl", "--out", "o", "--limit", "-1"],  # out of range
    ["plan", "q.jsonl", "--out", "o", "--k", "0"],
    ["no-such-command"],
])
def test_usage_errors_are_one_line_and_exit_2(args: list[str], tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "toolbench", *args], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, check=False)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: ") and "Traceback" not in result.stderr, result.stderr
    assert not (ROOT / "o").exists()
