"""ToolBench name rules and function-name fitting."""

from __future__ import annotations

import pytest

from toolbench.catalog.names import (
    FUNCTION_NAME_RE,
    change_name,
    fit_function_name,
    parameter_name,
    sanitize_function_name,
    standardize,
    toolbench_function_name,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Simple YouTube Search", "simple_youtube_search"),
        ("/open-api/v1.0/indoor-air-quality/iot/", "open_api_v1_0_indoor_air_quality_iot"),
        ("123 Movies", "get_123_movies"),
        ("  __Hello--World__ ", "hello_world"),
        ("天气 API", "天气_api"),
        ("", ""),
    ],
)
def test_standardize_matches_toolbench(raw: str, expected: str) -> None:
    assert standardize(raw) == expected


def test_reserved_names_and_parameters() -> None:
    assert [change_name(n) for n in ("from", "class", "return", "false", "true", "id", "and", "q")] == [
        "is_from", "is_class", "is_return", "is_false", "is_true", "is_id", "is_and", "q"]
    assert parameter_name("Content-Type") == "content_type"
    assert parameter_name("!!!") == "param"
    assert parameter_name("array[]") == "array"


def test_toolbench_function_name() -> None:
    assert toolbench_function_name("Search", "Simple YouTube Search") == "search_for_simple_youtube_search"
    assert toolbench_function_name("from", "X") == "is_from_for_x"
    assert toolbench_function_name("???", "!!!") == "api_for_tool"


def test_fit_never_truncates_silently() -> None:
    long_a = "a" * 70 + "_one"
    long_b = "a" * 70 + "_two"
    fitted = {fit_function_name(n, n) for n in (long_a, long_b)}
    assert len(fitted) == 2
    assert all(len(n) == 64 and FUNCTION_NAME_RE.match(n) for n in fitted)
    assert fit_function_name("ok_name", "k") == "ok_name"
    assert sanitize_function_name("a.b c") == "a_b_c"
    assert sanitize_function_name("") == "function"
