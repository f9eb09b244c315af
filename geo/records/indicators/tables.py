"""Indicator tables: profiles, co-occurrence and routes, and their suppression for a role.

What :mod:`geo.records.indicators` publishes table by table: per group, how often each ILO
indicator was found (:func:`profiles`), which indicators come together
(:func:`cooccurrence`), where victims were recruited and found (:func:`routes`), and the
per-column small-count suppression a role without record access gets
(:func:`suppress`, :func:`protected_profile`).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from geo import columns as C
from geo.errors import ConfigError
from geo.records.classification import (
    CLASE_OIT,
    INCONSISTENTE,
    INDICIOS,
    TRABAJO_FORZOSO,
    IndicatorTable,
    classify_records,
    codes_of,
    load_table,
)
from geo.records.contract import (
    ANIO,
    BY_OPTIONS,
    ILO_INDICATORS,
    N_INCONSISTENTES,
    N_INDICIOS,
    N_RUTA,
    N_TF_OIT,
    N_VICTIMAS,
    N_VICTIMAS_MENORES,
    N_VICTIMAS_MUJERES,
)

__all__ = [
    "cooccurrence",
    "count_columns",
    "profiles",
    "protected_matrix",
    "routes",
    "small_cells",
    "suppress",
    "suppress_routes",
    "wilson",
]


def profiles(records: pd.DataFrame, by: str = C.UBIGEO, *,
             districts: pd.DataFrame | None = None,
             table: IndicatorTable | None = None) -> pd.DataFrame:
    """Count, per group, the inspections where each indicator was found.

    Parameters
    ----------
    records : DataFrame
        Records with :data:`geo.records.inspections.RECORD_COLUMNS`.
    by : {"ubigeo", "provincia", "sector", "anio"}
    districts : DataFrame, optional
        ``ubigeo`` and ``provincia`` (and ``cod_prov``), needed for ``by="provincia"``;
        with ``by="ubigeo"`` every district appears (zeros where nothing was inspected).
    table : IndicatorTable, optional

    Returns
    -------
    DataFrame
        One row per group: the key column(s), ``n_inspecciones``, one integer column per
        indicator code (ILO order), ``n_trabajo_forzoso_oit``, ``n_indicios``,
        ``n_inconsistentes``, ``n_victimas``, ``n_victimas_mujeres``, ``n_victimas_menores``
        (nullable: no record of the group gives them).
    """
    if by not in BY_OPTIONS:
        raise ConfigError("registros.by_use", by=by, by_options=', '.join(BY_OPTIONS))
    table = table or load_table()
    rec = classify_records(records, table)
    keys = [by]
    if by == ANIO:
        rec[ANIO] = pd.to_datetime(rec[C.FECHA]).dt.year.astype("int64")
    elif by == C.PROVINCIA:
        if districts is None:
            raise ConfigError("registros.agrupar_provincia_necesita_tabla")
        lookup = pd.DataFrame(districts)[[C.UBIGEO, C.COD_PROV, C.PROVINCIA]].astype(str)
        rec = rec.merge(lookup, on=C.UBIGEO, how="left")
        keys = [C.COD_PROV, C.PROVINCIA]
    codes = table.codes
    found = {c: rec[C.INDICADORES].map(lambda v, c=c: c in codes_of(v)).astype("int64")
             for c in codes}
    frame = pd.DataFrame({
        **{k: rec[k] for k in keys},
        C.N_INSPECCIONES: 1,
        **found,
        N_TF_OIT: (rec[CLASE_OIT] == TRABAJO_FORZOSO).astype("int64"),
        N_INDICIOS: (rec[CLASE_OIT] == INDICIOS).astype("int64"),
        N_INCONSISTENTES: rec[INCONSISTENTE].astype("int64"),
        N_VICTIMAS: _optional(rec, C.VICTIMAS),
        N_VICTIMAS_MUJERES: _optional(rec, C.VICTIMAS_MUJERES),
        N_VICTIMAS_MENORES: _optional(rec, C.VICTIMAS_MENORES),
    })
    counted = [C.N_INSPECCIONES, *codes, N_TF_OIT, N_INDICIOS, N_INCONSISTENTES]
    agg = {c: (c, "sum") for c in counted}
    agg.update({c: (c, lambda s: s.sum(min_count=1))
                for c in (N_VICTIMAS, N_VICTIMAS_MUJERES, N_VICTIMAS_MENORES)})
    out = frame.groupby(keys, sort=True).agg(**agg).reset_index()
    if by == C.UBIGEO and districts is not None:
        every = pd.DataFrame({C.UBIGEO: sorted(pd.DataFrame(districts)[C.UBIGEO].astype(str))})
        out = every.merge(out, on=C.UBIGEO, how="left")
        out[counted] = out[counted].fillna(0)
    out[counted] = out[counted].astype("int64")
    for c in (N_VICTIMAS, N_VICTIMAS_MUJERES, N_VICTIMAS_MENORES):
        out[c] = out[c].astype("Int64")
    return out


def _optional(rec: pd.DataFrame, column: str) -> pd.Series:
    if column not in rec:
        return pd.Series(pd.NA, index=rec.index, dtype="Float64")
    return pd.to_numeric(rec[column], errors="coerce").astype("Float64")


def cooccurrence(records: pd.DataFrame, table: IndicatorTable | None = None) -> pd.DataFrame:
    """Square table: inspections where indicator *row* and indicator *column* were both found.

    The diagonal is how often each indicator was found at all.

    >>> r = pd.DataFrame({"indicadores": ["engano;aislamiento", "engano", ""]})
    >>> m = cooccurrence(r)
    >>> int(m.loc["engano", "engano"]), int(m.loc["engano", "aislamiento"])
    (2, 1)
    """
    table = table or load_table()
    codes = table.codes
    present = np.array([[c in set(codes_of(v)) for c in codes] for v in records[C.INDICADORES]],
                       dtype="int64").reshape(-1, len(codes))
    return pd.DataFrame(present.T @ present, index=list(codes), columns=list(codes))


def routes(records: pd.DataFrame) -> pd.DataFrame:
    """Inspections with victims, from the district of recruitment to the place of work.

    Only records with both an ``ubigeo_origen`` and at least one victim count.

    Returns
    -------
    DataFrame
        ``ubigeo_origen, ubigeo, n_inspecciones, victimas, victimas_mujeres,
        victimas_menores`` per route (an origin equal to the place is a route too: local
        recruitment), sorted by victims, most first.
    """
    cols = [C.UBIGEO_ORIGEN, C.UBIGEO, N_RUTA, C.VICTIMAS, C.VICTIMAS_MUJERES,
            C.VICTIMAS_MENORES]
    if C.UBIGEO_ORIGEN not in records or records.empty:
        return pd.DataFrame(columns=cols)
    origin = records[C.UBIGEO_ORIGEN].astype("string")
    victims = pd.to_numeric(records[C.VICTIMAS], errors="coerce").fillna(0)
    keep = records[origin.notna() & origin.ne("") & (victims > 0)]
    if keep.empty:
        return pd.DataFrame(columns=cols)
    counts = {c: pd.to_numeric(keep[c], errors="coerce") for c in
              (C.VICTIMAS, C.VICTIMAS_MUJERES, C.VICTIMAS_MENORES) if c in keep}
    frame = pd.DataFrame({C.UBIGEO_ORIGEN: keep[C.UBIGEO_ORIGEN].astype(str),
                          C.UBIGEO: keep[C.UBIGEO].astype(str), N_RUTA: 1, **counts})
    agg = {N_RUTA: (N_RUTA, "sum")}
    agg.update({c: (c, lambda s: s.sum(min_count=1)) for c in counts})
    out = frame.groupby([C.UBIGEO_ORIGEN, C.UBIGEO], sort=True).agg(**agg).reset_index()
    for c in cols:
        if c not in out:
            out[c] = pd.NA
    for c in (N_RUTA, C.VICTIMAS, C.VICTIMAS_MUJERES, C.VICTIMAS_MENORES):
        out[c] = pd.to_numeric(out[c]).astype("Int64")
    return out[cols].sort_values([C.VICTIMAS, N_RUTA], ascending=False,
                                 kind="stable").reset_index(drop=True)


def count_columns(frame: pd.DataFrame) -> list[str]:
    """Return the count columns of a profile or route table (what suppression applies to)."""
    named = {C.N_INSPECCIONES, N_TF_OIT, N_INDICIOS, N_INCONSISTENTES, N_VICTIMAS,
             N_VICTIMAS_MUJERES, N_VICTIMAS_MENORES, C.VICTIMAS, C.VICTIMAS_MUJERES,
             C.VICTIMAS_MENORES}
    return [c for c in frame.columns if c in named or c in ILO_INDICATORS]


def small_cells(values: np.ndarray, threshold: int, secondary: bool = True) -> np.ndarray:
    """Which cells of one partition of a total to blank (True) at ``threshold``.

    Primary: counts from 1 to ``threshold - 1``. Secondary (a published total minus the
    cells shown would give back a lone blanked cell): when exactly one cell is blanked, the
    smallest other non-zero cell is blanked too (Hundepool et al., *Statistical Disclosure
    Control*, 2012, ch. 4: secondary cell suppression).

    >>> small_cells(np.array([0, 3, 9, 40]), 5).tolist()
    [False, True, True, False]
    >>> small_cells(np.array([0, 3, 2, 40]), 5).tolist()  # two already: the total is safe
    [False, True, True, False]
    """
    v = np.nan_to_num(np.asarray(values, dtype=float))
    hide = (v > 0) & (v < threshold)
    if secondary and hide.sum() == 1:
        shown = np.flatnonzero(~hide & (v > 0))
        if shown.size:
            hide[shown[np.argmin(v[shown])]] = True
    return hide


def suppress(frame: pd.DataFrame, threshold: int, secondary: bool = True) -> pd.DataFrame:
    """Blank every count from 1 to ``threshold - 1``; ``suprimido`` names them per row.

    The rows of a profile partition the region's records, whose totals are published
    elsewhere (the co-occurrence diagonal, another grouping): each column also gets the
    secondary suppression of :func:`small_cells`. A threshold of 1 (a planner) changes
    nothing but adds an empty ``suprimido``.

    >>> t = pd.DataFrame({"sector": ["tala", "coca"], "n_inspecciones": [12, 30],
    ...                   "engano": [3, 8]})
    >>> out = suppress(t, 5)
    >>> out["engano"].isna().tolist(), out["suprimido"].tolist()
    ([True, True], ['engano', 'engano'])
    """
    out = frame.copy()
    cols = count_columns(out)
    hidden = pd.Series([[] for _ in range(len(out))], index=out.index, dtype=object)
    for col in cols:
        values = pd.to_numeric(out[col], errors="coerce").astype("Float64")
        small = small_cells(values.to_numpy(dtype=float, na_value=np.nan), threshold,
                            secondary and threshold > 1)
        out[col] = values.mask(small).round().astype("Int64")
        for i in np.flatnonzero(small):
            hidden.iat[i].append(col)
    if threshold > 1 and N_VICTIMAS in out:  # the men (adults) are the total minus the part
        total = pd.to_numeric(out[N_VICTIMAS]).astype("Float64")
        for col in (N_VICTIMAS_MUJERES, N_VICTIMAS_MENORES):
            if col not in out:
                continue
            rest = total - pd.to_numeric(out[col]).astype("Float64")
            bad = ((rest > 0) & (rest < threshold)).fillna(False).to_numpy(bool)
            out[col] = out[col].mask(bad)
            for i in np.flatnonzero(bad):
                hidden.iat[i].append(col)
    out["suprimido"] = [";".join(h) for h in hidden]
    return out


def protected_matrix(records: pd.DataFrame, threshold: int, make: Callable, *,
                     secondary: bool = False) -> pd.DataFrame:
    """Return ``make(records)`` (a square or cross table) suppressed per department, summed.

    ``secondary``: the table's cells partition the records (a cross table), so each
    department's also gets :func:`small_cells`' secondary suppression.
    """
    deps = sorted(set(records[C.UBIGEO].astype(str).str[:2])) or [""]
    total = None
    for dep in deps:
        rec = records[records[C.UBIGEO].astype(str).str[:2] == dep] if dep else records
        part = make(rec).astype("Float64")
        if threshold > 1:
            hide = small_cells(part.to_numpy(dtype=float, na_value=np.nan).ravel(), threshold,
                               secondary).reshape(part.shape)
            part = part.mask(hide)
        total = part if total is None else total + part  # a blank anywhere stays blank
    return total


def wilson(found: np.ndarray, n: np.ndarray, z: float = 1.6449) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a share ``found / n`` (default 90 %); NaN where ``n`` is 0.

    >>> lo, hi = wilson(np.array([0, 5]), np.array([10, 10]))
    >>> [round(float(v), 3) for v in (lo[0], hi[0], lo[1], hi[1])]
    [0.0, 0.213, 0.269, 0.731]
    """
    x = np.asarray(found, dtype=float)
    m = np.asarray(n, dtype=float)
    with np.errstate(invalid="ignore", divide="ignore"):
        p = x / m
        centre = (p + z * z / (2 * m)) / (1 + z * z / m)
        half = z * np.sqrt(p * (1 - p) / m + z * z / (4 * m * m)) / (1 + z * z / m)
    lo = np.where(m > 0, np.clip(centre - half, 0, 1), np.nan)
    hi = np.where(m > 0, np.clip(centre + half, 0, 1), np.nan)
    return lo, hi


