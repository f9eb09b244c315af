"""The ground the simulated world stands on: Peru's real districts and the calibration.

Reads the districts of the region from the base (with the columns the simulation needs),
checks that every district the calibration names exists, and holds them as a :class:`_World`
with the small geometry helpers (degrees per km, distances, interior points) the other
modules draw with.
"""

from __future__ import annotations

import math
import tomllib
import unicodedata
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import shapely

from geo import columns as C
from geo import paths
from geo.errors import ConfigError, DataError
from geo.geography.base import read_districts

__all__ = ["CALIBRATION_FILE", "load_calibration"]


CALIBRATION_FILE = paths.CONFIG_DIR / "calibration.toml"


_KM_PER_DEG_LAT = 110.574


_KM_PER_DEG_LON = 111.320  # at the equator, times cos(latitude)


_BASE_COLUMNS = (
    C.UBIGEO, C.DISTRITO, C.PROVINCIA, C.DEPARTAMENTO, C.COD_DEP, C.COD_PROV,
    C.REGION_NATURAL, C.AREA_KM2, C.POBLACION, C.POBREZA, C.DENSIDAD, C.LEJANIA,
)


def load_calibration(path: str | Path | None = None) -> dict[str, Any]:
    """Read the calibration TOML of the demo world (default ``config/calibration.toml``).

    >>> cal = load_calibration()
    >>> cal["hotspots"]["081203"]["distrito"]
    'Camanti'
    """
    path = Path(path) if path else CALIBRATION_FILE
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise ConfigError("mundo.no_existe_archivo_calibracion", path=path) from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError("comun.no_toml_valido", path=path, err=err) from err


def _check_region(region: tuple[str, ...]) -> tuple[str, ...]:
    if not region or any(code not in C.DEFAULT_DEPARTMENTS for code in region):
        shown = ",".join(region) or "all"
        raise ConfigError("mundo.mundo_simulado_solo_calibrado", shown=shown)
    return tuple(sorted(set(region)))


def _read_districts(base: Path, region: tuple[str, ...]) -> gpd.GeoDataFrame:
    if not base.is_file():
        raise DataError("mundo.no_encontro_base_distritos", base=base)
    gdf = read_districts(base, region)
    missing = [c for c in _BASE_COLUMNS if c not in gdf.columns]
    if missing:
        raise DataError("mundo.capa_distritos_faltan_columnas", base=base,
                        missing=', '.join(missing))
    gdf = gdf.to_crs(4326) if gdf.crs and not gdf.crs.equals("EPSG:4326") else gdf
    return gdf.sort_values(C.UBIGEO).reset_index(drop=True)


def _fold(name: str) -> str:
    """Compare names without accents or case.

    >>> _fold("Santo Tomás") == _fold("SANTO TOMAS")
    True
    """
    decomposed = unicodedata.normalize("NFKD", str(name))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold().strip()


def _keyed_tables(cal: Mapping[str, Any]) -> Iterator[tuple[str, str, Mapping[str, Any]]]:
    """Every calibration table keyed by 6-digit UBIGEO, with its dotted name."""
    yield "hotspots", "distrito", cal["hotspots"]
    yield "origen_reclutamiento", "distrito", cal["origen_reclutamiento"]
    yield "coca.ha_2020", "distrito", cal["coca"]["ha_2020"]
    yield "agricultura.ha_2020", "distrito", cal["agricultura"]["ha_2020"]
    yield "bosque.perdida_ha_2020_2024", "distrito", cal["bosque"]["perdida_ha_2020_2024"]
    yield "mineria.informal", "distrito", cal["mineria"]["informal"]
    yield "mineria.dragas", "distrito", cal["mineria"]["dragas"]
    yield "mineria.concesiones_share", "nombre", cal["mineria"]["concesiones_share"]


def _check_names(cal: Mapping[str, Any], districts: gpd.GeoDataFrame) -> None:
    """Every calibrated district must exist with the same name (accents aside)."""
    names = dict(zip(districts[C.UBIGEO], districts[C.DISTRITO], strict=True))
    provinces = dict(zip(districts[C.COD_PROV], districts[C.PROVINCIA], strict=False))
    deps = set(districts[C.COD_DEP])
    for table, key, entries in _keyed_tables(cal):
        for code, entry in entries.items():
            if code[:2] not in deps:
                continue  # the other department was not requested
            found = (names if len(code) == 6 else provinces).get(code)
            if found is None or _fold(found) != _fold(entry[key]):
                raise ConfigError("mundo.config_calibration_toml_codigo", table=table, code=code,
                                  entry=entry[key], found=found)


