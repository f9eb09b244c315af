"""The risk map: a folium choropleth that renders with no internet.

- class breaks from ``mapclassify`` on the districts shown, five classes of ColorBrewer
  ``YlOrRd`` (sequential, lightness falls monotonically, so it reads the same with
  any colour-vision deficiency and in greyscale);
- districts with ``evidencia insuficiente`` hatched over their colour (an SVG pattern,
  no plugin), province and department outlines, optional sector layers and Gi* hot
  spots, a legend and a tooltip with name, UBIGEO, risk, interval and evidence;
- a table layer (one value per district, no geometry) drawn as a choropleth of its own
  (ColorBrewer ``PuBu``) over the risk, districts without a public value hatched grey and
  said so, with its source, years, unit and origin in its legend, tooltip and the layer
  control (:class:`DistrictValues`); districts scored outside the range the weights were
  learnt from outlined in dotted blue;
- every script and style sheet from the app itself (:func:`localize_assets`): Leaflet is
  vendored in ``dashboard/static`` and served by Streamlit's static serving; folium's
  other CDN assets (jQuery, Bootstrap, Font Awesome) are not needed by these maps and
  are dropped. No basemap tiles unless asked for.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import branca
import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
import streamlit_folium as sf
from branca.element import MacroElement
from jinja2 import Template

from dashboard.legend_place import place_legends
from geo import columns as C
from geo.formatting import format_number, format_percent
from geo.geography.display import (  # the display geometry is made in geo, stored at prepare time
    boundary_lines,
    clean_coverage,
    display_digits,
    display_tolerance,
    round_coordinates,
    simplify_coverage,
)
from geo.geography.styles import (  # one classing for the map and every exported layer
    NO_DATA_COLOR,
    PALETTE,
    SCHEMES,
    class_breaks,
    class_colors,
    classify,
)
from geo.messages import t

__all__ = [
    "DistrictValues",
    "FIELDS",
    "HATCH_ID",
    "LAYER_COLORS",
    "LOCAL_ASSETS",
    "MAP_HEIGHT",
    "NO_VALUE_ID",
    "OUT_OF_RANGE_COLOR",
    "TABLE_FIELDS",
    "TABLE_PALETTE",
    "NO_DATA_COLOR",
    "PALETTE",
    "SCHEMES",
    "ZOOM_SNAP",
    "asset_urls",
    "base_map",
    "boundary_lines",
    "class_breaks",
    "classify",
    "clean_coverage",
    "display_digits",
    "display_tolerance",
    "folium_payload",
    "legend_html",
    "localize_assets",
    "metric_scale",
    "risk_features",
    "risk_map",
    "table_features",
    "round_coordinates",
    "simplify_coverage",
    "ubigeo_from_click",
]

ALERT_COLOR = "#7b3294"  # change alerts: purple, apart from the YlOrRd classes
# districts scored at the edge of the learnt range: blue, apart from YlOrRd and the alerts
OUT_OF_RANGE_COLOR = "#2166ac"
# ColorBrewer PuBu, 5 classes (colour-blind safe): a table layer's values, apart from the
# risk's YlOrRd underneath
TABLE_PALETTE = ("#f1eef6", "#bdc9e1", "#74a9cf", "#2b8cbe", "#045a8d")
NO_VALUE_ID = "riskmap-sin-valor"  # the hatch of a district without a public value
# Properties of a table layer's district, in tooltip order (see table_features).
TABLE_FIELDS = ("n", "u", "v", "s")
# a long note or source wraps inside the map instead of running past its edge
TOOLTIP_STYLE = "white-space: normal; width: max-content; max-width: 420px;"
# Okabe-Ito qualitative colours for the sector layers (distinct for every CVD type).
LAYER_COLORS = ("#0072B2", "#009E73", "#CC79A7", "#56B4E9", "#000000", "#E69F00")
HATCH_ID = "riskmap-hatch"
MAP_HEIGHT = 560  # px: the whole map fits a 1366x768 laptop screen
# Properties of a district feature, in tooltip order (see risk_features).
FIELDS = ("n", "u", "r", "i", "e")
ZOOM_SNAP = 0.25

# Vendored files under dashboard/static (see dashboard/static/README.md).
LEAFLET_DIR = "leaflet-1.9.3"
LOCAL_ASSETS = {
    "leaflet": f"{LEAFLET_DIR}/leaflet.js",
    "leaflet_css": f"{LEAFLET_DIR}/leaflet.css",
}


# --- offline assets ------------------------------------------------------------------------
def asset_urls(fig: folium.Element) -> tuple[list[str], list[str]]:
    """Every JS and CSS URL the browser will load for ``fig`` (as streamlit-folium collects).

    Walks the element tree like ``streamlit_folium.st_folium`` does, including the d3
    scripts it adds for a branca colour map (which :func:`risk_map` never uses).
    """
    js: list[str] = []
    css: list[str] = []
    for elem in _walk(fig):
        if isinstance(elem, branca.colormap.ColorMap):
            js.append("https://d3js.org/d3.v4.min.js")
        js.extend(url for _, url in getattr(elem, "default_js", []))
        css.extend(url for _, url in getattr(elem, "default_css", []))
    return list(dict.fromkeys(js)), list(dict.fromkeys(css))


def localize_assets(fig: folium.Element, static_url: str) -> folium.Element:
    """Point every asset of ``fig`` at the app's static folder; drop the ones not needed.

    Parameters
    ----------
    fig : folium.Element
        A map built by :func:`risk_map` (or any folium element tree).
    static_url : str
        URL prefix of ``dashboard/static`` as the browser sees it (e.g. ``/app/static``).

    Returns
    -------
    folium.Element
        ``fig``, changed in place: each element's ``default_js``/``default_css`` set on the
        instance (folium's class-level lists are left alone).
    """
    base = static_url.rstrip("/")
    for elem in _walk(fig):
        for attr in ("default_js", "default_css"):
            items = getattr(elem, attr, None)
            if not items:
                continue
            local = [(name, f"{base}/{LOCAL_ASSETS[name]}") for name, _ in items
                     if name in LOCAL_ASSETS]
            setattr(elem, attr, local)
    return fig


def folium_payload(fig: folium.Map) -> dict[str, Any]:
    """Render ``fig`` once into what ``st_folium`` sends to its browser component.

    ``st_folium`` renders the whole folium tree (twice, plus the bounds of every
    coordinate) on every run of the page; this does it once, so the result can be cached
    and handed to :func:`dashboard.ui.folium_component` on later runs. The steps and their
    order are ``streamlit_folium.st_folium``'s.

    Returns
    -------
    dict
        ``script``, ``header``, ``html``, ``id``, ``bounds``, ``zoom``, ``css_links``,
        ``js_links`` (plain strings, lists and numbers: picklable).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"ubigeo": ["080101"], "distrito": ["A"], "riesgo": [0.1]},
    ...                      geometry=[box(0, 0, 1, 1)], crs=4326)
    >>> p = folium_payload(risk_map(g, [0.1]))
    >>> p["id"], p["js_links"], "L.geoJson" in p["script"]
    ('map_div', ['/app/static/leaflet-1.9.3/leaflet.js'], True)
    """
    fig.get_root().render()
    fig.render()
    html = sf._get_html(fig)
    header = sf._get_header(fig)
    script = sf._get_map_string(fig)  # renames the map's variable: get its id after
    js, css = asset_urls(fig)
    return {
        "script": script, "header": header, "html": html, "id": sf.get_full_id(fig),
        "bounds": fig.get_bounds(), "zoom": fig.options.get("zoom"),
        "css_links": css, "js_links": js,
    }


def _walk(elem: Any):
    yield elem
    for child in getattr(elem, "_children", {}).values():
        yield from _walk(child)


# --- the map ---------------------------------------------------------------------------------
#: The map's tooltip and legend words (catalogue keys ``mapa.etiqueta.<name>``).
_LABEL_NAMES = ("distrito", "ubigeo", "riesgo", "intervalo", "evidencia", "titulo", "insuf",
                "hot", "insuf_nopub", "sin", "prov", "dep", "alerta", "nopub", "nota", "fuente",
                "fuera")
#: An ``evidencia`` value -> its word on the map (``mapa.etiqueta.evid.<key>``).
_EVIDENCE_WORDS = {"evidencia insuficiente": "insuficiente", "limitada": "limitada",
                   "suficiente": "suficiente", "no publicada": "no_publicada"}


def map_labels(lang: str) -> dict[str, Any]:
    """Return the map's words in ``lang``: ``{name: text}``, and ``evid``: ``{evidencia: text}``.

    >>> map_labels("en")["intervalo"], map_labels("es")["evid"]["limitada"]
    ('90% interval', 'limitada')
    """
    labels: dict[str, Any] = {name: t(f"mapa.etiqueta.{name}", lang=lang)
                              for name in _LABEL_NAMES}
    labels["evid"] = {value: t(f"mapa.etiqueta.evid.{key}", lang=lang)
                      for value, key in _EVIDENCE_WORDS.items()}
    return labels


@dataclass(frozen=True)
class DistrictValues:
    """A table layer drawn on the map: one value per district, said in its unit.

    Parameters
    ----------
    title : str
        The layer's plain name (``"Minería"``).
    byline : str
        Its source, years, unit and origin (``"MapBiomas Perú · 2020 · ha · real"``).
    values : Series
        The district values (float, NaN where the source gives none), indexed by UBIGEO.
    texts : Series
        Each value as people read it (``"919 ha"``, ``"sin dato público"``), by UBIGEO.
    breaks : list of float
        Class upper bounds of the values shown (:func:`class_breaks`).
    format_value : callable
        Writes a class bound for the legend (``lambda v: "919 ha"``).
    no_value : str
        The words of a district without a value (``"sin dato público"``).
    """

    title: str
    byline: str
    values: pd.Series
    texts: pd.Series
    breaks: list[float] = field(default_factory=list)
    format_value: Callable[[float], str] = str
    no_value: str = "sin dato público"

    @property
    def name(self) -> str:
        """What the layer control and the legend call it: name and byline."""
        return f"{self.title} — {self.byline}" if self.byline else self.title


def risk_map(
    layer: gpd.GeoDataFrame,
    breaks: Sequence[float],
    *,
    lang: str = "es",
    provinces: gpd.GeoDataFrame | None = None,
    departments: gpd.GeoDataFrame | None = None,
    sectors: Mapping[str, gpd.GeoDataFrame] | None = None,
    hotspots: Sequence[str] = (),
    basemap: bool = False,
    static_url: str = "/app/static",
    height: int = MAP_HEIGHT,
    features: dict | None = None,
    ndigits: int = 4,
    labels: Mapping[str, Any] | None = None,
    alerts: Sequence[str] = (),
    tables: Sequence[DistrictValues] = (),
    out_of_range: Sequence[str] = (),
) -> folium.Map:
    """Build the risk choropleth as a folium map whose assets are all local.

    Parameters
    ----------
    layer : GeoDataFrame
        Districts with at least ``ubigeo, distrito, riesgo``; ``riesgo_p05``,
        ``riesgo_p95``, ``evidencia``, ``provincia`` are used when present.
    breaks : sequence of float
        Class upper bounds (:func:`class_breaks`).
    lang : {"es", "en"}
        Language of the tooltip and legend.
    provinces, departments : GeoDataFrame, optional
        Outlines drawn on top, not clickable: polygons or lines (:func:`boundary_lines`).
    sectors : mapping of str to GeoDataFrame, optional
        Sector layers to draw, by display name (polygons outlined, points as dots).
    hotspots : sequence of str
        UBIGEOs of hot-spot districts, outlined in black.
    alerts : sequence of str
        UBIGEOs of districts with a change alert (recent findings above their record,
        :mod:`models.risk.recency`), outlined in purple.
    tables : sequence of DistrictValues
        Table layers drawn as choropleths over the risk (each with its legend, bottom
        left, and its place in the layer control); districts without a value hatched grey.
    out_of_range : sequence of str
        UBIGEOs of districts scored outside the range the weights were learnt from
        (``fuera_rango``), outlined in dotted blue.
    basemap : bool
        Add OpenStreetMap tiles (needs internet; off by default).
    static_url : str
        URL prefix of ``dashboard/static`` (see :func:`localize_assets`).
    height : int
        Height in pixels of the map's element.
    features : dict, optional
        ``risk_features(layer, breaks, lang, ndigits)`` computed (and cached) beforehand.
    ndigits : int
        Decimals kept in the coordinates sent to the browser.
    labels : mapping, optional
        Words replacing the risk map's (``titulo``, ``riesgo``, ``intervalo``,
        ``evidencia``, ``insuf``…): the same map shows any rate by district.

    Returns
    -------
    folium.Map

    Examples
    --------
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"ubigeo": ["080101", "080102"], "distrito": ["A", "B"],
    ...                       "riesgo": [0.1, 0.3]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
    ...                      crs=4326)
    >>> m = risk_map(g, [0.1, 0.3])
    >>> asset_urls(m)
    (['/app/static/leaflet-1.9.3/leaflet.js'], ['/app/static/leaflet-1.9.3/leaflet.css'])
    """
    labels = {**map_labels(lang), **(labels or {})}
    colors = class_colors(len(breaks))
    bounds = layer.total_bounds if len(layer) else np.array([-76.0, -15.0, -69.0, -2.0])
    m = base_map(bounds, height, basemap)

    data = features if features is not None else risk_features(layer, breaks, lang, ndigits,
                                                               labels)
    aliases = [labels["distrito"], labels["ubigeo"], labels["riesgo"], labels["intervalo"],
               labels["evidencia"]]
    fields = list(FIELDS)
    if data["features"] and "x" in data["features"][0]["properties"]:
        fields.append("x")  # what the district's data lacks or exceeds (risk_features)
        aliases.append(labels["nota"])
    folium.GeoJson(
        data,
        name=labels["titulo"],
        style_function=lambda f: _risk_style(f, colors),
        highlight_function=lambda _f: {"weight": 3, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(fields=fields, aliases=aliases, sticky=True,
                                      style=TOOLTIP_STYLE),
        zoom_on_click=False,
    ).add_to(m)
    has_insufficient = any(f["properties"].get("h") for f in data["features"])
    if any(f["properties"].get("h") == 2 for f in data["features"]):
        labels = {**labels, "insuf": labels["insuf_nopub"]}  # the legend names both kinds

    if departments is not None and len(departments):
        _outline(round_coordinates(departments, ndigits), labels["dep"], "#252525",
                 2.2).add_to(m)
    if provinces is not None and len(provinces):
        _outline(round_coordinates(provinces, ndigits), labels["prov"], "#525252",
                 0.9).add_to(m)

    hot = layer[layer[C.UBIGEO].isin(set(hotspots))]
    if len(hot):
        _outline(round_coordinates(hot, ndigits), labels["hot"], "#000000", 3.0,
                 dash="6 4").add_to(m)

    flagged = layer[layer[C.UBIGEO].isin(set(alerts))]
    if len(flagged):
        _outline(round_coordinates(flagged, ndigits), labels["alerta"], ALERT_COLOR, 4.0,
                 dash="6 3").add_to(m)

    beyond = layer[layer[C.UBIGEO].isin(set(out_of_range))]
    if len(beyond):
        _outline(round_coordinates(beyond, ndigits), labels["fuera"], OUT_OF_RANGE_COLOR, 3.5,
                 dash="3 4").add_to(m)

    for i, (name, gdf) in enumerate((sectors or {}).items()):
        _sector(round_coordinates(gdf, ndigits), name,
                LAYER_COLORS[i % len(LAYER_COLORS)]).add_to(m)

    legends = []
    for values in tables:
        shown = table_features(layer, values, ndigits)
        _table_layer(shown, values, labels).add_to(m)
        legends.append(_TableLegend(values, shown))
    if sectors or tables:  # the layers by name and source (an icon; opens on hover)
        folium.LayerControl(position="topright", collapsed=True).add_to(m)

    no_data = any(f["properties"].get("k") == -1 and not f["properties"].get("h")
                  for f in data["features"])
    legends.insert(0, _Legend(breaks, colors, labels, has_insufficient=has_insufficient,
                              has_hot=bool(len(hot)), sectors=list((sectors or {}).keys()),
                              has_alert=bool(len(flagged)), has_no_data=no_data,
                              has_range=bool(len(beyond))))
    place_legends(legends, layer, height, bounds)  # in the corners that hide no district
    for legend in legends:
        legend.add_to(m)
    return localize_assets(m, static_url)


def base_map(bounds: Sequence[float], height: int = MAP_HEIGHT,
             basemap: bool = False) -> folium.Map:
    """Return the empty map every riskmap view starts from, fitted to ``bounds``.

    >>> base_map([-76.0, -15.0, -69.0, -2.0]).options["zoom_snap"]
    0.25
    """
    m = folium.Map(
        location=[(bounds[1] + bounds[3]) / 2, (bounds[0] + bounds[2]) / 2],
        zoom_start=6,
        tiles=None,
        control_scale=False,  # Leaflet's own shows miles too: metric_scale below
        height=height,
        # quarter zoom steps: fit_bounds fills the frame instead of falling back a whole
        # level (Cusco alone left half the frame empty at integer zooms)
        zoom_snap=ZOOM_SNAP,
        zoom_delta=0.5,
        # Leaflet's keyboard handler focuses the map on mousedown; when the map is partly
        # below the window's edge the browser then scrolls the page between mousedown and
        # mouseup and the click lands on another district. Zoom and pan keep their buttons
        # and the mouse.
        keyboard=False,
    )
    if basemap:
        folium.TileLayer("OpenStreetMap", name="OpenStreetMap", overlay=False).add_to(m)
    m.fit_bounds([[bounds[1], bounds[0]], [bounds[3], bounds[2]]])
    metric_scale(m)
    return m


def legend_html(title: str, rows: Sequence[str], max_width: int | None = None) -> str:
    """Return the box of a map legend: a bold title over ``rows`` (:func:`_legend_row`)."""
    width = f";max-width:{max_width}px" if max_width else ""
    return (
        '<div style="background:rgba(255,255,255,.92);padding:6px 9px;border-radius:4px;'
        f'font:12px/1.35 sans-serif;color:#222;box-shadow:0 1px 4px rgba(0,0,0,.3){width}">'
        f'<b>{html.escape(title)}</b>' + "".join(rows) + "</div>"
    )


def risk_features(layer: gpd.GeoDataFrame, breaks: Sequence[float], lang: str = "es",
                  ndigits: int = 4, labels: Mapping[str, Any] | None = None,
                  notes: Mapping[str, str] | None = None) -> dict:
    """Return the districts as the GeoJSON FeatureCollection the map sends to the browser.

    Only what the tooltip and the style need travels, under short names (:data:`FIELDS`):
    ``u`` UBIGEO, ``n`` "district (province)", ``r`` risk, ``i`` interval, ``e`` evidence,
    all as display text in ``lang``; ``k`` the class index (-1 = no data) and ``h`` = 1
    for districts with insufficient evidence (hatched). Coordinates are rounded to
    ``ndigits`` decimals. ``notes`` (UBIGEO -> text: the layers a district has no public
    value of, the features it is scored outside the learnt range of) adds ``x`` to every
    district when any has one (``"—"`` where none).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"ubigeo": ["080101"], "distrito": ["Cusco"],
    ...                       "provincia": ["Cusco"], "riesgo": [0.1234],
    ...                       "riesgo_p05": [0.05], "riesgo_p95": [0.2],
    ...                       "evidencia": ["evidencia insuficiente"]},
    ...                      geometry=[box(-72.00004, -13.5, -71.9, -13.4)], crs=4326)
    >>> f = risk_features(g, [0.2], "en", ndigits=3)["features"][0]
    >>> sorted(f["properties"].items())  # doctest: +NORMALIZE_WHITESPACE
    [('e', 'insufficient evidence'), ('h', 1), ('i', '5.0% – 20.0%'), ('k', 0),
     ('n', 'Cusco (Cusco)'), ('r', '12.3%'), ('u', '080101')]
    >>> f["geometry"]["coordinates"][0][0]
    [-71.9, -13.5]
    """
    labels = {**map_labels(lang), **(labels or {})}
    risk = layer[C.RIESGO].astype(float)
    name = layer[C.DISTRITO].astype(str)
    if C.PROVINCIA in layer:
        name = name + " (" + layer[C.PROVINCIA].astype(str) + ")"
    if C.RIESGO_P05 in layer and C.RIESGO_P95 in layer:
        lo = layer[C.RIESGO_P05].astype(float)
        hi = layer[C.RIESGO_P95].astype(float)
        # a withheld interval (models.risk.disclosure) says so, not "? – ?"
        interval = [f"{_pct(a, '?')} – {_pct(b, '?')}" if np.isfinite(a) or np.isfinite(b)
                    else labels["nopub"] for a, b in zip(lo, hi, strict=True)]
    else:
        interval = [labels["sin"]] * len(layer)
    evid = layer[C.EVIDENCIA].astype(str) if C.EVIDENCIA in layer else pd.Series(
        "", index=layer.index)
    geoms = shapely.to_geojson(
        shapely.transform(layer.geometry.to_numpy(), lambda xy: np.round(xy, ndigits)))
    with_notes = bool(notes) and any(notes.values())
    features = []
    for u, n, r, i, e, k, g in zip(
        layer[C.UBIGEO].astype(str), name, risk.map(lambda v: _pct(v, labels["sin"])),
        interval, evid, classify(risk, breaks), geoms, strict=True,
    ):
        props = {"u": u, "n": n, "r": r, "i": i, "e": labels["evid"].get(e, e), "k": int(k)}
        if with_notes:
            props["x"] = notes.get(u) or "—"
        if e == C.EVIDENCIA_INSUFICIENTE:
            props["h"] = 1
        elif e == C.EVIDENCIA_NO_PUBLICADA:  # its features only: hatched the same way
            props["h"] = 2
        features.append({"type": "Feature", "properties": props, "geometry": json.loads(g)})
    return {"type": "FeatureCollection", "features": features}


def _pct(value: float, missing: str) -> str:
    return missing if not np.isfinite(value) else format_percent(value, digits=1)


def _risk_style(feature: dict, colors: list[str]) -> dict:
    props = feature["properties"]
    k = int(props["k"])
    fill = colors[k] if 0 <= k < len(colors) else NO_DATA_COLOR
    if props.get("h"):  # hatched over its own class colour: one layer, no second copy
        fill = f"url(#{_hatch_id(k if 0 <= k < len(colors) else -1)})"
    return {"fillColor": fill, "fillOpacity": 0.85, "color": "#737373", "weight": 0.5}


def _hatch_id(k: int) -> str:
    return f"{HATCH_ID}-{k}" if k >= 0 else f"{HATCH_ID}-x"


def _outline(gdf: gpd.GeoDataFrame, name: str, color: str, weight: float,
             dash: str | None = None) -> folium.GeoJson:
    style = {"fill": False, "color": color, "weight": weight, "interactive": False}
    if dash:
        style["dashArray"] = dash
    return folium.GeoJson(gdf[["geometry"]], name=name, style_function=lambda _f: style,
                          interactive=False)


def _sector(gdf: gpd.GeoDataFrame, name: str, color: str) -> folium.GeoJson:
    points = gdf.geom_type.isin(["Point", "MultiPoint"]).all()
    if points:
        return folium.GeoJson(
            gdf[["geometry"]], name=name,
            marker=folium.CircleMarker(radius=3, fill=True, fill_opacity=0.9, weight=1),
            # for points the style is merged into the marker's options when it is created
            style_function=lambda _f: {"color": "#ffffff", "fillColor": color, "weight": 0.5,
                                       "interactive": False},
            interactive=False,
        )
    return folium.GeoJson(
        gdf[["geometry"]], name=name,
        style_function=lambda _f: {"color": color, "weight": 1.2, "fillColor": color,
                                   "fillOpacity": 0.25},
        interactive=False,
    )


def table_features(layer: gpd.GeoDataFrame, values: DistrictValues, ndigits: int = 4) -> dict:
    """Return the districts of ``layer`` with a table layer's values, as the map sends them.

    Short names as :func:`risk_features`: ``n`` "district (province)", ``u`` UBIGEO, ``v``
    the value as people read it (``values.texts``; ``values.no_value`` where there is
    none), ``s`` the layer's byline; ``k`` the class (-1: no value, hatched grey).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"ubigeo": ["081203", "080101"], "distrito": ["Camanti", "Cusco"]},
    ...                      geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4326)
    >>> dv = DistrictValues("Minería", "MapBiomas · 2020 · ha · real",
    ...                     pd.Series({"081203": 919.08, "080101": float("nan")}),
    ...                     pd.Series({"081203": "919 ha"}), breaks=[919.08])
    >>> [sorted(f["properties"].items()) for f in table_features(g, dv)["features"]]
    ... # doctest: +NORMALIZE_WHITESPACE
    [[('k', 0), ('n', 'Camanti'), ('s', 'MapBiomas · 2020 · ha · real'), ('u', '081203'),
      ('v', '919 ha')],
     [('k', -1), ('n', 'Cusco'), ('s', 'MapBiomas · 2020 · ha · real'), ('u', '080101'),
      ('v', 'sin dato público')]]
    """
    codes = layer[C.UBIGEO].astype(str)
    name = layer[C.DISTRITO].astype(str) if C.DISTRITO in layer else codes
    if C.PROVINCIA in layer:
        name = name + " (" + layer[C.PROVINCIA].astype(str) + ")"
    numbers = pd.to_numeric(values.values.reindex(codes.to_numpy()), errors="coerce")
    texts = values.texts.reindex(codes.to_numpy())
    geoms = shapely.to_geojson(
        shapely.transform(layer.geometry.to_numpy(), lambda xy: np.round(xy, ndigits)))
    features = []
    for u, n, v, text, k, g in zip(codes, name, numbers, texts,
                                   classify(numbers.to_numpy(float), values.breaks), geoms,
                                   strict=True):
        has = bool(np.isfinite(v))
        shown = str(text) if has and isinstance(text, str) and text else (
            values.no_value if not has else format_number(v))
        props = {"u": u, "n": n, "v": shown, "s": values.byline, "k": int(k) if has else -1}
        features.append({"type": "Feature", "properties": props, "geometry": json.loads(g)})
    return {"type": "FeatureCollection", "features": features}


def _table_layer(data: dict, values: DistrictValues, labels: Mapping[str, Any]
                 ) -> folium.GeoJson:
    colors = _table_colors(len(values.breaks))

    def style(feature: dict) -> dict:
        k = int(feature["properties"]["k"])
        fill = colors[k] if 0 <= k < len(colors) else f"url(#{NO_VALUE_ID})"
        return {"fillColor": fill, "fillOpacity": 0.9, "color": "#737373", "weight": 0.5}

    return folium.GeoJson(
        data,
        name=values.name,
        style_function=style,
        highlight_function=lambda _f: {"weight": 3, "color": "#000000"},
        tooltip=folium.GeoJsonTooltip(
            fields=list(TABLE_FIELDS),
            aliases=[labels["distrito"], labels["ubigeo"], values.title, labels["fuente"]],
            sticky=True, style=TOOLTIP_STYLE),
        zoom_on_click=False,
    )


def _table_colors(n: int) -> list[str]:
    if n <= 0:
        return []
    pick = np.round(np.linspace(0, len(TABLE_PALETTE) - 1, n)).astype(int)
    return [TABLE_PALETTE[i] for i in pick]


def _class_texts(breaks: Sequence[float], lowest: float,
                 fmt: Callable[[float], str]) -> list[str]:
    """Legend text of each class: its range, or its one value when it holds one."""
    texts, lower, single = [], lowest, True
    for b in breaks:
        if abs(b - lower) <= 1e-9 * max(1.0, abs(b)):
            texts.append(fmt(b))
            single = True
        else:
            texts.append(f"{'> ' if single and texts else ''}{fmt(lower)} – {fmt(b)}")
            single = False
        lower = b
    return texts


class _TableLegend(MacroElement):
    """A table layer's legend (bottom left): name, source line, classes, no-value hatch."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            if (!document.getElementById({{ this.hatch_id|tojson }})) {
                document.body.insertAdjacentHTML("beforeend", {{ this.defs|tojson }});
            }
            var legend = L.control({position: {{ this.position|tojson }}});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "riskmap-legend-capa");
                div.innerHTML = {{ this.html|tojson }};
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, values: DistrictValues, data: dict) -> None:
        super().__init__()
        self._name = "TableLegend"
        self.hatch_id = NO_VALUE_ID
        self.defs = (
            '<svg width="0" height="0" style="position:absolute" aria-hidden="true"><defs>'
            f'<pattern id="{NO_VALUE_ID}" width="6" height="6" patternUnits="userSpaceOnUse" '
            f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{NO_DATA_COLOR}"/>'
            '<line x1="0" y1="0" x2="0" y2="6" stroke="#ffffff" stroke-width="2"/></pattern>'
            '</defs></svg>')
        shown = [f["properties"] for f in data["features"]]
        numbers = pd.to_numeric(values.values.reindex([p["u"] for p in shown]),
                                errors="coerce").dropna()
        lowest = float(numbers.min()) if len(numbers) else 0.0
        colors = _table_colors(len(values.breaks))
        rows = [f'<div style="color:#444;margin-top:1px">{html.escape(values.byline)}</div>']
        for color, text in zip(colors, _class_texts(values.breaks, lowest, values.format_value),
                               strict=True):
            rows.append(_legend_row(f"background:{color}", html.escape(text)))
        missing = sum(1 for p in shown if p["k"] == -1)
        if missing:
            rows.append(_legend_row(
                f"background:repeating-linear-gradient(45deg,{NO_DATA_COLOR} 0 3px,#fff 3px "
                "5px)", html.escape(f"{values.no_value} ({missing})")))
        self.html = legend_html(values.title, rows, max_width=320)
        # where legend_place puts it: bottom left unless that hides more districts
        self.position, self.rows, self.max_width = "bottomleft", len(rows) + 1, 320
        self.longest = max(len(values.title), len(values.byline))