def suppress_routes(table: pd.DataFrame, threshold: int) -> pd.DataFrame:
    """Leave out routes with fewer than ``threshold`` inspections or victims.

    A line on a map is as telling as a count: a route with 2 victims says that 2 people
    were recruited there. Sub-counts (women, minors) from 1 to ``threshold - 1`` are
    blanked in the routes kept; ``attrs["ocultas"]`` counts the routes left out.

    >>> t = pd.DataFrame({"n_inspecciones": [1, 6], "victimas": [3, 12],
    ...                   "victimas_mujeres": [1, 2], "victimas_menores": [0, 7]})
    >>> out = suppress_routes(t, 5)
    >>> len(out), out.attrs["ocultas"], out["victimas_mujeres"].isna().tolist()
    (1, 1, [True])
    """
    if threshold <= 1 or table.empty:
        out = table.copy()
        out.attrs["ocultas"] = 0
        return out
    small = (pd.to_numeric(table[N_RUTA]) < threshold) | (
        pd.to_numeric(table[C.VICTIMAS]).fillna(0) < threshold)
    out = table[~small.to_numpy(bool)].copy()
    for col in (C.VICTIMAS_MUJERES, C.VICTIMAS_MENORES):
        values = pd.to_numeric(out[col]).astype("Float64")
        out[col] = values.mask((values > 0) & (values < threshold)).astype("Int64")
    out.attrs["ocultas"] = int(small.sum())
    return out.reset_index(drop=True)

