"""Public holidays of countries and their subdivisions (the ``holidays`` package)."""

from __future__ import annotations

import datetime as _dt
import functools
from typing import Any

from toolbench.builtin_tools._common import builtin, parse_date

holiday_tool = builtin(
    "Public Holidays", "Date and Time",
    "Official public holidays by country (ISO code such as US, DE, FR) and year, and working days.",
)


@functools.lru_cache(maxsize=256)
def _calendar(country: str, year: int, subdivision: str | None) -> dict[_dt.date, str]:
    import holidays

    code = _country_code(country)
    try:
        table = holidays.country_holidays(code, subdiv=subdivision or None, years=year)
    except NotImplementedError:
        raise ValueError(f"no holiday data for country {country!r}") from None
    return dict(sorted(table.items()))


def _country_code(country: str) -> str:
    import holidays

    text = country.strip()
    supported = holidays.list_supported_countries()
    if text.upper() in supported:
        return text.upper()
    import pycountry

    try:
        code = pycountry.countries.lookup(text).alpha_2
    except LookupError:
        raise ValueError(f"unknown country {country!r}; use an ISO code such as US or DE") from None
    if code not in supported:
        raise ValueError(f"no holiday data for country {country!r}")
    return code


@holiday_tool
def list_public_holidays(country: str, year: int, subdivision: str | None = None) -> dict[str, Any]:
    """List the public holidays of a country in a year, with their dates.

    Args:
        country: ISO 3166 country code or name, e.g. "US", "DE", "France".
        year: The year, e.g. 2025.
        subdivision: Optional state or province code, e.g. "CA" or "BY".
    """
    table = _calendar(country, year, subdivision)
    items = [{"date": d.isoformat(), "name": n} for d, n in table.items()]
    return {"country": _country_code(country), "year": year, "count": len(items), "holidays": items}


@holiday_tool
def is_public_holiday(date: str, country: str, subdivision: str | None = None) -> dict[str, Any]:
    """Check whether a date is a public holiday in a country and name the holiday.

    Args:
        date: The date as YYYY-MM-DD.
        country: ISO country code or name, e.g. "US".
        subdivision: Optional state or province code.
    """
    day = parse_date(date)
    name = _calendar(country, day.year, subdivision).get(day)
    return {"date": day.isoformat(), "country": _country_code(country), "is_holiday": name is not None,
            "holiday": name}


@holiday_tool
def next_public_holiday(country: str, date: str) -> dict[str, Any]:
    """Find the first public holiday in a country on or after a date.

    Args:
        country: ISO country code or name, e.g. "GB".
        date: The starting date as YYYY-MM-DD.
    """
    day = parse_date(date)
    for year in (day.year, day.year + 1):
        for when, name in _calendar(country, year, None).items():
            if when >= day:
                return {"country": _country_code(country), "date": when.isoformat(), "holiday": name,
                        "days_away": (when - day).days}
    raise ValueError(f"no public holiday found after {date}")


@holiday_tool
def count_working_days(start_date: str, end_date: str, country: str) -> dict[str, Any]:
    """Count working days (Monday-Friday, not public holidays) between two dates, both included.

    Args:
        start_date: The first date as YYYY-MM-DD.
        end_date: The last date as YYYY-MM-DD (at most 10 years later).
        country: ISO country code or name whose holidays are excluded.
    """
    start, end = parse_date(start_date, "start_date"), parse_date(end_date, "end_date")
    if end < start:
        raise ValueError("end_date must not be before start_date")
    if (end - start).days > 3660:
        raise ValueError("the range must be at most 10 years")
    off: dict[_dt.date, str] = {}
    for year in range(start.year, end.year + 1):
        off.update(_calendar(country, year, None))
    days = [start + _dt.timedelta(n) for n in range((end - start).days + 1)]
    working = [d for d in days if d.weekday() < 5 and d not in off]
    holidays_on_weekdays = sum(1 for d in days if d.weekday() < 5 and d in off)
    return {"start_date": start.isoformat(), "end_date": end.isoformat(), "working_days": len(working),
            "weekday_holidays": holidays_on_weekdays}
