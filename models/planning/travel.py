"""Travel time from inspection offices to districts, in days: an estimate or the planners' table.

A ranking is not a plan: in Loreto a district can be three days away by river. This module
gives :mod:`models.planning.plan` the one-way travel time, in days, from every office to every
district and between districts, so that trips can be priced in inspector-days.

The default is an **estimate**, not a measurement. For a district reached by mode *m*::

    days = max(MIN_LEG_DAYS, great_circle_km * detour[m] / km_per_day[m])

The mode of a district follows its department and natural region (``region_natural``):

==================  =========================================  ======  ==========
mode                where                                      detour  km per day
==================  =========================================  ======  ==========
``sierra``          Andean roads (Cusco's Sierra; Costa too)   1.7     250
``selva_alta``      Cusco's Selva (La Convención, Madre de     2.0     150
                    Dios basin): road over the passes, then
                    tracks and rivers
``carretera_loreto`` the Iquitos–Nauta road (Iquitos, Punchana, 1.3     300
                    Belén, San Juan Bautista, Nauta)
``rio``             every other Loreto district: Amazon rivers  1.6     130
==================  =========================================  ======  ==========

Sources and judgement behind the constants (replace them with a travel table where the
planners know their routes):

* **Detour factors.** Road distance over straight-line distance ("circuity") averages about
  1.2–1.4 in studies of national road networks (Ballou, Rahardja & Sakai 2002, *Transportation
  Research A* 36) and is higher in mountains: Cusco–Sicuani is ~110 km straight and 140 km by
  road (1.3), Cusco–Quillabamba ~75 km straight and ~200 km over the Abra Málaga (2.6). We take
  1.7 for the Sierra and 2.0 for Cusco's high jungle. Amazonian rivers meander (sinuosity of
  the Ucayali and Marañón between towns ≈ 1.5–2); 1.6 is taken for the river network, 1.3 for
  the straight, paved Iquitos–Nauta road.
* **Speeds** are distances covered in one working day of travel (8–11 h), not top speeds:
  ~30 km/h average on mixed paved and unpaved Andean roads (250 km/day); ~150 km/day into
  Cusco's Selva; 100–150 km/day by *lancha* or *peque-peque* on Loreto's rivers, where the
  Yurimaguas–Iquitos boat (~390 km straight, ~600 km by river) takes 3–5 days depending on
  the direction (we take 130 km/day); 300 km/day on the Iquitos–Nauta road.
* ``MIN_LEG_DAYS`` = 0.25: even a neighbouring district costs a quarter day to reach the
  workplace and come back to the road.
* Between two districts (a hop within a trip) the slower of their two modes applies.

A user's table (``ubigeo, dias_viaje`` and optionally ``oficina``) replaces the estimate
for the rows it gives; ``dias_viaje`` is the **one-way** time in days from the office
(from every office when ``oficina`` is empty or absent).

Examples
--------
>>> import pandas as pd
>>> from geo.config import Office
>>> d = pd.DataFrame({"ubigeo": ["080101", "160101"], "lon": [-71.98, -73.43],
...                   "lat": [-13.49, -3.78], "region_natural": ["Sierra", "Selva"]})
>>> t = estimate_travel([Office("Cusco", -13.52, -71.97, 20, "08")], d)
>>> round(float(t.loc["080101", "Cusco"]), 2)
0.25
>>> district_modes(d).tolist()
['sierra', 'carretera_loreto']
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo import columns as C
from geo.config import Office
from geo.errors import DataError, RiskmapError
from geo.geography.ubigeo import normalize_ubigeo

__all__ = [
    "DIAS_VIAJE",
    "LORETO_ROAD_DISTRICTS",
    "MIN_LEG_DAYS",
    "MODES",
    "OFICINA",
    "TravelMode",
    "check_offices",
    "district_modes",
    "district_points",
    "estimate_travel",
    "haversine_km",
    "hop_days",
    "read_travel_table",
    "apply_travel_table",
]

#: Column names of the user's travel table.
DIAS_VIAJE = "dias_viaje"
OFICINA = "oficina"

MIN_LEG_DAYS = 0.25
EARTH_RADIUS_KM = 6371.0088
#: How far (km) an office may sit outside the district polygons before it is "outside the
#: region": the boundaries are simplified and an office on a river bank may fall just out.
OFFICE_TOLERANCE_KM = 5.0


@dataclass(frozen=True)
class TravelMode:
    """How districts of one kind are reached: detour factor and distance per travel day."""

    name: str
    detour: float
    km_per_day: float


MODES = {
    "sierra": TravelMode("carretera andina", 1.7, 250.0),
    "selva_alta": TravelMode("selva alta de Cusco", 2.0, 150.0),
    "carretera_loreto": TravelMode("carretera Iquitos–Nauta", 1.3, 300.0),
    "rio": TravelMode("río amazónico", 1.6, 130.0),
}
#: Slowest first: a hop between two districts uses the slower of their modes.
_SLOWNESS = {m: MODES[m].detour / MODES[m].km_per_day for m in MODES}

#: Loreto districts on the Iquitos–Nauta road (the only road out of Iquitos).
LORETO_ROAD_DISTRICTS = frozenset({"160101", "160108", "160112", "160113", "160301"})


def district_modes(districts: pd.DataFrame) -> pd.Series:
    """Return the travel mode of each district (a key of :data:`MODES`).

    Loreto (``16``) districts go by river except those on the Iquitos–Nauta road; elsewhere
    ``region_natural == "Selva"`` means Cusco's high jungle and anything else Andean roads.
    Without a ``region_natural`` column every non-Loreto district is taken as Sierra.

    >>> import pandas as pd
    >>> district_modes(pd.DataFrame({"ubigeo": ["160201", "080901"],
    ...                              "region_natural": ["Selva", "Selva"]})).tolist()
    ['rio', 'selva_alta']
    """
    ubigeo = districts[C.UBIGEO].astype(str)
    if C.REGION_NATURAL in districts:
        region = districts[C.REGION_NATURAL].astype(str).str.strip().str.lower()
    else:
        region = pd.Series("sierra", index=districts.index)
    mode = np.where(region.eq("selva"), "selva_alta", "sierra")
    loreto = ubigeo.str.startswith(C.DEP_LORETO).to_numpy()
    road = ubigeo.isin(LORETO_ROAD_DISTRICTS).to_numpy()
    mode = np.where(loreto, np.where(road, "carretera_loreto", "rio"), mode)
    return pd.Series(mode, index=districts.index, name="modo")


def district_points(districts: pd.DataFrame) -> pd.DataFrame:
    """Return ``ubigeo, lon, lat, modo`` for each district (centroid or its ``lon``/``lat``).

    A GeoDataFrame without ``lon``/``lat`` columns gets the centroid of each polygon,
    computed in an equal-area CRS (EPSG:6933) and returned in degrees.
    """
    if C.CENTROIDE_LON in districts and C.CENTROIDE_LAT in districts:
        lon = districts[C.CENTROIDE_LON].astype(float).to_numpy()
        lat = districts[C.CENTROIDE_LAT].astype(float).to_numpy()
    elif isinstance(districts, gpd.GeoDataFrame) and districts.crs is not None:
        # representative_point would keep the point inside odd shapes, but a centroid is what
        # travel to "the district" means for compact Andean districts and Loreto's river towns
        cent = districts.geometry.to_crs(6933).centroid.to_crs(4326)
        lon, lat = cent.x.to_numpy(), cent.y.to_numpy()
    else:
        raise DataError("plan.distritos_no_tienen_geometria")
    return pd.DataFrame(
        {
            C.UBIGEO: districts[C.UBIGEO].astype(str).to_numpy(),
            "lon": lon,
            "lat": lat,
            "modo": district_modes(districts).to_numpy(),
        }
    )


def haversine_km(lon1, lat1, lon2, lat2) -> np.ndarray:
    """Great-circle distance in km (broadcasting numpy arrays of degrees).

    One degree of latitude is 111.2 km; Cusco to Iquitos about 1,100 km:

    >>> round(float(haversine_km(0, 0, 0, 1)), 1)
    111.2
    >>> round(float(haversine_km(-71.97, -13.52, -73.25, -3.75)), -2)
    1100.0
    """
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(v, dtype=float)) for v in (lon1, lat1, lon2,
                                                                              lat2))
    a = (np.sin((lat2 - lat1) / 2) ** 2
         + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2) ** 2)
    return 2 * EARTH_RADIUS_KM * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def estimate_travel(offices: Sequence[Office], districts: pd.DataFrame) -> pd.DataFrame:
    """Estimate one-way travel days from each office to each district.

    Parameters
    ----------
    offices : sequence of Office
    districts : DataFrame or GeoDataFrame
        With ``ubigeo`` and either ``lon``/``lat`` or a geometry; ``region_natural`` used
        when present.

    Returns
    -------
    DataFrame
        Index ``ubigeo``, one column per office name, days (float).
    """
    pts = district_points(districts)
    slowness = pts["modo"].map(_SLOWNESS).to_numpy()
    out = {}
    for office in offices:
        km = haversine_km(office.lon, office.lat, pts["lon"].to_numpy(), pts["lat"].to_numpy())
        out[office.name] = np.maximum(MIN_LEG_DAYS, km * slowness)
    return pd.DataFrame(out, index=pd.Index(pts[C.UBIGEO], name=C.UBIGEO))


def hop_days(districts: pd.DataFrame) -> np.ndarray:
    """Estimated travel days between every pair of districts (square matrix, 0 on the diagonal).

    The slower mode of the two districts applies (a river district is reached by river).
    """
    pts = district_points(districts)
    lon, lat = pts["lon"].to_numpy(), pts["lat"].to_numpy()
    km = haversine_km(lon[:, None], lat[:, None], lon[None, :], lat[None, :])
    slow = pts["modo"].map(_SLOWNESS).to_numpy()
    days = np.maximum(MIN_LEG_DAYS, km * np.maximum(slow[:, None], slow[None, :]))
    np.fill_diagonal(days, 0.0)
    return days


def check_offices(offices: Sequence[Office], districts: gpd.GeoDataFrame) -> None:
    """Raise a clear error for an office outside the districts being planned.

    An office must lie within :data:`OFFICE_TOLERANCE_KM` of a district polygon, and its
    ``department`` (when given) must be one of the departments of ``districts``.

    Raises
    ------
    RiskmapError
        Naming the office, its coordinates and the departments covered.
    """
    deps = sorted(set(districts[C.UBIGEO].astype(str).str[:2]))
    if not offices:
        raise RiskmapError("plan.no_oficinas_inspeccion_configuracion")
    names = [o.name for o in offices]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise RiskmapError("plan.oficinas_con_mismo_nombre", dupes=', '.join(dupes))
    union = None
    if isinstance(districts, gpd.GeoDataFrame) and districts.crs is not None:
        union = shapely.union_all(districts.geometry.to_crs(6933).values)
    for office in offices:
        where = f"'{office.name}' (lat {office.lat}, lon {office.lon})"
        if not (-90 <= office.lat <= 90 and -180 <= office.lon <= 180):
            raise RiskmapError("plan.oficina_tiene_coordenadas_imposibles", where=where)
        if office.department and office.department not in deps:
            raise RiskmapError("plan.oficina_pertenece_departamento_no", where=where,
                               department=office.department, deps=', '.join(deps))
        if union is not None:
            pt = gpd.GeoSeries(gpd.points_from_xy([office.lon], [office.lat]), crs=4326)
            dist_km = float(pt.to_crs(6933).distance(union).iloc[0]) / 1000.0
            if dist_km > OFFICE_TOLERANCE_KM:
                raise RiskmapError("plan.oficina_fuera_region_planificada", where=where,
                                   dist_km=dist_km, deps=', '.join(deps))


def read_travel_table(
    path: str | Path, ubigeos: Sequence[str], offices: Sequence[str] = ()
) -> pd.DataFrame:
    """Read the planners' travel table: ``ubigeo, dias_viaje`` and optionally ``oficina``.

    Parameters
    ----------
    path : str or Path
        CSV file (UTF-8; ``,`` or ``;`` separated).
    ubigeos : sequence of str
        The districts being planned; any other code is an error naming its line.
    offices : sequence of str
        Office names; an ``oficina`` value outside them is an error naming its line.

    Returns
    -------
    DataFrame
        Columns ``ubigeo`` (str), ``dias_viaje`` (float, one way), ``oficina`` (str, ``""`` =
        every office).

    Raises
    ------
    DataError
        Naming the file and the line for an unknown UBIGEO, an unknown office, a missing
        column, or a travel time that is not a non-negative number.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError("plan.no_existe_tabla_viajes", path=path)
    try:
        raw = pd.read_csv(path, sep=None, engine="python", encoding="utf-8-sig")
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise DataError("plan.no_pudo_leer_csv", path=path, err=err) from err
    raw.columns = [str(c).strip().lower() for c in raw.columns]
    missing = [c for c in (C.UBIGEO, DIAS_VIAJE) if c not in raw.columns]
    if missing:
        raise DataError("plan.faltan_columnas_columnas_presentes", path=path,
                        missing=', '.join(missing), columns=', '.join(raw.columns))
    ubigeo = normalize_ubigeo(raw[C.UBIGEO], path, first_line=2)
    known = set(map(str, ubigeos))
    for pos, code in enumerate(ubigeo):
        if code not in known:
            line = pos + 2
            raise DataError("plan.linea_ubigeo_no_distrito", path=path, line=line, code=code)
    days = pd.to_numeric(raw[DIAS_VIAJE], errors="coerce")
    bad = np.flatnonzero(~(days >= 0) | ~np.isfinite(days))
    if bad.size:
        line = int(bad[0]) + 2
        raise DataError("plan.linea_dias_viaje_no", path=path, line=line,
                        iloc=raw[DIAS_VIAJE].iloc[bad[0]])
    if OFICINA in raw.columns:
        office = raw[OFICINA].fillna("").astype(str).str.strip()
        unknown = np.flatnonzero(office.ne("") & ~office.isin(list(offices)))
        if unknown.size:
            line = int(unknown[0]) + 2
            raise DataError("plan.linea_oficina_no_existe", path=path, line=line,
                            iloc=office.iloc[unknown[0]], offices=', '.join(offices))
    else:
        office = pd.Series("", index=raw.index)
    return pd.DataFrame(
        {C.UBIGEO: ubigeo.to_numpy(), DIAS_VIAJE: days.to_numpy(float),
         OFICINA: office.to_numpy()}
    )


