"""Maps of the Indicadores page: victims' routes and the services gap (offline, like Mapa).

Both draw the region's districts as a quiet base (light grey, or coloured by days to the
nearest service), department outlines, and their own marks; every asset comes from the app
itself (:func:`dashboard.mapview.localize_assets`), so they render with no internet.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import MacroElement

from dashboard import mapview
from dashboard.legend_place import place_legends
from geo import columns as C
from geo.formatting import format_number, format_quantity
from geo.messages import t
from geo.records.indicators import wilson

__all__ = ["DAY_BREAKS", "SERVICE_COLORS", "indicator_rate_layer", "routes_map", "services_map"]

#: Classes of one-way days to the nearest service (upper bounds; the last is open), classed
#: as the risk map classes its values (:func:`dashboard.mapview.classify`).
DAY_BREAKS = (0.5, 1.0, 2.0, 4.0, math.inf)
#: ColorBrewer PuBu, 5 classes: light = near, dark = far.
DAY_COLORS = ("#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d")
#: Okabe-Ito colours by type of service (distinct for every colour-vision deficiency).
SERVICE_COLORS = {"cem": "#CC79A7", "fiscalia_trata": "#D55E00", "policia": "#0072B2",
                  "albergue": "#009E73"}
_OTHER_COLOR = "#000000"
ROUTE_COLOR = "#b2182b"
LOCAL_COLOR = "#E69F00"

#: The routes' and services' map words (catalogue keys ``indicadores.mapa.<name>``).
_WORD_NAMES = ("rutas", "local", "victimas", "origen", "inspecciones", "mujeres", "menores",
                "dias", "brecha", "servicio", "sin", "dep")


def _words(lang: str) -> dict[str, str]:
    return {name: t(f"indicadores.mapa.{name}", lang=lang) for name in _WORD_NAMES}


def indicator_rate_layer(layer: gpd.GeoDataFrame, profile: pd.DataFrame, code: str,
                         min_inspections: int) -> tuple[gpd.GeoDataFrame, pd.Series, pd.Series]:
    """Draw the share of each district's inspections where ``code`` was found as a risk layer.

    ``layer``: the region's districts (``ubigeo`` and geometry); ``profile``: the role's
    indicator profile by district (:func:`dashboard.state.indicator_profiles`, blanks where
    suppressed, the ``suprimido`` column naming them). Returns the layer with ``riesgo`` (the
    share), its 90 % Wilson interval (``riesgo_p05``, ``riesgo_p95``) and ``evidencia``
    (hidden where the count or the inspections are suppressed, insufficient under
    ``min_inspections``), the districts' inspections ``n`` and which are ``hidden``.

    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> base = gpd.GeoDataFrame({"ubigeo": ["080101", "080102", "080103"]},
    ...                         geometry=[box(0, 0, 1, 1)] * 3, crs=4326)
    >>> prof = pd.DataFrame({"ubigeo": ["080101", "080102"], "n_inspecciones": [10, None],
    ...                      "amenazas": [4, None], "suprimido": ["", "n_inspecciones"]})
    >>> out, n, hidden = indicator_rate_layer(base, prof, "amenazas", 5)
    >>> out["riesgo"].round(2).tolist(), hidden.tolist()
    ([0.4, nan, nan], [False, True, False])
    >>> out["evidencia"].tolist()
    ['suficiente', 'no publicada', 'evidencia insuficiente']
    """
    layer = layer.merge(profile[[C.UBIGEO, C.N_INSPECCIONES, code, "suprimido"]],
                        on=C.UBIGEO, how="left")
    n = pd.to_numeric(layer[C.N_INSPECCIONES], errors="coerce").astype(float)
    x = pd.to_numeric(layer[code], errors="coerce").astype(float)
    rate = np.where(n > 0, x / n.where(n > 0), np.nan)
    lo, hi = wilson(np.nan_to_num(x), np.nan_to_num(n))
    hidden = layer["suprimido"].fillna("").str.contains(code) | \
        layer["suprimido"].fillna("").str.contains(C.N_INSPECCIONES)
    few = n.fillna(0) < min_inspections
    layer[C.RIESGO] = np.where(hidden, np.nan, rate)
    layer[C.RIESGO_P05] = np.where(hidden | ~(n > 0), np.nan, lo)
    layer[C.RIESGO_P95] = np.where(hidden | ~(n > 0), np.nan, hi)
    layer[C.EVIDENCIA] = np.where(hidden, C.EVIDENCIA_NO_PUBLICADA, np.where(
        few, C.EVIDENCIA_INSUFICIENTE, "suficiente"))
    return layer, n, hidden


def _n(value: Any) -> str:
    return "–" if value is None or pd.isna(value) else format_number(int(value))


def routes_map(districts: gpd.GeoDataFrame, routes: pd.DataFrame, *, lang: str = "es",
               departments: gpd.GeoDataFrame | None = None, static_url: str = "/app/static",
               height: int = mapview.MAP_HEIGHT, ndigits: int = 4) -> folium.Map:
    """Lines from each district of recruitment to the place of exploitation.

    ``routes`` as :func:`dashboard.state.victim_routes` gives them (already suppressed for
    the viewer): line width grows with the square root of the victims; recruitment in the
    same district is a circle. Tooltips say the route, inspections and victims.
    """
    words = _words(lang)
    points = [(r.x0, r.y0) for r in routes.itertuples()] + [(r.x1, r.y1) for r in
                                                             routes.itertuples()]
    bounds = list(districts.total_bounds)
    finite = [(x, y) for x, y in points if np.isfinite(x) and np.isfinite(y)]
    if finite:
        xs, ys = zip(*finite, strict=True)
        bounds = [min(bounds[0], *xs), min(bounds[1], *ys), max(bounds[2], *xs),
                  max(bounds[3], *ys)]
    m = mapview.base_map(bounds, height)
    base = mapview.round_coordinates(districts[[C.UBIGEO, C.DISTRITO, "geometry"]], ndigits)
    folium.GeoJson(base, name="distritos", style_function=lambda _f: {
        "fillColor": "#f0f0f0", "fillOpacity": 0.9, "color": "#bdbdbd", "weight": 0.5},
        tooltip=folium.GeoJsonTooltip(fields=[C.DISTRITO, C.UBIGEO], aliases=["", "UBIGEO"]),
        zoom_on_click=False).add_to(m)
    if departments is not None and len(departments):
        mapview._outline(mapview.round_coordinates(departments, ndigits), words["dep"],
                         "#252525", 2.0).add_to(m)
    top = float(routes[C.VICTIMAS].max()) if len(routes) else 1.0
    for r in routes.sort_values(C.VICTIMAS).itertuples():
        if not (np.isfinite(r.x0) and np.isfinite(r.x1)):
            continue
        victims = 0 if pd.isna(r.victimas) else int(r.victimas)
        tip = (f"{html.escape(str(r.origen_nombre))} → {html.escape(str(r.destino_nombre))}: "
               f"{_n(r.n_inspecciones)} {words['inspecciones']}, {_n(r.victimas)} "
               f"{words['victimas']} ({_n(r.victimas_mujeres)} {words['mujeres']}, "
               f"{_n(r.victimas_menores)} {words['menores']})")
        width = 1.5 + 7.0 * math.sqrt(max(victims, 0) / max(top, 1.0))
        if r.ubigeo_origen == r.ubigeo:
            folium.CircleMarker([round(r.y1, ndigits), round(r.x1, ndigits)],
                                radius=2 + width, color="#7a5300", weight=1,
                                fill=True, fill_color=LOCAL_COLOR, fill_opacity=0.75,
                                tooltip=tip).add_to(m)
        else:
            folium.PolyLine([[round(r.y0, ndigits), round(r.x0, ndigits)],
                             [round(r.y1, ndigits), round(r.x1, ndigits)]],
                            color=ROUTE_COLOR, weight=width, opacity=0.75,
                            tooltip=tip).add_to(m)
            folium.CircleMarker([round(r.y0, ndigits), round(r.x0, ndigits)], radius=3,
                                color=ROUTE_COLOR, weight=1, fill=True, fill_color="#ffffff",
                                fill_opacity=1, tooltip=tip).add_to(m)
    rows = [mapview._legend_row(f"background:{ROUTE_COLOR};height:4px", words["rutas"]),
            mapview._legend_row(f"background:#ffffff;border:2px solid {ROUTE_COLOR};"
                                "border-radius:50%", words["origen"]),
            mapview._legend_row(f"background:{LOCAL_COLOR};border-radius:50%",
                                words["local"])]
    _SimpleLegend(words["rutas"].split(" (")[0], rows).placed(districts, height, bounds).add_to(m)
    return mapview.localize_assets(m, static_url)


def services_map(districts: gpd.GeoDataFrame, access: pd.DataFrame, services: gpd.GeoDataFrame,
                 gap: Sequence[str] = (), *, lang: str = "es",
                 type_names: dict[str, str] | None = None,
                 departments: gpd.GeoDataFrame | None = None, static_url: str = "/app/static",
                 height: int = mapview.MAP_HEIGHT, ndigits: int = 4) -> folium.Map:
    """Districts coloured by days to the nearest service, the gap outlined, services as dots.

    ``access`` as :func:`models.planning.services.service_access` (indexed by UBIGEO); ``gap`` the
    UBIGEOs of the districts of high risk and far help (:func:`models.planning.services.gap`).
    """
    words = _words(lang)
    names = type_names or {}
    m = mapview.base_map(list(districts.total_bounds), height)
    layer = districts[[C.UBIGEO, C.DISTRITO, "geometry"]].copy()
    days = access.reindex(layer[C.UBIGEO].astype(str))
    layer["k"] = mapview.classify(days["dias_servicio"].to_numpy(float), DAY_BREAKS)
    layer["d"] = [words["sin"] if not np.isfinite(v) else format_quantity(v, "días", digits=1)
                  for v in days["dias_servicio"].to_numpy(float)]
    layer["s"] = [f"{a} — {names.get(b, b)}" if a else "" for a, b in zip(
        days["servicio_cercano"].fillna(""), days["tipo_servicio_cercano"].fillna(""),
        strict=True)]
    layer = mapview.round_coordinates(layer, ndigits)
    folium.GeoJson(
        layer, name=words["dias"],
        style_function=lambda f: {
            "fillColor": DAY_COLORS[f["properties"]["k"]] if f["properties"]["k"] >= 0
            else mapview.NO_DATA_COLOR, "fillOpacity": 0.85, "color": "#737373",
            "weight": 0.5},
        highlight_function=lambda _f: {"weight": 3, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(fields=[C.DISTRITO, C.UBIGEO, "d", "s"],
                                      aliases=["", "UBIGEO", words["dias"],
                                               words["servicio"]], sticky=True),
        zoom_on_click=False,
    ).add_to(m)
    if departments is not None and len(departments):
        mapview._outline(mapview.round_coordinates(departments, ndigits), words["dep"],
                         "#252525", 2.0).add_to(m)
    flagged = layer[layer[C.UBIGEO].isin(set(gap))]
    if len(flagged):
        mapview._outline(flagged, words["brecha"], "#b2182b", 3.0, dash="5 3").add_to(m)
    # the rarer a type, the larger its dot and the earlier it is drawn: a prosecutor in the
    # same town as a CEM shows as a ring around the CEM's dot
    frequency = services["tipo"].value_counts()
    ordered = services.assign(_n=services["tipo"].map(frequency)).sort_values("_n",
                                                                             kind="stable")
    for row in ordered.itertuples():
        color = SERVICE_COLORS.get(row.tipo, _OTHER_COLOR)
        radius = int(5 + 3 * (frequency.max() > frequency[row.tipo]) + 2 * (
            frequency[row.tipo] == frequency.min() and frequency.min() < frequency.max()))
        folium.CircleMarker([round(row.geometry.y, ndigits), round(row.geometry.x, ndigits)],
                            radius=radius, color="#ffffff", weight=1, fill=True,
                            fill_color=color,
                            fill_opacity=1,
                            tooltip=html.escape(f"{row.nombre} — {names.get(row.tipo, row.tipo)}")
                            ).add_to(m)
    rows = []
    lower = 0.0
    for b, c in zip(DAY_BREAKS, DAY_COLORS, strict=True):
        label = (f"{format_number(lower)} – {format_quantity(b, 'días')}" if math.isfinite(b)
                 else f"≥ {format_quantity(lower, 'días')}")
        rows.append(mapview._legend_row(f"background:{c}", label))
        lower = b
    rows.append(mapview._legend_row("border:2.5px dashed #b2182b;background:none",
                                    words["brecha"]))
    for kind in sorted(set(services["tipo"])):
        rows.append(mapview._legend_row(
            f"background:{SERVICE_COLORS.get(kind, _OTHER_COLOR)};border-radius:50%",
            html.escape(names.get(kind, kind))))
    _SimpleLegend(words["dias"], rows).placed(districts, height).add_to(m)
    return mapview.localize_assets(m, static_url)


class _SimpleLegend(MacroElement):
    """A legend control as the risk map's (its template), without hatch patterns."""

    _template = mapview._Legend._template

    def __init__(self, title: str, rows: list[str]) -> None:
        super().__init__()
        self._name = "Legend"
        self.hatch_id, self.defs = "riskmap-legend-plain", ""
        self.html = mapview.legend_html(title, rows, max_width=260)
        self.position, self.rows = "bottomright", len(rows)
        self.longest = max(len(re.sub(r"<[^>]+>", "", r)) for r in [title, *rows])

    def placed(self, districts: gpd.GeoDataFrame, height: int,
               bounds: Sequence[float] | None = None) -> _SimpleLegend:
        """Return this legend, put in the corner that hides the fewest ``districts``."""
        place_legends([self], districts, height, bounds)
        return self
