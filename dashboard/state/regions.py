"""The region switch: which departments the scores cover, by key, and their plain names."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from dashboard.i18n import get_lang, t
from dashboard.state.files import _require, in_region, mtime, settings
from dashboard.state.loaders import _read_scores
from geo import columns as C

ALL_REGIONS = "todo"


@dataclass(frozen=True)
class Region:
    """A choice of the region switch: a key, its department codes, its plain name, its size."""

    key: str
    codes: tuple[str, ...]
    name: str
    n: int


def regions_in(scores: pd.DataFrame) -> list[Region]:
    """List the regions a scores table can show: all of it first, then each department.

    Cusco and Loreto come first when present (the inspectorate's pilot regions), the other
    departments after them by name. With a single department only that one is offered.

    >>> df = pd.DataFrame({"ubigeo": ["160101", "080101", "080102", "150101"],
    ...                    "departamento": ["Loreto", "Cusco", "Cusco", "Lima"]})
    >>> [(r.key, r.codes, r.name, r.n) for r in regions_in(df)]  # doctest: +NORMALIZE_WHITESPACE
    [('todo', ('08', '15', '16'), '', 4), ('cusco', ('08',), 'Cusco', 2),
     ('loreto', ('16',), 'Loreto', 1), ('lima', ('15',), 'Lima', 1)]
    """
    codes = scores[C.UBIGEO].astype(str).str.zfill(6).str[:2]
    names = scores[C.DEPARTAMENTO].astype(str) if C.DEPARTAMENTO in scores else codes
    table = pd.DataFrame({"code": codes, "name": names})
    counts = table.groupby("code").agg(name=("name", "first"), n=("name", "size"))
    first = [c for c in C.DEFAULT_DEPARTMENTS if c in counts.index]
    rest = sorted((c for c in counts.index if c not in first), key=lambda c: counts.at[c, "name"])
    deps = [Region(_slug(counts.at[c, "name"]) or c, (c,), str(counts.at[c, "name"]),
                   int(counts.at[c, "n"])) for c in [*first, *rest]]
    if len(deps) <= 1:
        return deps
    return [Region(ALL_REGIONS, tuple(sorted(counts.index)), "", len(scores)), *deps]


def _slug(name: str) -> str:
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", plain.lower()).strip("_")


def region_options(allowed: tuple[str, ...] = ()) -> dict[str, Region]:
    """Return the regions of the active scores by key (see :func:`regions_in`).

    ``allowed`` (department codes; ``()`` = all) keeps the choices an identity may see:
    its departments, and all of them together when there are several.
    """
    path = _require(settings().scores_gpkg, "tablero.capa_riesgo")
    options = _region_options(str(path), mtime(path))
    if not allowed:
        return options
    mine = {k: r for k, r in options.items()
            if k != ALL_REGIONS and set(r.codes) <= set(allowed)}
    if len(mine) <= 1:
        return mine
    codes = tuple(sorted(c for r in mine.values() for c in r.codes))
    together = Region(ALL_REGIONS, codes, "", sum(r.n for r in mine.values()))
    return {ALL_REGIONS: together, **mine}


@st.cache_data(show_spinner=False, max_entries=4)
def _region_options(path: str, stamp: float) -> dict[str, Region]:
    return {r.key: r for r in regions_in(_read_scores(path, stamp))}


def region_label(region: Region, lang: str | None = None) -> str:
    """Plain name of a region choice, e.g. ``"Cusco y Loreto (169 distritos)"`` or ``"Cusco"``.

    >>> region_label(Region("todo", ("08", "16"), "", 169), "es")
    'Cusco y Loreto (169 distritos)'
    >>> region_label(Region("todo", ("01", "02", "03"), "", 300), "en")
    'Whole area (300 districts)'
    >>> region_label(Region("cusco", ("08",), "Cusco", 116), "en")
    'Cusco'
    """
    lang = lang or get_lang()
    if region.key != ALL_REGIONS:
        return region.name
    n = t("comun.n_distritos", lang=lang, n=region.n)
    if region.codes == tuple(sorted(C.DEFAULT_DEPARTMENTS)):
        return t("tablero.cusco_loreto", lang=lang, n=n)
    return t("tablero.todo_ambito", lang=lang, n=n)


def rank_in(scores: pd.DataFrame, region: tuple[str, ...] = ()) -> pd.Series:
    """Rank the districts of ``region`` (department codes; ``()`` = all rows) by risk, within it.

    1 is the highest risk; districts with the same risk share the better rank (so a rank is
    always "how many districts of the region are riskier, plus one", what the district card
    says). Every "Puesto" a page shows with a region selected comes from here: the Mapa table,
    the district card, the export preview. Districts without a risk get no rank (``<NA>``).

    >>> df = pd.DataFrame({"ubigeo": ["080101", "160101", "080102", "080103"],
    ...                    "riesgo": [0.2, 0.9, 0.5, 0.2]})
    >>> rank_in(df, ("08",)).tolist()
    [2, 1, 2]
    >>> rank_in(df).tolist()
    [3, 1, 2, 3]
    """
    inside = in_region(scores, tuple(region))
    return inside[C.RIESGO].rank(ascending=False, method="min").astype("Int64").rename(C.RANGO)
