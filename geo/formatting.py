"""Numbers people read, written as their language writes them: one formatter, through CLDR.

Every number a page, a legend or a tooltip shows for people goes through these functions,
which ask Babel (the Unicode CLDR data) how the language writes it: grouping, decimal mark,
percent sign, unit abbreviations. Spanish is Peru's Spanish (CLDR ``es_PE``: ``5,540 ha``,
``12.5%``), English is CLDR ``en`` (``5,540 ha``, ``12.5%``). A number is never written in
scientific notation (``5,54e+03``), and a missing value (None, NaN) is the word the caller
chooses: where a public source is silent, :func:`no_public_data` (``"sin dato público"``).

Examples
--------
>>> format_quantity(5539.86, "ha", "es"), format_quantity(5539.86, "ha", "en")
('5,540 ha', '5,540 ha')
>>> format_number(1234.5, "es", digits=1), format_percent(0.125, "en")
('1,234.5', '12.5%')
>>> format_quantity(float("nan"), "ha", "es", missing=no_public_data("es"))
'sin dato público'
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.dates import format_skeleton
from babel.numbers import format_decimal
from babel.numbers import format_percent as _babel_percent
from babel.units import format_unit

from geo.errors import get_language

__all__ = [
    "LOCALES",
    "NO_PUBLIC_DATA",
    "format_day",
    "format_month",
    "format_number",
    "format_percent",
    "format_quantity",
    "locale_of",
    "no_public_data",
]

#: The CLDR locale of each language riskmap speaks (Peru's Spanish; English).
LOCALES = {"es": "es_PE", "en": "en"}
#: What is written where a public source gives no value for a district.
NO_PUBLIC_DATA = {"es": "sin dato público", "en": "no public data"}
#: Units CLDR knows (``[[layers]] unit`` -> CLDR unit id): written by CLDR's short form.
CLDR_UNITS = {
    "ha": "area-hectare", "hectáreas": "area-hectare", "hectares": "area-hectare",
    "km²": "area-square-kilometer", "km2": "area-square-kilometer",
    "km": "length-kilometer", "m": "length-meter",
}
#: Units said in words (Spanish as in the settings -> English); ``""`` writes none.
UNIT_WORDS = {
    "número": ("", ""),
    "numero": ("", ""),
    "por km²": ("por km²", "per km²"),
    "por 1 000 hab.": ("por 1 000 hab.", "per 1,000 inhab."),
    "hab./km²": ("hab./km²", "inhab./km²"),
    "días": ("días", "days"),
}
# the most decimals an automatic precision uses (below, a value reads 0)
_MAX_DIGITS = 6


def locale_of(lang: str | None = None) -> str:
    """Return the CLDR locale of ``lang`` (``"es"`` -> ``"es_PE"``; default: the current language).

    A CLDR locale id (``"es_ES"``) is returned as it is.

    >>> locale_of("es"), locale_of("en"), locale_of("es_ES")
    ('es_PE', 'en', 'es_ES')
    """
    lang = lang or get_language()
    return LOCALES.get(lang, lang)


def no_public_data(lang: str | None = None) -> str:
    """Return the words for a district a public source gives no value: ``"sin dato público"``.

    >>> no_public_data("en")
    'no public data'
    """
    lang = lang or get_language()
    return NO_PUBLIC_DATA.get(str(lang)[:2], NO_PUBLIC_DATA["es"])


def format_number(value: Any, lang: str | None = None, digits: int | None = None,
                  missing: str = "—") -> str:
    """Write a number as ``lang`` writes it (CLDR grouping and decimal mark).

    Parameters
    ----------
    value : float, int or None
        The number. None, NaN (and anything that is not a number) is ``missing``.
    lang : {"es", "en"} or a CLDR locale, optional
        Default: the current language (:func:`geo.errors.get_language`).
    digits : int, optional
        Decimals, always shown (``2.50``). Default: as many as a reader needs, trailing
        zeros dropped: none from 100 up, one from 10, two from 1, two significant below.
    missing : str
        What a missing value is written as (e.g. :func:`no_public_data`).

    Returns
    -------
    str

    Examples
    --------
    >>> format_number(5539.86, "es"), format_number(41.776, "es"), format_number(0.01234, "en")
    ('5,540', '41.8', '0.012')
    >>> format_number(1344.5, "es", digits=2), format_number(-0.0, "en"), format_number(None)
    ('1,344.50', '0', '—')
    >>> format_number(5.54e7, "en")  # never scientific notation
    '55,400,000'
    """
    number = _as_float(value)
    if number is None:
        return missing
    if math.isinf(number):
        return "∞" if number > 0 else "−∞"
    places = _auto_digits(number) if digits is None else max(int(digits), 0)
    pattern = _decimal_pattern(places, fixed=digits is not None)
    return format_decimal(_unsigned_zero(round(number, places)), format=pattern,
                          locale=locale_of(lang))


def format_quantity(value: Any, unit: str, lang: str | None = None,
                    digits: int | None = None, missing: str = "—") -> str:
    """Write a quantity with its unit: ``"5,540 ha"``, ``"12.3 km²"``, ``"3 por km²"``.

    Parameters
    ----------
    value : float, int or None
        The number; None or NaN is ``missing``.
    unit : str
        The unit as the settings say it (``[[layers]] unit``): a unit CLDR knows (``ha``,
        ``km²``, ``km``, ``m``) is written by CLDR's short form for ``lang``; ``"%"`` takes
        ``value`` in percent (0–100); ``"número"`` (a count) writes no unit; any other is
        written after the number (in English when :data:`UNIT_WORDS` knows it).
    lang, digits, missing
        As in :func:`format_number`.

    Returns
    -------
    str

    Examples
    --------
    >>> format_quantity(919.08, "ha", "es"), format_quantity(0.5, "km²", "en")
    ('919 ha', '0.5 km²')
    >>> format_quantity(12, "número", "es"), format_quantity(2.25, "por km²", "en")
    ('12', '2.25 per km²')
    >>> format_quantity(12.34, "%", "es"), format_quantity(None, "ha", "en", missing="no data")
    ('12.3%', 'no data')
    """
    number = _as_float(value)
    if number is None:
        return missing
    unit = (unit or "").strip()
    if unit == "%":
        return format_percent(number / 100, lang, digits=1 if digits is None else digits,
                              missing=missing)
    cldr = CLDR_UNITS.get(unit.lower()) if unit else None
    if cldr and math.isfinite(number):
        places = _auto_digits(number) if digits is None else max(int(digits), 0)
        return format_unit(_unsigned_zero(round(number, places)), cldr, length="short",
                           format=_decimal_pattern(places, fixed=digits is not None),
                           locale=locale_of(lang))
    text = format_number(number, lang, digits, missing)
    words = UNIT_WORDS.get(unit.lower())
    if words is not None:
        unit = words[1] if locale_of(lang).startswith("en") else words[0]
    return f"{text} {unit}" if unit else text


def format_percent(share: Any, lang: str | None = None, digits: int = 1,
                   missing: str = "—") -> str:
    """Write a share (0–1) as a percentage the way ``lang`` writes it: ``"12.5%"``.

    Parameters
    ----------
    share : float or None
        The share (0.125 is 12.5 %); None or NaN is ``missing``.
    lang, missing
        As in :func:`format_number`.
    digits : int
        Decimals of the percentage.

    Returns
    -------
    str

    Examples
    --------
    >>> format_percent(0.1234, "es"), format_percent(0.5, "en", digits=0)
    ('12.3%', '50%')
    >>> format_percent(float("nan"), "es", missing="sin dato")
    'sin dato'
    """
    number = _as_float(share)
    if number is None:
        return missing
    locale = Locale.parse(locale_of(lang))
    pattern = locale.percent_formats[None].pattern
    if digits > 0:  # CLDR's pattern has no decimals: give it the ones asked for
        pattern = re.sub(r"0(?![0-9])", "0." + "0" * int(digits), pattern, count=1)
    return _babel_percent(_unsigned_zero(round(number, int(digits) + 2)), format=pattern,
                          locale=locale)


def format_month(year: int, month: int, lang: str | None = None) -> str:
    """Write a month as ``lang`` writes it (CLDR): ``"diciembre de 2026"``, ``"December 2026"``.

    >>> format_month(2026, 12, "es"), format_month(2027, 1, "en")
    ('diciembre de 2026', 'January 2027')
    """
    return format_skeleton("yMMMM", dt.date(int(year), int(month), 1), locale=locale_of(lang))


def format_day(day: dt.date, lang: str | None = None) -> str:
    """Write a day in full as ``lang`` writes it (CLDR): ``"6 de diciembre de 2026"``.

    >>> format_day(dt.date(2026, 12, 6), "es"), format_day(dt.date(2026, 12, 6), "en")
    ('6 de diciembre de 2026', 'December 6, 2026')
    """
    return _babel_date(day, format="long", locale=locale_of(lang))


def _as_float(value: Any) -> float | None:
    if value is None or isinstance(value, (str, bytes)):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(number) else number


def _auto_digits(number: float) -> int:
    size = abs(number)
    if size == 0 or size >= 100:
        return 0
    if size >= 10:
        return 1
    if size >= 1:
        return 2
    # two significant digits below 1 (0.012), at most _MAX_DIGITS decimals
    return min(_MAX_DIGITS, 1 - math.floor(math.log10(size)))


def _decimal_pattern(places: int, fixed: bool) -> str:
    if places <= 0:
        return "#,##0"
    return "#,##0." + ("0" if fixed else "#") * places


def _unsigned_zero(number: float) -> float:
    return number + 0.0 if number != 0 else 0.0
