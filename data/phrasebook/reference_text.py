"""Templates for the Reference (Countries) and Text (Number Words, Text Utilities, Encoding) categories."""

from __future__ import annotations

import base64

from data.phrasebook.base import (
    COUNTRIES,
    CURRENCIES,
    CURRENCY_NAMES,
    LANGUAGES,
    SENTENCES,
    TITLES,
    WORDS,
    CallTemplate,
)


def _t(key, function, phrasings, arguments, answer_key, slots=None, **more) -> CallTemplate:
    """A template with tuple phrasings (keeps the table below short)."""
    return CallTemplate(key, function, tuple(phrasings), arguments, answer_key, slots or {}, **more)


def roman(number: int) -> str:
    """``number`` in Roman numerals (to write questions about reading them).

    >>> roman(1994), roman(4)
    ('MCMXCIV', 'IV')
    """
    out = ""
    for value, letters in ((1000, "M"), (900, "CM"), (500, "D"), (400, "CD"), (100, "C"), (90, "XC"), (50, "L"),
                           (40, "XL"), (10, "X"), (9, "IX"), (5, "V"), (4, "IV"), (1, "I")):
        while number >= value:
            out, number = out + letters, number - value
    return out


_NUMBERS = tuple(range(11, 5000, 17))
_SUBSTRINGS = (("an", "banana"), ("ss", "mississippi"), ("o", "good food for the soul"), ("the", SENTENCES[0]),
               ("e", "every cloud has a silver lining"), ("ra", "radar races rarely"), ("is", "this is his wish"))

COUNTRY_TOOLS = [
    _t("official_name", "country_info", ["What is the official name of {country}?",
                                         "What is {country} officially called?"],
       {"country": "{country}"}, "official_name", {"country": COUNTRIES}, noun="official name"),
    _t("alpha2", "country_info", ["What is the ISO alpha-2 code of {country}?",
                                  "What is the two-letter country code of {country}?"],
       {"country": "{country}"}, "alpha_2", {"country": COUNTRIES}, noun="code"),
    _t("alpha3", "country_info", ["What is the ISO alpha-3 code of {country}?",
                                  "What is the three-letter country code of {country}?"],
       {"country": "{country}"}, "alpha_3", {"country": COUNTRIES}, noun="code"),
    _t("numeric_code", "country_info", ["What is the ISO numeric code of {country}?"],
       {"country": "{country}"}, "numeric", {"country": COUNTRIES}, noun="code"),
    _t("search", "search_countries", ["How many countries have '{text}' in their name?",
                                      "Search the countries whose names contain '{text}': how many are there?"],
       {"text": "{text}"}, "count", {"text": ("guinea", "island", "republic", "south", "new", "saint", "united",
                                              "land", "stan", "ia", "burg", "sudan")}, noun="count"),
    _t("subdivisions", "country_subdivisions", ["How many subdivisions (states, provinces or regions) does {country} "
                                                "have?", "Count the ISO subdivisions of {country}."],
       {"country": "{country}"}, "count", {"country": ("Austria", "Australia", "Canada", "Mexico", "Brazil",
                                                       "Argentina", "India", "Germany", "Switzerland", "Belgium",
                                                       "Norway", "Chile", "Peru", "Kenya", "Nigeria")},
       noun="number of subdivisions"),
    _t("currency_name", "currency_info", ["What is the name of the currency with the code {code}?",
                                          "Which currency has the ISO code {code}?"],
       {"currency": "{code}"}, "name", {"code": CURRENCIES}, noun="currency"),
    _t("currency_code", "currency_info", ["What is the ISO code of the {name}?",
                                          "Which three-letter code does the {name} have?"],
       {"currency": "{name}"}, "code", {"name": CURRENCY_NAMES}, noun="code"),
    _t("language2", "language_info", ["What is the two-letter ISO 639-1 code of the {language} language?",
                                      "Which two-letter code stands for {language}?"],
       {"language": "{language}"}, "alpha_2", {"language": LANGUAGES}, noun="code"),
    _t("language3", "language_info", ["What is the three-letter ISO 639 code of {language}?"],
       {"language": "{language}"}, "alpha_3", {"language": LANGUAGES}, noun="code"),
]

NUMBER_WORDS = [
    _t("words", "number_to_words", ["How do you write {n} in words?", "Spell out the number {n}.",
                                    "Write {n} in words."],
       {"number": "{n}"}, "words", {"n": _NUMBERS}, noun="spelling", chain_slot="n", accepts=("num",),
       chain_phrasings=("write {ref} in words.", "spell {ref} out in words.", "how do you write {ref} in words?")),
    _t("ordinal", "ordinal_words", ["How do you write the ordinal of {n} in words?",
                                    "Spell {n} as an ordinal word.", "Write the ordinal number {n} as a word."],
       {"number": "{n}"}, "words", {"n": tuple(range(1, 200))}, noun="ordinal", chain_slot="n", accepts=("int",),
       chain_phrasings=("spell {ref} as an ordinal word.", "write {ref} as an ordinal word.")),
    _t("amount_words", "currency_amount_in_words", ["Write {amount} {currency} in words.",
                                                    "How would a check for {amount} {currency} spell the amount?"],
       {"amount": "{amount}", "currency": "{currency}"}, "words",
       {"amount": (12.5, 99.99, 250.0, 1200.75, 18.2, 7.05, 430.0, 65.3), "currency": ("USD", "EUR", "GBP")},
       noun="amount in words"),
    _t("roman", "to_roman_numeral", ["What is {n} as a Roman numeral?", "Write {n} in Roman numerals.",
                                     "How is the year {n} written in Roman numerals?"],
       {"number": "{n}"}, "roman", {"n": tuple(range(4, 3900, 23))}, noun="numeral", chain_slot="n",
       accepts=("int",),
       chain_phrasings=("write {ref} as a Roman numeral.", "how is {ref} written in Roman numerals?")),
    _t("from_roman", "from_roman_numeral", ["What number is the Roman numeral {numeral}?",
                                            "Convert the Roman numeral {numeral} to a number."],
       {"roman": "{numeral}"}, "number", {"n": tuple(range(3, 3900, 29))}, noun="number",
       derive=lambda s: {"numeral": roman(int(s["n"]))}),
]

