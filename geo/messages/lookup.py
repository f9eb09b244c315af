"""The message catalogue: every text riskmap shows people, by key, in Spanish and English.

The texts live in the TOML files next to this module, one file per room (``datos.toml``
holds the keys ``datos.…``). Each entry is a key with its Spanish and English text::

    ["datos.importar.filas_nuevas"]
    es = "{n:,} filas nuevas"
    en = "{n:,} new rows"

Placeholders are named (``{n}``, with an optional format spec: ``{n:,}``) and the same in
both languages. Reading the catalogue checks every entry (both languages, the same
placeholders, the key in its room's file) and stops on the first file that breaks a rule:
a wrong catalogue is found when riskmap starts, not when a page shows the message.

Examples
--------
>>> t("comun.riesgo", lang="en")
'Risk'
>>> t("comun.n_distritos", lang="es", n=169)
'169 distritos'
>>> Message("comun.n_distritos", {"n": 3}).message("en")
'3 districts'
"""

from __future__ import annotations

import functools
import re
import string
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from geo.messages.cldr import format_field
from geo.messages.language import LANGUAGES, get_language

__all__ = [
    "CATALOGUE_DIR",
    "CatalogueError",
    "Joined",
    "Message",
    "Rendered",
    "Written",
    "catalogue",
    "placeholders",
    "read_catalogue",
    "t",
    "texts",
]

#: The folder of the catalogue's TOML files (one per room).
CATALOGUE_DIR = Path(__file__).resolve().parent
#: A key: lower-case words joined by dots, the first word the room (its file's name).
KEY = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
#: Names a placeholder may not take: arguments of :func:`t` and of :class:`geo.errors.RiskmapError`.
RESERVED = frozenset({"key", "lang", "es", "en"})


class CatalogueError(ValueError):
    """The catalogue breaks one of its rules (a programmer's error, not a user's)."""


def t(key: str, lang: str | None = None, **params: Any) -> str:
    """Return the text of ``key`` in ``lang`` (default: the current language), filled in.

    A parameter that is itself a message (a :class:`Message`, a
    :class:`geo.errors.RiskmapError`) is written in the same language; a number is written
    as CLDR writes it in that language, with the digits its placeholder asks for
    (:func:`geo.messages.cldr.format_field`: ``{n:,}`` groups a count, ``{p:.1%}`` is a
    percentage, ``{x:.2f}`` two decimals, never scientific notation). An unknown key
    returns the key itself, so a missing text shows up where it is used instead of
    breaking the page.

    >>> t("comun.evidencia_insuficiente", lang="en")
    'insufficient evidence'
    >>> t("no.such_key")
    'no.such_key'
    >>> t("comun.n_distritos", lang="en", n=12345)
    '12,345 districts'
    """
    pair = catalogue().get(key)
    if pair is None:
        return key
    lang = lang or get_language()
    text = pair[1] if lang == "en" else pair[0]
    shown = {name: _shown(value, lang) for name, value in params.items()}
    try:
        return _Writer(lang).format(text, **shown)
    except (KeyError, IndexError) as err:
        raise CatalogueError(f"message {key!r} needs the parameter {err}; "
                             f"given: {sorted(params)}") from err


def texts(key: str) -> tuple[str, str]:
    """Return the Spanish and English text of ``key`` as they are written (not filled in).

    >>> texts("comun.pag_mapa")
    ('Mapa', 'Map')
    """
    try:
        return catalogue()[key]
    except KeyError:
        raise KeyError(f"no message {key!r} in the catalogue ({CATALOGUE_DIR})") from None


class Message:
    """A message to show later: a key and its parameters, written in the language of the moment.

    An error built now and shown later (in a page, on the command line) speaks the
    language current when it is shown, not when it was raised.
    """

    __slots__ = ("key", "params")

    def __init__(self, key: str, params: Mapping[str, Any] | None = None) -> None:
        self.key = key
        self.params = dict(params or {})

    @classmethod
    def of(cls, key: str, /, **params: Any) -> Message:
        """Build a message from its key and its parameters given as keywords.

        >>> Message.of("comun.n_distritos", n=2).en
        '2 districts'
        """
        return cls(key, params)

    @classmethod
    def plural(cls, n: int, one: str, many: str, /, **params: Any) -> Message:
        """Choose the key ``one`` when ``n`` is 1, else ``many`` (CLDR's rule in es and en).

        ``n`` is a parameter of the message too.

        >>> Message.plural(1, "registros.n_fila_leida", "registros.n_filas_leidas").es
        '1 fila leída'
        >>> Message.plural(2, "registros.n_fila_leida", "registros.n_filas_leidas").en
        '2 rows read'
        """
        return cls(one if n == 1 else many, {"n": n, **params})

    @property
    def es(self) -> str:
        """The text in Spanish."""
        return self.message("es")

    @property
    def en(self) -> str:
        """The text in English."""
        return self.message("en")

    def message(self, lang: str | None = None) -> str:
        """Return the text in ``lang`` (default: the current language)."""
        return t(self.key, lang, **self.params)

    def __str__(self) -> str:
        return self.message()

    def __repr__(self) -> str:
        return f"Message({self.key!r}, {self.params!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Message) and (self.key, self.params) == (other.key,
                                                                          other.params)

    __hash__ = None  # type: ignore[assignment]  # params are mutable values


