"""The phrasebook of built-in requests: one :class:`CallTemplate` or more per built-in function.

Used by :mod:`data.builtin_templates` to write training instructions for the built-in
world. Grouped by the catalog's categories; ``TEMPLATES`` lists them all.
"""

from data.phrasebook.base import CallTemplate, fits
from data.phrasebook.dates import TEMPLATES as _DATES
from data.phrasebook.mathematics import TEMPLATES as _MATHEMATICS
from data.phrasebook.reference_text import TEMPLATES as _REFERENCE_TEXT
from data.phrasebook.science import TEMPLATES as _SCIENCE

TEMPLATES: tuple[CallTemplate, ...] = tuple(_MATHEMATICS + _DATES + _SCIENCE + _REFERENCE_TEXT)

__all__ = ["TEMPLATES", "CallTemplate", "fits"]
