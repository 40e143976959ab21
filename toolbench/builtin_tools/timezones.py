"""Time zones: conversions and UTC offsets from the IANA database (``zoneinfo``)."""

from __future__ import annotations

import datetime as _dt
import functools
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from toolbench.builtin_tools._common import builtin, parse_date

zone_tool = builtin(
    "Time Zones", "Date and Time",
    "Convert times between IANA time zones (e.g. Europe/Paris, America/New_York) and look up UTC offsets.",
)


@functools.lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    return {name.lower(): name for name in available_timezones()}


def _zone(name: str) -> ZoneInfo:
    key = _zones().get(str(name).strip().replace(" ", "_").lower())
    if key is None:
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as Europe/Paris or UTC")
    try:
        return ZoneInfo(key)
    except ZoneInfoNotFoundError:  # pragma: no cover - listed but missing
        raise ValueError(f"unknown time zone {name!r}") from None


def _parse_datetime(text: str) -> _dt.datetime:
    try:
        value = _dt.datetime.fromisoformat(str(text).strip().replace(" ", "T", 1))
    except ValueError:
        raise ValueError(f"datetime must look like 2024-05-01T14:30, not {text!r}") from None
    return value.replace(tzinfo=None)


def _offset_text(offset: _dt.timedelta | None) -> str:
    """``+05:30`` style text of a UTC offset.

    >>> _offset_text(_dt.timedelta(hours=-4)), _offset_text(_dt.timedelta(hours=5, minutes=30))
    ('-04:00', '+05:30')
    """
    minutes = int((offset or _dt.timedelta()).total_seconds() // 60)
    sign = "-" if minutes < 0 else "+"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@zone_tool
def convert_time_zone(datetime: str, from_zone: str, to_zone: str) -> dict[str, Any]:
    """Convert a local date and time from one time zone to another.

    Args:
        datetime: Local date and time as YYYY-MM-DDTHH:MM, e.g. 2024-05-01T14:30.
        from_zone: IANA time zone of the given time, e.g. America/New_York.
        to_zone: IANA time zone to convert to, e.g. Asia/Tokyo.
    """
    source, target = _zone(from_zone), _zone(to_zone)
    local = _parse_datetime(datetime).replace(tzinfo=source)
    converted = local.astimezone(target)
    return {
        "from": local.isoformat(timespec="minutes"),
        "to": converted.isoformat(timespec="minutes"),
        "to_zone": target.key,
        "local_time": converted.strftime("%H:%M"),
        "local_date": converted.date().isoformat(),
    }


@zone_tool
def utc_offset(zone: str, date: str | None = None) -> dict[str, Any]:
    """Find the UTC offset of a time zone on a date (daylight saving time included).

    Args:
        zone: IANA time zone, e.g. Europe/London.
        date: Optional date as YYYY-MM-DD (noon is used); defaults to 2025-01-01.
    """
    tz = _zone(zone)
    day = parse_date(date) if date else _dt.date(2025, 1, 1)
    moment = _dt.datetime.combine(day, _dt.time(12), tzinfo=tz)
    return {"zone": tz.key, "date": day.isoformat(), "utc_offset": _offset_text(moment.utcoffset()),
            "abbreviation": moment.tzname(), "dst": bool(moment.dst())}


@zone_tool
def time_difference(zone_a: str, zone_b: str, date: str | None = None) -> dict[str, Any]:
    """Compute how many hours zone_b is ahead of zone_a on a date (negative if behind).

    Args:
        zone_a: The first IANA time zone, e.g. Europe/Berlin.
        zone_b: The second IANA time zone, e.g. America/Chicago.
        date: Optional date as YYYY-MM-DD; defaults to 2025-01-01.
    """
    day = parse_date(date) if date else _dt.date(2025, 1, 1)
    moment = _dt.datetime.combine(day, _dt.time(12), tzinfo=_dt.UTC)
    offset_a = moment.astimezone(_zone(zone_a)).utcoffset() or _dt.timedelta()
    offset_b = moment.astimezone(_zone(zone_b)).utcoffset() or _dt.timedelta()
    hours = (offset_b - offset_a).total_seconds() / 3600
    return {"zone_a": _zone(zone_a).key, "zone_b": _zone(zone_b).key, "date": day.isoformat(),
            "hours": int(hours) if hours.is_integer() else hours}


@zone_tool
def list_time_zones(region: str) -> dict[str, Any]:
    """List the IANA time zone names of a region such as Europe, America, Asia, Africa or Australia.

    Args:
        region: The region prefix, e.g. "Australia" or "America/Argentina".
    """
    prefix = str(region).strip().strip("/").lower() + "/"
    names = sorted(name for key, name in _zones().items() if key.startswith(prefix))
    if not names:
        raise ValueError(f"no time zones in region {region!r}")
    return {"region": region, "count": len(names), "zones": names}
