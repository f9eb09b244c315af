"""The Mapa page's map: the district layer of a region, its features, outlines and hot spots.

Each piece is cached on the scores file, the viewer's disclosure view and the choices on
the page, so switching a layer or a region redraws only what changed;
:func:`warm_map` draws the first visits' maps before anyone asks.
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import streamlit as st

from dashboard import mapview
from dashboard.layer_words import district_note, layer_byline, layer_choice, layer_name, value_text
from dashboard.mapview import (
    DistrictValues,
    boundary_lines,
    class_breaks,
    display_digits,
    risk_features,
)
from dashboard.state.disclosure import _scores_stamp, _stamp, _view_scores
from dashboard.state.files import _require, in_region, mtime, settings
from dashboard.state.loaders import (
    _read_scores,
    district_table,
    layer_facts,
    missing_patterns,
    sector_layer,
)
from dashboard.state.regions import region_options
from geo import columns as C
from geo.formatting import no_public_data
from geo.geography.display import (
    clean_coverage,
    display_tolerance,
    read_display_layer,
    simplify_coverage,
)
from geo.trust.access import DATA_ROLES, floor
from models.risk.hotspots import GI_P, GI_Q, GI_Z, HOTSPOT, hotspot_layer

MAP_COLUMNS = (
    C.UBIGEO, C.DISTRITO, C.PROVINCIA, C.DEPARTAMENTO, C.RIESGO, C.RIESGO_P05, C.RIESGO_P95,
    C.EVIDENCIA, C.RANGO, "alerta_deriva", "motivo_deriva", "sin_dato", "fuera_rango",
)


def map_layer(region: tuple[str, ...], k: int = 0) -> gpd.GeoDataFrame:
    """Return the prepared map layer for ``region`` (view ``k``): the map's columns, simplified.

    The districts are made an exact coverage once per scores file
    (:func:`dashboard.mapview.clean_coverage`); each region is then simplified as a
    coverage (topology kept: neighbours still share their borders) with a tolerance chosen
    from its extent on screen (:func:`dashboard.mapview.display_tolerance`), once.
    """
    path = _require(settings().scores_gpkg, "tablero.capa_riesgo")
    return _map_layer(str(path), _stamp(path, k), tuple(region), int(k))


def map_digits(region: tuple[str, ...]) -> int:
    """Return the decimals worth sending for ``region`` (see ``mapview.display_digits``)."""
    return display_digits(map_layer(region).total_bounds)


def map_features(region: tuple[str, ...], scheme: str, lang: str, k: int = 0
                 ) -> tuple[list[float], dict]:
    """Class breaks and the GeoJSON the map sends for ``region`` (view ``k``), cached.

    See :func:`dashboard.mapview.risk_features`.
    """
    path = _require(settings().scores_gpkg, "tablero.capa_riesgo")
    return _map_features(str(path), _stamp(path, k), tuple(region), scheme, lang, int(k),
                         _layers_key())


def map_outlines(region: tuple[str, ...]) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    """Province and department borders of ``region`` as lines on the districts' own borders.

    Province lines leave out the department borders (drawn once, thicker, on their own).
    """
    path = _require(settings().scores_gpkg, "tablero.capa_riesgo")
    return _map_outlines(str(path), mtime(path), tuple(region))


@st.cache_resource(show_spinner=False, max_entries=4)
def _clean_scores(path: str, stamp: float) -> gpd.GeoDataFrame:
    stored = read_display_layer(path)  # made with the scores (geo.geography.display), else here
    if stored is not None:
        return stored
    gdf = _read_scores(path, stamp)
    return clean_coverage(gdf[[C.UBIGEO, "geometry"]])


@st.cache_resource(show_spinner=False, max_entries=16)
def _map_layer(path: str, stamp: float | tuple, region: tuple[str, ...], k: int = 0
               ) -> gpd.GeoDataFrame:
    """Join the map's columns of view ``k`` to the districts' cleaned, simplified borders."""
    shapes = _simple_shapes(path, _scores_stamp(stamp), region)
    table = _view_scores(path, stamp, k)
    cols = [c for c in MAP_COLUMNS if c in table.columns]
    values = pd.DataFrame(table[cols]).set_index(C.UBIGEO)
    return shapes.join(values, on=C.UBIGEO)[[*cols, "geometry"]]


@st.cache_resource(show_spinner=False, max_entries=16)
def _simple_shapes(path: str, stamp: float, region: tuple[str, ...]) -> gpd.GeoDataFrame:
    codes = region or tuple(sorted(_read_scores(path, stamp)[C.UBIGEO].str[:2].unique()))
    stored = read_display_layer(path, codes)
    if stored is not None:
        return stored
    layer = in_region(_clean_scores(path, stamp), region)
    return simplify_coverage(layer, display_tolerance(layer.total_bounds))


@st.cache_data(show_spinner=False, max_entries=32)
def _map_features(path: str, stamp: float | tuple, region: tuple[str, ...], scheme: str,
                  lang: str, k: int = 0, layers_key: tuple = ()) -> tuple[list[float], dict]:
    layer = _map_layer(path, stamp, region, k)
    breaks = class_breaks(layer[C.RIESGO], scheme)
    notes = None
    if "sin_dato" in layer or "fuera_rango" in layer:
        facts, patterns = layer_facts(), missing_patterns()
        notes = {u: district_note(a, b, facts, lang, patterns) for u, a, b in zip(
            layer[C.UBIGEO].astype(str), layer.get("sin_dato", pd.Series("", index=layer.index)),
            layer.get("fuera_rango", pd.Series("", index=layer.index)), strict=True)}
    return breaks, risk_features(layer, breaks, lang, display_digits(layer.total_bounds),
                                 notes=notes)


@st.cache_resource(show_spinner=False, max_entries=16)
def _map_outlines(path: str, stamp: float, region: tuple[str, ...]):
    layer = _map_layer(path, stamp, region)
    deps = boundary_lines(layer, 2)
    provs = boundary_lines(layer, 4)
    if len(provs) and len(deps):
        provs = provs.set_geometry(provs.geometry.difference(deps.geometry.iloc[0]))
        provs = provs[~provs.geometry.is_empty]
    return provs, deps


def map_payload(region: tuple[str, ...], scheme: str, lang: str, layers: tuple[str, ...] = (),
                show_hot: bool = False, show_outlines: bool = True, basemap: bool = False,
                static_url: str = "/app/static", k: int = 0, show_alerts: bool = False
                ) -> dict:
    """Return the Mapa page's rendered map (``mapview.folium_payload``), cached per input.

    ``k`` is the viewer's disclosure view (:func:`view`); a rescored file is a new map.
    """
    path = _require(settings().scores_gpkg, "tablero.capa_riesgo")
    return _map_payload(str(path), _stamp(path, k), tuple(region), scheme, lang, tuple(layers),
                        bool(show_hot), bool(show_outlines), bool(basemap), static_url, int(k),
                        bool(show_alerts), _layers_key())


def _layers_key() -> tuple:
    """Return the cache key of the layers' words and values: the settings and district table."""
    s = settings()
    return (str(s.path), mtime(s.path), str(s.districts_gpkg), mtime(s.districts_gpkg))


