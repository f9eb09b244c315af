"""What the model reads of a district table: its features, their past, and the records' counts.

The features as floats (``[model] log_features`` as ``log(1 + x)``, a missing value's term left
out with a ``falta_*`` indicator), the dated layers as they stood in each year and as each
district's inspections saw them, the range the weights were learnt from, and the per-district
counts of inspections and findings the scorer is fitted on.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import columns as C
from geo.config import Settings
from geo.errors import ConfigError, DataError
from geo.geography.build import HISTORY_TABLE, LayerHistory, read_layer_history
from models.risk.scorer import FALTA

__all__ = [
    "FALTA_PREFIX",
    "district_counts",
    "feature_matrix",
    "features_in",
    "fill_missing",
    "history_features",
    "hold_in_range",
    "layer_history_of",
    "learnt_range",
    "log_features",
    "missing_features",
    "model_history",
    "read_district_table",
    "training_rows",
]

#: Prefix of the 0/1 feature that marks a district without a public value (one per pattern
#: of missingness: layers missing in the same districts share it).
FALTA_PREFIX = FALTA


def read_district_table(settings: Settings) -> gpd.GeoDataFrame:
    """Read layer ``distritos`` of ``settings.districts_gpkg`` (built by ``riskmap build``)."""
    path = Path(settings.districts_gpkg)
    if not path.is_file():
        raise DataError("riesgo.no_existe_tabla_distritos", path=path)
    gdf = gpd.read_file(path, layer="distritos")
    gdf[C.UBIGEO] = gdf[C.UBIGEO].astype(str)
    # the dated layers as they stood in past years (none when no layer is dated)
    history = read_layer_history(path)
    if history is not None:
        gdf.attrs[HISTORY_TABLE] = LayerHistory(history)
    return gdf


def layer_history_of(districts: pd.DataFrame) -> pd.DataFrame | None:
    """Return the dated layers' past states that came with a district table (or ``None``)."""
    held = districts.attrs.get(HISTORY_TABLE)
    return held.frame if isinstance(held, LayerHistory) else held


def features_in(X: pd.DataFrame, history: pd.DataFrame | None, year: int) -> pd.DataFrame:
    """``X`` with each dated layer as it stood at the end of ``year``.

    ``history``: :func:`geo.geography.build.read_layer_history` (index ``(ubigeo, anio)``, a column
    per dated layer). A year between two kept states takes the earlier; a year before the
    first kept state takes the first. Columns that are not dated, and every column without
    a history, stay as they are.

    >>> X = pd.DataFrame({"dragas": [3.0, 0.0], "pobreza": [0.5, 0.2]}, index=["a", "b"])
    >>> h = pd.DataFrame({"dragas": [0.0, 3.0, 0.0, 0.0]}, index=pd.MultiIndex.from_tuples(
    ...     [("a", 2005), ("a", 2021), ("b", 2005), ("b", 2021)], names=["ubigeo", "anio"]))
    >>> features_in(X, h, 2019)["dragas"].tolist(), features_in(X, h, 2022)["dragas"].tolist()
    ([0.0, 0.0], [3.0, 0.0])
    """
    states = _dated_states(X, history)
    return _state_in(X, states, year) if states else X


def _dated_states(X: pd.DataFrame, history: pd.DataFrame | None) -> dict[str, pd.DataFrame]:
    """Each dated column of ``X``: its states, district by kept year (gaps carried on)."""
    if history is None or history.empty:
        return {}
    return {col: history[col].unstack("anio").sort_index(axis=1).ffill(axis=1).bfill(axis=1)
            for col in X.columns if col in history.columns}


def _state_in(X: pd.DataFrame, states: dict[str, pd.DataFrame], year: int) -> pd.DataFrame:
    """``X`` with each column of ``states`` as it stood at the end of ``year``."""
    out = X.copy()
    for col, wide in states.items():
        years = wide.columns.to_numpy(int)
        at = years[years <= int(year)]
        chosen = at.max() if at.size else years.min()
        state = wide[chosen].reindex(out.index.astype(str))
        out[col] = state.where(state.notna(), out[col]).to_numpy(float)
    return out


