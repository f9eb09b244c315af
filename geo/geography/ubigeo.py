"""The district key: find it, normalise it, compare two vintages of it.

INEI's UBIGEO is a 6-digit **string** (``"080101"`` = Cusco, Cusco, Cusco). Real files
spell its column in many ways (``UBIGEO``, ``IDDIST``, ``COD_DISTRITO``, ``inei`` …) and
spreadsheets turn it into an integer that loses the leading zero of departments 01–09.
This module finds the column, restores a lost zero, rejects anything else that is not
6 digits (naming the file, the row and the value), and says which codes of two tables
do not match instead of letting a join drop them silently.

Examples
--------
>>> import pandas as pd
>>> df = pd.DataFrame({"IDDIST": [80101, 160101], "x": [1, 2]})
>>> find_ubigeo_column(df, "tabla.csv")
'IDDIST'
>>> normalize_ubigeo(df["IDDIST"], "tabla.csv").tolist()
['080101', '160101']
>>> report = compare_vintages(["080101", "080102"], ["080101", "080919"], "2007", "2025")
>>> report.only_left, report.only_right
(('080102',), ('080919',))
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo import columns as C
from geo.errors import DataError
from geo.messages import Message, get_language, t

__all__ = [
    "UBIGEO_COLUMNS",
    "VintageReport",
    "compare_vintages",
    "find_ubigeo_column",
    "normalize_ubigeo",
]

#: Column names that hold the district key, in order of preference (compared ignoring
#: case, spaces, hyphens and underscores).
UBIGEO_COLUMNS = (
    "ubigeo",
    "ubigeo_inei",
    "cod_ubigeo",
    "codubigeo",
    "iddist",
    "id_dist",
    "id_distrito",
    "cod_distrito",
    "coddist",
    "cod_dist",
    "codigo_distrito",
    "cdist",
    "inei",
    "ubigeo_reniec",
    "reniec",
)

_MAX_LISTED = 10  # bad values named in one message; the rest are counted


def find_ubigeo_column(df: pd.DataFrame, source: object) -> str:
    """Return the name of the column that holds the 6-digit district code.

    Parameters
    ----------
    df : DataFrame
        Any table or layer.
    source : str or Path
        The file the table came from, named in the error message.

    Returns
    -------
    str
        The column's name as spelled in ``df``.

    Raises
    ------
    DataError
        When no column has a known UBIGEO name; the message lists the columns found.

    Examples
    --------
    >>> import pandas as pd
    >>> find_ubigeo_column(pd.DataFrame({"Cod_Distrito": ["080101"]}), "x.csv")
    'Cod_Distrito'
    """
    by_key = {}
    for col in df.columns:
        by_key.setdefault(_key(col), col)
    for name in UBIGEO_COLUMNS:
        if _key(name) in by_key:
            return by_key[_key(name)]
    found = ", ".join(str(c) for c in df.columns if c != C.GEOMETRY) or "(ninguna / none)"
    raise DataError("geografia.no_encontro_columna_codigo", source=source, found=found,
                    ubigeo_columns=', '.join(UBIGEO_COLUMNS[:9]))


def normalize_ubigeo(
    series: pd.Series, source: object, *, first_line: int | None = None,
    lines: Sequence[int] | None = None,
) -> pd.Series:
    """Return the district codes as 6-digit strings, or raise naming every bad row.

    An integer (or a float such as ``80101.0``) that lost the leading zero of departments
    01–09 is padded with ``zfill(6)``. A text value must already be 6 digits
    (surrounding spaces are ignored): a 5-digit text such as ``"80101"`` is ambiguous
    and is rejected with a hint, as is anything empty or not made of digits.

    Parameters
    ----------
    series : Series
        The key column as read from the file.
    source : str or Path
        The file, named in the error message.
    first_line : int, optional
        Line number of the first row in the file (2 for a CSV with a header). When
        given, bad rows are named by line; otherwise by their 1-based row number.
    lines : sequence of int, optional
        The file line of each row (rows left out by a filter leave gaps); overrides
        ``first_line``.

    Returns
    -------
    Series
        Same index and name, dtype ``object`` holding 6-digit strings.

    Raises
    ------
    DataError
        Naming the file, up to ten bad rows with their values, and how to fix them. A
        number of 4 or 7 digits is refused too: it is no code that lost its zero.

    Examples
    --------
    >>> import pandas as pd
    >>> normalize_ubigeo(pd.Series([80101, 250101]), "a.csv").tolist()
    ['080101', '250101']
    >>> try:
    ...     normalize_ubigeo(pd.Series(["80101"]), "a.csv", first_line=2)
    ... except DataError as err:
    ...     print(err.en[:56])
    a.csv: invalid UBIGEO codes in 1 row(s): line 2: '80101'
    """
    values = series.to_numpy(dtype=object)
    out = np.empty(len(values), dtype=object)
    bad: list[tuple[int, object, Message]] = []
    for i, value in enumerate(values):
        code, why = _normalize_one(value)
        if why is not None:
            bad.append((i, value, why))
        out[i] = code
    if bad:
        raise _bad_codes_error(bad, source, first_line,
                               None if lines is None else [int(n) for n in lines])
    return pd.Series(out, index=series.index, name=series.name, dtype=object)


@dataclass(frozen=True)
class VintageReport:
    """Which district codes of two tables match, and which do not.

    Attributes
    ----------
    left_name, right_name : str
        What each side is (a file, "INEI 2007", …), used in the message.
    n_left, n_right, n_common : int
        Distinct codes on each side and in both.
    only_left, only_right : tuple of str
        Sorted codes found on one side only.
    """

    left_name: str
    right_name: str
    n_left: int
    n_right: int
    n_common: int
    only_left: tuple[str, ...]
    only_right: tuple[str, ...]

    @property
    def matches(self) -> bool:
        """True when both sides hold exactly the same codes."""
        return not self.only_left and not self.only_right

    @property
    def is_subset(self) -> bool:
        """True when every left code exists on the right, which has more (a partial cover).

        A file of one province against its department: no vintage problem, just fewer
        districts.
        """
        return self.n_left > 0 and not self.only_left and bool(self.only_right)

    @property
    def es(self) -> str:
        """The summary in Spanish."""
        return self._summary("es")

    @property
    def en(self) -> str:
        """The summary in English."""
        return self._summary("en")

    def message(self, lang: str | None = None) -> str:
        """Return the summary in ``lang`` (default: the current language)."""
        return self._summary(lang or get_language())

    def __str__(self) -> str:
        return self.message()

    def to_frame(self) -> pd.DataFrame:
        """Return the unmatched codes as a table (``ubigeo``, ``solo_en``)."""
        rows = [(c, self.left_name) for c in self.only_left]
        rows += [(c, self.right_name) for c in self.only_right]
        return pd.DataFrame(rows, columns=[C.UBIGEO, "solo_en"])

    def _summary(self, lang: str) -> str:
        L, R = self.left_name, self.right_name
        if self.matches:
            return t("geografia.codigos_ubigeo_coinciden", lang=lang, n_left=self.n_left, l=L, r=R)
        if self.is_subset:
            missing = len(self.only_right)
            return t("geografia.cubre_distritos_subconjunto_todos", lang=lang, l=L,
                     n_left=self.n_left, n_right=self.n_right, r=R, missing=missing,
                     listing=_listing(self.only_right, 10))
        parts = [
            t("geografia.tiene_codigos_ubigeo_tiene", lang=lang, l=L, n_left=self.n_left, r=R,
              n_right=self.n_right, n_common=self.n_common)
        ]
        for side, codes in ((L, self.only_left), (R, self.only_right)):
            if codes:
                parts.append(
                    t("geografia.solo", lang=lang, n_codes=len(codes), side=side,
                      listing=_listing(codes))
                )
        parts.append(
            t("geografia.probablemente_usan_versiones_distintas", lang=lang)
        )
        return " ".join(parts)


def compare_vintages(
    left_codes: Iterable[object],
    right_codes: Iterable[object],
    left_name: str = "izquierda",
    right_name: str = "derecha",
) -> VintageReport:
    """Compare two sets of UBIGEO codes (e.g. a 2007 table against 2025 boundaries).

    Parameters
    ----------
    left_codes, right_codes : iterable
        District codes, already normalised to 6-digit strings (missing values ignored).
    left_name, right_name : str
        What each side is, named in the summary.

    Returns
    -------
    VintageReport

    Examples
    --------
    >>> r = compare_vintages(["080101"], ["080101"], "a.csv", "base")
    >>> r.matches
    True
    >>> print(compare_vintages(["160801", "160802"], ["160801", "162001"], "2007", "2025")
    ...       .message("en"))  # doctest: +ELLIPSIS
    2007 has 2 UBIGEO codes and 2025 has 2; 1 match. 1 only in 2007: 160802. 1 only in ...
    >>> print(compare_vintages(["160801"], ["160801", "162001"], "a.csv", "base")
    ...       .message("en"))  # doctest: +ELLIPSIS
    a.csv covers 1 of the 2 districts of base (a subset) and all its UBIGEO codes match. ...
    """
    left = {str(c) for c in left_codes if not _is_missing(c)}
    right = {str(c) for c in right_codes if not _is_missing(c)}
    return VintageReport(
        left_name=str(left_name),
        right_name=str(right_name),
        n_left=len(left),
        n_right=len(right),
        n_common=len(left & right),
        only_left=tuple(sorted(left - right)),
        only_right=tuple(sorted(right - left)),
    )


# ---------------------------------------------------------------------------------------
def _key(name: object) -> str:
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


def _is_missing(value: object) -> bool:
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _normalize_one(value: object) -> tuple[str | None, Message | None]:
    """Return (code, None) or (None, why the value is not a code)."""
    if _is_missing(value):
        return None, Message("geografia.ubigeo.vacio")
    if isinstance(value, bool | np.bool_):
        return None, Message("geografia.ubigeo.no_es_codigo")
    if isinstance(value, int | np.integer):
        text = str(int(value))
        # a number cannot keep a leading zero: departments 01-09 lose it
        if text.isdigit() and len(text) in (5, 6):
            return text.zfill(6), None
        # 4 or 7 digits: no code that merely lost its zero; guessing would pick a district
        return None, Message("geografia.ubigeo.numero_de_n_digitos", {"n": len(text)})
    if isinstance(value, float | np.floating):
        if float(value).is_integer():
            return _normalize_one(int(value))
        return None, Message("geografia.ubigeo.no_es_entero")
    text = str(value).strip()
    if len(text) == 6 and text.isdigit() and text.isascii():
        return text, None
    if text.isdigit() and len(text) == 5:
        return None, Message("geografia.ubigeo.cinco_digitos", {"text": text})
    if text.isdigit():
        return None, Message("geografia.ubigeo.n_digitos", {"n": len(text)})
    return None, Message("geografia.ubigeo.no_son_6_digitos")


def _bad_codes_error(
    bad: list[tuple[int, object, Message]], source: object, first_line: int | None,
    lines: list[int] | None = None,
) -> DataError:
    def where(i: int, lang: str) -> str:
        if lines is not None:
            return t("geografia.linea_2", lang=lang, lines=lines[i])
        if first_line is not None:
            return t("geografia.linea", lang=lang, i=i + first_line)
        return t("geografia.fila", lang=lang, i=i + 1)

    shown = bad[:_MAX_LISTED]
    rest = len(bad) - len(shown)
    items = InLanguage(lambda lang: "; ".join(
        t("geografia.ubigeo.valor_invalido", lang=lang, where=where(i, lang), value=repr(v),
          why=why) for i, v, why in shown))
    more = Message("geografia.ubigeo.y_n_mas", {"rest": rest}) if rest else ""
    return DataError("geografia.ubigeo.codigos_invalidos", source=source, n=len(bad),
                     items=items, more=more)


class InLanguage:
    """A piece of a message written by ``write(lang)``, in the language of the moment.

    Passed as a parameter of a catalogue key, it is written in the language current when
    the message is shown (a list of rows, each named in that language).

    >>> piece = InLanguage(lambda lang: "uno" if lang == "es" else "one")
    >>> t("geografia.ubigeo.y_n_mas", lang="en", rest=piece)
    '; and one more'
    """

    __slots__ = ("write",)

    def __init__(self, write: Callable[[str], str]) -> None:
        self.write = write

    def message(self, lang: str | None = None) -> str:
        """Return the piece in ``lang`` (default: the current language)."""
        return self.write(lang or get_language())

    def __str__(self) -> str:
        return self.message()


def _listing(codes: tuple[str, ...], limit: int = 30) -> str:
    shown = ", ".join(codes[:limit])
    return shown + (f" … (+{len(codes) - limit})" if len(codes) > limit else "")