@st.cache_data(show_spinner=False, max_entries=16)
def _map_payload(path: str, stamp: float | tuple, region: tuple[str, ...], scheme: str, lang: str,
                 layers: tuple[str, ...], show_hot: bool, show_outlines: bool, basemap: bool,
                 static_url: str, k: int, show_alerts: bool = False, layers_key: tuple = ()
                 ) -> dict:
    """Render the map once per input; the payload also says what each chosen layer drew.

    ``capas_tabla``: per table layer drawn from the district table, ``(name, districts
    shown, districts without a value)``; ``sin_dibujar``: the chosen layers with neither a
    geometry nor a column in the district table.
    """
    breaks, features = _map_features(path, stamp, region, scheme, lang, k, layers_key)
    facts = layer_facts()
    sectors, tables, drawn, undrawn = {}, [], [], []
    for name in layers:
        if name not in facts:
            undrawn.append(name)
            continue
        gdf = sector_layer(name, region)
        if gdf is not None and len(gdf):
            sectors[layer_choice(facts[name], lang)] = gdf
            continue
        values = table_layer(name, region, scheme, lang)
        if values is None:
            undrawn.append(name)
            continue
        tables.append(values)
        shown = _map_layer(path, stamp, region, k)[C.UBIGEO]
        numbers = values.values.reindex(shown.astype(str).to_numpy())
        drawn.append((name, int(len(shown)), int(numbers.isna().sum())))
    province_lines, department_lines = _map_outlines(path, _scores_stamp(stamp), region)
    layer = _map_layer(path, stamp, region, k)
    beyond = layer.loc[layer["fuera_rango"].fillna("").astype(str).ne(""), C.UBIGEO].tolist() \
        if "fuera_rango" in layer else []
    fmap = mapview.risk_map(
        _map_layer(path, stamp, region, k),
        breaks,
        lang=lang,
        provinces=province_lines if show_outlines else None,
        departments=department_lines,
        sectors=sectors,
        hotspots=_hotspots(path, stamp, region, k)[C.UBIGEO].tolist() if show_hot else [],
        basemap=basemap,
        static_url=static_url,
        features=features,
        ndigits=mapview.display_digits(_map_layer(path, _scores_stamp(stamp),
                                                  region).total_bounds),
        alerts=alert_districts(_map_layer(path, stamp, region, k)) if show_alerts else (),
        tables=tables,
        out_of_range=beyond,
    )
    return {**mapview.folium_payload(fmap), "capas_tabla": drawn, "sin_dibujar": undrawn,
            "fuera_rango": len(beyond)}


