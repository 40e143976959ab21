"""The report, the index and a trajectory page in a real headless browser (Debian's chromium).

Skips when no chromium is installed (``.ci/run`` installs it where apt-get is available).
Each page is loaded from disk: the DOM after scripts ran is checked for the expected
elements, the console must stay silent, and a screenshot (kept in ``tmp_path``) must not be
blank.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from report_fixtures import make_run, queries

from evaluator.judging import JudgeSettings, judge_runs
from toolbench.store.run_io import read_run

BROWSER = next((p for p in map(shutil.which, ("chromium", "chromium-browser")) if p), None)
pytestmark = pytest.mark.skipif(BROWSER is None, reason="chromium is not installed")


def _chromium(tmp_path: Path, page: Path, *args: str) -> subprocess.CompletedProcess[str]:
    home = tmp_path / "chromium-home"
    home.mkdir(exist_ok=True)
    env = {**os.environ, "HOME": str(home), "XDG_CONFIG_HOME": str(home), "XDG_CACHE_HOME": str(home)}
    command = [BROWSER, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-extensions",
               "--hide-scrollbars", f"--user-data-dir={home / 'profile'}", "--enable-logging=stderr", "--v=0",
               *args, page.resolve().as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=env, check=False)


def _load(tmp_path: Path, page: Path) -> str:
    """The DOM after the page's scripts ran; fails on any console message."""
    result = _chromium(tmp_path, page, "--dump-dom")
    assert result.returncode == 0, result.stderr[-2000:]
    console = [line for line in result.stderr.splitlines() if ":CONSOLE" in line]
    assert not console, console
    return result.stdout


def _screenshot(tmp_path: Path, page: Path) -> None:
    from PIL import Image

    target = tmp_path / f"{page.stem}.png"
    result = _chromium(tmp_path, page, f"--screenshot={target}", "--window-size=1280,1600")
    assert result.returncode == 0 and target.is_file(), result.stderr[-2000:]
    with Image.open(target) as image:
        gray = image.convert("L")
        low, high = gray.getextrema()
        colours = len(image.convert("RGB").getcolors(maxcolors=1 << 16) or range(1 << 16))
    assert high - low > 100 and colours > 20, (low, high, colours)  # text, tables and plots, not a blank page


@pytest.fixture(scope="module")
def report_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("browser")
    dfs = make_run(base / "dfs", "dfsdt", max_actions=4)
    cot = make_run(base / "cot", "cot", max_actions=4)
    judge_runs(read_run(dfs), read_run(cot), queries(), JudgeSettings(names=("pass", "exact", "win")),
               base / "report", run_dirs={"main": dfs, "reference": cot}, name="browser")
    return base / "report"


def test_report_page(report_dir, tmp_path):
    page = report_dir / "report.html"
    dom = _load(tmp_path, page)
    assert "<h1>Evaluation report: browser</h1>" in dom
    assert len(re.findall(r'<section id="judge-(pass|exact|win)"', dom)) == 3
    assert dom.count('<table class="headline">') == 3 and dom.count('<table class="comparison">') == 2
    assert len(re.findall(r'<img alt="[^"]+" src="data:image/svg\+xml;base64,', dom)) >= 5
    assert re.search(r"<td>100\.0 % \[100\.0, 100\.0\]</td>", dom) and 'id="index-link"' in dom
    _screenshot(tmp_path, page)


def test_index_page_runs_its_script(report_dir, tmp_path):
    page = report_dir / "index.html"
    dom = _load(tmp_path, page)
    assert '<span id="shown" class="muted">30 shown</span>' in dom  # written by the inline script
    assert 'id="f-group"' in dom and 'id="f-verdict"' in dom and dom.count('class="sortable"') == 3
    assert dom.count('<a class="view" href="view/') == 30
    _screenshot(tmp_path, page)


def test_trajectory_page_shows_backtracking(report_dir, tmp_path):
    pages = [p for p in sorted((report_dir / "view").glob("*.html")) if "backtrack from" in p.read_text()]
    assert pages
    dom = _load(tmp_path, pages[0])
    assert 'class="back"' in dom and dom.count('class="node chosen') == 2
    assert "Finish: give up and restart" in dom and "Finish: answer" in dom and 'id="final-answer"' in dom
    _screenshot(tmp_path, pages[0])