TEXT_UTILITIES = [
    _t("count_words", "count_words", ["How many words are in the sentence '{sentence}'?",
                                      "Count the words in '{sentence}'."],
       {"text": "{sentence}"}, "words", {"sentence": SENTENCES}, noun="word count", chain_slot="sentence",
       accepts=("text",), chain_phrasings=("how many words does {ref} have?", "count the words in {ref}.")),
    _t("characters", "count_characters", ["How many characters are in '{word}'?", "Count the characters of '{word}'."],
       {"text": "{word}"}, "characters", {"word": WORDS + SENTENCES}, noun="character count", chain_slot="word",
       accepts=("text",), chain_phrasings=("how many characters does {ref} have?", "count the characters of {ref}.")),
    _t("letters", "count_characters", ["How many letters does '{word}' have?"],
       {"text": "{word}"}, "letters", {"word": WORDS + SENTENCES}, noun="letter count", chain_slot="word",
       accepts=("name",), chain_phrasings=("how many letters are in {ref}?",)),
    _t("upper", "change_case", ["Convert '{sentence}' to upper case.", "Write '{sentence}' in capital letters."],
       {"text": "{sentence}", "case": "upper"}, "text", {"sentence": SENTENCES + WORDS}, noun="text",
       chain_slot="sentence", accepts=("text",), chain_phrasings=("convert {ref} to upper case.",)),
    _t("title", "change_case", ["Write '{sentence}' in title case.", "Capitalise each word of '{sentence}'."],
       {"text": "{sentence}", "case": "title"}, "text", {"sentence": SENTENCES}, noun="text", chain_slot="sentence",
       accepts=("text",), chain_phrasings=("write {ref} in title case.",)),
    _t("reverse", "reverse_text", ["What is '{word}' written backwards?", "Reverse the text '{word}'.",
                                   "Spell '{word}' backwards."],
       {"text": "{word}"}, "text", {"word": WORDS}, noun="reversed text", chain_slot="word", accepts=("text",),
       chain_phrasings=("reverse {ref}.", "write {ref} backwards.", "what is {ref} spelled backwards?")),
    _t("reverse_words", "reverse_text", ["Reverse the order of the words in '{sentence}'."],
       {"text": "{sentence}", "unit": "words"}, "text", {"sentence": SENTENCES}, noun="reversed sentence"),
    _t("palindrome", "is_palindrome", ["Is '{word}' a palindrome?", "Does '{word}' read the same backwards?"],
       {"text": "{word}"}, "is_palindrome", {"word": WORDS}, chain_slot="word", accepts=("text",),
       chain_phrasings=("is {ref} a palindrome?", "check whether {ref} reads the same backwards.")),
    _t("occurrences", "count_occurrences", ["How many times does '{sub}' occur in '{text}'?",
                                            "Count the occurrences of '{sub}' in '{text}'."],
       {"text": "{text}", "substring": "{sub}"}, "count", {"pick": _SUBSTRINGS}, noun="count",
       derive=lambda s: {"sub": s["pick"][0], "text": s["pick"][1]}),
    _t("slug", "slugify", ["Turn the title '{title}' into a URL slug.", "What is the URL slug of '{title}'?"],
       {"text": "{title}"}, "slug", {"title": TITLES}, noun="slug"),
]

ENCODING = [
    _t("md5", "hash_text", ["What is the MD5 hash of '{word}'?", "Compute the MD5 digest of the text '{word}'."],
       {"text": "{word}", "algorithm": "md5"}, "hexdigest", {"word": WORDS}, noun="hash", chain_slot="word",
       accepts=("text",), chain_phrasings=("what is the MD5 hash of {ref}?",)),
    _t("sha1", "hash_text", ["What is the SHA-1 hash of '{word}'?"],
       {"text": "{word}", "algorithm": "sha1"}, "hexdigest", {"word": WORDS}, noun="hash"),
    _t("sha256", "hash_text", ["What is the SHA-256 hash of '{word}'?", "Hash the text '{word}' with SHA-256."],
       {"text": "{word}"}, "hexdigest", {"word": WORDS}, noun="hash", chain_slot="word", accepts=("text",),
       chain_phrasings=("hash {ref} with SHA-256.",)),
    _t("b64", "base64_encode", ["What is the Base64 encoding of '{word}'?", "Encode '{word}' in Base64.",
                                "Encode the text '{word}' as Base64."],
       {"text": "{word}"}, "base64", {"word": WORDS + SENTENCES[:6]}, noun="encoded text", chain_slot="word",
       accepts=("text",), chain_phrasings=("encode {ref} in Base64.", "convert {ref} to Base64.")),
    _t("unb64", "base64_decode", ["Decode the Base64 text '{data}'.", "What does the Base64 string '{data}' say?"],
       {"data": "{data}"}, "text", {"word": WORDS}, noun="decoded text",
       derive=lambda s: {"data": base64.b64encode(s["word"].encode()).decode()}),
    _t("url", "url_encode", ["URL-encode the text '{sentence}'.", "Percent-encode '{sentence}' for a URL."],
       {"text": "{sentence}"}, "encoded", {"sentence": SENTENCES}, noun="encoded text"),
]

TEMPLATES = COUNTRY_TOOLS + NUMBER_WORDS + TEXT_UTILITIES + ENCODING
