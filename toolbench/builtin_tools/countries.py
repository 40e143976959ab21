"""Countries, currencies, languages and subdivisions (ISO 3166 / 4217 / 639 via ``pycountry``)."""

from __future__ import annotations

from typing import Any

from toolbench.builtin_tools._common import builtin

country_tool = builtin(
    "Countries", "Reference",
    "ISO standards data: countries and their codes, subdivisions, currencies and languages.",
)


def _country(text: str) -> Any:
    import pycountry

    key = str(text).strip()
    try:
        return pycountry.countries.lookup(key)
    except LookupError:
        pass
    try:
        return pycountry.countries.search_fuzzy(key)[0]
    except LookupError:
        raise ValueError(f"unknown country {text!r}") from None


def _describe(country: Any) -> dict[str, Any]:
    return {
        "name": country.name,
        "official_name": getattr(country, "official_name", country.name),
        "alpha_2": country.alpha_2,
        "alpha_3": country.alpha_3,
        "numeric": country.numeric,
        "flag": getattr(country, "flag", None),
    }


@country_tool
def country_info(country: str) -> dict[str, Any]:
    """Look up a country by name or code: official name, ISO alpha-2/alpha-3 and numeric codes.

    Args:
        country: A country name or ISO code, e.g. "Germany", "DE" or "DEU".
    """
    return _describe(_country(country))


@country_tool
def search_countries(text: str) -> dict[str, Any]:
    """Search countries whose names contain a text (case-insensitive), e.g. "guinea".

    Args:
        text: Part of a country name.
    """
    import pycountry

    needle = str(text).strip().lower()
    if len(needle) < 2:
        raise ValueError("text must have at least 2 characters")
    hits = [c for c in pycountry.countries if needle in c.name.lower()
            or needle in getattr(c, "official_name", "").lower()]
    return {"text": text, "count": len(hits), "countries": [{"name": c.name, "alpha_2": c.alpha_2} for c in hits]}


@country_tool
def country_subdivisions(country: str) -> dict[str, Any]:
    """List the subdivisions (states, provinces, regions) of a country with their ISO 3166-2 codes.

    Args:
        country: A country name or ISO code, e.g. "CH".
    """
    import pycountry

    found = _country(country)
    subs = sorted(pycountry.subdivisions.get(country_code=found.alpha_2) or [], key=lambda s: s.code)
    items = [{"code": s.code, "name": s.name, "type": s.type} for s in subs]
    return {"country": found.name, "count": len(items), "subdivisions": items[:100]}


@country_tool
def currency_info(currency: str) -> dict[str, Any]:
    """Look up an ISO 4217 currency by code or name: its code, name and numeric code.

    Args:
        currency: A currency code or name, e.g. "JPY" or "Swiss Franc".
    """
    import pycountry

    try:
        found = pycountry.currencies.lookup(str(currency).strip())
    except LookupError:
        raise ValueError(f"unknown currency {currency!r}") from None
    return {"code": found.alpha_3, "name": found.name, "numeric": found.numeric}


@country_tool
def language_info(language: str) -> dict[str, Any]:
    """Look up a language by name or ISO 639 code: its two- and three-letter codes.

    Args:
        language: A language name or code, e.g. "Swahili", "sw" or "swa".
    """
    import pycountry

    key = str(language).strip()
    try:
        found = pycountry.languages.lookup(key)
    except LookupError:
        prefix = key.lower() + " ("  # "Swahili (macrolanguage)"
        matches = [lang for lang in pycountry.languages if lang.name.lower().startswith(prefix)]
        if not matches:
            raise ValueError(f"unknown language {language!r}") from None
        found = matches[0]
    return {"name": found.name, "alpha_2": getattr(found, "alpha_2", None), "alpha_3": found.alpha_3}
