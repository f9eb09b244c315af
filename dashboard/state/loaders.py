"""Cached readers of what the command line wrote: scores, district table, layers, records.

Each reader is keyed on its file's path and modification time (``st.cache_data``, or
``st.cache_resource`` for read-only objects that are expensive to pickle), so a page visit
reads from memory. These return what the files hold, for the system; what a role may see
of them is :mod:`dashboard.state.disclosure`'s.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd
import pyogrio
import streamlit as st

from dashboard.layer_words import layer_facts as facts_of
from dashboard.mapview import simplify_coverage
from dashboard.state.files import _read_table, _require, in_region, mtime, settings
from geo import columns as C
from geo.geography.base import national_ubigeos as read_national_ubigeos
from geo.geography.base import read_districts
from geo.geography.build import read_fuentes
from geo.records.indicators import classify_records
from geo.records.inspections import load_records
from geo.records.store import N_VICTIMAS, InspectionStore
from geo.trust.access import Principal
from models.risk.score import fill_missing

# coverage_simplify tolerance (degrees) of the sector layers and boundaries read from files;
# the district map's own is chosen per region (map_layer).
SIMPLIFY_TOLERANCE = 0.006


@st.cache_resource(show_spinner=False, max_entries=4)
def _read_scores(path: str, stamp: float) -> gpd.GeoDataFrame:
    gdf = pyogrio.read_dataframe(path, layer="riesgo")
    gdf[C.UBIGEO] = gdf[C.UBIGEO].astype(str).str.zfill(6)
    return gdf.sort_values(C.RANGO).reset_index(drop=True)


def metadata() -> dict[str, Any]:
    """Read the ``metadatos`` table of the scores GeoPackage as a flat dict (``{}`` if absent)."""
    path = _require(settings().scores_gpkg, "tablero.capa_riesgo")
    return _read_metadata(str(path), mtime(path))


@st.cache_data(show_spinner=False)
def _read_metadata(path: str, stamp: float) -> dict[str, Any]:
    table = _read_table(path, "metadatos")
    if table is None or table.empty:
        return {}
    cols = list(table.columns)
    if len(cols) == 2:  # key/value layout
        return {str(k): v for k, v in zip(table[cols[0]], table[cols[1]], strict=True)}
    return {str(k): v for k, v in table.iloc[0].items()}  # one wide row


def metadata_values() -> dict[str, Any]:
    """Return the scores' metadata with its values decoded (see :func:`typed_metadata`)."""
    return typed_metadata(metadata())


def typed_metadata(meta: dict[str, Any]) -> dict[str, Any]:
    """Decode the text values of a ``metadatos`` table back into what ``write_scores`` stored.

    The table keeps every value as text (JSON for lists, numbers and flags). Text that is
    not JSON (a version, a path, a date) stays text; so do the hashes, whatever they look like.

    >>> meta = typed_metadata({"n": "1193", "simulado": "true", "fuentes": '[{"a": 1}]',
    ...                        "version_modelo": "riskmap-1.0", "desde": "2016-01-08",
    ...                        "hash_configuracion": "1234", "intercepto": "-2.5"})
    >>> meta["n"], meta["simulado"], meta["fuentes"], meta["intercepto"]
    (1193, True, [{'a': 1}], -2.5)
    >>> meta["version_modelo"], meta["desde"], meta["hash_configuracion"]
    ('riskmap-1.0', '2016-01-08', '1234')
    """
    out: dict[str, Any] = {}
    for key, value in meta.items():
        out[key] = value
        if not isinstance(value, str) or key.startswith("hash"):
            continue
        text = value.strip()
        if text[:1] in ("[", "{") or text in ("true", "false", "null") or _NUMBER.fullmatch(text):
            try:
                out[key] = json.loads(text)
            except ValueError:
                pass
    return out


_NUMBER = re.compile(r"-?\d+(\.\d+)?([eE][-+]?\d+)?")


def district_table() -> gpd.GeoDataFrame:
    """Read the built district table (``settings.districts_gpkg``, layer ``distritos``)."""
    path = _require(settings().districts_gpkg, "tablero.tabla_distritos")
    return _read_districts(str(path), mtime(path))


@st.cache_resource(show_spinner=False, max_entries=4)
def _read_districts(path: str, stamp: float) -> gpd.GeoDataFrame:
    gdf = pyogrio.read_dataframe(path, layer="distritos")
    gdf[C.UBIGEO] = gdf[C.UBIGEO].astype(str).str.zfill(6)
    return gdf


