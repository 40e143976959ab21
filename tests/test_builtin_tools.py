"""Every built-in tool on real values, through the builtin executor (validation included)."""

from __future__ import annotations

import json

import jsonschema
import pytest

from toolbench.builtin_tools.calculator import calculate, evaluate
from toolbench.builtin_world import builtin_catalog, builtin_executor
from toolbench.types import ObservationStatus, Provenance, ToolCall

# (function name, arguments, expected subset of the response)
CASES = [
    ("calculator", {"expression": "(12 + 30) * 1.5"}, {"result": 63}),
    ("calculator", {"expression": "2 + 3 * 4 - 6 / 4"}, {"result": 12.5}),
    ("percentage_of", {"percent": 15, "value": 80}, {"result": 12}),
    ("percent_change", {"old_value": 80, "new_value": 100}, {"percent_change": 25}),
    ("is_prime", {"n": 97}, {"is_prime": True}),
    ("is_prime", {"n": 91}, {"is_prime": False}),
    ("prime_factors", {"n": 360}, {"prime_factors": [2, 2, 2, 3, 3, 5]}),
    ("greatest_common_divisor", {"numbers": [48, 180]}, {"gcd": 12}),
    ("least_common_multiple", {"numbers": [4, 6, 10]}, {"lcm": 60}),
    ("factorial", {"n": 10}, {"factorial": 3628800}),
    ("fibonacci_number", {"n": 10}, {"fibonacci": 55}),
    ("mean", {"numbers": [3, 5, 10]}, {"mean": 6}),
    ("median", {"numbers": [7, 1, 3, 9]}, {"median": 5}),
    ("mode", {"numbers": [1, 2, 2, 3]}, {"modes": [2]}),
    ("standard_deviation", {"numbers": [2, 4, 4, 4, 5, 5, 7, 9], "kind": "population"}, {"standard_deviation": 2}),
    ("standard_deviation", {"numbers": [1, 2, 3, 4]}, {"standard_deviation": 1.29}),
    ("describe_numbers", {"numbers": [4, 1, 7]}, {"sum": 12, "min": 1, "max": 7, "range": 6, "mean": 4}),
    ("percentile", {"numbers": [1, 2, 3, 4], "percent": 25}, {"percentile": 1.75}),
    ("correlation", {"x": [1, 2, 3], "y": [2, 4, 6]}, {"correlation": 1}),
    ("day_of_week", {"date": "2024-07-04"}, {"weekday": "Thursday"}),
    ("days_between", {"start_date": "2024-01-01", "end_date": "2024-12-25"}, {"days": 359}),
    ("add_days", {"date": "2024-02-20", "days": 10}, {"result": "2024-03-01", "weekday": "Friday"}),
    ("is_leap_year", {"year": 1900}, {"is_leap_year": False}),
    ("days_in_month", {"year": 2024, "month": 2}, {"days": 29, "month": "February"}),
    ("week_number", {"date": "2024-12-30"}, {"week": 1, "iso_year": 2025, "day_of_year": 365}),
    ("list_public_holidays", {"country": "FR", "year": 2024}, {"country": "FR", "count": 11}),
    ("is_public_holiday", {"date": "2024-07-04", "country": "US"}, {"is_holiday": True, "holiday": "Independence Day"}),
    ("is_public_holiday", {"date": "2024-10-03", "country": "Germany"}, {"holiday": "German Unity Day"}),
    ("next_public_holiday", {"country": "GB", "date": "2024-12-01"}, {"date": "2024-12-25", "days_away": 24}),
    (
        "count_working_days",
        {"start_date": "2024-12-01", "end_date": "2024-12-31", "country": "DE"},
        {"working_days": 20, "weekday_holidays": 2},
    ),
    (
        "convert_time_zone",
        {"datetime": "2024-05-01T14:30", "from_zone": "America/New_York", "to_zone": "Asia/Tokyo"},
        {"local_time": "03:30", "local_date": "2024-05-02"},
    ),
    ("utc_offset", {"zone": "Asia/Kolkata"}, {"utc_offset": "+05:30", "dst": False}),
    ("utc_offset", {"zone": "europe/london", "date": "2024-07-01"}, {"utc_offset": "+01:00", "dst": True}),
    ("time_difference", {"zone_a": "Europe/Berlin", "zone_b": "America/Chicago", "date": "2024-07-01"}, {"hours": -7}),
    ("list_time_zones", {"region": "Australia"}, {"count": 23}),
    ("convert_units", {"value": 10, "from_unit": "mile", "to_unit": "km"}, {"result": 16.0934}),
    ("convert_units", {"value": 2, "from_unit": "kg", "to_unit": "pound"}, {"result": 4.4092}),
    ("convert_temperature", {"value": 100, "from_unit": "fahrenheit", "to_unit": "celsius"}, {"result": 37.78}),
    ("convert_temperature", {"value": 0, "from_unit": "celsius", "to_unit": "kelvin"}, {"result": 273.15}),
    ("unit_dimension", {"unit": "km/h"}, {"dimensionality": "[length] / [time]"}),
    ("element_info", {"element": "iron"}, {"symbol": "Fe", "atomic_number": 26, "atomic_mass": 55.845}),
    ("element_by_atomic_number", {"atomic_number": 79}, {"symbol": "Au", "name": "gold"}),
    ("atomic_mass", {"element": "C"}, {"atomic_mass": 12.011}),
    ("molar_mass", {"formula": "C6H12O6"}, {"molar_mass": 180.156}),
    ("mass_composition", {"formula": "CO2"}, {"mass_percent": {"C": 27.29, "O": 72.71}}),
    ("country_info", {"country": "Germany"}, {"alpha_2": "DE", "alpha_3": "DEU", "numeric": "276"}),
    ("search_countries", {"text": "guinea"}, {"count": 4}),
    ("country_subdivisions", {"country": "CH"}, {"count": 26, "country": "Switzerland"}),
    ("currency_info", {"currency": "JPY"}, {"name": "Yen", "numeric": "392"}),
    ("language_info", {"language": "Swahili"}, {"alpha_2": "sw", "alpha_3": "swa"}),
    ("number_to_words", {"number": 1234}, {"words": "one thousand, two hundred and thirty-four"}),
    ("number_to_words", {"number": 42, "language": "fr"}, {"words": "quarante-deux"}),
    ("ordinal_words", {"number": 21}, {"words": "twenty-first"}),
    ("currency_amount_in_words", {"amount": 12.5, "currency": "EUR"}, {"words": "twelve euro, fifty cents"}),
    ("to_roman_numeral", {"number": 2024}, {"roman": "MMXXIV"}),
    ("from_roman_numeral", {"roman": "mcmxciv"}, {"number": 1994}),
    ("count_words", {"text": "The quick brown fox's well-known jump"}, {"words": 6}),
    ("count_characters", {"text": "hello world 42", "include_spaces": False}, {"characters": 12, "digits": 2}),
    ("change_case", {"text": "hello wORLD", "case": "sentence"}, {"text": "Hello world"}),
    ("reverse_text", {"text": "one two three", "unit": "words"}, {"text": "three two one"}),
    ("is_palindrome", {"text": "A man, a plan, a canal: Panama"}, {"is_palindrome": True}),
    ("count_occurrences", {"text": "The cat and the hat", "substring": "the"}, {"count": 2}),
    ("slugify", {"text": "Héllo, World!"}, {"slug": "hello-world"}),
    ("hash_text", {"text": "hello", "algorithm": "md5"}, {"hexdigest": "5d41402abc4b2a76b9719d911017c592"}),
    ("base64_encode", {"text": "hello"}, {"base64": "aGVsbG8="}),
    ("base64_decode", {"data": "aGVsbG8="}, {"text": "hello"}),
    ("url_encode", {"text": "a b&c"}, {"encoded": "a%20b%26c"}),
]