def history_features(X: pd.DataFrame, history: pd.DataFrame | None,
                     records: pd.DataFrame | None, weights: Any = None) -> pd.DataFrame:
    """Each district's features as its inspections saw them.

    The dated layers in the year of each inspection (:func:`features_in`), averaged over the
    district's inspections; ``X`` itself for a district without records and for every
    column that is not dated. Fitted on these, a district whose layers changed since its
    inspections (a concession claimed after them) is not judged by old findings as if they
    had been made under today's layers; its score then adds its effect to today's layers.
    ``weights``: one per record (the age discount of :mod:`models.risk.recency`), so that the
    features average the records as the district's record weighs them.
    """
    states = _dated_states(X, history)
    if not states or records is None or len(records) == 0:
        return X
    keys = X.index.astype(str)
    year = pd.to_datetime(records[C.FECHA]).dt.year.to_numpy()
    idx = keys.get_indexer(records[C.UBIGEO].astype(str))
    ok = idx >= 0
    w = np.ones(len(idx)) if weights is None else np.asarray(weights, dtype=float)
    total = np.zeros(X.shape)
    n = np.zeros(len(keys))
    for y in np.unique(year[ok]):
        sel = ok & (year == y)
        counts = np.bincount(idx[sel], weights=w[sel], minlength=len(keys))
        total += counts[:, None] * _state_in(X, states, int(y)).to_numpy(float)
        n += counts
    seen = X.copy()
    has = n > 0
    for j, col in enumerate(X.columns):  # only the dated columns move, bit for bit
        if col in states:
            values = seen[col].to_numpy(float, copy=True)
            mean = total[has, j] / n[has]
            # a mean of equal states is that state (not its rounding)
            same = np.abs(mean - values[has]) <= 1e-12 * np.maximum(1.0, np.abs(values[has]))
            values[has] = np.where(same, values[has], mean)
            seen[col] = values
    return seen



def feature_matrix(districts: pd.DataFrame, settings: Settings) -> pd.DataFrame:
    """Return each district's model features as floats, with no missing value.

    ``[model] log_features`` are taken as ``log(1 + x)``; a district without a public value
    of a feature has its term left out and a ``falta_*`` column saying so
    (:func:`fill_missing`).

    Raises
    ------
    DataError
        A feature column is absent or has no value at all.
    """
    names = list(settings.feature_names)
    if not names:
        raise ConfigError("riesgo.modelo_no_tiene_variables", path=settings.path)
    missing = [n for n in names if n not in districts.columns]
    if missing:
        raise DataError("riesgo.tabla_distritos_no_tiene", missing=', '.join(missing))
    X = districts[names].apply(pd.to_numeric, errors="coerce").astype(float)
    empty = [n for n in names if X[n].isna().all()]
    if empty:
        raise DataError("riesgo.columnas_tabla_distritos_no", empty=', '.join(empty))
    X = _logged(X, log_features(settings), settings)
    X.index = districts[C.UBIGEO].astype(str).to_numpy()
    return fill_missing(X)


def log_features(settings: Settings) -> tuple[str, ...]:
    """Return the features the model enters as ``log(1 + x)`` (``[model] log_features``).

    Raises
    ------
    ConfigError
        A name that is not a feature of the model.
    """
    names = tuple(getattr(settings.model, "log_features", ()) or ())
    unknown = sorted(set(names) - set(settings.feature_names))
    if unknown:
        raise ConfigError("riesgo.model_log_features_nombra", path=settings.path,
                          unknown=', '.join(unknown),
                          feature_names=', '.join(settings.feature_names))
    return names


def _logged(X: pd.DataFrame, names: Sequence[str], settings: Settings) -> pd.DataFrame:
    """``X`` with the columns ``names`` as ``log(1 + x)`` (a negative value is refused)."""
    if not names:
        return X
    out = X.copy()
    for name in names:
        if name not in out.columns:
            continue
        values = out[name]
        if (values < 0).any():
            raise DataError("riesgo.variable_tiene_valores_negativos", name=name,
                            values=values.min(), path=settings.path)
        out[name] = np.log1p(values)
    return out