def table_layer(name: str, region: tuple[str, ...], scheme: str = "quantiles",
                lang: str = "es"):
    """Return table layer ``name``'s district values in ``region`` for the map, or None.

    The values are the district table's column (``distritos.gpkg``: NaN where the source
    is silent), written in the layer's unit (:func:`dashboard.layer_words.value_text`),
    classed by ``scheme`` over the districts that have one. None when the district table
    is not built or has no such column. See :class:`dashboard.mapview.DistrictValues`.
    """
    facts = layer_facts().get(name)
    if facts is None or not settings().districts_gpkg.is_file():
        return None
    table = district_table()
    if name not in table.columns:
        return None
    rows = in_region(table, region)
    values = pd.Series(pd.to_numeric(rows[name], errors="coerce").to_numpy(float),
                       index=rows[C.UBIGEO].astype(str).to_numpy())
    texts = pd.Series([value_text(facts, v, lang) for v in values], index=values.index)
    return DistrictValues(
        title=layer_name(facts, lang), byline=layer_byline(facts, lang), values=values,
        texts=texts, breaks=class_breaks(values.dropna(), scheme),
        format_value=lambda v: value_text(facts, v, lang), no_value=no_public_data(lang))


def alert_districts(layer: pd.DataFrame) -> list[str]:
    """UBIGEOs whose recent findings rise above their record (``alerta_deriva``)."""
    if "alerta_deriva" not in layer:
        return []
    return layer.loc[layer["alerta_deriva"].astype(str).eq("al alza"), C.UBIGEO].tolist()


def warm_map(static_url: str) -> None:
    """Make the maps first visits ask for, before anyone asks (the server's warm-up).

    The Mapa page opens on the first region choice (all the scores' departments, or the
    visitor's own), quantiles, Spanish, no sector layer, province borders on: those maps
    are drawn here for every disclosure view the roles have, so the first visit after a
    server start reads them from the cache like every later one. With a few departments
    (Cusco and Loreto) each one's map too; with all of Peru only the whole.
    """
    if not settings().scores_gpkg.exists():
        return
    views = sorted({0, *(floor(role, settings().auth.suppression) for role in DATA_ROLES)})
    options = list(region_options().values())
    for region in options if len(options) <= 4 else options[:1]:
        for k in views:
            map_payload(region.codes, "quantiles", "es", static_url=static_url, k=k)


def hotspots(region: tuple[str, ...], k: int = 0) -> pd.DataFrame:
    """Hot spots of view ``k``'s risk in ``region``: Gi* with its FDR cut (:func:`_hotspots`)."""
    path = _require(settings().scores_gpkg, "tablero.capa_riesgo")
    return _hotspots(str(path), _stamp(path, k), region, int(k))


@st.cache_data(show_spinner=False)
def _hotspots(path: str, stamp: float | tuple, region: tuple[str, ...], k: int = 0) -> pd.DataFrame:
    """Districts of ``region`` whose neighbourhood risk is significantly high.

    :func:`models.risk.hotspots.hotspot_layer` on view ``k``'s risk within the region
    (Getis-Ord Gi*, Queen contiguity, Benjamini–Hochberg false-discovery rate 5 %): the
    rows it calls ``caliente``, with ``ubigeo, gi_z, gi_p, gi_q``. Fewer than three
    districts have no hot spot.
    """
    gdf = in_region(_view_scores(path, stamp, k), region).reset_index(drop=True)
    if len(gdf) < 3:
        return pd.DataFrame(columns=[C.UBIGEO, GI_Z, GI_P, GI_Q])
    layer = hotspot_layer(gdf)
    hot = layer[layer[HOTSPOT] == "caliente"]
    return pd.DataFrame(hot[[C.UBIGEO, GI_Z, GI_P, GI_Q]]).reset_index(drop=True)
