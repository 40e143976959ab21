"""Chemical elements and formulas (the ``periodictable`` package)."""

from __future__ import annotations

from typing import Any

from toolbench.builtin_tools._common import builtin, tidy_number

chemistry_tool = builtin(
    "Periodic Table", "Science",
    "Chemical elements (symbol, name, atomic number, mass, density) and molar masses of formulas.",
)


def _element(text: str | int) -> Any:
    import periodictable as pt

    key = str(text).strip()
    if key.isdigit():
        number = int(key)
        if not 1 <= number <= 118:
            raise ValueError("atomic number must be between 1 and 118")
        return pt.elements[number]
    for lookup in (pt.elements.symbol, pt.elements.name):
        for candidate in (key, key.capitalize(), key.lower()):
            try:
                return lookup(candidate)
            except (ValueError, KeyError):
                continue
    raise ValueError(f"unknown element {text!r}; give a symbol (Fe), a name (iron) or a number (26)")


def _describe(element: Any) -> dict[str, Any]:
    density = element.density if isinstance(element.density, (int, float)) else None
    return {"symbol": element.symbol, "name": element.name, "atomic_number": element.number,
            "atomic_mass": tidy_number(float(element.mass), 3), "density_g_cm3": density}


@chemistry_tool
def element_info(element: str) -> dict[str, Any]:
    """Look up a chemical element by symbol or name: atomic number, atomic mass and density.

    Args:
        element: The element symbol or name, e.g. "Fe" or "iron".
    """
    return _describe(_element(element))


@chemistry_tool
def element_by_atomic_number(atomic_number: int) -> dict[str, Any]:
    """Find the chemical element with a given atomic number (1 to 118).

    Args:
        atomic_number: The number of protons, e.g. 79 for gold.
    """
    return _describe(_element(atomic_number))


@chemistry_tool
def atomic_mass(element: str) -> dict[str, Any]:
    """Get the standard atomic mass (in g/mol) of a chemical element.

    Args:
        element: The element symbol or name, e.g. "C" or "carbon".
    """
    found = _element(element)
    return {"symbol": found.symbol, "atomic_mass": tidy_number(float(found.mass), 3)}


def _formula(text: str) -> Any:
    import periodictable as pt

    try:
        formula = pt.formula(str(text).strip())
    except Exception:  # pyparsing errors of many kinds
        raise ValueError(f"cannot parse the chemical formula {text!r}") from None
    if not formula.atoms:
        raise ValueError("the formula is empty")
    return formula


@chemistry_tool
def molar_mass(formula: str) -> dict[str, Any]:
    """Compute the molar mass (g/mol) of a chemical formula, e.g. H2O or C6H12O6.

    Args:
        formula: The chemical formula, e.g. "NaCl".
    """
    parsed = _formula(formula)
    return {"formula": str(parsed), "molar_mass": tidy_number(float(parsed.mass), 3)}


@chemistry_tool
def mass_composition(formula: str) -> dict[str, Any]:
    """Compute the percentage by mass of each element in a chemical formula.

    Args:
        formula: The chemical formula, e.g. "CO2".
    """
    parsed = _formula(formula)
    percent = {str(el): tidy_number(100 * float(frac), 2) for el, frac in parsed.mass_fraction.items()}
    return {"formula": str(parsed), "mass_percent": percent}