def fill_missing(X: pd.DataFrame) -> pd.DataFrame:
    """Leave a missing value's term out, and say it is missing with a feature of its own.

    A district without a public value of a feature gets that feature's mean over the
    districts that have one, so its standardised value is 0 and the feature adds nothing to
    its risk (the term is left out, never read as zero). One 0/1 column per pattern of
    missingness (:data:`FALTA_PREFIX` + the first feature of the pattern) marks those
    districts; its weight, learnt from the records like any other, is what being outside
    the source's coverage says about risk. ``attrs["faltantes"]`` maps each such column to
    the features it stands for.

    >>> X = pd.DataFrame({"a": [1.0, None, 3.0], "b": [2.0, None, 4.0], "c": [1.0, 2, 3]})
    >>> out = fill_missing(X)
    >>> out["a"].tolist(), out["falta_a"].tolist(), out.attrs["faltantes"]
    ([1.0, 2.0, 3.0], [0.0, 1.0, 0.0], {'falta_a': ('a', 'b')})
    """
    missing = X.isna()
    patterns: dict[bytes, list[str]] = {}
    for col in X.columns:
        mask = missing[col].to_numpy()
        if mask.any():
            patterns.setdefault(mask.tobytes(), []).append(str(col))
    out = X.fillna(X.mean()) if patterns else X.copy()
    faltantes = {}
    for cols in patterns.values():
        name = FALTA_PREFIX + cols[0]
        out[name] = missing[cols[0]].astype(float).to_numpy()
        faltantes[name] = tuple(cols)
    out.attrs["faltantes"] = faltantes
    return out


def missing_features(districts: pd.DataFrame, settings: Settings) -> np.ndarray:
    """Each district's features without a public value, ``;``-separated (``""``: none)."""
    names = [n for n in settings.feature_names if n in districts.columns]
    if not names:
        return np.full(len(districts), "", dtype=object)
    raw = districts[names].apply(pd.to_numeric, errors="coerce").isna().to_numpy()
    return np.array([";".join(n for n, m in zip(names, row, strict=True) if m) for row in raw],
                    dtype=object)



def model_history(districts: pd.DataFrame, settings: Settings) -> pd.DataFrame | None:
    """Return the dated layers' past as the model reads it (logged, none where missing).

    The columns of ``[model] log_features`` are taken as ``log(1 + x)`` in every year, as in
    :func:`feature_matrix`; a district without a value today reads no past state either (its
    term is left out in every year, as today).
    """
    history = layer_history_of(districts)
    if history is None or history.empty:
        return history
    history = _logged(history, [n for n in log_features(settings) if n in history.columns],
                      settings)
    keys = history.index.get_level_values(C.UBIGEO).astype(str)
    today = districts.set_index(districts[C.UBIGEO].astype(str))
    for col in history.columns:
        if col in today.columns:
            gone = pd.to_numeric(today[col], errors="coerce").isna()
            absent = keys.isin(gone[gone].index)
            if absent.any():
                history.loc[absent, col] = np.nan
    return history


def learnt_range(X: pd.DataFrame, seen: pd.DataFrame | None, counts: pd.DataFrame
                 ) -> tuple[pd.Series, pd.Series] | None:
    """Return the range of each feature over the inspected districts (what the weights saw).

    Today's features and those the records were made under (``seen``); ``None`` when no
    district has a record (the expert prior ranks alone, and nothing was learnt).
    """
    inspected = counts["n"].reindex(X.index.astype(str)).fillna(0.0).to_numpy() > 0
    if not inspected.any():
        return None
    parts = [X[inspected]]
    if seen is not None:
        parts.append(seen.reindex(columns=X.columns)[inspected])
    both = pd.concat(parts)
    return both.min(), both.max()


