"""Every table of one department a role without record access receives, suppressed together.

The profiles by district, province, sector and year, the ICLS classes, the co-occurrence
and the routes of a department share cells: a blank in one must not come back by
subtraction from another (issue 21). :func:`protected_tables` builds them all, links their
cells in one :class:`geo.records.sdc.LinkedCells` and suppresses them at once
(:func:`geo.records.sdc.suppress_linked`); the other ``protected_*`` functions read their
table from that one publication.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo import columns as C
from geo.records.classification import (
    CLASE_OIT,
    CLASES,
    INDICIOS,
    SIN_INDICIOS,
    TRABAJO_FORZOSO,
    IndicatorTable,
    classify_records,
    load_table,
)
from geo.records.contract import (
    ANIO,
    BY_OPTIONS,
    N_INCONSISTENTES,
    N_INDICIOS,
    N_RUTA,
    N_TF_OIT,
    N_VICTIMAS,
    N_VICTIMAS_MENORES,
    N_VICTIMAS_MUJERES,
)
from geo.records.indicators.tables import (
    cooccurrence,
    count_columns,
    profiles,
    routes,
    suppress,
    suppress_routes,
)
from geo.records.sdc import LinkedCells, suppress_linked

__all__ = [
    "DISTRICT_EXTRA",
    "DepartmentTables",
    "WITHHELD",
    "coarsen",
    "protected_classes",
    "protected_cooccurrence",
    "protected_counts",
    "protected_profile",
    "protected_routes",
    "protected_tables",
    "round_total",
]

#: What roles without record access never get in a profile: the inconsistencies (with the
#: findings and the two classes, two small counts follow by algebra). ``n_inspecciones`` of
#: a grouping other than the district is withheld too: with it the region's total is public,
#: and the total minus the districts shown gives back a hidden district.
WITHHELD = (N_INCONSISTENTES,)


def protected_profile(records: pd.DataFrame, by: str, districts: pd.DataFrame,
                      threshold: int, aggregate_role: bool = True) -> pd.DataFrame:
    """Return a profile as a role sees it.

    For an ``aggregate_role`` (no record access) the department's rows of
    :func:`protected_tables` — suppressed together with every other table the role can
    obtain — joined over the departments of ``districts`` (a sum with a blank is blank):
    without :data:`WITHHELD`, and without ``n_inspecciones`` unless ``by`` is ``ubigeo``.
    A planner asking for a threshold above 1 gets each department's table suppressed on
    its own (:func:`suppress`); a threshold of 1 (exact counts) is the plain profile.
    """
    frame = pd.DataFrame(districts)
    if threshold <= 1:
        return suppress(profiles(records, by, districts=frame), 1)
    if not aggregate_role:
        return _planner_profile(records, by, frame, threshold)
    if by not in BY_OPTIONS:
        profiles(records, by)  # the same error as the plain profile
    parts = [t.profiles[by] for t in protected_tables(records, frame, threshold).values()]
    if not parts:
        return suppress(profiles(records, by, districts=frame), threshold).drop(
            columns=[c for c in (*WITHHELD, C.N_INSPECCIONES) if by != C.UBIGEO or c !=
                     C.N_INSPECCIONES], errors="ignore")
    keys = {ANIO: [ANIO], C.PROVINCIA: [C.COD_PROV, C.PROVINCIA]}.get(by, [by])
    if by in (C.UBIGEO, C.PROVINCIA) or len(parts) == 1:
        joined = pd.concat(parts, ignore_index=True)
    else:
        counted = [c for c in parts[0].columns if c not in (*keys, "suprimido")]
        total = _sum_blank([p.set_index(keys)[counted] for p in parts])
        marks = pd.concat([p.set_index(keys)["suprimido"] for p in parts]).groupby(
            level=0, sort=False).agg(lambda v: ";".join(dict.fromkeys(
                c for x in v for c in str(x).split(";") if c)))
        joined = total.join(marks).reset_index()
        joined = joined.sort_values(keys, kind="stable")
    if by == C.UBIGEO:
        joined = joined.drop(columns=[c for c in DISTRICT_EXTRA if c in joined])
        joined["suprimido"] = joined["suprimido"].map(
            lambda v: ";".join(c for c in str(v).split(";") if c and c not in
                               DISTRICT_EXTRA))
    return joined.reset_index(drop=True)


def _planner_profile(records: pd.DataFrame, by: str, frame: pd.DataFrame, threshold: int
                     ) -> pd.DataFrame:
    """Return a planner's profile at a threshold of its choice: per department, joined."""
    deps = sorted(set(frame[C.UBIGEO].astype(str).str[:2]))
    parts = []
    for dep in deps:
        rec = records[records[C.UBIGEO].astype(str).str[:2] == dep]
        dist = frame[frame[C.UBIGEO].astype(str).str[:2] == dep]
        parts.append(suppress(profiles(rec, by, districts=dist), threshold))
    keys = {ANIO: [ANIO], C.PROVINCIA: [C.COD_PROV, C.PROVINCIA]}.get(by, [by])
    joined = pd.concat(parts, ignore_index=True) if parts else suppress(
        profiles(records, by, districts=frame), threshold)
    if by not in (C.UBIGEO, C.PROVINCIA) and len(parts) > 1:
        cols = count_columns(joined)
        sums = joined.groupby(keys, sort=True)[cols].agg(
            lambda v: np.nan if v.isna().any() else float(v.sum()))
        marks = joined.groupby(keys, sort=True)["suprimido"].agg(
            lambda v: ";".join(dict.fromkeys(c for x in v for c in x.split(";") if c)))
        joined = sums.join(marks).reset_index()
        for col in cols:
            joined[col] = pd.to_numeric(joined[col]).round().astype("Int64")
    return joined.reset_index(drop=True)