# (function name, arguments) that the tool must refuse with a clear message
FAILURES = [
    ("calculator", {"expression": "1 / 0"}, "division by zero"),
    ("calculator", {"expression": "9 ** 9 ** 9"}, "too large"),
    ("calculator", {"expression": "10**4400"}, "too large"),  # beyond Python's int -> str limit
    ("calculator", {"expression": "round(10**4000, -10**8)"}, "round()"),  # minutes of C before the cap
    ("convert_units", {"value": 1, "from_unit": "m**(9**9**9)", "to_unit": "m"}, "unit powers"),
    ("unit_dimension", {"unit": "m**9**9**9"}, "unit powers"),
    ("unit_dimension", {"unit": "m" * 200}, "at most"),
    ("calculator", {"expression": "__import__('os').system('ls')"}, "unsupported"),
    ("prime_factors", {"n": 1}, "between"),
    ("day_of_week", {"date": "04/07/2024"}, "ISO date"),
    ("list_public_holidays", {"country": "Atlantis", "year": 2024}, "unknown country"),
    ("convert_units", {"value": 1, "from_unit": "kg", "to_unit": "meter"}, "different kinds"),
    ("convert_time_zone", {"datetime": "2024-05-01T14:30", "from_zone": "Mars/Base", "to_zone": "UTC"}, "time zone"),
    ("element_info", {"element": "unobtainium"}, "unknown element"),
    ("from_roman_numeral", {"roman": "IIII"}, "well-formed"),
    ("base64_decode", {"data": "%%%"}, "Base64"),
    ("correlation", {"x": [1, 2], "y": [1]}, "same length"),
]