class _World:
    """The districts with what the samplers need: prepared shapes and neighbours."""

    def __init__(self, districts: gpd.GeoDataFrame) -> None:
        self.districts = districts
        self.ubigeo = districts[C.UBIGEO].to_numpy()
        self.dep = districts[C.COD_DEP].to_numpy()
        self.geoms = np.asarray(districts.geometry.values)
        shapely.prepare(self.geoms)
        self.area_km2 = districts[C.AREA_KM2].to_numpy(float)
        tree = shapely.STRtree(self.geoms)
        self.neighbours = [
            [j for j in tree.query(g) if j != i] for i, g in enumerate(self.geoms)
        ]
        self.index = {u: i for i, u in enumerate(self.ubigeo)}
        # what belongs to this district alone: the source boundaries overlap a little, and a
        # simulated polygon in an overlap would be measured in two districts
        self.own = np.array([
            shapely.make_valid(shapely.difference(g, shapely.union_all(self.geoms[nb])))
            if nb else g for g, nb in zip(self.geoms, self.neighbours, strict=True)
        ], dtype=object)

    def __len__(self) -> int:
        return len(self.ubigeo)

    def sample(self, rng: np.random.Generator, i: int, n: int,
               within: shapely.Geometry | None = None) -> np.ndarray:
        """``n`` uniform points (x, y) inside district ``i`` (and ``within``), in no other."""
        out = np.empty((0, 2))
        if n <= 0:
            return out
        target = self.geoms[i] if within is None else within
        if within is not None:
            shapely.prepare(target)
        xmin, ymin, xmax, ymax = shapely.bounds(target)
        for _ in range(200):
            m = max(64, 4 * n)
            xy = np.column_stack([rng.uniform(xmin, xmax, m), rng.uniform(ymin, ymax, m)])
            out = np.vstack([out, xy[self._inside(i, xy, target)]])
            if len(out) >= n:
                return out[:n]
        # a sliver too thin to hit: fall back to a point guaranteed inside
        rep = shapely.get_coordinates(shapely.point_on_surface(target))
        return np.vstack([out, np.repeat(rep, n - len(out), axis=0)])[:n]

    def sample_near(self, rng: np.random.Generator, i: int, centres: np.ndarray, n: int,
                    sd_km: float) -> np.ndarray:
        """``n`` points scattered (normal, ``sd_km``) around random ``centres`` of district i."""
        out = np.empty((0, 2))
        if n <= 0:
            return out
        kx, ky = _deg_per_km(centres[:, 1].mean())
        for _ in range(50):
            m = max(32, 3 * n)
            pick = centres[rng.integers(0, len(centres), m)]
            xy = pick + rng.normal(0.0, sd_km, (m, 2)) * (kx, ky)
            out = np.vstack([out, xy[self._inside(i, xy, self.geoms[i])]])
            if len(out) >= n:
                return out[:n]
        return np.vstack([out, self.sample(rng, i, n - len(out))])[:n]

    def _inside(self, i: int, xy: np.ndarray, target: shapely.Geometry) -> np.ndarray:
        ok = shapely.contains_xy(target, xy[:, 0], xy[:, 1])
        ok &= shapely.contains_xy(self.geoms[i], xy[:, 0], xy[:, 1])
        for j in self.neighbours[i]:  # the source boundaries have small overlaps
            if ok.any():
                ok[ok] &= ~shapely.contains_xy(self.geoms[j], xy[ok, 0], xy[ok, 1])
        return ok


def _deg_per_km(lat: float) -> tuple[float, float]:
    """Degrees of longitude and latitude per km at ``lat``.

    >>> round(_deg_per_km(0.0)[1] * 110.574, 6)
    1.0
    """
    return 1.0 / (_KM_PER_DEG_LON * math.cos(math.radians(lat))), 1.0 / _KM_PER_DEG_LAT


def _km(xy: np.ndarray, x0: float, y0: float) -> np.ndarray:
    kx = _KM_PER_DEG_LON * np.cos(np.radians(y0))
    return np.hypot((xy[:, 0] - x0) * kx, (xy[:, 1] - y0) * _KM_PER_DEG_LAT)


def _centroids(gdf: gpd.GeoDataFrame) -> np.ndarray:
    pts = gdf.geometry.representative_point()
    return np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])


def _read_neighbour_origins(base: Path, region: tuple[str, ...]) -> gpd.GeoDataFrame | None:
    """Districts of Puno and Apurímac, where part of Cusco's victims come from."""
    if C.DEP_CUSCO not in region:
        return None
    try:
        return read_districts(base, ("03", "21"))
    except DataError:
        return None
