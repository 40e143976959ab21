"""Templates for the Science category: Unit Converter, Periodic Table."""

from __future__ import annotations

from data.phrasebook.base import ELEMENTS, FORMULAS, SYMBOLS, CallTemplate

# (from unit, to unit, how the pair reads): every pair pint knows by these names
UNIT_PAIRS = (("kilometer", "mile", "kilometers", "miles"), ("mile", "kilometer", "miles", "kilometers"),
              ("kilogram", "pound", "kilograms", "pounds"), ("pound", "kilogram", "pounds", "kilograms"),
              ("liter", "gallon", "liters", "gallons"), ("gallon", "liter", "gallons", "liters"),
              ("inch", "centimeter", "inches", "centimeters"), ("foot", "meter", "feet", "meters"),
              ("meter", "foot", "meters", "feet"), ("gram", "ounce", "grams", "ounces"),
              ("ounce", "gram", "ounces", "grams"), ("yard", "meter", "yards", "meters"),
              ("hour", "minute", "hours", "minutes"), ("day", "hour", "days", "hours"),
              ("kilowatt_hour", "joule", "kilowatt hours", "joules"), ("acre", "square_meter", "acres",
                                                                        "square meters"),
              ("centimeter", "inch", "centimeters", "inches"), ("milliliter", "cup", "milliliters", "cups"))
TEMPERATURES = (("celsius", "fahrenheit", "degrees Celsius", "Fahrenheit"),
                ("fahrenheit", "celsius", "degrees Fahrenheit", "Celsius"),
                ("celsius", "kelvin", "degrees Celsius", "kelvin"), ("kelvin", "celsius", "kelvin", "Celsius"))
UNITS = ("newton", "pascal", "joule", "watt", "volt", "ohm", "hertz", "coulomb", "tesla", "lumen", "liter",
         "kilometer_per_hour", "calorie", "horsepower", "bar", "knot")


def _t(key, function, phrasings, arguments, answer_key, slots=None, **more) -> CallTemplate:
    """A template with tuple phrasings (keeps the table below short)."""
    return CallTemplate(key, function, tuple(phrasings), arguments, answer_key, slots or {}, **more)


def _units(slots: dict) -> dict:
    """Unit slots from a drawn pair.

    >>> _units({"pair": ("mile", "kilometer", "miles", "kilometers")})["from_name"]
    'miles'
    """
    source, target, source_name, target_name = slots["pair"]
    return {"u1": source, "u2": target, "from_name": source_name, "to_name": target_name}


UNIT_CONVERTER = [
    _t("units", "convert_units", ["Convert {v} {from_name} to {to_name}.", "How many {to_name} are in {v} {from_name}?",
                                  "What is {v} {from_name} in {to_name}?"],
       {"value": "{v}", "from_unit": "{u1}", "to_unit": "{u2}"}, "result",
       {"v": tuple(range(2, 300, 3)), "pair": UNIT_PAIRS}, noun="amount", derive=_units, chain_slot="v",
       accepts=("num",), chain_phrasings=("convert {ref} {from_name} to {to_name}.",
                                          "how many {to_name} are {ref} {from_name}?")),
    _t("temperature", "convert_temperature", ["What is {v} {from_name} in {to_name}?",
                                              "Convert {v} {from_name} to {to_name}.",
                                              "The thermometer reads {v} {from_name}. What is that in {to_name}?"],
       {"value": "{v}", "from_unit": "{u1}", "to_unit": "{u2}"}, "result",
       {"v": tuple(range(-30, 320, 4)), "pair": TEMPERATURES}, noun="temperature", derive=_units,
       chain_slot="v", accepts=("num",), chain_phrasings=("convert {ref} {from_name} to {to_name}.",)),
    _t("dimension", "unit_dimension", ["What does the unit {unit} measure?", "What is the dimensionality of a {unit}?"],
       {"unit": "{unit}"}, "dimensionality", {"unit": UNITS}, noun="dimensionality"),
    _t("base_units", "unit_dimension", ["Express one {unit} in base SI units.",
                                        "What is a {unit} in base SI units?"],
       {"unit": "{unit}"}, "in_base_units", {"unit": UNITS}, noun="expression"),
]

PERIODIC_TABLE = [
    _t("atomic_number", "element_info", ["What is the atomic number of {element}?",
                                         "Which atomic number does {element} have?"],
       {"element": "{element}"}, "atomic_number", {"element": ELEMENTS}, noun="atomic number",
       chain_slot="element", accepts=("element",), chain_phrasings=("what is the atomic number of {ref}?",)),
    _t("density", "element_info", ["What is the density of {element}?",
                                   "How dense is {element}, in grams per cubic centimeter?"],
       {"element": "{element}"}, "density_g_cm3", {"element": ELEMENTS}, noun="density",
       valid=lambda v: v is not None),
    _t("symbol", "element_info", ["What is the chemical symbol of {element}?", "Which symbol stands for {element}?"],
       {"element": "{element}"}, "symbol", {"element": ELEMENTS}, noun="symbol", chain_slot="element",
       accepts=("element",), chain_phrasings=("what is the chemical symbol of {ref}?",)),
    _t("element_name", "element_by_atomic_number", ["Which element has atomic number {n}?",
                                                    "Name the chemical element with atomic number {n}.",
                                                    "What is element number {n} of the periodic table?"],
       {"atomic_number": "{n}"}, "name", {"n": tuple(range(1, 100))}, noun="element", chain_slot="n",
       accepts=("int",), chain_phrasings=("which element has atomic number {ref}?",
                                          "name the element with atomic number {ref}.")),
    _t("atomic_mass", "atomic_mass", ["What is the atomic mass of {element}?",
                                      "How many grams does one mole of {element} atoms weigh?",
                                      "Give me the standard atomic weight of {symbol}."],
       {"element": "{element}"}, "atomic_mass", {"i": tuple(range(len(ELEMENTS)))}, noun="atomic mass",
       derive=lambda s: {"element": ELEMENTS[s["i"]], "symbol": SYMBOLS[s["i"]]}, chain_slot="element",
       accepts=("element",), chain_phrasings=("what is the atomic mass of {ref}?",)),
    _t("molar_mass", "molar_mass", ["What is the molar mass of {formula}?",
                                    "How many grams does one mole of {formula} weigh?",
                                    "Compute the molar mass of the compound {formula}."],
       {"formula": "{formula}"}, "molar_mass", {"formula": FORMULAS}, noun="molar mass"),
    _t("composition", "mass_composition", ["What percentage of {formula} by mass is {symbol}?",
                                           "How much of {formula}, in percent by mass, is the element {symbol}?"],
       {"formula": "{formula}"}, "mass_percent.{symbol}",
       {"pick": (("NH3", "N"), ("CH4", "C"), ("NaOH", "Na"), ("HCl", "Cl"), ("CaCO3", "Ca"), ("KCl", "K"),
                 ("MgO", "Mg"), ("Fe2O3", "Fe"), ("SiO2", "Si"), ("CuSO4", "Cu"), ("SO2", "S"), ("Al2O3", "Al"),
                 ("C3H8", "H"), ("N2O", "O"))},
       noun="percentage", derive=lambda s: {"formula": s["pick"][0], "symbol": s["pick"][1]}),
]

TEMPLATES = UNIT_CONVERTER + PERIODIC_TABLE
