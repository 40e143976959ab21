"""The source of the built-in instruction set: hand-written questions with gold call chains.

Each :class:`Instruction` is a question, the ordered calls that answer it and the response
fields that hold the answer (``"N.key"``: field ``key`` of call ``N``'s response). An
argument written ``"$N.key"`` takes that field of an earlier call; the stored gold calls
hold the resolved literal values. :func:`build_records` runs every chain with the real
built-in tools and returns the query records; the packaged file
``toolbench/resources/builtin_instructions.jsonl`` is written by::

    python -m toolbench.builtin_tools.instruction_set

Groups follow ToolBench: ``G1`` one tool, ``G2`` several tools of one category, ``G3``
tools of several categories.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from toolbench.types import Query

SOURCE = "toolbench-kit built-in instructions v1"


@dataclass(frozen=True)
class Instruction:
    group: str
    query: str
    calls: tuple[tuple[str, dict[str, Any]], ...]
    answer: tuple[str, ...]


def _i(group: str, query: str, *calls: tuple[str, dict[str, Any]], answer: str | tuple[str, ...]) -> Instruction:
    return Instruction(group, query, tuple(calls), (answer,) if isinstance(answer, str) else tuple(answer))


G1 = [
    _i("G1", "Calculate 23 * 47.", ("calculator", {"expression": "23 * 47"}), answer="0.result"),
    _i("G1", "What is (120 + 35) / 5?", ("calculator", {"expression": "(120 + 35) / 5"}), answer="0.result"),
    _i("G1", "Compute 2 ^ 16.", ("calculator", {"expression": "2 ^ 16"}), answer="0.result"),
    _i("G1", "What is 15 percent of 240?", ("percentage_of", {"percent": 15, "value": 240}), answer="0.result"),
    _i("G1", "By what percent did a price change when it went from 80 to 92?",
       ("percent_change", {"old_value": 80, "new_value": 92}), answer="0.percent_change"),
    _i("G1", "Is 221 a prime number?", ("is_prime", {"n": 221}), answer="0.is_prime"),
    _i("G1", "What are the prime factors of 84?", ("prime_factors", {"n": 84}), answer="0.prime_factors"),
    _i("G1", "What is the greatest common divisor of 84 and 126?",
       ("greatest_common_divisor", {"numbers": [84, 126]}), answer="0.gcd"),
    _i("G1", "Find the least common multiple of 12 and 18.",
       ("least_common_multiple", {"numbers": [12, 18]}), answer="0.lcm"),
    _i("G1", "What is the factorial of 8?", ("factorial", {"n": 8}), answer="0.factorial"),
    _i("G1", "What is the 20th Fibonacci number?", ("fibonacci_number", {"n": 20}), answer="0.fibonacci"),
    _i("G1", "What is the average of 4, 8, 15, 16, 23 and 42?",
       ("mean", {"numbers": [4, 8, 15, 16, 23, 42]}), answer="0.mean"),
    _i("G1", "Find the median of 7, 3, 9, 1 and 5.", ("median", {"numbers": [7, 3, 9, 1, 5]}), answer="0.median"),
    _i("G1", "What is the population standard deviation of 2, 4, 4, 4, 5, 5, 7 and 9?",
       ("standard_deviation", {"numbers": [2, 4, 4, 4, 5, 5, 7, 9], "kind": "population"}),
       answer="0.standard_deviation"),
    _i("G1", "What day of the week was 2024-07-04?", ("day_of_week", {"date": "2024-07-04"}), answer="0.weekday"),
    _i("G1", "On which weekday does 2025-12-25 fall?", ("day_of_week", {"date": "2025-12-25"}), answer="0.weekday"),
    _i("G1", "How many days are there from 2024-01-01 to 2024-03-01?",
       ("days_between", {"start_date": "2024-01-01", "end_date": "2024-03-01"}), answer="0.days"),
    _i("G1", "What date is 100 days after 2024-01-01?", ("add_days", {"date": "2024-01-01", "days": 100}),
       answer="0.result"),
    _i("G1", "Is 2100 a leap year?", ("is_leap_year", {"year": 2100}), answer="0.is_leap_year"),
    _i("G1", "How many days does February 2024 have?", ("days_in_month", {"year": 2024, "month": 2}),
       answer="0.days"),
    _i("G1", "What is the ISO week number of 2024-08-15?", ("week_number", {"date": "2024-08-15"}),
       answer="0.week"),
    _i("G1", "Is 2024-12-25 a public holiday in Germany?",
       ("is_public_holiday", {"date": "2024-12-25", "country": "DE"}), answer="0.is_holiday"),
    _i("G1", "How many public holidays does Japan have in 2024?",
       ("list_public_holidays", {"country": "JP", "year": 2024}), answer="0.count"),
    _i("G1", "What is the next public holiday in the US on or after 2024-11-01?",
       ("next_public_holiday", {"country": "US", "date": "2024-11-01"}), answer="0.holiday"),
    _i("G1", "When it is 2024-03-15T09:00 in Europe/London, what time is it in Asia/Tokyo?",
       ("convert_time_zone", {"datetime": "2024-03-15T09:00", "from_zone": "Europe/London", "to_zone": "Asia/Tokyo"}),
       answer="0.local_time"),
    _i("G1", "What is the UTC offset of the Asia/Kolkata time zone?", ("utc_offset", {"zone": "Asia/Kolkata"}),
       answer="0.utc_offset"),
    _i("G1", "Convert 5 miles to kilometers.",
       ("convert_units", {"value": 5, "from_unit": "mile", "to_unit": "kilometer"}), answer="0.result"),
    _i("G1", "How many pounds is 70 kilograms?",
       ("convert_units", {"value": 70, "from_unit": "kilogram", "to_unit": "pound"}), answer="0.result"),
    _i("G1", "Convert 30 degrees Celsius to Fahrenheit.",
       ("convert_temperature", {"value": 30, "from_unit": "celsius", "to_unit": "fahrenheit"}), answer="0.result"),
    _i("G1", "What is the atomic number of gold?", ("element_info", {"element": "gold"}), answer="0.atomic_number"),
    _i("G1", "Which chemical element has atomic number 8?", ("element_by_atomic_number", {"atomic_number": 8}),
       answer="0.name"),
    _i("G1", "What is the molar mass of H2O?", ("molar_mass", {"formula": "H2O"}), answer="0.molar_mass"),
    _i("G1", "What is the ISO alpha-3 code of Brazil?", ("country_info", {"country": "Brazil"}),
       answer="0.alpha_3"),
    _i("G1", "What is the name of the currency with the code CHF?", ("currency_info", {"currency": "CHF"}),
       answer="0.name"),
    _i("G1", "What is the two-letter ISO 639-1 code of the Japanese language?",
       ("language_info", {"language": "Japanese"}), answer="0.alpha_2"),
    _i("G1", "Write the number 2024 in words.", ("number_to_words", {"number": 2024}), answer="0.words"),
    _i("G1", "Write 1987 as a Roman numeral.", ("to_roman_numeral", {"number": 1987}), answer="0.roman"),
    _i("G1", "What number is the Roman numeral XLII?", ("from_roman_numeral", {"roman": "XLII"}),
       answer="0.number"),
    _i("G1", "How many words are in the sentence 'the cat sat on the mat'?",
       ("count_words", {"text": "the cat sat on the mat"}), answer="0.words"),
    _i("G1", "Reverse the text 'stressed'.", ("reverse_text", {"text": "stressed"}), answer="0.text"),
    _i("G1", "Is 'racecar' a palindrome?", ("is_palindrome", {"text": "racecar"}), answer="0.is_palindrome"),
    _i("G1", "What is the MD5 hash of the text 'hello'?", ("hash_text", {"text": "hello", "algorithm": "md5"}),
       answer="0.hexdigest"),
    _i("G1", "Encode the text 'toolbench' in Base64.", ("base64_encode", {"text": "toolbench"}), answer="0.base64"),
]

G2 = [
    _i("G2", "What is the average of 12, 18, 30 and 40, and what are the prime factors of that average?",
       ("mean", {"numbers": [12, 18, 30, 40]}), ("prime_factors", {"n": "$0.mean"}),
       answer=("0.mean", "1.prime_factors")),
    _i("G2", "Compute the factorial of 6, then calculate 15 percent of the result.",
       ("factorial", {"n": 6}), ("percentage_of", {"percent": 15, "value": "$0.factorial"}),
       answer=("0.factorial", "1.result")),
    _i("G2", "What is the greatest common divisor of 1071 and 462, and what is 1071 divided by it?",
       ("greatest_common_divisor", {"numbers": [1071, 462]}), ("calculator", {"expression": "1071 / $0.gcd"}),
       answer=("0.gcd", "1.result")),
    _i("G2", "Find the median of 3, 9, 4, 12 and 8, then calculate 15 percent of that median.",
       ("median", {"numbers": [3, 9, 4, 12, 8]}), ("percentage_of", {"percent": 15, "value": "$0.median"}),
       answer=("0.median", "1.result")),
    _i("G2", "What is the 11th Fibonacci number, and what is the average of that number and 11?",
       ("fibonacci_number", {"n": 11}), ("mean", {"numbers": ["$0.fibonacci", 11]}),
       answer=("0.fibonacci", "1.mean")),
    _i("G2", "Which public holiday does the United States celebrate on 2024-07-04, and what day of the week is it?",
       ("is_public_holiday", {"date": "2024-07-04", "country": "US"}), ("day_of_week", {"date": "2024-07-04"}),
       answer=("0.holiday", "1.weekday")),
    _i("G2", "What is the first public holiday in France on or after 2024-05-02, and on which weekday does it fall?",
       ("next_public_holiday", {"country": "FR", "date": "2024-05-02"}), ("day_of_week", {"date": "$0.date"}),
       answer=("0.holiday", "1.weekday")),
    _i("G2", "How many working days does Germany have from 2024-12-01 to 2024-12-31, and how many days does "
             "December 2024 have in total?",
       ("count_working_days", {"start_date": "2024-12-01", "end_date": "2024-12-31", "country": "DE"}),
       ("days_in_month", {"year": 2024, "month": 12}), answer=("0.working_days", "1.days")),
    _i("G2", "A call is at 2024-06-10T15:00 in America/New_York. What is the local time in Europe/Berlin, and what "
             "day of the week is 2024-06-10?",
       ("convert_time_zone", {"datetime": "2024-06-10T15:00", "from_zone": "America/New_York",
                              "to_zone": "Europe/Berlin"}),
       ("day_of_week", {"date": "2024-06-10"}), answer=("0.local_time", "1.weekday")),
    _i("G2", "What date is 49 days after 2024-11-06, and which public holiday in the United Kingdom falls on it?",
       ("add_days", {"date": "2024-11-06", "days": 49}), ("is_public_holiday", {"date": "$0.result", "country": "GB"}),
       answer=("0.result", "1.holiday")),
    _i("G2", "What is the atomic mass of iron in grams per mole, and how many ounces are that many grams?",
       ("atomic_mass", {"element": "iron"}),
       ("convert_units", {"value": "$0.atomic_mass", "from_unit": "gram", "to_unit": "ounce"}),
       answer=("0.atomic_mass", "1.result")),
    _i("G2", "What is the molar mass of C6H12O6, and how many grams are in 2 pounds?",
       ("molar_mass", {"formula": "C6H12O6"}), ("convert_units", {"value": 2, "from_unit": "pound", "to_unit": "gram"}),
       answer=("0.molar_mass", "1.result")),
    _i("G2", "Write 365 in words, then count how many words that spelling has.",
       ("number_to_words", {"number": 365}), ("count_words", {"text": "$0.words"}), answer=("0.words", "1.words")),
    _i("G2", "Write 2024 as a Roman numeral and then reverse that text.",
       ("to_roman_numeral", {"number": 2024}), ("reverse_text", {"text": "$0.roman"}),
       answer=("0.roman", "1.text")),
    _i("G2", "Encode 'hello world' in Base64 and count the characters of the encoded text.",
       ("base64_encode", {"text": "hello world"}), ("count_characters", {"text": "$0.base64"}),
       answer=("0.base64", "1.characters")),
    _i("G2", "Spell 21 as an ordinal word and convert it to upper case.",
       ("ordinal_words", {"number": 21}), ("change_case", {"text": "$0.words", "case": "upper"}),
       answer="1.text"),
]

G3 = [
    _i("G3", "What day of the week was 2000-01-01, and how is the year 2000 written in Roman numerals?",
       ("day_of_week", {"date": "2000-01-01"}), ("to_roman_numeral", {"number": 2000}),
       answer=("0.weekday", "1.roman")),
    _i("G3", "How many days are there from 2024-01-01 to 2024-12-31, and what are the prime factors of that number?",
       ("days_between", {"start_date": "2024-01-01", "end_date": "2024-12-31"}),
       ("prime_factors", {"n": "$0.days"}), answer=("0.days", "1.prime_factors")),
    _i("G3", "What is the atomic number of silver, and how is it written as a Roman numeral?",
       ("element_info", {"element": "silver"}), ("to_roman_numeral", {"number": "$0.atomic_number"}),
       answer=("0.atomic_number", "1.roman")),
    _i("G3", "What is the molar mass of H2SO4, and what is three times that value?",
       ("molar_mass", {"formula": "H2SO4"}), ("calculator", {"expression": "3 * $0.molar_mass"}),
       answer=("0.molar_mass", "1.result")),
    _i("G3", "Find the average of 72, 85, 90 and 93, then write that average in words.",
       ("mean", {"numbers": [72, 85, 90, 93]}), ("number_to_words", {"number": "$0.mean"}),
       answer=("0.mean", "1.words")),
    _i("G3", "How many days does February 2028 have, and how is that number written as an ordinal word?",
       ("days_in_month", {"year": 2028, "month": 2}), ("ordinal_words", {"number": "$0.days"}),
       answer=("0.days", "1.words")),
    _i("G3", "What is the official name of Germany, and how many words does it have?",
       ("country_info", {"country": "Germany"}), ("count_words", {"text": "$0.official_name"}),
       answer=("0.official_name", "1.words")),
    _i("G3", "Convert 212 degrees Fahrenheit to Celsius, then compute that Celsius value times 1.8 plus 32.",
       ("convert_temperature", {"value": 212, "from_unit": "fahrenheit", "to_unit": "celsius"}),
       ("calculator", {"expression": "$0.result * 1.8 + 32"}), answer=("0.result", "1.result")),
    _i("G3", "What is the 15th Fibonacci number, and how do you write it in words?",
       ("fibonacci_number", {"n": 15}), ("number_to_words", {"number": "$0.fibonacci"}),
       answer=("0.fibonacci", "1.words")),
    _i("G3", "Which chemical element has atomic number 26, and how many letters are in its name?",
       ("element_by_atomic_number", {"atomic_number": 26}), ("count_characters", {"text": "$0.name"}),
       answer=("0.name", "1.letters")),
    _i("G3", "What is the ISO alpha-3 code of Mexico, and what is that code reversed?",
       ("country_info", {"country": "Mexico"}), ("reverse_text", {"text": "$0.alpha_3"}),
       answer=("0.alpha_3", "1.text")),
    _i("G3", "How many public holidays does Canada have in 2025, and how many hours is that at 8 hours per day?",
       ("list_public_holidays", {"country": "CA", "year": 2025}), ("calculator", {"expression": "$0.count * 8"}),
       answer=("0.count", "1.result")),
    _i("G3", "What is the time difference in hours from Europe/London to Asia/Tokyo on 2024-01-10, and how many "
             "minutes is that?",
       ("time_difference", {"zone_a": "Europe/London", "zone_b": "Asia/Tokyo", "date": "2024-01-10"}),
       ("calculator", {"expression": "$0.hours * 60"}), answer=("0.hours", "1.result")),
    _i("G3", "Convert 100 kilometers to miles, and tell me the mean of 100, 62 and 38.",
       ("convert_units", {"value": 100, "from_unit": "kilometer", "to_unit": "mile"}),
       ("mean", {"numbers": [100, 62, 38]}), answer=("0.result", "1.mean")),
    _i("G3", "What weekday is 2024-02-29, and what is the SHA-256 hash of the word 'leap'?",
       ("day_of_week", {"date": "2024-02-29"}), ("hash_text", {"text": "leap", "algorithm": "sha256"}),
       answer=("0.weekday", "1.hexdigest")),
    _i("G3", "How many working days does France have from 2025-05-01 to 2025-05-31, and what percent of the 31 days "
             "is that?",
       ("count_working_days", {"start_date": "2025-05-01", "end_date": "2025-05-31", "country": "FR"}),
       ("calculator", {"expression": "$0.working_days / 31 * 100"}), answer=("0.working_days", "1.result")),
    _i("G3", "What is the ISO alpha-2 code of Kenya, and what is the UTC offset of the Africa/Nairobi time zone?",
       ("country_info", {"country": "Kenya"}), ("utc_offset", {"zone": "Africa/Nairobi"}),
       answer=("0.alpha_2", "1.utc_offset")),
]

INSTRUCTIONS = G1 + G2 + G3


def field_at(response: Any, path: str) -> Any:
    """The value at a dotted ``path`` in a response.

    >>> field_at({"a": {"b": [5, 6]}}, "a.b")
    [5, 6]
    """
    value = response
    for part in path.split("."):
        value = value[int(part)] if isinstance(value, list) else value[part]
    return value


def _resolve(value: Any, responses: list[Any]) -> Any:
    """Replace ``"$N.path"`` (the whole value) or ``$N.path`` inside a calculator expression."""
    if isinstance(value, list):
        return [_resolve(v, responses) for v in value]
    if isinstance(value, str) and "$" in value:
        import re

        pattern = re.compile(r"\$(\d+)\.([\w.]+)")
        whole = pattern.fullmatch(value)
        if whole:
            return field_at(responses[int(whole.group(1))], whole.group(2))
        return pattern.sub(lambda m: str(field_at(responses[int(m.group(1))], m.group(2))), value)
    return value


def run_chain(executor: Any, calls: list[dict[str, Any]]) -> list[Any]:
    """Run literal gold calls; return their responses (raises when a call fails)."""
    from toolbench.types import ToolCall

    responses = []
    for number, call in enumerate(calls):
        observation = executor.call(ToolCall(f"gold_{number}", call["name"], call["arguments"]))
        if not observation.ok:
            raise ValueError(f"gold call {call['name']} failed: {observation.error}")
        responses.append(observation.response)
    return responses


def answer_from(responses: list[Any], paths: list[str]) -> Any:
    """The expected answer: one value, or a list of values for several paths."""
    values = [field_at(responses[int(p.split(".", 1)[0])], p.split(".", 1)[1]) for p in paths]
    return values[0] if len(values) == 1 else values


def build_query(number: int, item: Instruction, executor: Any, prefix: str = "builtin",
                source: str = SOURCE) -> Query:
    """Execute one instruction's chain and make its :class:`Query` record."""
    catalog = executor.catalog
    calls: list[dict[str, Any]] = []
    responses: list[Any] = []
    for name, arguments in item.calls:
        literal = {k: _resolve(v, responses) for k, v in arguments.items()}
        calls.append({"name": name, "arguments": literal})
        responses = run_chain(executor, calls)
    api_ids = list(dict.fromkeys(catalog.by_function_name(c["name"]).id for c in calls))
    return Query(
        query_id=f"{prefix}-{item.group}-{number:03d}",
        query=item.query,
        relevant_api_ids=api_ids,
        expected_answer=answer_from(responses, list(item.answer)),
        group=item.group,
        extra={"gold_calls": calls, "answer_paths": list(item.answer), "source": source},
    )


def build_instruction_records(items: list[Instruction], prefix: str = "builtin",
                              source: str = SOURCE) -> list[dict[str, Any]]:
    """Records of ``items`` (ids ``{prefix}-{group}-{number}``), answers computed with the real tools."""
    from toolbench.builtin_world import builtin_executor

    executor = builtin_executor(isolation="none")
    counters: dict[str, int] = {}
    records = []
    for item in items:
        counters[item.group] = counters.get(item.group, 0) + 1
        records.append(build_query(counters[item.group], item, executor, prefix, source).to_dict())
    return records


def build_records() -> list[dict[str, Any]]:
    """All instruction records, answers computed with the real built-in tools."""
    return build_instruction_records(INSTRUCTIONS)


def main() -> None:  # pragma: no cover - maintenance entry point
    from importlib import resources

    from toolbench.store import write_jsonl

    target = resources.files("toolbench.resources").joinpath("builtin_instructions.jsonl")
    write_jsonl(str(target), build_records())


if __name__ == "__main__":  # pragma: no cover
    main()
