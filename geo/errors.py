"""Errors that speak the user's language.

Every error a user can cause (a bad file, a wrong key, a missing column) is a
:class:`RiskmapError` whose message is a key of the catalogue (:mod:`geo.messages`) with
its parameters, and names the file, row or column, what was expected and what to do. The
message is written when it is shown, in the language of that moment: the command line
prints ``err.message()`` in the language chosen with ``--lang``; the dashboard shows it
in the language of the session. Neither ever shows a traceback for a RiskmapError.

The language is a context variable (:mod:`geo.messages.language`), one per request:
:func:`set_language`, :func:`get_language` and :func:`language` are its names here too.

Examples
--------
>>> err = DataError("comun.falta_preparar", what="puntajes", path="scores.parquet")
>>> err.message("en")[:40]
'The data this dashboard needs does not e'
>>> with language("es"):
...     str(err)[:31]
'Aún no existen los datos que es'
"""

from __future__ import annotations

from typing import Any

from geo.messages.language import LANGUAGES, get_language, language, set_language
from geo.messages.lookup import Message

__all__ = [
    "LANGUAGES",
    "ConfigError",
    "DataError",
    "FetchError",
    "RiskmapError",
    "get_language",
    "language",
    "set_language",
]


class RiskmapError(Exception):
    """An error the user can fix, its message a key of the catalogue and its parameters.

    Parameters
    ----------
    key : str
        The message's key in the catalogue (:mod:`geo.messages`): what is wrong (file,
        row, column), what was expected, and what to do.
    **params
        The key's placeholders (a parameter that is itself an error or a message is
        written in the same language).

    Examples
    --------
    >>> RiskmapError("comun.n_distritos", n=4).message("en")
    '4 districts'
    >>> RiskmapError("comun.n_distritos", n=4).es
    '4 distritos'
    """

    def __init__(self, key: str, /, **params: Any) -> None:
        if {"es", "en"} & params.keys():
            raise TypeError("a RiskmapError is a catalogue key and its parameters, never "
                            "texts written inline (es=, en=)")
        self._message = Message(key, params)
        super().__init__(key)

    @property
    def key(self) -> str:
        """The message's key in the catalogue."""
        return self._message.key

    @property
    def params(self) -> dict[str, Any]:
        """The parameters of the message's key."""
        return self._message.params

    @property
    def es(self) -> str:
        """The message in Spanish."""
        return self.message("es")

    @property
    def en(self) -> str:
        """The message in English."""
        return self.message("en")

    def message(self, lang: str | None = None) -> str:
        """Return the message in ``lang`` (default: the current language)."""
        return self._message.message(lang)

    def __str__(self) -> str:
        return self.message()

    def __reduce__(self) -> tuple[Any, ...]:
        # rebuilt without calling __init__ (subclasses take other arguments), so that an
        # error crosses a process boundary with its key, parameters and attributes
        return (_rebuilt, (type(self), self.args), self.__dict__)


def _rebuilt(cls: type[RiskmapError], args: tuple[Any, ...]) -> RiskmapError:
    err = cls.__new__(cls)
    Exception.__init__(err, *args)
    return err


class DataError(RiskmapError):
    """Input data (a file, a table, a layer) is not what riskmap expects."""


class ConfigError(RiskmapError):
    """The configuration file is wrong (unknown key, missing file, bad value)."""


class FetchError(RiskmapError):
    """A public source could not be downloaded or failed its checksum."""
