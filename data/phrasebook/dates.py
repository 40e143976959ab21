"""Templates for the Date and Time category: Calendar, Public Holidays, Time Zones."""

from __future__ import annotations

from data.phrasebook.base import DATES, HOLIDAY_COUNTRIES, MONTHS, REGIONS, YEARS, ZONES, CallTemplate

_HOURS = tuple(f"{h:02d}:{m:02d}" for h in range(6, 23) for m in (0, 30))
_HOLIDAY_DAYS = tuple(f"{year}-{md}" for year in range(2019, 2031) for md in ("01-01", "12-25", "12-26", "05-01"))


def _t(key, function, phrasings, arguments, answer_key, slots=None, **more) -> CallTemplate:
    """A template with tuple phrasings (keeps the table below short)."""
    return CallTemplate(key, function, tuple(phrasings), arguments, answer_key, slots or {}, **more)


def _later(slots: dict) -> dict:
    """A second date after the first: ``{"d2": d1 + gap}``.

    >>> _later({"d1": "2024-01-30", "gap": 3})
    {'d2': '2024-02-02'}
    """
    import datetime as dt

    return {"d2": (dt.date.fromisoformat(slots["d1"]) + dt.timedelta(days=int(slots["gap"]))).isoformat()}


def _distinct(first: str, second: str):
    """A ``derive`` that moves slot ``second`` to the next zone when it equals slot ``first``.

    >>> _distinct("a", "b")({"a": "Asia/Tokyo", "b": "Asia/Tokyo"})
    {'b': 'America/New_York'}
    """

    def derive(slots: dict) -> dict:
        if slots[first] != slots[second]:
            return {}
        return {second: ZONES[(ZONES.index(slots[first]) + 1) % len(ZONES)]}

    return derive


CALENDAR = [
    _t("weekday", "day_of_week", ["What day of the week is {date}?", "Which weekday was {date}?",
                                  "On what day of the week does {date} fall?",
                                  "My appointment is on {date}. What day of the week is that?"],
       {"date": "{date}"}, "weekday", {"date": DATES}, noun="weekday", chain_slot="date", accepts=("date",),
       chain_phrasings=("what day of the week is {ref}?", "which weekday is {ref}?", "tell me the weekday of {ref}.")),
    _t("days_between", "days_between", ["How many days are there from {d1} to {d2}?",
                                        "Count the days between {d1} and {d2}.", "How many days from {d1} until {d2}?"],
       {"start_date": "{d1}", "end_date": "{d2}"}, "days", {"d1": DATES, "gap": tuple(range(3, 700, 4))},
       noun="number of days", derive=_later),
    _t("add_days", "add_days", ["What date is {n} days after {date}?", "Add {n} days to {date}.",
                                "If I start on {date}, what is the date {n} days later?"],
       {"date": "{date}", "days": "{n}"}, "result", {"date": DATES, "n": tuple(range(2, 400, 3))}, noun="date",
       chain_slot="n", accepts=("int",), chain_phrasings=("what date is {ref} days after {date}?",
                                                          "add {ref} days to {date}.")),
    _t("add_days_to", "add_days", ["What date is {n} days after {date}?"],
       {"date": "{date}", "days": "{n}"}, "result", {"date": DATES, "n": tuple(range(5, 200, 5))}, noun="date",
       chain_slot="date", accepts=("date",), chain_phrasings=("what date is {n} days after {ref}?",
                                                              "add {n} days to {ref}.")),
    _t("days_before", "add_days", ["What date was {n} days before {date}?", "Go back {n} days from {date}."],
       {"date": "{date}", "days": "{neg}"}, "result", {"date": DATES, "n": tuple(range(2, 300, 3))}, noun="date",
       derive=lambda s: {"neg": -int(s["n"])}),
    _t("leap", "is_leap_year", ["Is {year} a leap year?", "Does {year} have a February 29th?",
                                "Check if {year} is a leap year."],
       {"year": "{year}"}, "is_leap_year", {"year": YEARS}, chain_slot="year", accepts=("year",),
       chain_phrasings=("is {ref} a leap year?", "check whether {ref} is a leap year.")),
    _t("month_days", "days_in_month", ["How many days are there in {month} {year}?",
                                       "How many days does {month} {year} have?"],
       {"year": "{year}", "month": "{m}"}, "days", {"m": tuple(range(1, 13)), "year": tuple(range(1950, 2060))},
       noun="number of days", derive=lambda s: {"month": MONTHS[int(s["m"]) - 1]}),
    _t("week", "week_number", ["What is the ISO week number of {date}?", "Which calendar week is {date} in?"],
       {"date": "{date}"}, "week", {"date": DATES}, noun="week number", chain_slot="date", accepts=("date",),
       chain_phrasings=("which calendar week is {ref} in?",)),
    _t("day_of_year", "week_number", ["What day of the year is {date}?",
                                      "{date} is which day of the year, counting from January 1?"],
       {"date": "{date}"}, "day_of_year", {"date": DATES}, noun="day number"),
]

