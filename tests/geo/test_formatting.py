"""geo.formatting: numbers for people, as CLDR (Babel) writes them in Peru's Spanish and English."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from geo.errors import language
from geo.formatting import (
    format_number,
    format_percent,
    format_quantity,
    locale_of,
    no_public_data,
)


def test_spanish_is_perus_cldr_spanish() -> None:
    from babel.numbers import format_decimal

    assert locale_of("es") == "es_PE"
    # whatever CLDR says es_PE writes, the formatter writes (today: comma groups, point
    # decimals), never Python's default or a hand-made replacement
    assert format_number(5540.25, "es", digits=2) == format_decimal(5540.25, "#,##0.00",
                                                                    locale="es_PE")
    assert format_number(5540.25, "es", digits=2) == "5,540.25"
    assert format_number(1234567, "en") == "1,234,567"


@pytest.mark.parametrize("value", [5539.86, 5.54e3, 5.54e7, 123456789.0, 1e-3, 0.000012])
@pytest.mark.parametrize("lang", ["es", "en"])
def test_never_scientific_notation(value: float, lang: str) -> None:
    for text in (format_number(value, lang), format_quantity(value, "ha", lang)):
        assert "e+" not in text and "e-" not in text and "E" not in text, text


def test_hectares_as_cldr_writes_them() -> None:
    assert format_quantity(5539.86, "ha", "es") == "5,540 ha"
    assert format_quantity(5539.86, "ha", "en") == "5,540 ha"
    assert format_quantity(919.08, "ha", "es") == "919 ha"
    assert format_quantity(41.776, "ha", "es") == "41.8 ha"
    assert format_quantity(0, "ha", "es") == "0 ha"
    assert format_quantity(0.5, "km²", "en") == "0.5 km²"


def test_units_in_words() -> None:
    assert format_quantity(12, "número", "es") == "12"
    assert format_quantity(2.25, "por km²", "es") == "2.25 por km²"
    assert format_quantity(2.25, "por km²", "en") == "2.25 per km²"
    assert format_quantity(3, "hornos", "en") == "3 hornos"  # unknown: as the settings say
    assert format_quantity(7.5, "", "es") == "7.5"


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, pd.NA, np.float64("nan")])
def test_missing_is_the_callers_word(missing) -> None:
    assert format_number(missing, "es") == "—"
    assert format_quantity(missing, "ha", "es", missing=no_public_data("es")) == \
        "sin dato público"
    assert format_quantity(missing, "ha", "en", missing=no_public_data("en")) == \
        "no public data"
    assert format_percent(missing, "en", missing="n/a") == "n/a"


def test_not_a_number_is_missing_never_an_error() -> None:
    assert format_number("abc", "es") == "—"
    assert format_number(object(), "en", missing="?") == "?"


def test_automatic_precision_keeps_what_a_reader_needs() -> None:
    assert format_number(1.234, "en") == "1.23"
    assert format_number(12.34, "en") == "12.3"
    assert format_number(0.01234, "en") == "0.012"
    assert format_number(2.5, "en") == "2.5"  # trailing zeros dropped
    assert format_number(2.5, "en", digits=2) == "2.50"  # unless asked for
    assert format_number(-0.0001, "en", digits=1) == "0.0"  # no "-0.0"
    assert format_number(-0.0001, "en", digits=0) == "0"


def test_percent() -> None:
    assert format_percent(0.1234, "es") == "12.3%"
    assert format_percent(0.1234, "en", digits=2) == "12.34%"
    assert format_percent(1, "en", digits=0) == "100%"
    assert format_quantity(12.34, "%", "es") == "12.3%"


def test_default_language_is_the_current_one() -> None:
    with language("es"):  # the process's language: another test may have left it in English
        assert no_public_data() == "sin dato público"
    with language("en"):
        assert no_public_data() == "no public data"
        assert format_quantity(math.pi * 1000, "ha") == "3,142 ha"


def test_infinite_is_written_not_raised() -> None:
    assert format_number(float("inf"), "es") == "∞"


def test_months_and_days_as_cldr_writes_them() -> None:
    import datetime as dt

    from babel.dates import format_skeleton

    from geo.formatting import format_date, format_month

    assert format_month("2026-12", "es") == "diciembre de 2026"
    assert format_month(dt.date(2026, 12, 31), "en") == "December 2026"
    assert format_month(pd.Timestamp("2027-01-15"), "es") == format_skeleton(
        "yMMMM", dt.date(2027, 1, 1), locale="es_PE")
    assert format_date("2026-12-06", "es") == "6 de diciembre de 2026"
    assert format_date(dt.datetime(2026, 12, 6, 23, 59), "en") == "December 6, 2026"
    for missing in (None, pd.NaT, "ayer", float("nan")):
        assert format_month(missing, "es", missing="sin fecha") == "sin fecha"


@pytest.mark.parametrize("spec", [",", "d", ".2f", ",.1f", "+.2f", ".1%", ".0%", "+.1%", "g",
                                  ".4g", ""])
@pytest.mark.parametrize("value", [0, 7, 2451, 24510, 0.3199, 2.5, -0.052, 1344.5, 5539.86])
def test_a_placeholders_spec_keeps_pythons_digits_with_cldr_marks(spec: str, value) -> None:
    """English CLDR writes numbers as Python does with grouping, so a placeholder written by
    format_field in English is Python's own output (grouped); Spanish is es_PE's marks."""
    from babel.numbers import get_decimal_symbol, get_group_symbol

    from geo.formatting import format_field

    if spec in ("d",) and isinstance(value, float):
        return  # Python refuses 'd' for a float too
    if spec == "" and isinstance(value, int):
        assert format_field(value, spec, "en") == str(value)  # a year, an id: untouched
        return
    if spec in ("", ",") and isinstance(value, float):  # no precision: what a reader needs
        assert format_field(value, spec, "en") == format_number(value, "en")
        return
    # the same spec with Python's grouping: ".2f" -> ",.2f", "+.1%" -> "+,.1%", "d" -> ",d"
    python_spec = spec if "," in spec else (spec.replace(".", ",.", 1) if "." in spec
                                            else "," + spec)
    english = format_field(value, spec, "en")
    if spec in ("", "g", ".4g"):  # significant digits, never scientific, grouped
        assert "e" not in english and float(english.replace(",", "")) == pytest.approx(
            float(format(value, ".6g" if spec != ".4g" else spec)), rel=1e-3)
    else:
        assert english == format(value, python_spec), (spec, value)
    spanish = format_field(value, spec, "es")
    swap = {".": get_decimal_symbol("es_PE"), ",": get_group_symbol("es_PE")}
    assert spanish == "".join(swap.get(c, c) for c in english)


@pytest.mark.parametrize("lang", ["es", "en"])
@pytest.mark.parametrize("digits", [0, 1, 2, 3])
def test_a_tables_printf_pattern_writes_what_format_number_writes(lang: str, digits: int) -> None:
    from geo.formatting import printf_pattern

    pattern = printf_pattern(digits, lang)
    assert pattern == f"%,.{digits}f"  # sprintf: ',' groups, like Python's format spec
    for value in (0.5, 12.345, 2451, 24510.25, 1234567.891):
        assert format(value, pattern[1:]) == format_number(value, lang, digits=digits)
    assert printf_pattern(1, lang, percent=True).endswith("f%%")  # 12.5%, as CLDR writes it