def apply_travel_table(travel: pd.DataFrame, table: pd.DataFrame) -> tuple[pd.DataFrame,
                                                                           pd.DataFrame]:
    """Replace estimated days by the table's; return ``(travel, from_table)``.

    ``from_table`` is a boolean frame of the same shape: True where the planners' number is
    used. Rows naming an office win over rows for every office.

    >>> import pandas as pd
    >>> t = pd.DataFrame({"A": [1.0, 2.0], "B": [3.0, 4.0]},
    ...                  index=pd.Index(["080101", "080102"], name="ubigeo"))
    >>> tab = pd.DataFrame({"ubigeo": ["080102", "080102"], "dias_viaje": [0.5, 9.0],
    ...                     "oficina": ["", "B"]})
    >>> new, used = apply_travel_table(t, tab)
    >>> new.loc["080102"].tolist(), int(used.to_numpy().sum())
    ([0.5, 9.0], 2)
    """
    travel = travel.copy()
    used = pd.DataFrame(False, index=travel.index, columns=travel.columns)
    # rows for every office first, so that office-specific rows overwrite them
    ordered = table.assign(_specific=table[OFICINA].ne("")).sort_values("_specific", kind="stable")
    for row in ordered.itertuples(index=False):
        code = getattr(row, C.UBIGEO)
        cols = [row.oficina] if row.oficina else list(travel.columns)
        travel.loc[code, cols] = float(getattr(row, DIAS_VIAJE))
        used.loc[code, cols] = True
    return travel, used
