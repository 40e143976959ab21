"""Dates and calendar arithmetic (the standard library's ``datetime`` and ``calendar``)."""

from __future__ import annotations

import calendar
import datetime as _dt
from typing import Any

from toolbench.builtin_tools._common import builtin, parse_date

dates_tool = builtin(
    "Calendar", "Date and Time",
    "Calendar arithmetic on ISO dates: weekdays, differences, adding days, leap years, week numbers.",
)


@dates_tool
def day_of_week(date: str) -> dict[str, Any]:
    """Find the day of the week (Monday ... Sunday) of a date.

    Args:
        date: The date as YYYY-MM-DD, e.g. 2024-07-04.
    """
    day = parse_date(date)
    return {"date": day.isoformat(), "weekday": calendar.day_name[day.weekday()]}


@dates_tool
def days_between(start_date: str, end_date: str) -> dict[str, Any]:
    """Count the days from one date to another (negative when the end is earlier).

    Args:
        start_date: The first date as YYYY-MM-DD.
        end_date: The second date as YYYY-MM-DD.
    """
    start, end = parse_date(start_date, "start_date"), parse_date(end_date, "end_date")
    return {"start_date": start.isoformat(), "end_date": end.isoformat(), "days": (end - start).days}


@dates_tool
def add_days(date: str, days: int) -> dict[str, Any]:
    """Add (or with a negative number, subtract) a number of days to a date.

    Args:
        date: The date as YYYY-MM-DD.
        days: How many days to add; negative to go back.
    """
    day = parse_date(date)
    try:
        result = day + _dt.timedelta(days=days)
    except OverflowError:
        raise ValueError("the resulting date is out of range") from None
    return {"date": day.isoformat(), "days": days, "result": result.isoformat(),
            "weekday": calendar.day_name[result.weekday()]}


@dates_tool
def is_leap_year(year: int) -> dict[str, Any]:
    """Check whether a year is a leap year in the Gregorian calendar.

    Args:
        year: The year, e.g. 2024.
    """
    return {"year": year, "is_leap_year": calendar.isleap(year)}


@dates_tool
def days_in_month(year: int, month: int) -> dict[str, Any]:
    """Count the days in a month of a given year.

    Args:
        year: The year, e.g. 2024.
        month: The month number, 1 (January) to 12 (December).
    """
    if not 1 <= month <= 12:
        raise ValueError("month must be between 1 and 12")
    return {"year": year, "month": calendar.month_name[month], "days": calendar.monthrange(year, month)[1]}


@dates_tool
def week_number(date: str) -> dict[str, Any]:
    """Find the ISO 8601 week number (1-53) and the day of the year of a date.

    Args:
        date: The date as YYYY-MM-DD.
    """
    day = parse_date(date)
    iso = day.isocalendar()
    return {"date": day.isoformat(), "iso_year": iso.year, "week": iso.week, "day_of_year": day.timetuple().tm_yday}