def layer_facts():
    """Return what each sector layer is (origin, source, years, unit, licence), by name.

    :func:`dashboard.layer_words.layer_facts` on the settings and the ``fuentes`` table of
    the built district table (when it exists); cached on both files.
    """
    s = settings()
    path = s.districts_gpkg
    return _layer_facts(str(s.path), mtime(s.path), str(path), mtime(path))


@st.cache_data(show_spinner=False, max_entries=4)
def _layer_facts(settings_file: str, settings_stamp: float, path: str, stamp: float):
    fuentes = None
    if stamp:
        try:
            fuentes = read_fuentes(path)
        except Exception:  # noqa: BLE001 - a table without 'fuentes': the settings say it all
            fuentes = None
    return facts_of(settings().layers, fuentes)


def missing_patterns() -> dict[str, tuple[str, ...]]:
    """Each missing-value indicator of the model and the features it stands for.

    ``{"falta_mineria": ("mineria", "agricultura", "coca")}``: the model's own grouping
    (:func:`models.risk.score.fill_missing` on the district table's features), so a page names
    every layer an indicator stands for. Empty when the table is not built yet.
    """
    s = settings()
    path = s.districts_gpkg
    if not path.is_file():
        return {}
    return _missing_patterns(str(s.path), mtime(s.path), str(path), mtime(path))


@st.cache_data(show_spinner=False, max_entries=4)
def _missing_patterns(settings_file: str, settings_stamp: float, path: str, stamp: float
                      ) -> dict[str, tuple[str, ...]]:
    table = _read_districts(path, stamp)
    names = [n for n in settings().feature_names if n in table.columns]
    if not names:
        return {}
    X = table[names].apply(pd.to_numeric, errors="coerce").astype(float)
    return {k: tuple(v) for k, v in fill_missing(X).attrs.get("faltantes", {}).items()}