HOLIDAYS = [
    _t("holiday_count", "list_public_holidays", ["How many public holidays does {country} have in {year}?",
                                                 "Count the public holidays in {country} in {year}."],
       {"country": "{country}", "year": "{year}"}, "count",
       {"country": HOLIDAY_COUNTRIES, "year": tuple(range(2018, 2032))},
       noun="number of holidays"),
    _t("is_holiday", "is_public_holiday", ["Is {date} a public holiday in {country}?",
                                           "Is {date} a bank holiday in {country}?"],
       {"date": "{date}", "country": "{country}"}, "is_holiday", {"date": DATES, "country": HOLIDAY_COUNTRIES},
       chain_slot="date", accepts=("date",), chain_phrasings=("is {ref} a public holiday in {country}?",
                                                              "check whether {ref} is a holiday in {country}.")),
    _t("holiday_name", "is_public_holiday", ["Which public holiday does {country} celebrate on {date}?",
                                             "What holiday falls on {date} in {country}?"],
       {"date": "{date}", "country": "{country}"}, "holiday", {"date": _HOLIDAY_DAYS, "country": HOLIDAY_COUNTRIES},
       noun="holiday", valid=lambda v: isinstance(v, str) and v != ""),
    _t("next_holiday", "next_public_holiday", ["What is the next public holiday in {country} on or after {date}?",
                                               "Which holiday comes next in {country} after {date}?"],
       {"country": "{country}", "date": "{date}"}, "holiday", {"country": HOLIDAY_COUNTRIES, "date": DATES},
       noun="holiday", chain_slot="date", accepts=("date",),
       chain_phrasings=("what is the next public holiday in {country} on or after {ref}?",)),
    _t("next_holiday_date", "next_public_holiday",
       ["On what date is the next public holiday in {country} after {date}?"],
       {"country": "{country}", "date": "{date}"}, "date", {"country": HOLIDAY_COUNTRIES, "date": DATES},
       noun="date"),
    _t("working_days", "count_working_days", ["How many working days are there in {country} from {d1} to {d2}?",
                                              "Count the business days between {d1} and {d2} in {country}."],
       {"start_date": "{d1}", "end_date": "{d2}", "country": "{country}"}, "working_days",
       {"d1": DATES, "gap": tuple(range(5, 90, 3)), "country": HOLIDAY_COUNTRIES}, noun="number of working days",
       derive=_later),
]

TIME_ZONES = [
    _t("convert_time", "convert_time_zone", ["When it is {date}T{hour} in {z1}, what time is it in {z2}?",
                                             "Convert {date}T{hour} from {z1} time to {z2} time.",
                                             "A call is at {date}T{hour} in {z1}. What's the local time in {z2}?"],
       {"datetime": "{date}T{hour}", "from_zone": "{z1}", "to_zone": "{z2}"}, "local_time",
       {"date": DATES, "hour": _HOURS, "z1": ZONES, "z2": ZONES}, noun="local time", derive=_distinct("z1", "z2")),
    _t("offset", "utc_offset", ["What is the UTC offset of the {zone} time zone?", "How far from UTC is {zone}?"],
       {"zone": "{zone}"}, "utc_offset", {"zone": ZONES}, noun="offset"),
    _t("offset_on", "utc_offset", ["What is the UTC offset of {zone} on {date}?"],
       {"zone": "{zone}", "date": "{date}"}, "utc_offset", {"zone": ZONES, "date": DATES}, noun="offset",
       chain_slot="date", accepts=("date",), chain_phrasings=("what is the UTC offset of {zone} on {ref}?",)),
    _t("tz_diff", "time_difference", ["How many hours apart are {a} and {b}?",
                                      "What is the time difference between {a} and {b}?"],
       {"zone_a": "{a}", "zone_b": "{b}"}, "hours", {"a": ZONES, "b": ZONES}, noun="time difference",
       derive=_distinct("a", "b")),
    _t("tz_diff_on", "time_difference", ["How many hours is {b} ahead of {a} on {date}?"],
       {"zone_a": "{a}", "zone_b": "{b}", "date": "{date}"}, "hours", {"a": ZONES, "b": ZONES, "date": DATES},
       noun="time difference", derive=_distinct("a", "b")),
    _t("zones", "list_time_zones", ["How many time zones are listed for the region {region}?",
                                    "Count the IANA time zones of {region}."],
       {"region": "{region}"}, "count", {"region": REGIONS}, noun="number of zones"),
]

TEMPLATES = CALENDAR + HOLIDAYS + TIME_ZONES
