"""Number theory: primes, factorisation, gcd, lcm, factorials, Fibonacci numbers."""

from __future__ import annotations

import math
from typing import Any

from toolbench.builtin_tools._common import builtin

MAX_PRIME_INPUT = 10**12
MAX_FACTORIAL = 1000
MAX_FIBONACCI = 1000

number_tool = builtin(
    "Number Theory", "Mathematics",
    "Facts about whole numbers: primality, prime factors, gcd, lcm, factorials, Fibonacci numbers.",
)


def _check_range(n: int, low: int, high: int, name: str = "n") -> int:
    if not low <= n <= high:
        raise ValueError(f"{name} must be between {low} and {high}, got {n}")
    return n


def factorize(n: int) -> list[int]:
    """Prime factors of ``n`` with multiplicity, by trial division.

    >>> factorize(360), factorize(97), factorize(1)
    ([2, 2, 2, 3, 3, 5], [97], [])
    """
    factors, d = [], 2
    while d * d <= n:
        while n % d == 0:
            factors.append(d)
            n //= d
        d += 1 if d == 2 else 2
    if n > 1:
        factors.append(n)
    return factors


@number_tool
def is_prime(n: int) -> dict[str, Any]:
    """Check whether a whole number is a prime number.

    Args:
        n: The number to test (0 to 10^12).
    """
    _check_range(n, 0, MAX_PRIME_INPUT)
    return {"n": n, "is_prime": n >= 2 and factorize(n) == [n]}


@number_tool
def prime_factors(n: int) -> dict[str, Any]:
    """List the prime factors of a whole number, with repetition (360 -> 2, 2, 2, 3, 3, 5).

    Args:
        n: The number to factorise (2 to 10^12).
    """
    _check_range(n, 2, MAX_PRIME_INPUT)
    return {"n": n, "prime_factors": factorize(n)}


@number_tool
def greatest_common_divisor(numbers: list[int]) -> dict[str, Any]:
    """Compute the greatest common divisor (GCD) of two or more whole numbers.

    Args:
        numbers: The whole numbers, e.g. [48, 180].
    """
    if len(numbers) < 2:
        raise ValueError("numbers needs at least 2 values")
    return {"numbers": numbers, "gcd": math.gcd(*numbers)}


@number_tool
def least_common_multiple(numbers: list[int]) -> dict[str, Any]:
    """Compute the least common multiple (LCM) of two or more whole numbers.

    Args:
        numbers: The whole numbers, e.g. [4, 6].
    """
    if len(numbers) < 2:
        raise ValueError("numbers needs at least 2 values")
    if any(abs(n) > 10**9 for n in numbers):
        raise ValueError("numbers must be at most 10^9 in size")
    return {"numbers": numbers, "lcm": math.lcm(*numbers)}


@number_tool
def factorial(n: int) -> dict[str, Any]:
    """Compute n! (the product 1 * 2 * ... * n).

    Args:
        n: A whole number from 0 to 1000.
    """
    _check_range(n, 0, MAX_FACTORIAL)
    return {"n": n, "factorial": math.factorial(n)}


@number_tool
def fibonacci_number(n: int) -> dict[str, Any]:
    """Return the n-th Fibonacci number (F(0) = 0, F(1) = 1, F(10) = 55).

    Args:
        n: The position in the sequence, 0 to 1000.
    """
    _check_range(n, 0, MAX_FIBONACCI)
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return {"n": n, "fibonacci": a}
