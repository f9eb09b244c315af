"""Errors that speak the user's language.

Every error a user can cause (a bad file, a wrong key, a missing column) is a
:class:`RiskmapError` that carries its message in Spanish and English, and names the
file, row or column, what was expected and what to do. The command line prints
``err.message()`` in the language chosen with ``--lang``; the dashboard shows it in the
language of the session. Neither ever shows a traceback for a RiskmapError.

Examples
--------
>>> err = RiskmapError(es="Falta la columna 'fecha'.", en="Column 'fecha' is missing.")
>>> err.message("en")
"Column 'fecha' is missing."
>>> with language("es"):
...     str(err)
"Falta la columna 'fecha'."
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

LANGUAGES = ("es", "en")
_current = {"lang": "es"}


def set_language(lang: str) -> None:
    """Set the language used by ``str(error)`` and :func:`tr` (``"es"`` or ``"en"``)."""
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}, got {lang!r}")
    _current["lang"] = lang


def get_language() -> str:
    """Return the current language (``"es"`` unless changed)."""
    return _current["lang"]


@contextlib.contextmanager
def language(lang: str) -> Iterator[None]:
    """Temporarily switch the language."""
    old = get_language()
    set_language(lang)
    try:
        yield
    finally:
        set_language(old)


def tr(es: str, en: str, lang: str | None = None) -> str:
    """Pick the Spanish or English text for the current (or given) language.

    >>> tr("hola", "hello", "en")
    'hello'
    """
    return en if (lang or get_language()) == "en" else es


def number(value: float, decimals: int = 0, lang: str | None = None) -> str:
    """Write a number as the current (or given) language does: ``1 344,5`` or ``1,344.5``.

    >>> number(1344.5, 1, "es"), number(1344.5, 1, "en"), number(82.4, 1, "es")
    ('1 344,5', '1,344.5', '82,4')
    """
    text = f"{value:,.{decimals}f}"
    return text if (lang or get_language()) == "en" else text.replace(",", " ").replace(".", ",")


class RiskmapError(Exception):
    """An error the user can fix, with its message in Spanish and English.

    Parameters
    ----------
    es, en : str
        The message in each language: what is wrong (file, row, column), what was
        expected, and what to do.
    """

    def __init__(self, es: str, en: str) -> None:
        super().__init__(es)
        self.es = es
        self.en = en

    def message(self, lang: str | None = None) -> str:
        """Return the message in ``lang`` (default: the current language)."""
        return tr(self.es, self.en, lang)

    def __str__(self) -> str:
        return self.message()


class DataError(RiskmapError):
    """Input data (a file, a table, a layer) is not what riskmap expects."""


class ConfigError(RiskmapError):
    """The configuration file is wrong (unknown key, missing file, bad value)."""


class FetchError(RiskmapError):
    """A public source could not be downloaded or failed its checksum."""
