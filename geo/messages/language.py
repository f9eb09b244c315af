"""The language a message is shown in: one context variable, never a process-wide setting.

Each request carries its own language. The command line sets it from ``--lang`` for the
command it runs; the dashboard sets it from the session at the start of every script run
(each run is its own thread, and a context variable set in one thread is not seen by
another, so two sessions never speak each other's language). Code that shows a message
reads it with :func:`get_language`; nothing else stores a language.

Examples
--------
>>> get_language()
'es'
>>> with language("en"):
...     get_language()
'en'
>>> get_language()
'es'
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

__all__ = ["DEFAULT_LANGUAGE", "LANGUAGES", "get_language", "language", "set_language"]

#: The languages riskmap speaks, Spanish first.
LANGUAGES = ("es", "en")
#: The language of a request that has not chosen one.
DEFAULT_LANGUAGE = "es"

_LANGUAGE: ContextVar[str] = ContextVar("riskmap_language", default=DEFAULT_LANGUAGE)


def set_language(lang: str) -> None:
    """Set the language of the current request (context): ``"es"`` or ``"en"``.

    Other threads and other requests keep their own language.
    """
    _check(lang)
    _LANGUAGE.set(lang)


def get_language() -> str:
    """Return the language of the current request (``"es"`` unless it chose another)."""
    return _LANGUAGE.get()


@contextlib.contextmanager
def language(lang: str) -> Iterator[None]:
    """Speak ``lang`` inside the ``with`` block, then the language from before it."""
    _check(lang)
    token = _LANGUAGE.set(lang)
    try:
        yield
    finally:
        _LANGUAGE.reset(token)


def _check(lang: str) -> None:
    if lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}, got {lang!r}")