class Joined:
    """Messages written one after another, joined by ``sep``, in the language they are shown in.

    A part that is not a message is written as it is.

    >>> Joined([Message.of("comun.n_distritos", n=2), "Cusco"], sep=" · ").message("en")
    '2 districts · Cusco'
    """

    def __init__(self, parts: Sequence[Any], sep: str = "\n", tail: str = "") -> None:
        self.parts, self.sep, self.tail = list(parts), sep, tail

    def message(self, lang: str | None = None) -> str:
        """Return the parts written in ``lang`` (default: the current language), joined."""
        return self.sep.join(str(_shown(p, lang or get_language())) for p in self.parts) \
            + self.tail


class Written:
    """A text already written in both languages (read from a file that keeps both).

    >>> Written("hola", "hello").message("en")
    'hello'
    """

    def __init__(self, es: str, en: str) -> None:
        self.es, self.en = es, en

    def message(self, lang: str | None = None) -> str:
        """Return the text in ``lang`` (default: the current language)."""
        return self.en if (lang or get_language()) == "en" else self.es


class Rendered:
    """A report (anything with ``render(lang, *args)``) as a message: rendered when shown."""

    def __init__(self, report: Any, *args: Any) -> None:
        self.report, self.args = report, args

    def message(self, lang: str | None = None) -> str:
        """Return the report rendered in ``lang`` (default: the current language)."""
        return self.report.render(lang or get_language(), *self.args)


@functools.cache
def catalogue() -> Mapping[str, tuple[str, str]]:
    """Return the whole catalogue, ``key -> (es, en)``, read and checked once per process."""
    return read_catalogue(CATALOGUE_DIR)


def read_catalogue(folder: Path) -> dict[str, tuple[str, str]]:
    """Read and check every ``*.toml`` file of ``folder``; return ``key -> (es, en)``.

    Raises
    ------
    CatalogueError
        A file is not valid TOML; an entry lacks a language or has another field; a key
        is not ``room.words`` or not in its room's file; the two texts do not have the
        same placeholders; a placeholder is positional (``{}``) or reserved (``lang``).
    """
    entries: dict[str, tuple[str, str]] = {}
    for path in sorted(Path(folder).glob("*.toml")):
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as err:
            raise CatalogueError(f"{path.name}: not valid TOML ({err})") from err
        for key, pair in _flatten(data, "", path.name):
            entries[key] = _check_entry(key, pair, path)
    return entries


def placeholders(text: str) -> frozenset[str]:
    """Return the names of the placeholders of ``text`` (format specs left out).

    >>> sorted(placeholders("{n:,} filas de {path} ({{literal}})"))
    ['n', 'path']
    """
    names = set()
    for _, field, _, _ in string.Formatter().parse(text):
        if field is None:
            continue
        name = re.split(r"[.\[]", field, maxsplit=1)[0]
        if not name or name.isdigit():
            raise ValueError(f"positional placeholder {{{field}}}: name it")
        names.add(name)
    return frozenset(names)


def _flatten(table: Mapping[str, Any], prefix: str, file: str):
    for name, value in table.items():
        key = f"{prefix}{name}"
        if not isinstance(value, dict):
            raise CatalogueError(f"{file}: {key!r} is not an entry (a table with es and en)")
        if "es" in value or "en" in value:
            yield key, value
        else:
            yield from _flatten(value, key + ".", file)


def _check_entry(key: str, entry: Mapping[str, Any], path: Path) -> tuple[str, str]:
    where = f"{path.name}: {key!r}"
    if not KEY.match(key):
        raise CatalogueError(f"{where}: a key is lower-case words joined by dots (room.words)")
    if key.split(".", 1)[0] != path.stem:
        raise CatalogueError(f"{where}: a key of room {key.split('.', 1)[0]!r} belongs in "
                             f"{key.split('.', 1)[0]}.toml")
    if set(entry) != set(LANGUAGES):
        raise CatalogueError(f"{where}: an entry has exactly the fields es and en, "
                             f"got {sorted(entry)}")
    for lang in LANGUAGES:
        if not isinstance(entry[lang], str):
            raise CatalogueError(f"{where}: {lang} is not a string")
    try:
        es, en = placeholders(entry["es"]), placeholders(entry["en"])
    except ValueError as err:
        raise CatalogueError(f"{where}: {err}") from err
    if es != en:
        raise CatalogueError(f"{where}: the placeholders differ: es {sorted(es)}, en {sorted(en)}")
    if es & RESERVED:
        raise CatalogueError(f"{where}: placeholder names {sorted(es & RESERVED)} are reserved")
    return entry["es"], entry["en"]


class _Writer(string.Formatter):
    """``str.format`` whose numbers CLDR writes in one language (:func:`format_field`)."""

    def __init__(self, lang: str) -> None:
        self.lang = lang

    def format_field(self, value: Any, format_spec: str) -> str:
        return format_field(value, format_spec, self.lang)


def _shown(value: Any, lang: str) -> Any:
    """Write a message (anything with ``.message(lang)``) in ``lang``; leave other values."""
    message = getattr(value, "message", None)
    return message(lang) if callable(message) else value
