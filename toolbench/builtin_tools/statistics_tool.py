"""Descriptive statistics over lists of numbers (the ``statistics`` module)."""

from __future__ import annotations

import statistics
from typing import Any, Literal

from toolbench.builtin_tools._common import builtin, check_numbers, tidy_number

stats_tool = builtin(
    "Statistics", "Mathematics",
    "Descriptive statistics of a list of numbers: mean, median, mode, spread, percentiles, correlation.",
)


@stats_tool
def mean(numbers: list[float]) -> dict[str, Any]:
    """Compute the arithmetic mean (average) of a list of numbers.

    Args:
        numbers: The numbers, e.g. [3, 5, 10].
    """
    return {"count": len(numbers), "mean": tidy_number(statistics.fmean(check_numbers(numbers)))}


@stats_tool
def median(numbers: list[float]) -> dict[str, Any]:
    """Compute the median (middle value) of a list of numbers.

    Args:
        numbers: The numbers, e.g. [7, 1, 3, 9].
    """
    return {"count": len(numbers), "median": tidy_number(statistics.median(check_numbers(numbers)))}


@stats_tool
def mode(numbers: list[float]) -> dict[str, Any]:
    """Find the most common value(s) of a list of numbers.

    Args:
        numbers: The numbers, e.g. [1, 2, 2, 3].
    """
    modes = statistics.multimode(check_numbers(numbers))
    return {"count": len(numbers), "modes": [tidy_number(m) for m in modes]}


@stats_tool
def standard_deviation(numbers: list[float], kind: Literal["sample", "population"] = "sample") -> dict[str, Any]:
    """Compute the standard deviation of a list of numbers.

    Args:
        numbers: The numbers (at least 2 for the sample standard deviation).
        kind: "sample" (divide by n - 1) or "population" (divide by n).
    """
    if kind == "sample":
        value = statistics.stdev(check_numbers(numbers, minimum=2))
    else:
        value = statistics.pstdev(check_numbers(numbers))
    return {"count": len(numbers), "kind": kind, "standard_deviation": tidy_number(value)}


@stats_tool
def describe_numbers(numbers: list[float]) -> dict[str, Any]:
    """Summarise a list of numbers: count, sum, minimum, maximum, range, mean and median.

    Args:
        numbers: The numbers to summarise.
    """
    check_numbers(numbers)
    return {
        "count": len(numbers),
        "sum": tidy_number(sum(numbers)),
        "min": tidy_number(min(numbers)),
        "max": tidy_number(max(numbers)),
        "range": tidy_number(max(numbers) - min(numbers)),
        "mean": tidy_number(statistics.fmean(numbers)),
        "median": tidy_number(statistics.median(numbers)),
    }


@stats_tool
def percentile(numbers: list[float], percent: float) -> dict[str, Any]:
    """Compute a percentile of a list of numbers (linear interpolation, like numpy's default).

    Args:
        numbers: The numbers.
        percent: The percentile to compute, 0 to 100 (50 is the median).
    """
    if not 0 <= percent <= 100:
        raise ValueError("percent must be between 0 and 100")
    values = sorted(check_numbers(numbers))
    position = (len(values) - 1) * percent / 100
    low = int(position)
    high = min(low + 1, len(values) - 1)
    value = values[low] + (values[high] - values[low]) * (position - low)
    return {"percent": percent, "percentile": tidy_number(value)}


@stats_tool
def correlation(x: list[float], y: list[float]) -> dict[str, Any]:
    """Compute Pearson's correlation coefficient between two equally long lists of numbers.

    Args:
        x: The first list of numbers.
        y: The second list of numbers, as long as x.
    """
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length ({len(x)} != {len(y)})")
    check_numbers(x, "x", 2)
    return {"count": len(x), "correlation": tidy_number(statistics.correlation(x, y), 4)}