# --- every table a role without record access receives, suppressed together (issue 21) ----
#: Columns of the district table of a protected publication beyond the profile's: the
#: findings and the complaint-driven inspections (the scores and the district card).
DISTRICT_EXTRA = (C.N_HALLAZGOS, C.N_DENUNCIAS)
#: Profile columns published by every grouping (by district also the inspections).
_SHARED = (N_TF_OIT, N_INDICIOS, N_VICTIMAS, N_VICTIMAS_MUJERES, N_VICTIMAS_MENORES)
_CLASS_ROWS = {TRABAJO_FORZOSO: N_TF_OIT, INDICIOS: N_INDICIOS}
_PUBLICATIONS: dict[tuple, DepartmentTables] = {}
#: What a publication is made of (the memory of publications is keyed on these columns).
_RECORD_KEY = (C.ID, C.FECHA, C.UBIGEO, C.SECTOR, C.HALLAZGO, C.ORIGEN, C.INDICADORES,
               C.VICTIMAS, C.VICTIMAS_MUJERES, C.VICTIMAS_MENORES, C.UBIGEO_ORIGEN)
_PUBLICATIONS_KEPT = 16
_PUBLICATIONS_LOCK = threading.Lock()  # pages run in threads


@dataclass(frozen=True)
class DepartmentTables:
    """What a role without record access gets of one department, suppressed as a whole.

    Attributes
    ----------
    profiles : mapping of str to DataFrame
        By ``ubigeo`` (with ``n_inspecciones``, ``n_hallazgos``, ``n_denuncias``),
        ``provincia``, ``sector`` and ``anio``: nullable counts (blank = suppressed) and
        ``suprimido`` naming the blank columns of each row. No ``n_inconsistentes``.
    classes : DataFrame
        ICLS class (rows) by ``hallazgo_tf`` (columns ``1, 0``).
    cooccurrence : DataFrame
        Indicator by indicator; the diagonal is how often each one was found.
    routes : DataFrame
        :func:`routes` kept at ``k`` (:func:`suppress_routes`), women and minors blanked
        with the rest; ``attrs["ocultas"]`` counts the routes left out.
    hidden : int
        Cells blanked; ``report`` is :class:`geo.records.sdc.SuppressionReport`.
    """

    profiles: Mapping[str, pd.DataFrame]
    classes: pd.DataFrame
    cooccurrence: pd.DataFrame
    routes: pd.DataFrame
    hidden: int
    report: object


