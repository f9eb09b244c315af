"""Services within reach: travel time from each district to the nearest help, and the gap.

For each district, the one-way travel time (days) to the nearest service of each type
(Centro Emergencia Mujer, specialised trafficking prosecutor, police unit, shelter…) with
the planning module's travel model (:func:`models.planning.travel.estimate_travel`: great-circle
distance times the detour of the district's mode, at that mode's daily distance), or the
planners' travel table where it names a service in ``oficina``.

The **brecha** (gap) is where risk is high and help is far: a district is flagged when its
risk is in the top quarter of its region's districts and the nearest service of any type
is at least :data:`FAR_DAYS` away. Both thresholds are arguments, said on the page.

Examples
--------
>>> import pandas as pd, geopandas as gpd
>>> from shapely.geometry import Point
>>> d = pd.DataFrame({"ubigeo": ["080101", "080901"], "lon": [-71.98, -72.70],
...                   "lat": [-13.52, -12.86], "region_natural": ["Sierra", "Selva"]})
>>> s = gpd.GeoDataFrame({"capa": ["s"], "nombre": ["CEM Cusco"], "tipo": ["cem"]},
...                      geometry=[Point(-71.97, -13.52)], crs=4326)
>>> a = service_access(d, s)
>>> a.loc["080101", "servicio_cercano"], round(float(a.loc["080901", "dias_servicio"]), 1)
('CEM Cusco', 1.4)
"""

from __future__ import annotations

import re

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import columns as C
from geo.config import Office
from models.planning.travel import apply_travel_table, estimate_travel

__all__ = ["BRECHA", "DIAS_SERVICIO", "FAR_DAYS", "RISK_QUANTILE", "SERVICIO_CERCANO",
           "TIPO_CERCANO", "gap", "service_access", "type_column"]

DIAS_SERVICIO = "dias_servicio"  # one-way days to the nearest service of any type
SERVICIO_CERCANO = "servicio_cercano"
TIPO_CERCANO = "tipo_servicio_cercano"
BRECHA = "brecha"
#: A service this many days away (one way) or more is far: a victim cannot reach it and come
#: back within a day, and an inspector cannot bring one there the day of the rescue.
FAR_DAYS = 1.0
#: High risk = in the top quarter of the region's districts.
RISK_QUANTILE = 0.75


def type_column(kind: str) -> str:
    """Return the column of days to the nearest service of type ``kind`` (``dias_cem``)."""
    return "dias_" + re.sub(r"[^a-z0-9]+", "_", kind.lower()).strip("_")


def service_access(districts: pd.DataFrame, services: gpd.GeoDataFrame,
                   travel_table: pd.DataFrame | None = None) -> pd.DataFrame:
    """Travel days from every district to its nearest service (overall and per type).

    Parameters
    ----------
    districts : DataFrame or GeoDataFrame
        ``ubigeo`` and ``lon``/``lat`` (or a geometry); ``region_natural`` when present.
    services : GeoDataFrame
        Points with ``nombre`` and ``tipo`` (:func:`geo.geography.services.read_services`).
    travel_table : DataFrame, optional
        The planners' table (:func:`models.planning.travel.read_travel_table`): a row whose
        ``oficina`` is a service's ``nombre`` replaces the estimate for that service.

    Returns
    -------
    DataFrame
        Index ``ubigeo``: ``dias_servicio``, ``servicio_cercano``, ``tipo_servicio_cercano``
        and one ``dias_<tipo>`` column per type (NaN when there is no service at all).
    """
    index = pd.Index(pd.DataFrame(districts)[C.UBIGEO].astype(str), name=C.UBIGEO)
    if services is None or services.empty:
        return pd.DataFrame({DIAS_SERVICIO: np.nan, SERVICIO_CERCANO: "", TIPO_CERCANO: ""},
                            index=index)
    pts = services.to_crs(4326)
    keys = [f"s{i}" for i in range(len(pts))]
    offices = [Office(k, float(g.y), float(g.x), 0.0) for k, g in zip(keys, pts.geometry,
                                                                       strict=True)]
    days = estimate_travel(offices, districts)
    if travel_table is not None and len(travel_table):
        by_name = dict(zip(pts["nombre"].astype(str), keys, strict=False))
        table = travel_table[travel_table["oficina"].isin(list(by_name))]
        if len(table):
            table = table.assign(oficina=table["oficina"].map(by_name))
            table = table[table[C.UBIGEO].isin(days.index)]
            days, _ = apply_travel_table(days, table)
    values = days.to_numpy(float)
    best = np.argmin(values, axis=1)
    out = pd.DataFrame({
        DIAS_SERVICIO: values[np.arange(len(values)), best],
        SERVICIO_CERCANO: pts["nombre"].astype(str).to_numpy()[best],
        TIPO_CERCANO: pts["tipo"].astype(str).to_numpy()[best],
    }, index=days.index)
    kinds = pts["tipo"].astype(str).to_numpy()
    for kind in sorted(set(kinds)):
        out[type_column(kind)] = values[:, kinds == kind].min(axis=1)
    return out.reindex(index)


def gap(scores: pd.DataFrame, access: pd.DataFrame, *, far_days: float = FAR_DAYS,
        quantile: float = RISK_QUANTILE) -> pd.DataFrame:
    """Flag districts of high risk far from help.

    Parameters
    ----------
    scores : DataFrame
        ``ubigeo`` and ``riesgo`` (the quantile is taken per department, the UBIGEO's first
        two digits).
    access : DataFrame
        :func:`service_access`.

    Returns
    -------
    DataFrame
        ``ubigeo, riesgo, dias_servicio, servicio_cercano, tipo_servicio_cercano,
        riesgo_alto, brecha``, sorted with the gap first, then by risk × days.

    >>> codes = ["080101", "080102", "080103", "080104"]
    >>> s = pd.DataFrame({"ubigeo": codes, "riesgo": [0.4, 0.3, 0.1, 0.05]})
    >>> a = pd.DataFrame({"dias_servicio": [2.0, 0.25, 3.0, 0.5], "servicio_cercano": "x",
    ...                   "tipo_servicio_cercano": "cem"}, index=pd.Index(codes, name="ubigeo"))
    >>> gap(s, a)[["ubigeo", "brecha"]].values.tolist()[0]
    ['080101', True]
    """
    frame = pd.DataFrame(scores)[[C.UBIGEO, C.RIESGO]].copy()
    frame[C.UBIGEO] = frame[C.UBIGEO].astype(str)
    frame[C.COD_DEP] = frame[C.UBIGEO].str[:2]
    frame = frame.merge(access.reset_index(), on=C.UBIGEO, how="left")
    cut = frame.groupby(C.COD_DEP)[C.RIESGO].transform(lambda r: r.quantile(quantile))
    frame["riesgo_alto"] = frame[C.RIESGO] >= cut
    frame[BRECHA] = frame["riesgo_alto"] & (frame[DIAS_SERVICIO] >= far_days)
    frame["_orden"] = frame[C.RIESGO] * frame[DIAS_SERVICIO].fillna(0)
    return (frame.sort_values([BRECHA, "_orden"], ascending=False, kind="stable")
            .drop(columns="_orden").reset_index(drop=True))