class _Legend(MacroElement):
    """Legend as a Leaflet control, and the SVG hatch pattern the map refers to."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
        (function() {
            if (!document.getElementById({{ this.hatch_id|tojson }} + "-x")) {
                document.body.insertAdjacentHTML("beforeend", {{ this.defs|tojson }});
            }
            var legend = L.control({position: {{ this.position|tojson }}});
            legend.onAdd = function () {
                var div = L.DomUtil.create("div", "riskmap-legend");
                div.innerHTML = {{ this.html|tojson }};
                return div;
            };
            legend.addTo({{ this._parent.get_name() }});
        })();
        {% endmacro %}
        """
    )

    def __init__(self, breaks, colors, labels, has_insufficient, has_hot, sectors,
                 has_alert=False, has_no_data=False, has_range=False):
        super().__init__()
        self._name = "Legend"
        self.hatch_id = HATCH_ID
        # one hatch pattern per class, over that class's colour (and one over "no data")
        patterns = "".join(
            f'<pattern id="{_hatch_id(k)}" width="6" height="6" patternUnits="userSpaceOnUse" '
            f'patternTransform="rotate(45)"><rect width="6" height="6" fill="{color}"/>'
            '<line x1="0" y1="0" x2="0" y2="6" stroke="#252525" stroke-width="1.6" '
            'stroke-opacity="0.8"/></pattern>'
            for k, color in [*enumerate(colors), (-1, NO_DATA_COLOR)]
        )
        self.defs = ('<svg width="0" height="0" style="position:absolute" aria-hidden="true">'
                     f'<defs>{patterns}</defs></svg>')
        rows = []
        lower = 0.0
        single = False  # the previous class held one value: this one starts above it
        for b, c in zip(breaks, colors, strict=True):
            if abs(b - lower) < 5e-4:
                text, single = format_percent(b), True  # a class of one value: say it
            else:
                text = (f"> {format_percent(lower)} – {format_percent(b)}" if single else
                        f"{format_percent(lower)} – {format_percent(b)}")
                single = False
            rows.append(_legend_row(f"background:{c}", text))
            lower = b
        if has_no_data:
            rows.append(_legend_row(f"background:{NO_DATA_COLOR}", labels["sin"]))
        if has_insufficient:
            rows.append(_legend_row(
                "background:repeating-linear-gradient(45deg,#fff 0 2px,#444 2px 4px)",
                labels["insuf"]))
        if has_hot:
            rows.append(_legend_row("border:2.5px dashed #000;background:none", labels["hot"]))
        if has_alert:
            rows.append(_legend_row(f"border:3px dashed {ALERT_COLOR};background:none",
                                    labels["alerta"]))
        if has_range:
            rows.append(_legend_row(f"border:2.5px dotted {OUT_OF_RANGE_COLOR};background:none",
                                    labels["fuera"]))
        for i, name in enumerate(sectors):
            color = LAYER_COLORS[i % len(LAYER_COLORS)]
            rows.append(_legend_row(f"background:{color};opacity:.7", html.escape(name)))
        self.html = legend_html(labels["titulo"], rows)
        self.position, self.rows = "bottomright", len(rows)  # legend_place may move it
        self.longest = max(len(re.sub(r"<[^>]+>", "", r)) for r in [labels["titulo"], *rows])