def protected_tables(records: pd.DataFrame, districts: pd.DataFrame, threshold: int,
                     table: IndicatorTable | None = None) -> dict[str, DepartmentTables]:
    """Every table a role without record access can obtain, per department, suppressed together.

    One disclosure-control pass (:func:`geo.records.sdc.suppress_linked`) over all the cells of a
    department that such a role receives anywhere — the profiles by district, province,
    sector and year, the findings and complaint-driven inspections per district (scores,
    district card), the department's totals (assumed known to the attacker whether shown
    or not), the ICLS classification table, the co-occurrence of indicators and the
    victims' routes — with every relation between them: a province is the sum of its
    districts, each grouping adds up to the total, an indicator count is at most the
    inspections and the records with indicators, women and minors at most the victims, a
    route's victims at most its district's. Secondary suppression holds across all of
    them (linked tables: Hundepool et al., *Statistical Disclosure Control*, 2012, ch. 4-5;
    de Wolf & Giessing 2009) and is checked by the attacker's own integer program:
    no blank can be narrowed to fewer than ``k - 1`` values.

    Departments never share a cell: a table of several departments is built from these
    (a sum with a blank is blank), so choosing "Cusco y Loreto" and then "Loreto" gives
    back nothing. The result of each department is kept in memory for the same records.

    Parameters
    ----------
    records : DataFrame
        Records of the departments (any of ``districts``).
    districts : DataFrame
        ``ubigeo``, ``cod_prov``, ``provincia`` of every district of those departments.
    threshold : int
        The role's ``k`` (at least 2).
    table : IndicatorTable, optional

    Returns
    -------
    dict
        Department code -> :class:`DepartmentTables`.
    """
    table = table or load_table()
    frame = pd.DataFrame(districts)
    codes = frame[C.UBIGEO].astype(str)
    out = {}
    for dep in sorted(set(codes.str[:2])):
        rec = records[records[C.UBIGEO].astype(str).str[:2] == dep]
        dist = frame[codes.str[:2] == dep]
        key = (_fingerprint(rec[[c for c in _RECORD_KEY if c in rec]]),
               _fingerprint(dist[[C.UBIGEO, C.COD_PROV, C.PROVINCIA]]),
               int(threshold), str(table.path))
        found = _PUBLICATIONS.get(key)
        if found is None:  # the same records give the same tables: computed twice at worst
            found = _protect_department(rec, dist, int(threshold), table)
            with _PUBLICATIONS_LOCK:
                while len(_PUBLICATIONS) >= _PUBLICATIONS_KEPT:
                    _PUBLICATIONS.pop(next(iter(_PUBLICATIONS)))
                _PUBLICATIONS[key] = found
        out[dep] = found
    return out


def protected_counts(records: pd.DataFrame, districts: pd.DataFrame, threshold: int
                     ) -> pd.DataFrame:
    """Inspections, findings, complaint-driven inspections and victims per district, protected.

    The district rows of :func:`protected_tables` (the same blanks as every other table):
    ``ubigeo, n_inspecciones, n_hallazgos, n_denuncias, n_victimas, suprimido``.
    """
    cols = [C.UBIGEO, C.N_INSPECCIONES, *DISTRICT_EXTRA, N_VICTIMAS]
    parts = [t.profiles[C.UBIGEO] for t in protected_tables(records, districts,
                                                            threshold).values()]
    if not parts:
        return pd.DataFrame(columns=[*cols, "suprimido"])
    joined = pd.concat(parts, ignore_index=True)
    joined["suprimido"] = joined["suprimido"].map(
        lambda v: ";".join(c for c in str(v).split(";") if c in cols))
    return joined[[*cols, "suprimido"]]


def protected_classes(records: pd.DataFrame, districts: pd.DataFrame, threshold: int
                      ) -> pd.DataFrame:
    """Return the ICLS table (class by ``hallazgo_tf``), protected, summed over departments."""
    return _sum_blank([t.classes for t in protected_tables(records, districts,
                                                           threshold).values()])


def protected_cooccurrence(records: pd.DataFrame, districts: pd.DataFrame, threshold: int
                           ) -> pd.DataFrame:
    """Return indicators found together (:func:`cooccurrence`), protected, departments summed."""
    return _sum_blank([t.cooccurrence for t in protected_tables(records, districts,
                                                                threshold).values()])


def protected_routes(records: pd.DataFrame, districts: pd.DataFrame, threshold: int
                     ) -> pd.DataFrame:
    """Victims' routes to the places of ``districts``, protected (:class:`DepartmentTables`)."""
    parts = [t.routes for t in protected_tables(records, districts, threshold).values()]
    if not parts:
        out = suppress_routes(routes(records.iloc[:0]), threshold)
        return out
    hidden = sum(int(p.attrs.get("ocultas", 0)) for p in parts)
    out = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0].copy()
    out = out.sort_values([C.VICTIMAS, N_RUTA], ascending=False, kind="stable")
    out = out.reset_index(drop=True)
    out.attrs["ocultas"] = hidden
    return out


