"""Pages for whatever a person points ``toolbench view`` at: a report folder, a
``toolbench run`` output, or a run in any format (see :mod:`evaluator.site`)."""

from __future__ import annotations

from pathlib import Path

from evaluator import formatting as fmt
from evaluator.inputs import run_name
from evaluator.report import write_report
from evaluator.site import INDEX, rebase_links, write_run_site
from toolbench.errors import InputError
from toolbench.store import read_json
from toolbench.types import Report


def report_folder(path: Path) -> Path | None:
    """The folder holding ``report.json`` for a report folder or a ``toolbench run`` output.

    >>> report_folder(Path("/nonexistent")) is None
    True
    """
    for candidate in (path, path / "report"):
        if (candidate / "report.json").is_file():
            return candidate
    return None


def write_site(path: str | Path, out: str | Path | None = None, fmt_name: str = "auto") -> Path:
    """Pages for ``path`` (a report folder, a ``toolbench run`` output, or a run in any format);
    returns the index page. A report is re-rendered in place (or into ``out``); a run's pages
    go to ``out`` (default ``views/<run name>``)."""

    path = Path(path)
    if not path.exists():
        raise InputError("no such run, report folder or file", path=str(path))
    folder = report_folder(path)
    if folder is not None:
        target = Path(out) if out is not None else folder
        report = rebase_links(Report.from_dict(read_json(folder / "report.json")), folder, target)
        write_report(target, report)
        return target / INDEX
    if out is None:
        from toolbench.store.run_io import detect_format

        out = Path("views") / fmt.safe_name(run_name(path, detect_format(path) if fmt_name == "auto" else fmt_name))
    return write_run_site(path, out, fmt_name)
