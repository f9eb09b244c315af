"""Numbers and dates people read, written as their language writes them: one formatter, CLDR.

The one formatter of riskmap (Babel, the Unicode CLDR data): Spanish is Peru's Spanish
(CLDR ``es_PE``: ``5,540 ha``, ``12.5%``, ``diciembre de 2026``), English is CLDR ``en``.
Pages, exports' texts and the command line import it from here; the code lives in
:mod:`geo.messages.cldr` because the catalogue (:func:`geo.messages.t`) writes its numeric
placeholders through it too.

Examples
--------
>>> format_quantity(5539.86, "ha", "es"), format_percent(0.125, "en"), format_month("2026-12", "es")
('5,540 ha', '12.5%', 'diciembre de 2026')
"""

from geo.messages.cldr import (
    CLDR_UNITS,
    LOCALES,
    NO_PUBLIC_DATA,
    UNIT_WORDS,
    format_date,
    format_field,
    format_month,
    format_number,
    format_percent,
    format_quantity,
    locale_of,
    no_public_data,
    printf_pattern,
)

__all__ = [
    "CLDR_UNITS",
    "LOCALES",
    "NO_PUBLIC_DATA",
    "UNIT_WORDS",
    "format_date",
    "format_field",
    "format_month",
    "format_number",
    "format_percent",
    "format_quantity",
    "locale_of",
    "no_public_data",
    "printf_pattern",
]