def hold_in_range(X: pd.DataFrame, bounds: tuple[pd.Series, pd.Series] | None
                  ) -> tuple[pd.DataFrame, pd.Series]:
    """Hold each feature within ``bounds``; name, per district, the features held.

    >>> X = pd.DataFrame({"a": [0.0, 5.0, 9.0], "b": [1.0, 1.0, -2.0]}, index=list("xyz"))
    >>> held, out = hold_in_range(X, (pd.Series({"a": 0.0, "b": -1.0}),
    ...                               pd.Series({"a": 6.0, "b": 1.0})))
    >>> held["a"].tolist(), out.tolist()
    ([0.0, 5.0, 6.0], ['', '', 'a;b'])
    """
    if bounds is None:
        return X, pd.Series("", index=X.index, dtype=object)
    lo = bounds[0].reindex(X.columns)
    hi = bounds[1].reindex(X.columns)
    tol = 1e-9 * np.maximum(1.0, np.maximum(lo.abs(), hi.abs()))
    outside = X.lt(lo - tol, axis=1) | X.gt(hi + tol, axis=1)
    held = X.clip(lower=lo, upper=hi, axis=1)
    held.attrs = dict(X.attrs)
    names = np.array([str(c) for c in X.columns])
    flags = [";".join(names[row]) for row in outside.to_numpy()]
    return held, pd.Series(flags, index=X.index, dtype=object)


def district_counts(
    inspections: pd.DataFrame, keys, until: Any = None, since: Any = None
) -> pd.DataFrame:
    """Inspections ``n`` and findings ``k`` per district key (0 where none).

    Parameters
    ----------
    inspections : DataFrame
        Records with ``ubigeo``, ``hallazgo_tf`` and ``fecha``.
    keys : array-like of str
        District keys, in the order wanted; records of other districts are left out.
    until, since : date-like, optional
        Keep records with ``since <= fecha <= until``.

    Examples
    --------
    >>> recs = pd.DataFrame({"ubigeo": ["a", "a", "b"], "hallazgo_tf": [1, 0, 0],
    ...                      "fecha": pd.to_datetime(["2020-01-01"] * 3)})
    >>> district_counts(recs, ["a", "b", "c"]).to_dict("list")
    {'n': [2.0, 1.0, 0.0], 'k': [1.0, 0.0, 0.0]}
    """
    keys = pd.Index([str(k) for k in keys], name=C.UBIGEO)
    if inspections is None or len(inspections) == 0:
        return pd.DataFrame({"n": 0.0, "k": 0.0}, index=keys)
    rec = inspections
    if until is not None or since is not None:
        fecha = pd.to_datetime(rec[C.FECHA])
        mask = pd.Series(True, index=rec.index)
        if until is not None:
            mask &= fecha <= pd.Timestamp(until)
        if since is not None:
            mask &= fecha >= pd.Timestamp(since)
        rec = rec[mask]
    found = pd.to_numeric(rec[C.HALLAZGO]).astype(float)
    if not keys.is_unique:
        g = rec.assign(_k=found).groupby(rec[C.UBIGEO].astype(str))["_k"].agg(["size", "sum"])
        g.columns = ["n", "k"]
        return g.reindex(keys).fillna(0.0).astype(float)
    # numpy's bincount, not a groupby: this runs in every fit and every backtest fold
    where = keys.get_indexer(rec[C.UBIGEO].astype(str))
    inside = where >= 0
    n = np.bincount(where[inside], minlength=len(keys)).astype(float)
    k = np.bincount(where[inside], weights=np.nan_to_num(found.to_numpy()[inside]),
                    minlength=len(keys))
    return pd.DataFrame({"n": n, "k": k}, index=keys)


def training_rows(X: pd.DataFrame, counts: pd.DataFrame):
    """Two weighted rows per district: ``y=1`` weighted by findings, ``y=0`` by the rest.

    Never-inspected districts stay in with weight 0, so the standardisation reference is
    the whole region.

    Returns
    -------
    X_rows, y, sample_weight, groups
    """
    keys = X.index.to_numpy()
    n = counts["n"].to_numpy(float)
    k = counts["k"].to_numpy(float)
    Xr = pd.concat([X, X], ignore_index=True)
    y = np.concatenate([np.ones(len(X), dtype=int), np.zeros(len(X), dtype=int)])
    w = np.concatenate([k, n - k])
    groups = np.concatenate([keys, keys])
    return Xr, y, w, groups
