"""Your own Python functions as tools: type hints and docstrings become JSON schemas."""

from __future__ import annotations

import math


def loan_payment(principal: float, annual_rate: float, years: int) -> float:
    """Monthly payment of a fixed-rate loan.

    Args:
        principal: Amount borrowed.
        annual_rate: Yearly interest rate in percent, e.g. 4.5.
        years: Term of the loan in years.
    """
    rate, months = annual_rate / 1200, years * 12
    if rate == 0:
        return round(principal / months, 2)
    return round(principal * rate / (1 - (1 + rate) ** -months), 2)


def compound_interest(principal: float, annual_rate: float, years: int) -> float:
    """Value of a deposit after compounding yearly.

    Args:
        principal: Amount deposited.
        annual_rate: Yearly interest rate in percent.
        years: Number of years.
    """
    return round(principal * (1 + annual_rate / 100) ** years, 2)


def circle_area(radius: float) -> float:
    """Area of a circle.

    Args:
        radius: Radius of the circle.
    """
    return round(math.pi * radius**2, 4)
