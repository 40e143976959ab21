"""A second held-out set: everyday-phrased requests with gold call chains and answers.

The built-in instruction set (:mod:`toolbench.builtin_tools.instruction_set`) asks
"What is X of Y?". People ask differently: a bill to split, a flight date, a recipe.
These requests were written by hand, independently of the training templates
(:mod:`data.builtin_templates`), to check that a model tuned on template data has learnt
to use the tools rather than the templates' wording. Answers are computed by running the
gold calls with the real tools; the packaged file ``toolbench/resources/builtin_everyday.jsonl``
is written by::

    python -m toolbench.builtin_tools.everyday_set
"""

from __future__ import annotations

from toolbench.builtin_tools.instruction_set import Instruction, _i

SOURCE = "toolbench-kit everyday instructions v1"
RESOURCE = "builtin_everyday.jsonl"

G1 = [
    _i("G1", "Six of us had dinner and the bill came to 186 dollars. How much does each person pay if we split it "
             "evenly?", ("calculator", {"expression": "186 / 6"}), answer="0.result"),
    _i("G1", "My flight leaves on 2025-08-14. Which day of the week is that?",
       ("day_of_week", {"date": "2025-08-14"}), answer="0.weekday"),
    _i("G1", "Our project kicks off on 2025-02-10 and needs 45 days. On which date does it end?",
       ("add_days", {"date": "2025-02-10", "days": 45}), answer="0.result"),
    _i("G1", "The bread recipe calls for 350 grams of flour, but my scale shows ounces. How many ounces do I need?",
       ("convert_units", {"value": 350, "from_unit": "gram", "to_unit": "ounce"}), answer="0.result"),
    _i("G1", "The thermometer on the porch says 68 degrees Fahrenheit. What is that in Celsius?",
       ("convert_temperature", {"value": 68, "from_unit": "fahrenheit", "to_unit": "celsius"}), answer="0.result"),
    _i("G1", "I want to leave an 18 percent tip on a 64 dollar restaurant bill. How big is the tip?",
       ("percentage_of", {"percent": 18, "value": 64}), answer="0.result"),
    _i("G1", "My test scores this term were 78, 85, 92 and 88. What's my average score?",
       ("mean", {"numbers": [78, 85, 92, 88]}), answer="0.mean"),
    _i("G1", "The cornerstone of the library should show the year 1999 in Roman numerals. How is it written?",
       ("to_roman_numeral", {"number": 1999}), answer="0.roman"),
    _i("G1", "Our bakery slogan is 'fresh bread every single morning'. How many words does it have?",
       ("count_words", {"text": "fresh bread every single morning"}), answer="0.words"),
    _i("G1", "Rent went up from 1200 to 1290 a month. By what percentage did it rise?",
       ("percent_change", {"old_value": 1200, "new_value": 1290}), answer="0.percent_change"),
    _i("G1", "I'm planning a trip in 2026. Will February of that year have a 29th day, i.e. is 2026 a leap year?",
       ("is_leap_year", {"year": 2026}), answer="0.is_leap_year"),
    _i("G1", "My friend lives in Australia/Sydney. What is the UTC offset there on 2025-07-01?",
       ("utc_offset", {"zone": "Australia/Sydney", "date": "2025-07-01"}), answer="0.utc_offset"),
    _i("G1", "For my chemistry homework I need the molar mass of CO2. What is it?",
       ("molar_mass", {"formula": "CO2"}), answer="0.molar_mass"),
    _i("G1", "I have 48 cupcakes and 36 cookies to pack into identical boxes with nothing left over. What is the "
             "largest number of boxes I can use (the greatest common divisor)?",
       ("greatest_common_divisor", {"numbers": [48, 36]}), answer="0.gcd"),
    _i("G1", "Is the hotel door code 9973 a prime number?", ("is_prime", {"n": 9973}), answer="0.is_prime"),
]

G2 = [
    _i("G2", "I'm travelling on 2025-10-13. What weekday is that, and is it a public holiday in the United States?",
       ("day_of_week", {"date": "2025-10-13"}), ("is_public_holiday", {"date": "2025-10-13", "country": "US"}),
       answer=("0.weekday", "1.holiday")),
    _i("G2", "My exam scores were 64, 75, 81 and 90. What's the median, and what is 40 percent of that median?",
       ("median", {"numbers": [64, 75, 81, 90]}), ("percentage_of", {"percent": 40, "value": "$0.median"}),
       answer=("0.median", "1.result")),
    _i("G2", "Spell the number 42 in words, then tell me how many characters that spelling has.",
       ("number_to_words", {"number": 42}), ("count_characters", {"text": "$0.words"}),
       answer=("0.words", "1.characters")),
    _i("G2", "Encode my username 'coffee' in Base64, then count the characters of the encoded text.",
       ("base64_encode", {"text": "coffee"}), ("count_characters", {"text": "$0.base64"}),
       answer=("0.base64", "1.characters")),
    _i("G2", "For a lab report I need the molar mass of NaCl, and I also need to know how many pounds 500 grams is.",
       ("molar_mass", {"formula": "NaCl"}), ("convert_units", {"value": 500, "from_unit": "gram", "to_unit": "pound"}),
       answer=("0.molar_mass", "1.result")),
    _i("G2", "A client call is at 2025-03-20T14:00 in Europe/Paris. What time is that in America/Chicago, and which "
             "weekday is 2025-03-20?",
       ("convert_time_zone", {"datetime": "2025-03-20T14:00", "from_zone": "Europe/Paris",
                              "to_zone": "America/Chicago"}),
       ("day_of_week", {"date": "2025-03-20"}), answer=("0.local_time", "1.weekday")),
    _i("G2", "The workshop starts 2025-06-02 and lasts 30 days. What's the end date, and is that end date a public "
             "holiday in Germany?",
       ("add_days", {"date": "2025-06-02", "days": 30}), ("is_public_holiday", {"date": "$0.result", "country": "DE"}),
       answer=("0.result", "1.is_holiday")),
    _i("G2", "I need 7 factorial for a puzzle, and then the greatest common divisor of that number and 1000.",
       ("factorial", {"n": 7}), ("greatest_common_divisor", {"numbers": ["$0.factorial", 1000]}),
       answer=("0.factorial", "1.gcd")),
    _i("G2", "Write 1848 as a Roman numeral for a plaque, and then show me that numeral written backwards.",
       ("to_roman_numeral", {"number": 1848}), ("reverse_text", {"text": "$0.roman"}),
       answer=("0.roman", "1.text")),
    _i("G2", "How many working days does Italy have from 2025-08-01 to 2025-08-31, and how many days does August "
             "2025 have in total?",
       ("count_working_days", {"start_date": "2025-08-01", "end_date": "2025-08-31", "country": "IT"}),
       ("days_in_month", {"year": 2025, "month": 8}), answer=("0.working_days", "1.days")),
    _i("G2", "My car's fuel use rose from 6.5 to 7.8 liters per 100 km. What's the percent change, and what is "
             "that change multiplied by 3?",
       ("percent_change", {"old_value": 6.5, "new_value": 7.8}),
       ("calculator", {"expression": "$0.percent_change * 3"}), answer=("0.percent_change", "1.result")),
    _i("G2", "Give me the atomic mass of copper, and convert that many grams into ounces.",
       ("atomic_mass", {"element": "copper"}),
       ("convert_units", {"value": "$0.atomic_mass", "from_unit": "gram", "to_unit": "ounce"}),
       answer=("0.atomic_mass", "1.result")),
]

