"""``toolbench tools list`` and ``toolbench tools call`` on the built-in catalog and a Python file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolbench.app.cli import main


def test_tools_list_builtin(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tools", "list", "--json"]) == 0
    tools = json.loads(capsys.readouterr().out)
    names = {t["function"]["name"] for t in tools}
    assert len(tools) >= 40 and {"calculator", "day_of_week", "convert_units"} <= names


def test_tools_call_builtin(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tools", "call", "calculator", "--args", '{"expression": "2 + 3 * 4"}']) == 0
    out = capsys.readouterr()
    assert json.loads(out.out) == {"error": "", "response": {"expression": "2 + 3 * 4", "result": 14}}
    assert "provenance=real" in out.err


def test_tools_call_bad_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tools", "call", "calculator", "--args", "{bad"]) == 2
    assert "--args" in capsys.readouterr().err
    main(["tools", "call", "no_such_tool", "--json"])
    assert json.loads(capsys.readouterr().out)["status"] == 1


def test_tools_call_python_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "my_tools.py"
    path.write_text(
        "def greet(name: str, times: int = 1) -> str:\n"
        "    '''Greet someone.\n\n    Args:\n        name: Who.\n        times: How often.\n    '''\n"
        "    return ' '.join(['hello ' + name] * times)\n"
    )
    assert main(["tools", "call", "greet", "-c", str(path), "-a", '{"name": "Ada", "times": "2"}', "--json"]) == 0
    observation = json.loads(capsys.readouterr().out)
    assert observation["response"] == "hello Ada hello Ada" and observation["provenance"] == "real"
    assert observation["coercions"] == ["times: '2' -> 2 (integer)"]
