"""Build :class:`~toolbench.types.Report` objects from verdicts (pure; no files, no LLM).

Every report has the same shape so one writer serves all judges: ``metrics[run]`` holds
the run's headline numbers, ``groups[run][group]`` per-group score with a seeded
bootstrap 95% CI, and ``rows`` one record per (run, query) with a ``run`` key.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from evaluator import aggregate as agg
from toolbench.types import Trajectory, Verdict, VerdictLabel

WTL = (VerdictLabel.WIN, VerdictLabel.TIE, VerdictLabel.LOSS)


def _scored(verdicts: Sequence[Verdict]) -> list[Verdict]:
    return [v for v in verdicts if v.label != VerdictLabel.UNJUDGED]


def cost_metrics(trajectories: Sequence[Trajectory]) -> dict[str, float]:
    """Mean cost per query of a run.

    >>> from toolbench.types import Usage
    >>> cost_metrics([Trajectory("1", "q", "m", usage=Usage(llm_calls=2, prompt_tokens=10, api_calls=1))])
    {'llm_calls_per_query': 2.0, 'tokens_per_query': 10.0, 'api_calls_per_query': 1.0, 'seconds_per_query': 0.0}
    """
    n = len(trajectories)
    if not n:
        return {}
    return {
        "llm_calls_per_query": sum(t.usage.llm_calls for t in trajectories) / n,
        "tokens_per_query": sum(t.usage.total_tokens for t in trajectories) / n,
        "api_calls_per_query": sum(t.usage.api_calls for t in trajectories) / n,
        "seconds_per_query": round(sum(t.usage.seconds for t in trajectories) / n, 6),
    }


def label_metrics(verdicts: Sequence[Verdict], *, seed: int = 0, resamples: int = 1000) -> dict[str, Any]:
    """Mean ± std over judgings, per-query majority rate, bootstrap CI of per-query means.

    >>> vs = [Verdict("a", "Solved", judging=0), Verdict("b", "Unsolved", judging=0),
    ...       Verdict("a", "Solved", judging=1), Verdict("b", "Unsure", judging=1)]
    >>> m = label_metrics(vs, resamples=100)
    >>> m["mean"], m["std"], m["majority_rate"], m["n"], m["judgings"]
    (0.625, 0.125, 0.75, 2, 2)
    """
    scored = _scored(verdicts)
    mean, std = agg.mean_std_over_judgings(scored)
    majority = agg.per_query_majority(scored)
    per_query = agg.per_query_scores(scored)
    lo, hi = agg.bootstrap_ci(list(per_query.values()), seed=seed, resamples=resamples)
    return {
        "n": len(per_query), "judgings": len(agg.by_judging(scored)), "mean": mean, "std": std,
        "majority_rate": agg.mean([agg.label_score(m) for m in majority.values()]),
        "ci_low": lo, "ci_high": hi,
        "by_rule": sum(v.by_rule for v in scored), "errors": sum(v.label == VerdictLabel.ERROR for v in scored),
        "unjudged": len(verdicts) - len(scored),
        "labels": dict(sorted(agg.Counter(v.label for v in verdicts).items())),
    }


def tooleval_pass_rate(verdicts: Sequence[Verdict]) -> float | None:
    """ToolEval's pass rate from ``raw["passed"]`` (Passed 1, Unsure 0.5, Failed 0), or None.

    >>> tooleval_pass_rate([Verdict("a", "Unsolved", raw={"passed": "Unsure"}), Verdict("b", "Solved",
    ...     raw={"passed": "Passed"})])
    0.75
    """
    scores = {"Passed": 1.0, "Unsure": 0.5, "Failed": 0.0}
    values = [scores[v.raw["passed"]] for v in verdicts if isinstance(v.raw, dict) and v.raw.get("passed") in scores]
    return agg.mean(values) if values else None


def verdict_rows(run: str, verdicts: Sequence[Verdict], groups: dict[str, str],
                 trajectories: Sequence[Trajectory] = (), links: dict[str, str] | None = None) -> list[dict[str, Any]]:
    """One row per query: labels per judging, majority, score, first reason, cost, link."""
    by_query: dict[str, list[Verdict]] = {}
    for v in verdicts:
        by_query.setdefault(v.query_id, []).append(v)
    trajs = {t.query_id: t for t in trajectories}
    rows = []
    for qid, vs in by_query.items():
        vs = sorted(vs, key=lambda v: v.judging)
        scored = _scored(vs)
        tie = VerdictLabel.TIE if vs[0].label in WTL else VerdictLabel.UNSURE
        row: dict[str, Any] = {
            "run": run, "query_id": qid, "group": agg.group_of(qid, groups),
            "labels": [v.label for v in vs],
            "majority": agg.majority_label([v.label for v in scored], tie=tie) if scored else VerdictLabel.UNJUDGED,
            "score": agg.mean([agg.label_score(v.label) for v in scored]) if scored else None,
            "by_rule": vs[0].by_rule, "reason": vs[0].reason[:300],
            "trajectory": (links or {}).get(qid, ""),
        }
        if qid in trajs:
            row.update(_trajectory_fields(trajs[qid]))
        rows.append(row)
    return rows


def _trajectory_fields(t: Trajectory) -> dict[str, Any]:
    return {"finish_reason": t.finish_reason.value, "final_answer": t.final_answer[:300], "steps": len(t.steps),
            "llm_calls": t.usage.llm_calls, "tokens": t.usage.total_tokens, "api_calls": t.usage.api_calls}


def group_table(verdicts: Sequence[Verdict], groups: dict[str, str], *, seed: int = 0,
                resamples: int = 1000) -> dict[str, dict[str, Any]]:
    """Per group: n, mean per-query score, bootstrap 95% CI (+ W/T/L for win verdicts)."""
    scored = _scored(verdicts)
    table = agg.group_summary(agg.per_query_scores(scored), groups, seed=seed, resamples=resamples)
    if scored and scored[0].label in WTL:
        majority = agg.per_query_majority(scored, tie=VerdictLabel.TIE)
        for name in table:
            table[name].update(agg.wtl_counts(m for q, m in majority.items() if agg.group_of(q, groups) == name))
    return table


def win_metrics(verdicts: Sequence[Verdict], *, seed: int = 0, resamples: int = 1000) -> dict[str, Any]:
    """Label metrics plus W/T/L of the per-query majority (ties count half in the rate).

    >>> vs = [Verdict("a", "win"), Verdict("b", "tie"), Verdict("c", "loss"), Verdict("d", "win")]
    >>> m = win_metrics(vs, resamples=50)
    >>> m["win"], m["tie"], m["loss"], m["win_rate"]
    (2, 1, 1, 0.625)
    """
    metrics = label_metrics(verdicts, seed=seed, resamples=resamples)
    counts = agg.wtl_counts(agg.per_query_majority(_scored(verdicts), tie=VerdictLabel.TIE).values())
    metrics.update(counts)
    metrics["win_rate"] = agg.win_rate(counts)
    metrics["llm_decided"] = sum(1 for v in verdicts if not v.by_rule)
    return metrics
