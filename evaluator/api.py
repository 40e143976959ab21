"""Library entry points (what ``toolbench run`` and the CLI call).

>>> from toolbench.types import Trajectory
>>> [v.label for v in judge_pass([Trajectory("1", "q", "CoT@1")], None)]
['Unsolved']
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from evaluator import bfcl
from evaluator.cache import JudgeCache
from evaluator.exact import ExactConfig
from evaluator.exact import judge_exact as _judge_exact
from evaluator.fac import judge_fac as _judge_fac
from evaluator.pass_rate import PassConfig
from evaluator.pass_rate import judge_pass as _judge_pass
from evaluator.report import RunResult, build_report
from evaluator.report import write_report as _write_report
from evaluator.structured import StructuredAsker
from evaluator.win_rate import judge_win as _judge_win
from toolbench.models import load_chat_model
from toolbench.protocols import ChatModel
from toolbench.store import append_jsonl
from toolbench.types import Query, Report, Trajectory, Usage, Verdict, VerdictLabel

logger = logging.getLogger(__name__)

JudgeSpec = StructuredAsker | ChatModel | str | None


def make_asker(
    judge: JudgeSpec, *, cache: str | Path | bool | None = True, retries: int = 2, force_tool_call: bool = True,
    options: dict[str, Any] | None = None, workers: int = 1,
) -> StructuredAsker | None:
    """A :class:`StructuredAsker` from a model spec (``openai:gpt-4o-mini``), a ChatModel or None.

    ``cache``: True → the default judge cache, a path → that SQLite file, False/None → off.
    The backends' own call cache is turned off for judge models: repeated judgings must
    reach the model (the judge cache keys them by judging number). ``workers < 1`` takes
    the model's ``concurrency_hint`` (1 when it has none).
    """
    if judge is None or isinstance(judge, StructuredAsker):
        return judge
    model = load_chat_model(judge, cache="") if isinstance(judge, str) else judge
    if workers < 1:  # the model's hint: a local hf model batches concurrent judge calls
        workers = int(getattr(model, "concurrency_hint", 1))
    store = None if cache in (None, False) else JudgeCache(None if cache is True else cache)  # type: ignore[arg-type]
    return StructuredAsker(model, store, retries, force_tool_call, dict(options or {}), workers)


def judge_pass(
    trajectories: Sequence[Trajectory], judge: JudgeSpec, *, judgings: int = 1, solvability_check: bool = False,
    cache: str | Path | bool | None = True,
) -> list[Verdict]:
    """Pass verdicts (rules first; without a judge only the rules decide, others are Unjudged)."""
    asker = make_asker(judge, cache=cache)
    return _judge_pass(trajectories, asker, PassConfig(judgings=judgings, solvability_check=solvability_check))


def judge_win(
    trajectories: Sequence[Trajectory], reference: Sequence[Trajectory], judge: JudgeSpec, *, judgings: int = 1,
    cache: str | Path | bool | None = True,
) -> list[Verdict]:
    """Win/tie/loss verdicts of ``trajectories`` against ``reference``."""
    return _judge_win(trajectories, reference, make_asker(judge, cache=cache), judgings=judgings)


def judge_fac(
    trajectories: Sequence[Trajectory], judge: JudgeSpec, *, judgings: int = 1, cache: str | Path | bool | None = True
) -> list[Verdict]:
    """Final-answer-only verdicts."""
    return _judge_fac(trajectories, make_asker(judge, cache=cache), judgings)


def judge_exact(trajectories: Sequence[Trajectory], queries: Sequence[Query], **tolerances: Any) -> list[Verdict]:
    """Correct/incorrect against ``Query.expected_answer`` (``rel_tol``, ``abs_tol``, ``rounding``)."""
    return _judge_exact(trajectories, queries, ExactConfig(**tolerances))


def write_report(
    out_dir: str | Path, kind: str, runs: Sequence[RunResult], *, groups: dict[str, str] | None = None,
    config: dict[str, Any] | None = None, seed: int = 0, resamples: int = 1000,
) -> Report:
    """Build the report of ``runs`` and write report.json/md/html (+ verdicts) into ``out_dir``."""
    report = build_report(kind, runs, groups, config, seed=seed, resamples=resamples)
    _write_report(out_dir, report, runs)
    return report


def ast_verdicts(
    items: Sequence[bfcl.BfclItem], predictions: dict[str, bfcl.Output], matching: str = "bfcl"
) -> list[Verdict]:
    """AST verdicts (``correct``/``incorrect``, reason = error type) for every item.

    An item without a prediction counts as an empty output (no call). ``matching`` is how
    parallel calls meet their ground truths: ``bfcl`` (the leaderboard's) or ``bipartite``.
    """
    verdicts = []
    for item in items:
        row = bfcl.score(item, predictions.get(item.id, []), matching)
        label = VerdictLabel.CORRECT if row["valid"] else VerdictLabel.INCORRECT
        raw = {"error_type": row["error_type"], "errors": row["errors"], "calls": predictions.get(item.id, [])}
        verdicts.append(Verdict(item.id, label, row["error_type"], "ast", raw, by_rule=True))
    return verdicts


def bench_bfcl(
    model: ChatModel | str, data_dir: str | Path, *, categories: Sequence[str] | None = None,
    limit: int | None = None, options: dict[str, Any] | None = None,
    progress: Callable[[int, int], None] | None = None, resume: str | Path | None = None, matching: str = "bfcl",
    model_options: dict[str, Any] | None = None,
) -> tuple[list[bfcl.BfclItem], dict[str, bfcl.Output], list[Verdict], Usage]:
    """Run ``model`` on BFCL question files (first ``limit`` items per file) and score them.

    ``options`` go to every ``generate`` call; ``model_options`` load a model given by its
    spec (e.g. ``{"guided": False}`` for ``hf:``). ``progress(done, total)`` is called after
    each item (the CLI draws a progress bar). With ``resume`` (a JSONL file), each prediction
    is appended as soon as it is made and items this model (with these model options)
    already answered in the file are not asked again, so a killed benchmark resumes.
    """
    from toolbench.errors import ConfigError

    if model_options and not isinstance(model, str):
        raise ConfigError("model_options need a model spec, not a loaded model")
    items: list[bfcl.BfclItem] = []
    for path in bfcl.question_files(data_dir, categories):
        items.extend(bfcl.read_items(path)[:limit] if limit else bfcl.read_items(path))
    model_id: Any = model if isinstance(model, str) else model.describe()
    if model_options:
        model_id = {"model": model, "options": model_options}
    predictions = _resumed(resume, model_id)
    todo = [item for item in items if item.id not in predictions]
    usage = Usage()
    chat = (load_chat_model(model, **(model_options or {})) if isinstance(model, str) else model) if todo else None
    for item in todo:
        prediction = bfcl.predict(chat, item, **(options or {}))  # type: ignore[arg-type]
        predictions[item.id] = prediction.result
        usage = usage + prediction.usage
        if resume is not None:
            append_jsonl(resume, {"id": item.id, "model": model_id, "result": prediction.result,
                                  "usage": prediction.usage.to_dict()})
        if progress is not None:
            progress(len(items) - len(todo) + todo.index(item) + 1, len(items))
    predictions = {i.id: predictions[i.id] for i in items}
    return items, predictions, ast_verdicts(items, predictions, matching), usage


def _resumed(path: str | Path | None, model_id: Any) -> dict[str, bfcl.Output]:
    """Predictions this model already made (a torn last line from a kill is ignored)."""
    if path is None or not Path(path).is_file():
        return {}
    done = {}
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
            if record.get("model") == model_id:
                done[str(record["id"])] = record["result"]
        except (json.JSONDecodeError, KeyError, TypeError):
            logger.warning("ignoring an unreadable line in %s", path)
    return done


def evaluate_run(
    out_dir: str | Path, trajectories: Sequence[Trajectory], *, name: str = "run", queries: Sequence[Query] = (),
    judge: JudgeSpec = None, judgings: int = 1, links: dict[str, str] | None = None, seed: int = 0,
    cache: str | Path | bool | None = True,
) -> dict[str, Report]:
    """What a pipeline needs after a run: the pass report (rules + judge when given) in
    ``out_dir/pass`` and, when queries carry expected answers, the exact report in ``out_dir/exact``.

    Groups come from the queries (else from ``Trajectory.config["group"]``).
    """
    groups = {t.query_id: str(t.config.get("group")) for t in trajectories if t.config.get("group")}
    groups.update({q.query_id: q.group for q in queries if q.group})
    asker = make_asker(judge, cache=cache)
    verdicts = judge_pass(trajectories, asker, judgings=judgings)
    extra = {"judge_llm_calls": asker.calls, "judge_tokens": asker.usage.total_tokens} if asker else {}
    reports = {"pass": write_report(Path(out_dir) / "pass", "pass",
                                    [RunResult(name, verdicts, list(trajectories), dict(links or {}), extra)],
                                    groups=groups, config={"judge": asker.judge_id if asker else None,
                                                           "judgings": judgings}, seed=seed)}
    if any(q.expected_answer is not None for q in queries):
        exact = judge_exact(trajectories, queries)
        reports["exact"] = write_report(Path(out_dir) / "exact", "exact",
                                        [RunResult(name, exact, list(trajectories), dict(links or {}))],
                                        groups=groups, seed=seed)
    return reports


__all__ = [
    "RunResult", "ast_verdicts", "bench_bfcl", "evaluate_run", "judge_exact", "judge_fac", "judge_pass", "judge_win",
    "make_asker", "write_report",
]
