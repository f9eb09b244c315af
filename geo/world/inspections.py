"""Simulated inspection records: selection, findings, victims and recording slips.

Ten years of inspections chosen with a realistic bias (planned near the office, complaints
where risk is high, a small random share), findings drawn from the true risk, then the
victims by sex and age and their district of origin, and the slips a real register has.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import columns as C
from geo.world.districts import _centroids, _km, _World
from geo.world.truth import _allocation, _Truth

__all__ = ["INSPECTION_COLUMNS"]


INSPECTION_COLUMNS = (
    C.ID, C.FECHA, C.UBIGEO, C.LAT, C.LON, C.SECTOR, C.HALLAZGO, C.ORIGEN, C.INDICADORES,
    C.TRABAJADORES, C.VICTIMAS, C.VICTIMAS_MUJERES, C.VICTIMAS_MENORES, C.UBIGEO_ORIGEN,
)


_INDICATOR_WEIGHTS = {
    # ILO indicators OIT01..OIT11, relative frequency by sector (JUICIO)
    "mineria": [3, 3, 2, 3, 1, 1, 1, 2, 3, 4, 2],
    "tala": [3, 3, 2, 4, 1, 1, 1, 2, 3, 4, 2],
    "coca": [3, 2, 2, 3, 1, 2, 1, 2, 2, 3, 2],
    "agricultura": [3, 2, 1, 1, 1, 1, 1, 3, 2, 3, 3],
    "domestico": [3, 2, 3, 2, 1, 1, 2, 3, 1, 2, 3],
    "construccion": [2, 2, 1, 1, 1, 1, 1, 3, 2, 3, 3],
    "otro": [2, 2, 1, 1, 1, 1, 1, 3, 1, 2, 3],
}


_MEAN_WORKERS = {"mineria": 18, "tala": 12, "coca": 8, "agricultura": 15, "domestico": 1,
                 "construccion": 20, "otro": 10}


def _sector_weights(world: _World, intensity: pd.DataFrame) -> np.ndarray:
    """Columns in the order of ``C.SECTORES_INSPECCION``; rows = districts.

    ``intensity``: how much mining, logging, coca and farming each district has
    (:func:`_real_intensity` or :func:`_simulated_intensity`).
    """
    # towns: domestic work, construction and "otro" (hotels, restaurants, commerce, the
    # sectors SUNAFIL inspects most nationally); countryside: what the layers put there
    urban = np.minimum(1.0, world.districts[C.DENSIDAD].to_numpy(float) / 300.0)
    rural = 1.0 - 0.8 * urban
    w = {
        "mineria": rural * (0.03 + intensity["mineria"]),
        "tala": rural * (0.03 + intensity["tala"]),
        "coca": rural * (0.01 + intensity["coca"]),
        "agricultura": rural * (0.15 + intensity["agricultura"]),
        "domestico": 0.05 + 0.6 * urban,
        "construccion": 0.05 + 0.6 * urban,
        "otro": 0.10 + 0.5 * urban,
    }
    return np.column_stack([np.asarray(w[s], dtype=float) for s in C.SECTORES_INSPECCION])


def _simulate_inspections(world: _World, feats: pd.DataFrame, truth: _Truth,
                          cal: Mapping[str, Any], rng: np.random.Generator,
                          intensity: pd.DataFrame) -> pd.DataFrame:
    conf = cal["inspecciones"]
    first, last = conf["anios"]
    years = np.arange(first, last + 1)
    lo, hi = conf["por_departamento_anio"]
    volume = np.linspace(lo, hi, len(years))
    origins = list(C.ORIGENES)
    shares = np.array([conf["origen"][o] for o in origins])
    p_year = {int(y): truth.at(int(y)) for y in years}
    allocs = {y: _allocation(world, feats, p, cal) for y, p in p_year.items()}
    parts = []
    for year, mu in zip(years, volume, strict=True):
        alloc = allocs[int(year)]  # complaints follow the risk of that year
        for dep in np.unique(world.dep):
            idx = np.flatnonzero(world.dep == dep)
            n = int(rng.poisson(mu))
            origin = rng.choice(len(origins), n, p=shares)
            district = np.empty(n, dtype=int)
            for k, o in enumerate(origins):
                m = origin == k
                prob = alloc[o][idx]
                district[m] = rng.choice(idx, int(m.sum()), p=prob / prob.sum())
            days = 366 if year % 4 == 0 else 365
            date = np.datetime64(f"{year}-01-01") + rng.integers(0, days, n).astype(
                "timedelta64[D]")
            parts.append(pd.DataFrame({"_i": district, "_origen": origin, C.FECHA: date}))
    rec = pd.concat(parts, ignore_index=True)
    n = len(rec)
    i = rec["_i"].to_numpy()
    # each record's finding follows the risk of its own year
    year_rec = pd.to_datetime(rec[C.FECHA]).dt.year.to_numpy()
    p_rec = np.empty(n)
    for y, p in p_year.items():
        sel = year_rec == y
        p_rec[sel] = p[i[sel]]
    found = rng.random(n) < p_rec
    # sector: what the district has; findings lean to the risky sectors
    w = _sector_weights(world, intensity)[i]
    sectors = list(C.SECTORES_INSPECCION)
    boost = np.array([3.0 if s in ("mineria", "tala", "coca") else
                      1.5 if s in ("agricultura", "domestico") else 1.0 for s in sectors])
    w = np.where(found[:, None], w * boost, w)
    cum = np.cumsum(w, axis=1)
    sector = (rng.random(n)[:, None] * cum[:, -1:] > cum).sum(axis=1)
    sector_name = np.array(sectors)[sector]
    workers = np.empty(n, dtype=int)
    victims = np.zeros(n, dtype=int)
    codes = np.array(sorted(cal["indicadores_oit"]))
    indicators = np.full(n, "", dtype=object)
    for k in range(n):
        s = sector_name[k]
        mean = _MEAN_WORKERS[s]
        workers[k] = 1 + (rng.binomial(1, 0.3) if s == "domestico" else
                          rng.negative_binomial(2, 2 / (2 + mean - 1)))
        if found[k]:
            victims[k] = max(1, rng.binomial(workers[k], rng.beta(2, 3)))
            wk = np.asarray(_INDICATOR_WEIGHTS[s], dtype=float)
            pick = rng.choice(len(codes), 1 + rng.binomial(3, 0.4), replace=False,
                              p=wk / wk.sum())
            indicators[k] = ";".join(codes[np.sort(pick)])
    # where: a point inside the district, drawn per district in a fixed order
    xy = np.empty((n, 2))
    for d in np.unique(i):
        rows = np.flatnonzero(i == d)
        xy[rows] = world.sample(rng, int(d), len(rows))
    rec = pd.DataFrame({
        C.FECHA: rec[C.FECHA].to_numpy(),
        C.UBIGEO: world.ubigeo[i],
        C.LAT: np.round(xy[:, 1], 5),
        C.LON: np.round(xy[:, 0], 5),
        C.SECTOR: sector_name,
        C.HALLAZGO: found.astype(int),
        C.ORIGEN: np.array(origins)[rec["_origen"].to_numpy()],
        C.INDICADORES: indicators,
        C.TRABAJADORES: workers,
        C.VICTIMAS: victims,
    })
    rec = rec.sort_values([C.FECHA, C.UBIGEO], kind="stable").reset_index(drop=True)
    year = rec[C.FECHA].dt.year
    seq = rec.groupby(year).cumcount() + 1
    rec.insert(0, C.ID, [f"SIM-{y}-{s:04d}" for y, s in zip(year, seq, strict=True)])
    rec[C.FECHA] = rec[C.FECHA].dt.strftime("%Y-%m-%d")
    return rec[[c for c in INSPECTION_COLUMNS if c in rec]]


#: Share of victims who are women or girls, and who are minors, by sector (JUICIO). The
#: published figures (Ministerio Público 2009-2017: 80 % women, 50 % minors) cover every
#: form of trafficking, mostly sexual exploitation; labour exploitation in mining camps and
#: logging takes more men, domestic work almost only women and girls.
_SHARE_WOMEN = {"mineria": 0.35, "tala": 0.15, "coca": 0.35, "agricultura": 0.45,
                "domestico": 0.95, "construccion": 0.10, "otro": 0.60}


_SHARE_MINORS = {"mineria": 0.30, "tala": 0.20, "coca": 0.35, "agricultura": 0.30,
                 "domestico": 0.50, "construccion": 0.10, "otro": 0.25}


_ORIGIN_RECORDED = 0.85  # inspectors do not always learn where the victims were recruited


_LOCAL = 0.35  # recruited in the district where they work


_ORIGIN_KM = 250.0  # recruitment reach: weight exp(-km / 250)


_OUTSIDE_CUSCO = 0.15  # victims found in Cusco recruited in Puno or Apurímac (JUICIO)


_DATEM = "1607"  # Datem del Marañón: origin of indigenous workers sent to the Tigre camps


_DATEM_BOOST = 8.0


_SLIP_NO_INDICATORS = 0.04  # findings recorded without their indicators


_SLIP_STRAY_INDICATOR = 0.01  # no finding, but an indicator written down


def _simulate_victims(world: _World, records: pd.DataFrame, rng: np.random.Generator,
                      neighbours: gpd.GeoDataFrame | None) -> pd.DataFrame:
    """Victims by sex and age, and the district where they were recruited (documented)."""
    d = world.districts
    xy = _centroids(d)
    pull = (d[C.POBREZA].to_numpy(float) / 100.0) ** 2 * np.sqrt(
        d[C.POBLACION].to_numpy(float).clip(min=1.0))
    datem = d[C.COD_PROV].astype(str).str.startswith(_DATEM).to_numpy()
    pos = {u: i for i, u in enumerate(world.ubigeo)}
    if neighbours is not None and len(neighbours):
        nxy = _centroids(neighbours)
        npull = (neighbours[C.POBREZA].to_numpy(float) / 100.0) ** 2 * np.sqrt(
            neighbours[C.POBLACION].to_numpy(float).clip(min=1.0))
        ncodes = neighbours[C.UBIGEO].astype(str).to_numpy()
    n = len(records)
    women = np.full(n, "", dtype=object)
    minors = np.full(n, "", dtype=object)
    origin = np.full(n, "", dtype=object)
    victims = records[C.VICTIMAS].to_numpy(int)
    for k in np.flatnonzero(victims > 0):
        sector = records[C.SECTOR].iat[k]
        women[k] = str(rng.binomial(victims[k], _SHARE_WOMEN[sector]))
        minors[k] = str(rng.binomial(victims[k], _SHARE_MINORS[sector]))
        if rng.random() >= _ORIGIN_RECORDED:
            continue
        i = pos[records[C.UBIGEO].iat[k]]
        if rng.random() < _LOCAL:
            origin[k] = world.ubigeo[i]
            continue
        dep = world.dep[i]
        if dep == C.DEP_CUSCO and neighbours is not None and len(neighbours) and \
                rng.random() < _OUTSIDE_CUSCO:
            w = npull * np.exp(-_km(nxy, *xy[i]) / _ORIGIN_KM)
            origin[k] = ncodes[rng.choice(len(w), p=w / w.sum())]
            continue
        same = world.dep == dep
        w = np.where(same, pull * np.exp(-_km(xy, *xy[i]) / _ORIGIN_KM), 0.0)
        w[i] = 0.0
        if dep == C.DEP_LORETO and sector in ("mineria", "tala"):
            w = np.where(datem, w * _DATEM_BOOST, w)
        if w.sum() <= 0:
            origin[k] = world.ubigeo[i]
            continue
        origin[k] = world.ubigeo[rng.choice(len(w), p=w / w.sum())]
    out = records.copy()
    out[C.VICTIMAS_MUJERES] = women
    out[C.VICTIMAS_MENORES] = minors
    out[C.UBIGEO_ORIGEN] = origin
    return out[list(INSPECTION_COLUMNS)]


def _recording_slips(records: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Make some records disagree (hallazgo_tf vs indicators), as real registers do."""
    out = records.copy()
    found = out[C.HALLAZGO].to_numpy(int) == 1
    blank = found & (rng.random(len(out)) < _SLIP_NO_INDICATORS)
    stray = ~found & (rng.random(len(out)) < _SLIP_STRAY_INDICATOR)
    ind = out[C.INDICADORES].to_numpy(object).copy()
    ind[blank] = ""
    # an inspector notes long hours or poor conditions without calling it forced labour
    ind[stray] = rng.choice(["OIT10", "OIT11"], int(stray.sum()))
    out[C.INDICADORES] = ind
    return out