def coarsen(table: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Blank more of a protected table: every count from 1 to ``threshold - 1`` too.

    A role asking for a threshold above its floor (the Exportar page) gets its one
    publication (:func:`protected_tables` at the floor) with more blanks — never a second
    pattern of blanks that, set beside the first, would give cells back. Women and minors
    go when the rest of the victims is that small too; ``suprimido`` names every blank.

    >>> t = pd.DataFrame({"engano": [6, 12], "n_victimas": [9, 20],
    ...                   "n_victimas_mujeres": [8, 10], "suprimido": ["", ""]})
    >>> out = coarsen(t, 8)
    >>> out["engano"].tolist(), out["n_victimas_mujeres"].tolist(), out["suprimido"].tolist()
    ([<NA>, 12], [<NA>, 10], ['engano;n_victimas_mujeres', ''])
    """
    out = table.copy()
    marks = [[c for c in str(m).split(";") if c] for m in
             out.get("suprimido", pd.Series("", index=out.index)).fillna("")]
    cols = [c for c in out.columns if c in count_columns(out) or c in DISTRICT_EXTRA]
    for col in cols:
        values = pd.to_numeric(out[col], errors="coerce").astype("Float64")
        small = ((values > 0) & (values < threshold)).fillna(False).to_numpy(bool)
        out[col] = values.mask(small).round().astype("Int64")
        for i in np.flatnonzero(small):
            marks[i].append(col)
    if N_VICTIMAS in out:
        total = pd.to_numeric(out[N_VICTIMAS]).astype("Float64")
        for col in (N_VICTIMAS_MUJERES, N_VICTIMAS_MENORES):
            if col in out:
                rest = total - pd.to_numeric(out[col]).astype("Float64")
                bad = ((rest > 0) & (rest < threshold)).fillna(False).to_numpy(bool)
                out[col] = out[col].mask(bad)
                for i in np.flatnonzero(bad):
                    marks[i].append(col)
    out["suprimido"] = [";".join(dict.fromkeys(m)) for m in marks]
    return out


def round_total(n: float, base: int = 5) -> int:
    """Round a total as roles without record access see it: to the nearest ``base``.

    Totals shown on their own (the Datos page, the command line's summary) would tell,
    before and after one import, exactly how many records it added — and with the tables,
    where they went (rounding: Hundepool et al. 2012, ch. 5).

    >>> [round_total(n) for n in (0, 2, 3, 1212, 1215, 1218)]
    [0, 0, 5, 1210, 1215, 1220]
    """
    return int(base * np.floor(float(n) / base + 0.5))


def _fingerprint(frame: pd.DataFrame) -> tuple[int, int]:
    if frame.empty:
        return (0, 0)
    hashed = pd.util.hash_pandas_object(frame.astype(str), index=False).to_numpy()
    return (len(frame), int(np.bitwise_xor.reduce(hashed * np.arange(1, len(hashed) + 1,
                                                                      dtype=np.uint64))))


def _sum_blank(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Add tables cell by cell over departments: a blank anywhere stays blank.

    A row or column a department lacks counts as 0 there (nothing was recorded).
    """
    if not parts:
        return pd.DataFrame()
    index, columns = parts[0].index, parts[0].columns
    for part in parts[1:]:
        index, columns = index.union(part.index, sort=False), columns.union(part.columns,
                                                                           sort=False)
    total = None
    for part in parts:
        part = part.astype("Float64").reindex(index=index, columns=columns, fill_value=0)
        total = part if total is None else total + part
    return total.round().astype("Int64")


class _Cells:
    """The cells of one department's tables in a :class:`geo.records.sdc.LinkedCells`."""

    def __init__(self, threshold: int) -> None:
        self.linked = LinkedCells()
        self.k = threshold
        self.na: set[int] = set()  # cells with no data (victims not recorded)

    def add(self, key, value, group=None, public=False) -> int:
        missing = value is None or value is pd.NA or (isinstance(value, float)
                                                        and np.isnan(value))
        i = self.linked.add(key, 0 if missing else value, group=group, public=public)
        if missing:
            self.na.add(i)
        return i


def _protect_department(records: pd.DataFrame, districts: pd.DataFrame, threshold: int,
                        table: IndicatorTable) -> DepartmentTables:
    """Build every table of one department, suppress them together, write the blanks back."""
    rec = classify_records(records, table)
    dist = pd.DataFrame(districts)
    codes = list(table.codes)
    exact = {by: profiles(rec, by, districts=dist, table=table) for by in BY_OPTIONS}
    extra = _district_extra(rec, exact[C.UBIGEO][C.UBIGEO])
    exact[C.UBIGEO] = exact[C.UBIGEO].merge(extra, on=C.UBIGEO, how="left")
    cells = _Cells(threshold)
    ids = _table_cells(cells, exact, codes, threshold)
    dep = ids["dep"]
    _sums(cells, exact, ids, dist, codes)
    for by, frame in exact.items():
        has_n = by == C.UBIGEO
        for row in range(len(frame)):
            _row_relations(cells, {c: ids[by].get((row, c)) for c in ids["columns"][by]},
                           table, has_n)
    _row_relations(cells, dep, table, True)
    classes, forced = _class_cells(cells, rec, dep)
    pairs = _pair_cells(cells, rec, dep, codes, table)
    kept, route_ids = _route_cells(cells, rec, exact[C.UBIGEO], ids[C.UBIGEO], threshold)
    hidden = suppress_linked(cells.linked, threshold, forced=forced)
    published = _write_back(exact, ids, hidden, codes)
    cross = pd.DataFrame({h: [pd.NA if hidden[classes[(c, h)]] else
                              cells.linked.values[classes[(c, h)]] for c in CLASES]
                          for h in (1, 0)}, index=list(CLASES)).astype("Int64")
    co = pd.DataFrame(index=codes, columns=codes, dtype="Int64")
    for (a, b), i in pairs.items():
        co.loc[a, b] = co.loc[b, a] = pd.NA if hidden[i] else cells.linked.values[i]
    for c in codes:
        i = dep[c]
        co.loc[c, c] = pd.NA if hidden[i] else cells.linked.values[i]
    for (row, col), i in route_ids.items():
        if hidden[i]:
            kept.iat[row, kept.columns.get_loc(col)] = pd.NA
    return DepartmentTables(profiles=published, classes=cross, cooccurrence=co,
                            routes=kept, hidden=int(hidden.sum()),
                            report=cells.linked.report)


def _district_extra(rec: pd.DataFrame, ubigeos: pd.Series) -> pd.DataFrame:
    keys = ubigeos.astype(str)
    found = pd.to_numeric(rec[C.HALLAZGO], errors="coerce").fillna(0)
    complaint = (rec[C.ORIGEN].astype(str) == "denuncia").astype(int) if C.ORIGEN in rec \
        else pd.Series(0, index=rec.index)
    frame = pd.DataFrame({C.UBIGEO: rec[C.UBIGEO].astype(str), C.N_HALLAZGOS: found,
                          C.N_DENUNCIAS: complaint})
    sums = frame.groupby(C.UBIGEO)[list(DISTRICT_EXTRA)].sum().reindex(keys, fill_value=0)
    return sums.astype("int64").reset_index().rename(columns={"index": C.UBIGEO})


def _published_columns(by: str, codes: list[str]) -> list[str]:
    cols = [*codes, *_SHARED]
    if by == C.UBIGEO:
        return [C.N_INSPECCIONES, *cols, *DISTRICT_EXTRA]
    return cols


def _table_cells(cells: _Cells, exact: dict, codes: list[str], k: int) -> dict:
    """One cell per published count of every table, and the department's totals."""
    ids: dict = {"columns": {}}
    base = exact[C.UBIGEO]
    dep = {}
    for col in _published_columns(C.UBIGEO, codes):
        total = pd.to_numeric(base[col], errors="coerce").fillna(0).sum()
        # the inspections' total is on the Datos page (to 5): taken as known; every other
        # total is a cell like the others (the co-occurrence diagonal, the ICLS table)
        dep[col] = cells.add(("total", col), total,
                             public=col == C.N_INSPECCIONES and total >= k)
    ids["dep"] = dep
    for by, frame in exact.items():
        cols = _published_columns(by, codes)
        ids["columns"][by] = cols
        table_ids = {}
        for col in cols:
            values = frame[col].to_numpy(dtype=object)
            for row, value in enumerate(values):
                table_ids[(row, col)] = cells.add((by, row, col), value, group=(by, col))
        ids[by] = table_ids
    for col in _published_columns(C.PROVINCIA, codes):
        cells.linked.blank_with((C.PROVINCIA, col), [(C.UBIGEO, col)])
    return ids


def _sums(cells: _Cells, exact: dict, ids: dict, dist: pd.DataFrame, codes: list[str]) -> None:
    """Districts add up to their province, every grouping to the department (kids first)."""
    lk = cells.linked
    prov_of = dist.set_index(dist[C.UBIGEO].astype(str))[C.COD_PROV].astype(str)
    by_dist = exact[C.UBIGEO][C.UBIGEO].astype(str).map(prov_of).to_numpy()
    provinces = exact[C.PROVINCIA][C.COD_PROV].astype(str).to_numpy()
    shared = _published_columns(C.PROVINCIA, codes)
    for col in shared:
        for p_row, prov in enumerate(provinces):
            kids = [ids[C.UBIGEO][(r, col)] for r in np.flatnonzero(by_dist == prov)]
            lk.add_sum(kids, ids[C.PROVINCIA][(p_row, col)])
    for col in _published_columns(C.UBIGEO, codes):
        if col in shared:
            lk.add_sum([ids[C.PROVINCIA][(r, col)] for r in range(len(provinces))],
                       ids["dep"][col])
            for by in (C.SECTOR, ANIO):
                lk.add_sum([ids[by][(r, col)] for r in range(len(exact[by]))], ids["dep"][col])
        else:
            lk.add_sum([ids[C.UBIGEO][(r, col)] for r in range(len(exact[C.UBIGEO]))],
                       ids["dep"][col])


def _row_relations(cells: _Cells, row: dict, table: IndicatorTable, has_n: bool) -> None:
    """Relate one row's counts to each other (an attacker knows the ICLS rule too)."""
    lk = cells.linked
    codes = list(table.codes)
    inv = [row[c] for c in codes if "involuntariedad" in table.dimensions[c]]
    thr = [row[c] for c in codes if "amenaza" in table.dimensions[c]]
    tf, ind = row[N_TF_OIT], row[N_INDICIOS]
    if has_n:
        n = row[C.N_INSPECCIONES]
        for c in (*codes, *[x for x in DISTRICT_EXTRA if x in row]):
            lk.at_most([(row[c], 1), (n, -1)])
        lk.at_most([(tf, 1), (ind, 1), (n, -1)])
    for c in codes:  # a record with an indicator is forced labour or has indicios
        lk.at_most([(row[c], 1), (tf, -1), (ind, -1)])
    lk.at_most([(tf, 1), *[(i, -1) for i in inv]])  # forced labour: both dimensions
    lk.at_most([(tf, 1), *[(i, -1) for i in thr]])
    lk.at_most([(tf, 1), (ind, 1), *[(row[c], -1) for c in codes]])
    v = row[N_VICTIMAS]
    for part in (N_VICTIMAS_MUJERES, N_VICTIMAS_MENORES):
        lk.at_most([(row[part], 1), (v, -1)])
        if v not in cells.na and row[part] not in cells.na:
            # the men (adults) are the victims minus the part: as sensitive as a cell
            lk.sensitive([(v, 1), (row[part], -1)], hide=row[part])


def _class_cells(cells: _Cells, rec: pd.DataFrame, dep: dict) -> tuple[dict, list[int]]:
    """Add the ICLS table: each class's row adds up to its total, the findings' column too."""
    lk = cells.linked
    found = pd.to_numeric(rec[C.HALLAZGO], errors="coerce").fillna(0).astype(int)
    ids = {(c, h): cells.add(("clase", c, h), int(((rec[CLASE_OIT] == c) & (found == h)).sum()),
                             group="clase") for c in CLASES for h in (1, 0)}
    for c, col in _CLASS_ROWS.items():
        lk.add_sum([ids[(c, 1)], ids[(c, 0)]], dep[col])
    lk.add_sum([ids[(SIN_INDICIOS, 1)], ids[(SIN_INDICIOS, 0)]], dep[C.N_INSPECCIONES],
               rest=[(dep[N_TF_OIT], 1.0), (dep[N_INDICIOS], 1.0)])
    lk.add_sum([ids[(c, 1)] for c in CLASES], dep[C.N_HALLAZGOS])
    # with the records without indicators and without a finding shown, the six cells
    # would publish the department's total: that cell is always blank
    return ids, [ids[(SIN_INDICIOS, 0)]]


def _pair_cells(cells: _Cells, rec: pd.DataFrame, dep: dict, codes: list[str],
                table: IndicatorTable) -> dict:
    """Add the pairs found together: at most each one's total, at least what both force."""
    lk = cells.linked
    matrix = cooccurrence(rec, table)
    out = {}
    for a_i, a in enumerate(codes):
        for b in codes[a_i + 1:]:
            i = cells.add(("par", a, b), int(matrix.loc[a, b]), group="coocurrencia")
            out[(a, b)] = i
            lk.at_most([(i, 1), (dep[a], -1)])
            lk.at_most([(i, 1), (dep[b], -1)])
            lk.at_most([(dep[a], 1), (dep[b], 1), (i, -1), (dep[N_TF_OIT], -1),
                        (dep[N_INDICIOS], -1)])
    return out


def _route_cells(cells: _Cells, rec: pd.DataFrame, by_district: pd.DataFrame,
                 district_ids: dict, k: int) -> tuple[pd.DataFrame, dict]:
    """Routes kept at ``k``; their women and minors are cells linked to the districts'."""
    lk = cells.linked
    kept = suppress_routes(routes(rec), k)
    ids = {}
    row_of = {u: r for r, u in enumerate(by_district[C.UBIGEO].astype(str))}
    parts = {C.VICTIMAS_MUJERES: N_VICTIMAS_MUJERES, C.VICTIMAS_MENORES: N_VICTIMAS_MENORES}
    exact = routes(rec).set_index([C.UBIGEO_ORIGEN, C.UBIGEO]) if len(kept) else None
    into: dict[str, dict[str, list]] = {}
    for r, route in enumerate(kept.itertuples(index=False)):
        full = exact.loc[(route.ubigeo_origen, route.ubigeo)]
        n = cells.add(("ruta", r, N_RUTA), int(full[N_RUTA]), public=True)
        v = cells.add(("ruta", r, C.VICTIMAS), int(full[C.VICTIMAS]), public=True)
        here = into.setdefault(str(route.ubigeo), {})
        here.setdefault(N_RUTA, []).append(n)
        here.setdefault(C.VICTIMAS, []).append(v)
        for col in parts:
            value = full[col]
            i = cells.add(("ruta", r, col), None if pd.isna(value) else int(value),
                          group=("rutas", col))
            # blank what suppress_routes blanked, and then whatever the pass adds
            ids[(r, col)] = i
            here.setdefault(col, []).append(i)
            lk.at_most([(i, 1), (v, -1)])
            if i not in cells.na:
                lk.sensitive([(v, 1), (i, -1)], hide=i)
    for u, sums in into.items():
        row = row_of.get(u)
        if row is None:
            continue
        d = {c: district_ids[(row, c)] for c in (C.N_INSPECCIONES, N_VICTIMAS,
                                                  *parts.values())}
        lk.at_most([*[(i, 1) for i in sums[N_RUTA]], (d[C.N_INSPECCIONES], -1)])
        lk.at_most([*[(i, 1) for i in sums[C.VICTIMAS]], (d[N_VICTIMAS], -1)])
        for col, dcol in parts.items():
            lk.at_most([*[(i, 1) for i in sums[col]], (d[dcol], -1)])
            # the district's women outside these routes are at most its victims outside
            lk.at_most([(d[dcol], 1), *[(i, -1) for i in sums[col]], (d[N_VICTIMAS], -1),
                        *[(i, 1) for i in sums[C.VICTIMAS]]])
    return kept, ids


def _write_back(exact: dict, ids: dict, hidden: np.ndarray, codes: list[str]) -> dict:
    """Each table as published: blanks where hidden, ``suprimido`` naming them."""
    out = {}
    for by, frame in exact.items():
        cols = ids["columns"][by]
        keys = {ANIO: [ANIO], C.PROVINCIA: [C.COD_PROV, C.PROVINCIA]}.get(by, [by])
        table = frame[[*keys, *cols]].copy()
        marks = [[] for _ in range(len(table))]
        for col in cols:
            values = pd.to_numeric(table[col], errors="coerce").astype("Float64")
            mask = np.array([hidden[ids[by][(row, col)]] for row in range(len(table))],
                            dtype=bool)
            table[col] = values.mask(mask).round().astype("Int64")
            for row in np.flatnonzero(mask):
                marks[row].append(col)
        table["suprimido"] = [";".join(m) for m in marks]
        out[by] = table.reset_index(drop=True)
    return out
