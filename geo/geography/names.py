"""District names to UBIGEO: tables that name places instead of coding them.

REINFO (the informal-mining registry) and many ministry tables have one row per operation with
the department, province and district *names*, in capitals, without accents, sometimes
misspelt, and no UBIGEO. The same district name exists in several departments (there is a
San Juan in eleven of them), so the province and department decide. :func:`match_districts`
resolves each row against the district table:

* names are compared normalised (:func:`normalise`): case, accents, ``Ñ``/``N``, spaces,
  hyphens and apostrophes do not matter;
* department + province + district first; then department + district, province + district,
  and the district alone — each only when it names exactly one district;
* a name of the 2007 division that changed since resolves to the district that carries its
  UBIGEO today (the base's table ``nombres_anteriores``, :func:`geo.geography.base.read_renamed`); a
  district split after 2007 keeps its name and code, so its old name finds it as it is;
* a row that still matches nothing, or more than one district, is **reported** — file, line,
  the names given and the closest district names — never silently dropped.

Examples
--------
>>> import pandas as pd
>>> districts = pd.DataFrame({"ubigeo": ["080901", "160101", "210101"],
...     "distrito": ["Santa Ana", "Iquitos", "Puno"],
...     "provincia": ["La Convención", "Maynas", "Puno"],
...     "departamento": ["Cusco", "Loreto", "Puno"]})
>>> rows = pd.DataFrame({"DEP": ["CUSCO", "LORETO", "CUSCO"],
...                      "PROV": ["LA CONVENCION", "MAYNAS", "LA CONVENCION"],
...                      "DIST": ["SANTA  ANA", "IQUITOS", "SANTA ROSA"]})
>>> found = match_districts(rows, {"departamento": "DEP", "provincia": "PROV",
...                                "distrito": "DIST"}, districts, source="reinfo.csv")
>>> found.ubigeo, len(found.unmatched)
(['080901', '160101', None], 1)
>>> found.unmatched[0].closest
['Santa Ana (La Convención, Cusco)']
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from geo import columns as C
from geo.errors import DataError
from geo.messages import t

__all__ = ["Match", "Unmatched", "match_districts", "normalise"]


def normalise(name: object) -> str:
    """Return a place name as compared: upper case, no accents, ``Ñ`` as ``N``, one space.

    >>> normalise("  Unión  Asháninka "), normalise("PAMPAÑAHUI"), normalise("Villa-Kintiarina")
    ('UNION ASHANINKA', 'PAMPANAHUI', 'VILLA KINTIARINA')
    """
    if name is None or (not isinstance(name, str) and pd.isna(name)):
        return ""
    text = unicodedata.normalize("NFKD", str(name))
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = re.sub(r"[^A-Za-z0-9 ]+", " ", text.upper())
    return re.sub(r"\s+", " ", text).strip()


@dataclass(frozen=True)
class Unmatched:
    """A row whose names match no district, or several."""

    line: int
    names: tuple[str, ...]
    closest: list[str]
    ambiguous: bool = False

    def describe(self, source: str, lang: str = "es") -> str:
        """One line for the report."""
        given = " / ".join(n for n in self.names if n)
        near = t("geografia.mas_parecidos", lang=lang, names=", ".join(self.closest)) \
            if self.closest else ""
        return t("geografia.nombre_varios_distritos" if self.ambiguous
                 else "geografia.nombre_ningun_distrito", lang=lang, source=source,
                 line=self.line, given=given, near=near)


@dataclass
class Match:
    """The UBIGEO of every row (None where unmatched) and the rows left out."""

    ubigeo: list[str | None]
    unmatched: list[Unmatched] = field(default_factory=list)
    by_alias: int = 0


def match_districts(table: pd.DataFrame, match: Mapping[str, str], districts: pd.DataFrame,
                    *, source: str | Path = "", first_line: int = 2,
                    renamed: pd.DataFrame | None = None) -> Match:
    """Resolve each row's department, province and district names to a UBIGEO.

    Parameters
    ----------
    table : DataFrame
        The rows (one per operation, concession, permit...).
    match : mapping
        ``{"departamento": COL, "provincia": COL, "distrito": COL}``: the table's columns
        (``distrito`` required).
    districts : DataFrame
        ``ubigeo``, ``distrito``, ``provincia``, ``departamento`` (the base table).
    source : str or Path
        The file, named in the report.
    first_line : int
        The line number of the table's first row (2 for a CSV with a header).
    renamed : DataFrame, optional
        Old names that changed (``departamento, provincia, distrito_anterior, ubigeo``).

    Returns
    -------
    Match

    Raises
    ------
    DataError
        A column named in ``match`` is not in the table (naming the columns it has).
    """
    name = Path(source).name if source else "tabla"
    missing = [col for col in match.values() if col not in table.columns]
    if missing:
        raise DataError("geografia.no_tiene_columna_nombra", name=name, missing=', '.join(missing),
                        columns=', '.join(map(str, table.columns)))
    index = _Index(districts, renamed)
    keys = ("departamento", "provincia", "distrito")
    columns = [table[match[k]].map(normalise) if k in match else pd.Series("", index=table.index)
               for k in keys]
    out = Match(ubigeo=[])
    cache: dict[tuple[str, str, str], tuple[str | None, bool, bool]] = {}
    for i, (dep, prov, dist) in enumerate(zip(*columns, strict=True)):
        key = (dep, prov, dist)
        if key not in cache:
            cache[key] = index.resolve(dep, prov, dist)
        code, ambiguous, alias = cache[key]
        out.ubigeo.append(code)
        out.by_alias += int(alias and code is not None)
        if code is None:
            raw = tuple(str(table[match[k]].iloc[i]) if k in match else "" for k in keys)
            out.unmatched.append(Unmatched(first_line + i, raw, index.closest(dep, prov, dist),
                                           ambiguous))
    return out


class _Index:
    """The districts by normalised names, and the known renamings."""

    def __init__(self, districts: pd.DataFrame, renamed: pd.DataFrame | None) -> None:
        self.rows = pd.DataFrame({
            C.UBIGEO: districts[C.UBIGEO].astype(str).str.zfill(6),
            "dep": districts[C.DEPARTAMENTO].map(normalise),
            "prov": districts[C.PROVINCIA].map(normalise),
            "dist": districts[C.DISTRITO].map(normalise),
            "label": districts[C.DISTRITO].astype(str) + " (" + districts[C.PROVINCIA]
            .astype(str) + ", " + districts[C.DEPARTAMENTO].astype(str) + ")",
        })
        self.aliases = {} if renamed is None or renamed.empty else {
            (normalise(r.departamento), normalise(r.provincia), normalise(r.distrito_anterior)):
            str(r.ubigeo).zfill(6) for r in renamed.itertuples(index=False)}

    def resolve(self, dep: str, prov: str, dist: str) -> tuple[str | None, bool, bool]:
        """Return ``(ubigeo or None, ambiguous, through an alias)``."""
        code, ambiguous = self._lookup(dep, prov, dist)
        if code is None and not ambiguous:
            for (a_dep, a_prov, a_dist), target in self.aliases.items():
                if a_dist == dist and (not dep or not a_dep or a_dep == dep) and \
                        (not prov or not a_prov or a_prov == prov):
                    return target, False, True
        return code, ambiguous, False

    def _lookup(self, dep: str, prov: str, dist: str) -> tuple[str | None, bool]:
        rows = self.rows[self.rows["dist"] == dist]
        if rows.empty:
            return None, False
        for use_dep, use_prov in ((True, True), (True, False), (False, True), (False, False)):
            if (use_dep and not dep) or (use_prov and not prov):
                continue
            pick = rows
            if use_dep:
                pick = pick[pick["dep"] == dep]
            if use_prov:
                pick = pick[pick["prov"] == prov]
            if len(pick) == 1:
                return str(pick[C.UBIGEO].iloc[0]), False
            if len(pick) > 1 and use_dep and use_prov:
                return None, True
        return None, len(rows) > 1

    def closest(self, dep: str, prov: str, dist: str, n: int = 3) -> list[str]:
        pool = self.rows
        if dep and (pool["dep"] == dep).any():
            pool = pool[pool["dep"] == dep]
        names = difflib.get_close_matches(dist, pool["dist"].unique().tolist(), n=n,
                                          cutoff=0.6)
        return [str(label) for name in names
                for label in pool.loc[pool["dist"] == name, "label"].head(n)][:n]