def sources_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the ``fuentes`` tables of the district table (sector layers) and of the base.

    Either is an empty DataFrame when its GeoPackage or table does not exist.
    """
    s = settings()
    out = []
    for path in (s.districts_gpkg, s.base):
        table = _read_fuentes(str(path), mtime(path)) if path.exists() else None
        out.append(table if table is not None else pd.DataFrame())
    return out[0], out[1]


def sources_table() -> pd.DataFrame:
    """Stack the ``fuentes`` tables of the district table and of the base GeoPackage."""
    s = settings()
    frames = []
    for path in (s.districts_gpkg, s.base):
        if path.exists():
            table = _read_fuentes(str(path), mtime(path))
            if table is not None:
                frames.append(table)
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


@st.cache_data(show_spinner=False)
def _read_fuentes(path: str, stamp: float) -> pd.DataFrame | None:
    return _read_table(path, "fuentes")


def provinces(region: tuple[str, ...]) -> gpd.GeoDataFrame:
    """Province outlines of ``region`` from the base GeoPackage (empty if it lacks them)."""
    return _boundary("provincias", region)


def departments(region: tuple[str, ...]) -> gpd.GeoDataFrame:
    """Department outlines of ``region`` from the base GeoPackage (empty if it lacks them)."""
    return _boundary("departamentos", region)


def _boundary(layer: str, region: tuple[str, ...]) -> gpd.GeoDataFrame:
    base = settings().base
    if not base.exists():
        return gpd.GeoDataFrame(geometry=[], crs=4326)
    return _read_boundary(str(base), mtime(base), layer, region)


@st.cache_resource(show_spinner=False, max_entries=8)
def _read_boundary(path: str, stamp: float, layer: str, region: tuple[str, ...]):
    table = _read_table(path, layer)
    if table is None:
        return gpd.GeoDataFrame(geometry=[], crs=4326)
    where = f"{C.COD_DEP} IN ({','.join(repr(r) for r in region)})" if region else None
    gdf = pyogrio.read_dataframe(path, layer=layer, where=where)
    if gdf.crs is None:
        gdf = gdf.set_crs(4326)
    gdf = gdf.to_crs(4326)
    keep = [c for c in (C.COD_DEP, C.COD_PROV, C.PROVINCIA, C.DEPARTAMENTO) if c in gdf]
    return simplify_coverage(gdf[[*keep, "geometry"]], SIMPLIFY_TOLERANCE)


def sector_layer(name: str, region: tuple[str, ...]) -> gpd.GeoDataFrame | None:
    """Read the geometry of sector layer ``name`` (from ``settings.layers``) clipped to ``region``.

    Returns None for layers without geometry (tables keyed by UBIGEO), whose values are
    already in the district table.
    """
    spec = next((layer for layer in settings().layers if layer.name == name), None)
    if spec is None or not spec.path.exists():
        return None
    return _read_sector(str(spec.path), mtime(spec.path), spec.layer, region)


@st.cache_resource(show_spinner=False, max_entries=16)
def _read_sector(path: str, stamp: float, layer: str | None, region: tuple[str, ...]):
    if Path(path).suffix.lower() == ".csv":
        return None
    try:
        gdf = gpd.read_file(path, layer=layer) if layer else gpd.read_file(path)
    except Exception:  # noqa: BLE001 - an unreadable layer is simply not drawn
        return None
    if gdf.crs is None or gdf.geometry.isna().all():
        return None
    gdf = gdf.to_crs(4326)
    if region:
        outline = _read_scores(str(settings().scores_gpkg), mtime(settings().scores_gpkg))
        area = in_region(outline, region).total_bounds
        gdf = gdf.cx[area[0]:area[2], area[1]:area[3]]
    gdf = gdf[["geometry"]].copy()
    if gdf.geom_type.isin(["Polygon", "MultiPolygon"]).all():
        gdf = simplify_coverage(gdf, SIMPLIFY_TOLERANCE / 2)
    return gdf


def store(who: Principal):
    """Open the inspection store at :func:`geo.paths.store_path` as ``who``.

    The store enforces what the identity may do (import and record-level reads only for
    ``planificador``, only in its regions) and writes every read, import and refusal to
    its audit trail under the authenticated identity.
    """
    return InspectionStore.for_principal(settings().store_path, who)


@st.cache_data(show_spinner=False, max_entries=4)
def _file_records(settings_file: str, stamp: float) -> pd.DataFrame:
    return load_records(settings(), store=False, user="tablero")


def _indicator_source() -> tuple[str, float, float]:
    s = settings()
    return (str(s.path), mtime(s.inspections) if s.inspections else 0.0,
            mtime(s.store_path))


@st.cache_data(show_spinner=False, max_entries=4)
def _classified_records(settings_file: str, file_stamp: float, store_stamp: float
                        ) -> pd.DataFrame:
    """Every record the model uses (file + store, read as 'sistema'), classified (ICLS)."""
    return classify_records(load_records(settings(), user="tablero"))


@st.cache_data(show_spinner=False, max_entries=4)
def _record_aggregates(settings_file: str, file_stamp: float, store_stamp: float
                       ) -> pd.DataFrame:
    # the records the indicator views read too (file + store, as 'sistema'): read once
    records = _classified_records(settings_file, file_stamp, store_stamp)
    if records.empty:
        return pd.DataFrame(columns=[C.UBIGEO, C.N_INSPECCIONES, C.N_HALLAZGOS, N_VICTIMAS])
    victims = pd.to_numeric(records[C.VICTIMAS], errors="coerce") if C.VICTIMAS in records \
        else pd.Series(float("nan"), index=records.index)
    return (records.assign(_v=victims).groupby(C.UBIGEO, sort=True)
            .agg(**{C.N_INSPECCIONES: (C.HALLAZGO, "size"), C.N_HALLAZGOS: (C.HALLAZGO, "sum"),
                    N_VICTIMAS: ("_v", lambda v: v.sum(min_count=1))})
            .reset_index())


def national_ubigeos() -> frozenset[str]:
    """Every district code of Peru in the base (what ``ubigeo_origen`` may name)."""
    base = settings().base
    return read_national_ubigeos(base) if Path(base).is_file() else frozenset()


@st.cache_data(show_spinner=False, max_entries=8)
def _places(codes: tuple[str, ...]) -> pd.DataFrame:
    """Name ("District (Province, Department)") and a point inside each district of Peru."""
    frame = pd.DataFrame(columns=["x", "y", "nombre"])
    if not codes or not Path(settings().base).is_file():
        return frame

    gdf = read_districts(settings().base, tuple(sorted({c[:2] for c in codes})))
    gdf = gdf[gdf[C.UBIGEO].isin(codes)]
    pts = gdf.geometry.representative_point()
    return pd.DataFrame({
        "x": pts.x.to_numpy(), "y": pts.y.to_numpy(),
        "nombre": (gdf[C.DISTRITO] + " (" + gdf[C.PROVINCIA] + ", " + gdf[C.DEPARTAMENTO]
                   + ")").to_numpy(),
    }, index=pd.Index(gdf[C.UBIGEO].astype(str), name=C.UBIGEO))