def _legend_row(swatch_style: str, text: str) -> str:
    return (
        '<div style="display:flex;align-items:center;gap:6px;margin-top:3px">'
        f'<span style="display:inline-block;width:16px;height:12px;border:1px solid #777;'
        f'{swatch_style}"></span><span>{text}</span></div>'
    )


_UBIGEO_RE = re.compile(r"\b(\d{6})\b")


def ubigeo_from_click(result: Mapping[str, Any] | None,
                      layer: gpd.GeoDataFrame | None = None) -> str | None:
    """Return the UBIGEO of the district clicked on an ``st_folium`` map, or None.

    Reads the 6-digit code from the tooltip text of the clicked shape; when there is
    none (a click on an outline or a hot spot) and ``layer`` is given, finds the
    district under the clicked point.

    >>> ubigeo_from_click({"last_object_clicked_tooltip": "Distrito Santa Ana UBIGEO 080901"})
    '080901'
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"ubigeo": ["160101"]}, geometry=[box(0, 0, 1, 1)], crs=4326)
    >>> ubigeo_from_click({"last_object_clicked": {"lat": 0.5, "lng": 0.5}}, g)
    '160101'
    >>> ubigeo_from_click(None) is None
    True
    """
    if not result:
        return None
    text = result.get("last_object_clicked_tooltip") or ""
    found = _UBIGEO_RE.search(str(text))
    if found:
        return found.group(1)
    point = result.get("last_object_clicked")
    if layer is not None and isinstance(point, Mapping) and "lat" in point:
        hit = layer[layer.contains(shapely.Point(point["lng"], point["lat"]))]
        if len(hit):
            return str(hit.iloc[0][C.UBIGEO])
    return None


class _MetricScale(MacroElement):
    _template = Template("""
        {% macro script(this, kwargs) %}
        L.control.scale({metric: true, imperial: false}).addTo({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self) -> None:
        super().__init__()
        self._name = "MetricScale"


def metric_scale(m: folium.Map) -> folium.Map:
    """Add a scale bar in metres and kilometres only (Leaflet's default also shows miles).

    >>> m = metric_scale(folium.Map(tiles=None))
    >>> "imperial: false" in m.get_root().render()
    True
    """
    _MetricScale().add_to(m)
    return m