G3 = [
    _i("G3", "How many days are there from 2025-01-01 to 2025-04-01, and is that number prime?",
       ("days_between", {"start_date": "2025-01-01", "end_date": "2025-04-01"}), ("is_prime", {"n": "$0.days"}),
       answer=("0.days", "1.is_prime")),
    _i("G3", "What is the atomic number of copper, and how would I write that number as a Roman numeral?",
       ("element_info", {"element": "copper"}), ("to_roman_numeral", {"number": "$0.atomic_number"}),
       answer=("0.atomic_number", "1.roman")),
    _i("G3", "I'm emailing someone in Norway: what is Norway's two-letter country code, and what is the UTC offset "
             "of Europe/Oslo?",
       ("country_info", {"country": "Norway"}), ("utc_offset", {"zone": "Europe/Oslo"}),
       answer=("0.alpha_2", "1.utc_offset")),
    _i("G3", "My daughter turns 13 on 2026-05-09. What weekday is that, and what are the prime factors of 2026?",
       ("day_of_week", {"date": "2026-05-09"}), ("prime_factors", {"n": 2026}),
       answer=("0.weekday", "1.prime_factors")),
    _i("G3", "Convert 26 miles to kilometers for my marathon log, and write the number 26 in words.",
       ("convert_units", {"value": 26, "from_unit": "mile", "to_unit": "kilometer"}),
       ("number_to_words", {"number": 26}), answer=("0.result", "1.words")),
    _i("G3", "Which element has atomic number 47, and how many characters does its name have?",
       ("element_by_atomic_number", {"atomic_number": 47}), ("count_characters", {"text": "$0.name"}),
       answer=("0.name", "1.characters")),
    _i("G3", "How many public holidays does Spain have in 2025, and what is that number times 8 hours?",
       ("list_public_holidays", {"country": "ES", "year": 2025}), ("calculator", {"expression": "$0.count * 8"}),
       answer=("0.count", "1.result")),
    _i("G3", "What's the official name of Argentina, and how many words does that name have?",
       ("country_info", {"country": "Argentina"}), ("count_words", {"text": "$0.official_name"}),
       answer=("0.official_name", "1.words")),
    _i("G3", "Our team's average score was the mean of 45, 55 and 65. What is it, and how do you spell that average "
             "in words?",
       ("mean", {"numbers": [45, 55, 65]}), ("number_to_words", {"number": "$0.mean"}),
       answer=("0.mean", "1.words")),
    _i("G3", "What is the SHA-1 hash of the word 'pizza', and what day of the week was 2025-01-31?",
       ("hash_text", {"text": "pizza", "algorithm": "sha1"}), ("day_of_week", {"date": "2025-01-31"}),
       answer=("0.hexdigest", "1.weekday")),
    _i("G3", "Water boils at 100 degrees Celsius. What's that in Fahrenheit, and is that Fahrenheit number prime?",
       ("convert_temperature", {"value": 100, "from_unit": "celsius", "to_unit": "fahrenheit"}),
       ("is_prime", {"n": "$0.result"}), answer=("0.result", "1.is_prime")),
    _i("G3", "What is the 10th Fibonacci number, and which chemical element has that atomic number?",
       ("fibonacci_number", {"n": 10}), ("element_by_atomic_number", {"atomic_number": "$0.fibonacci"}),
       answer=("0.fibonacci", "1.name")),
]

INSTRUCTIONS: list[Instruction] = G1 + G2 + G3


def build_records() -> list[dict]:
    """All everyday records, answers computed with the real built-in tools."""
    from toolbench.builtin_tools.instruction_set import build_instruction_records

    return build_instruction_records(INSTRUCTIONS, prefix="everyday", source=SOURCE)


def main() -> None:  # pragma: no cover - maintenance entry point
    from importlib import resources

    from toolbench.store import write_jsonl

    write_jsonl(str(resources.files("toolbench.resources").joinpath(RESOURCE)), build_records())


if __name__ == "__main__":  # pragma: no cover
    main()
