"""``toolbench report``: merge eval reports, or report runs with rules and cost only (no judge)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from evaluator.pass_rate import judge_pass
from evaluator.report import RunResult, build_report
from evaluator.site import rebase_links
from toolbench.store import read_json
from toolbench.types import Report


def merge_reports(reports: Sequence[Report]) -> Report:
    """One report holding every run of ``reports`` (duplicate run names get ``#n``).

    >>> a = Report("pass", metrics={"x": {"mean": 1.0}}, groups={"x": {}}, rows=[{"run": "x"}], config={"runs": ["x"]})
    >>> merged = merge_reports([a, a])
    >>> sorted(merged.metrics), [r["run"] for r in merged.rows], merged.name
    (['x', 'x#2'], ['x', 'x#2'], 'pass')
    """
    kinds = {r.name for r in reports}
    merged = Report(name=kinds.pop() if len(kinds) == 1 else "combined",
                    config={"runs": [], "sources": [], "judges": {}})
    for report in reports:
        rename = {}
        for run in report.metrics:
            new, n = run, 1
            while new in merged.metrics:
                n += 1
                new = f"{run}#{n}"
            rename[run] = new
            merged.metrics[new] = report.metrics[run]
            merged.groups[new] = report.groups.get(run, {})
            merged.config["runs"].append(new)
            merged.config["judges"][new] = report.config.get("judges", {}).get(run, report.name)
        merged.rows.extend({**row, "run": rename.get(row.get("run"), row.get("run"))} for row in report.rows)
        merged.config["sources"].append({k: v for k, v in report.config.items() if k != "runs"})
    return merged


def rules_report(path: Path, fmt: str, out_dir: Path, seed: int) -> Report:
    """Pass labels by rule only (others Unjudged) plus cost, for one run."""
    from evaluator.inputs import load_run

    run = load_run(path, fmt)
    result = RunResult(run.name, judge_pass(run.trajectories, None), run.trajectories, run.links(out_dir))
    return build_report("pass", [result], run.groups(), {"judge": None, "inputs": [str(path)]}, seed=seed)


def combined_report(paths: Sequence[Path], *, fmt: str = "auto", out_dir: Path, seed: int = 0) -> Report:
    """Read each path (an eval folder with report.json, or a run) and merge."""
    reports = []
    for path in paths:
        path = Path(path)
        if (path / "report.json").is_file():
            reports.append(rebase_links(Report.from_dict(read_json(path / "report.json")), path, out_dir))
        elif path.name == "report.json" and path.is_file():
            reports.append(rebase_links(Report.from_dict(read_json(path)), path.parent, out_dir))
        else:
            reports.append(rules_report(path, fmt, out_dir, seed))
    return merge_reports(reports)
