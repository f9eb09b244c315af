"""Numbers and dates people read, written as their language writes them: one formatter, CLDR.

The public name is :mod:`geo.formatting`; the code lives here, beside the catalogue, because
:func:`geo.messages.t` writes every numeric placeholder through it (:func:`format_field`:
``{n:,}``, ``{p:.1%}``, ``{x:.2f}`` as CLDR writes them), and :mod:`geo.formatting` sits
above :mod:`geo.errors`, which reads the catalogue.

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
>>> format_month("2026-12", "es"), format_month("2026-12", "en")
('diciembre de 2026', 'December 2026')
>>> format_field(2451, ",", "es"), format_field(0.0343, ".1%", "en")
('2,451', '3.4%')
>>> format_field(5540.0, ".2e", "es")  # significant digits, never 5.54e+03
'5,540'
"""

from __future__ import annotations

import datetime as _dt
import math
import numbers
import re
from typing import Any

from babel import Locale
from babel.dates import format_date as _babel_date
from babel.dates import format_skeleton
from babel.numbers import format_decimal
from babel.numbers import format_percent as _babel_percent
from babel.units import format_unit

from geo.messages.language import get_language

__all__ = [
    "LOCALES",
    "NO_PUBLIC_DATA",
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


def format_date(value: Any, lang: str | None = None, missing: str = "—") -> str:
    """Write a day as ``lang`` writes it in full: ``"6 de diciembre de 2026"``.

    Parameters
    ----------
    value : datetime.date, datetime.datetime, pandas.Timestamp or ISO text (``"2026-12-06"``)
        The day; None, NaT or text that is not a date is ``missing``.
    lang, missing
        As in :func:`format_number`.

    Examples
    --------
    >>> format_date("2026-12-06", "es"), format_date("2026-12-06", "en")
    ('6 de diciembre de 2026', 'December 6, 2026')
    """
    day = _as_date(value)
    return missing if day is None else _babel_date(day, "long", locale=locale_of(lang))


def format_month(value: Any, lang: str | None = None, missing: str = "—") -> str:
    """Write a month as ``lang`` writes it: ``"diciembre de 2026"``, ``"December 2026"``.

    ``value`` is a date (any day of the month) or ``"YYYY-MM"`` text; the rest as in
    :func:`format_date`.

    >>> format_month("2026-01", "es"), format_month(None)
    ('enero de 2026', '—')
    """
    day = _as_date(value)
    return missing if day is None else format_skeleton("yMMMM", day, locale=locale_of(lang))


def printf_pattern(digits: int = 0, lang: str | None = None, percent: bool = False,
                   signed: bool = False) -> str:
    """Return a printf pattern that writes numbers as CLDR does in ``lang``, for a browser.

    Streamlit's ``st.column_config.NumberColumn(format=...)`` formats a column in the
    browser with sprintf (``%,.1f``: ``,`` groups thousands); this gives it the pattern
    whose output is :func:`format_number`'s (digits fixed), so a sortable numeric column
    reads like every other number. ``percent``: the column holds percentages (0–100) and
    the sign goes where CLDR puts it (``12.5%``); ``signed``: ``+`` before a positive number.

    Raises
    ------
    ValueError
        The language writes its decimal mark or grouping with other signs than ``.`` and
        ``,`` (sprintf writes only those): format the column as text with
        :func:`format_number` instead.

    Examples
    --------
    >>> printf_pattern(1, "es"), printf_pattern(0, "en"), printf_pattern(1, "es", percent=True)
    ('%,.1f', '%,.0f', '%,.1f%%')
    >>> printf_pattern(2, "en", signed=True)
    '%+,.2f'
    """
    locale = Locale.parse(locale_of(lang))
    symbols = locale.number_symbols.get("latn", {})
    if symbols.get("decimal", ".") != "." or symbols.get("group", ",") != ",":
        raise ValueError(f"{locale} writes numbers with {symbols.get('decimal')!r} and "
                         f"{symbols.get('group')!r}: sprintf cannot; format the column as text")
    pattern = f"%{'+' if signed else ''},.{max(int(digits), 0)}f"
    if percent:  # where CLDR puts the percent sign ("#,##0%", "#,##0 %")
        found = re.search(r"0(\W*)%", locale.percent_formats[None].pattern)
        pattern += (found.group(1) if found else "") + "%%"
    return pattern


# the format types that write a number in decimal: CLDR writes them (others, e.g. "o" for a
# file mode or "x" for a hash, stay Python's: they are not numbers for reading)
_DECIMAL_TYPES = frozenset("dfFgGeEn%") | {""}
_SPEC = re.compile(r"^(?:(?P<fill>.)?(?P<align>[<>=^]))?(?P<sign>[-+ ])?z?#?0?"
                   r"(?P<width>\d+)?[,_]?(?:\.(?P<precision>\d+))?(?P<type>[a-zA-Z%])?$")


def format_field(value: Any, spec: str = "", lang: str | None = None) -> str:
    """Write ``value`` for a placeholder ``{name:spec}`` as CLDR writes numbers in ``lang``.

    What :func:`geo.messages.t` does with every parameter, so the catalogue stays
    declarative (``{n:,}``, ``{p:.1%}``, ``{x:.2f}``) and no number is written by hand:

    - a number with a decimal spec (``,``, ``d``, ``.2f``, ``g``, ``.4g``, ``.1%``, ``e``)
      keeps the spec's digits and is written by Babel: grouped, the language's decimal mark,
      never in scientific notation (``e``/``g`` give significant digits); ``+`` keeps its sign;
    - a float without a spec gets :func:`format_number`'s automatic digits (``str(0.1 + 0.2)``
      is never shown), an integer without one is left as it is (a year, a seed, a row: ``{n:,}``
      asks for a count's grouping);
    - text is shown as it is whatever the spec (a number written already, e.g. "sin dato");
      anything else is Python's ``format(value, spec)``.

    Examples
    --------
    >>> format_field(12345, "", "es"), format_field(12345, ",", "es"), format_field(2.5, "g", "en")
    ('12345', '12,345', '2.5')
    >>> format_field(0.3199, ".2f", "es"), format_field(-0.052, "+.1%", "en")
    ('0.32', '-5.2%')
    >>> format_field(3, "+.2f"), format_field(8, "o")  # a file mode's octal is no decimal
    ('+3.00', '10')
    >>> format_field(float("nan"), ".2f", "es"), format_field("sin dato", ".1%")
    ('—', 'sin dato')
    """
    found = _SPEC.match(spec or "")
    kind = found.group("type") or "" if found else None
    if isinstance(value, str):  # written already (or a word for a missing value)
        numeric = (kind and kind in _DECIMAL_TYPES) or any(c in (spec or "") for c in ",_.")
        return value if numeric or found is None else format(value, spec)
    if not _is_number(value) or found is None or kind not in _DECIMAL_TYPES:
        # a count's spec on a value that is no number (a list, a word): shown as it is
        return str(value) if found is not None and kind in _DECIMAL_TYPES and spec \
            else format(value, spec)
    if spec == "" and isinstance(value, numbers.Integral):
        return str(int(value))
    places = None if found.group("precision") is None else int(found.group("precision"))
    number = float(value)
    if kind == "%":
        text = format_percent(number, lang, digits=6 if places is None else places)
    elif kind in ("f", "F"):
        text = format_number(number, lang, digits=6 if places is None else places)
    elif kind == "d" or (kind == "" and isinstance(value, numbers.Integral)):
        text = format_number(round(number), lang, digits=0)
    elif kind in ("g", "G", "e", "E", "n"):
        text = _drop_trailing_zeros(
            format_number(number, lang, digits=_significant(number, places)), lang)
    else:  # no type: a float, with or without grouping or precision
        text = format_number(number, lang, digits=places)
    if found.group("sign") == "+" and math.isfinite(number) and number >= 0 \
            and not text.startswith("+"):
        text = "+" + text
    if found.group("width"):
        text = format(text, f"{found.group('fill') or ' '}{found.group('align') or '>'}"
                            f"{found.group('width')}")
    return text


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _significant(number: float, places: int | None) -> int:
    """Decimals that give ``places`` significant digits (Python's ``g``: 6 by default)."""
    significant = 6 if places is None else max(places, 1)
    if number == 0 or not math.isfinite(number):
        return 0
    return max(0, min(_MAX_DIGITS, significant - 1 - math.floor(math.log10(abs(number)))))


def _drop_trailing_zeros(text: str, lang: str | None) -> str:
    mark = Locale.parse(locale_of(lang)).number_symbols.get("latn", {}).get("decimal", ".")
    if mark not in text:
        return text
    return text.rstrip("0").rstrip(mark)


def _as_date(value: Any) -> _dt.date | None:
    if value is None or value != value:  # None, NaN, NaT (a datetime that is no day)
        return None
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return _dt.date.fromisoformat(text + "-01" if re.fullmatch(r"\d{4}-\d{2}", text)
                                          else text[:10])
        except ValueError:
            return None
    return None


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
