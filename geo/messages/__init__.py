"""One way to speak: the message catalogue and the language of the current request.

Every text riskmap shows people — a page's words, an error, a line of the command line —
is a key of the catalogue (the TOML files of this folder, one per room) with its Spanish
and English text. :func:`t` writes a key in the current language, which is a context
variable (:mod:`geo.messages.language`): the command line sets it from ``--lang``, the
dashboard from the session at the start of each script run.

Examples
--------
>>> t("comun.riesgo")
'Riesgo'
>>> with language("en"):
...     t("comun.n_distritos", n=2)
'2 districts'
"""

from geo.messages.language import (
    DEFAULT_LANGUAGE,
    LANGUAGES,
    get_language,
    language,
    set_language,
)
from geo.messages.lookup import (
    CATALOGUE_DIR,
    CatalogueError,
    Joined,
    Message,
    Rendered,
    Written,
    catalogue,
    placeholders,
    read_catalogue,
    t,
    texts,
)

__all__ = [
    "CATALOGUE_DIR",
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "CatalogueError",
    "Joined",
    "Message",
    "Rendered",
    "Written",
    "catalogue",
    "get_language",
    "language",
    "placeholders",
    "read_catalogue",
    "set_language",
    "t",
    "texts",
]