@pytest.fixture(scope="module")
def executor():  # type: ignore[no-untyped-def]
    return builtin_executor()


def test_catalog_size_and_schemas() -> None:
    catalog = builtin_catalog()
    assert len(catalog) >= 40 and len(catalog.tools()) >= 8
    for api in catalog:
        assert len(api.description) > 20, api.id
        assert api.tool_description, api.id
        jsonschema.Draft202012Validator.check_schema(api.parameters)
        for name, schema in api.parameters["properties"].items():
            assert schema.get("description"), f"{api.id}: parameter {name} has no description"


def test_every_api_has_a_case() -> None:
    tested = {name for name, _, _ in CASES}
    assert tested == set(builtin_catalog().name_map)


@pytest.mark.parametrize(("name", "arguments", "expected"), CASES, ids=[c[0] for c in CASES])
def test_tool_on_real_values(executor, name: str, arguments: dict, expected: dict) -> None:  # type: ignore[no-untyped-def]
    observation = executor.call(ToolCall("c1", name, arguments))
    assert observation.ok, observation.content
    assert observation.provenance == Provenance.REAL
    response = observation.response
    assert {key: response[key] for key in expected} == expected
    json.loads(observation.content)


@pytest.mark.parametrize(("name", "arguments", "message"), FAILURES, ids=[c[0] for c in FAILURES])
def test_tool_refuses_bad_values(executor, name: str, arguments: dict, message: str) -> None:  # type: ignore[no-untyped-def]
    observation = executor.call(ToolCall("c1", name, arguments))
    assert observation.status == ObservationStatus.REQUEST_FAILED
    assert message in observation.error
    assert json.loads(observation.content)["error"] == observation.error


@pytest.mark.parametrize(
    ("expression", "value"),
    [
        ("2 + 3 * 4", 14), ("(2 + 3) * 4", 20), ("2 ^ 3 ^ 2", 512), ("-2 ** 2", -4), ("10 - 4 - 3", 3),
        ("100 / 10 / 5", 2), ("7 // 2 + 7 % 2", 4), ("  1,000 * 3 ", 3000), ("50%", 0.5), ("2 × 3 ÷ 4", 1.5),
        ("sqrt(2) * sqrt(2)", 2.0000000000000004), ("max(3, 8) - min(3, 8)", 5), ("12 =", 12),
    ],
)
def test_calculator_precedence_and_notation(expression: str, value: float) -> None:
    assert evaluate(expression) == value


def test_calculator_toolformer_format() -> None:
    assert calculate("400 / 1400") == "0.29"
    assert calculate("2 + 2") == "4"
    assert calculate("10 / 4") == "2.5"
    assert calculate("3 * 1.5") == "4.5"
    assert calculate("1e3 / 8") == "125"
    with pytest.raises(ValueError, match="cannot parse"):
        calculate("2 +")
    nested = "(" * 300 + "1" + ")" * 300
    for bad in ("max()", "1e308 * 10", "sqrt(-1)", "(-8) ** 0.5", "x + 1", "[1, 2]", "'a' * 3", nested):
        with pytest.raises(ValueError):
            calculate(bad)


def test_resource_caps_answer_fast(executor) -> None:  # type: ignore[no-untyped-def]
    import time

    start = time.perf_counter()
    for name, arguments in [("calculator", {"expression": "round(10**4000, -10**8)"}),
                            ("calculator", {"expression": "10**4000 * 10**4000"}),
                            ("unit_dimension", {"unit": "m**(9**9**9)"})]:
        assert not executor.call(ToolCall("c1", name, arguments)).ok
    assert time.perf_counter() - start < 5
    assert evaluate("10**3999") == 10**3999 and evaluate("round(1234.5678, -2)") == 1200
    assert executor.call(ToolCall("c1", "unit_dimension", {"unit": "kg*m**2/s**2"})).ok
