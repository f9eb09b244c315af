"""Map classes and the styles that carry them into QGIS and GeoServer.

The dashboard's map and every exported risk layer share one classing: five quantile classes
of the districts' risk (:func:`class_breaks`, mapclassify) coloured with ColorBrewer's YlOrRd,
and a hatching over the districts whose evidence is insufficient. An export carries the class
in a ``clase`` column (1 = lowest) and the style itself:

- GeoPackage: the ``layer_styles`` table QGIS reads and writes (QML and SLD, default style
  on), so the layer opens coloured and hatched as on the map;
- GeoJSON: ``<name>.qml`` (QGIS loads it with the layer) and ``<name>.sld`` beside the file.

The QML is a rule-based renderer (one rule per class, one for the hatching, one for districts
without a published risk); the SLD is Styled Layer Descriptor 1.0 with the same rules.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

import mapclassify
import numpy as np

from geo import columns as C
from geo.formatting import format_percent

__all__ = [
    "CLASE",
    "HATCH_COLOR",
    "NO_DATA_COLOR",
    "PALETTE",
    "SCHEMES",
    "class_breaks",
    "class_colors",
    "class_labels",
    "classify",
    "qml",
    "sld",
    "write_gpkg_style",
]

# ColorBrewer YlOrRd, 5 classes: marked colour-blind safe by ColorBrewer.
PALETTE = ("#ffffb2", "#fecc5c", "#fd8d3c", "#f03b20", "#bd0026")
NO_DATA_COLOR = "#bdbdbd"
HATCH_COLOR = "#404040"
OUTLINE_COLOR = "#6e6e6e"
SCHEMES = ("quantiles", "fisher_jenks", "equal_interval")
#: Column of an export that holds the map class (1 = lowest risk, empty = no published risk).
CLASE = "clase"
PALETTE_KIND = "class"


def class_breaks(values: Sequence[float], scheme: str = "quantiles", k: int = 5) -> list[float]:
    """Upper bounds of ``k`` classes of ``values`` by a mapclassify ``scheme``.

    Parameters
    ----------
    values : sequence of float
        The risks of the districts shown (NaN ignored).
    scheme : {"quantiles", "fisher_jenks", "equal_interval"}
    k : int
        Number of classes (fewer when there are fewer distinct values).

    Returns
    -------
    list of float
        Increasing upper bounds; the last is the maximum.

    Examples
    --------
    >>> class_breaks([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0], "equal_interval", 3)
    [0.4, 0.7, 1.0]
    >>> class_breaks([0.2, 0.2, 0.2])
    [0.2]
    """
    y = np.asarray(values, dtype=float)
    y = y[np.isfinite(y)]
    if y.size == 0:
        return []
    distinct = np.unique(y)
    if distinct.size <= k:
        return [float(v) for v in distinct]
    klass = {
        "quantiles": mapclassify.Quantiles,
        "fisher_jenks": mapclassify.FisherJenks,
        "equal_interval": mapclassify.EqualInterval,
    }.get(scheme)
    if klass is None:
        raise ValueError(f"scheme must be one of {SCHEMES}, got {scheme!r}")
    bins = np.unique(np.round(klass(y, k=k).bins, 10))
    return [float(b) for b in bins]


def classify(values: Sequence[float], breaks: Sequence[float]) -> np.ndarray:
    """Class index (0 = lowest) of each value for ``breaks``; -1 for NaN.

    >>> classify([0.05, 0.5, 0.95, float("nan")], [0.1, 0.6, 1.0]).tolist()
    [0, 1, 2, -1]
    """
    y = np.asarray(values, dtype=float)
    idx = np.searchsorted(np.asarray(breaks, dtype=float), y, side="left")
    idx = np.minimum(idx, max(len(breaks) - 1, 0))
    return np.where(np.isfinite(y), idx, -1)


def class_colors(n: int) -> list[str]:
    """``n`` colours spread over the palette, light to dark.

    >>> class_colors(2)
    ['#ffffb2', '#bd0026']
    """
    if n <= 0:
        return []
    pick = np.round(np.linspace(0, len(PALETTE) - 1, n)).astype(int)
    return [PALETTE[i] for i in pick]


def class_labels(breaks: Sequence[float], lo: float | None = None) -> list[str]:
    """Spanish labels of the classes of ``breaks`` in percent, as CLDR es_PE writes them.

    >>> class_labels([0.05, 0.125], lo=0.01)
    ['1.0%–5.0%', '5.0%–12.5%']
    """
    edges = [lo if lo is not None else 0.0, *breaks]

    def pct(x: float) -> str:
        return format_percent(x, "es", digits=1)

    return [f"{pct(a)}–{pct(b)}" for a, b in zip(edges[:-1], edges[1:], strict=True)]


# --- QGIS (QML) -------------------------------------------------------------------------
def _rgba(hex_color: str, alpha: int = 255) -> str:
    h = hex_color.lstrip("#")
    return f"{int(h[0:2], 16)},{int(h[2:4], 16)},{int(h[4:6], 16)},{alpha}"


def _options(props: dict[str, str], indent: str) -> str:
    inner = "".join(f'{indent}  <Option type="QString" name="{k}" value={quoteattr(v)}/>\n'
                    for k, v in props.items())
    return f'{indent}<Option type="Map">\n{inner}{indent}</Option>\n'


def _fill_symbol(name: str, color: str, alpha: int = 255) -> str:
    props = {"color": _rgba(color, alpha), "outline_color": _rgba(OUTLINE_COLOR),
             "outline_style": "solid", "outline_width": "0.2", "outline_width_unit": "MM",
             "style": "solid"}
    return (f'    <symbol type="fill" name="{name}" alpha="1" clip_to_extent="1" '
            'force_rhr="0">\n'
            '      <layer class="SimpleFill" enabled="1" locked="0" pass="0">\n'
            + _options(props, "        ") + "      </layer>\n    </symbol>\n")


def _hatch_symbol(name: str) -> str:
    line = {"line_color": _rgba(HATCH_COLOR), "line_width": "0.25",
            "line_width_unit": "MM", "line_style": "solid"}
    fill = {"angle": "45", "distance": "2", "distance_unit": "MM",
            "color": _rgba(HATCH_COLOR), "line_width": "0.25", "line_width_unit": "MM"}
    return (f'    <symbol type="fill" name="{name}" alpha="1" clip_to_extent="1" '
            'force_rhr="0">\n'
            '      <layer class="LinePatternFill" enabled="1" locked="0" pass="0">\n'
            + _options(fill, "        ")
            + f'        <symbol type="line" name="@{name}@0" alpha="1" clip_to_extent="1" '
            'force_rhr="0">\n'
            '          <layer class="SimpleLine" enabled="1" locked="0" pass="0">\n'
            + _options(line, "            ")
            + "          </layer>\n        </symbol>\n      </layer>\n    </symbol>\n")


def _rules(breaks: Sequence[float], lo: float | None, insufficient: str, no_risk: str
           ) -> list[tuple[str, str, str]]:
    """(label, QGIS expression, kind) of each rule, in drawing order."""
    out = [(lab, f'"{CLASE}" = {i}', PALETTE_KIND)
           for i, lab in enumerate(class_labels(breaks, lo), start=1)]
    out.append((no_risk, f'"{CLASE}" IS NULL', "nodata"))
    out.append((insufficient, f"\"{C.EVIDENCIA}\" = '{C.EVIDENCIA_INSUFICIENTE}'", "hatch"))
    return out


def qml(breaks: Sequence[float], lo: float | None = None, *,
        insufficient: str = "Evidencia insuficiente (rayado)",
        no_risk: str = "Sin riesgo publicado") -> str:
    """Return the QGIS style (QML) of a risk layer classed by ``breaks`` (column ``clase``).

    >>> text = qml([0.05, 0.1, 0.2])
    >>> text.count("<rule "), "LinePatternFill" in text, '"clase" = 3' in text
    (5, True, True)
    """
    colors = class_colors(len(breaks))
    rules, symbols = [], []
    for i, (label, expr, kind) in enumerate(_rules(breaks, lo, insufficient, no_risk)):
        rules.append(f'      <rule key="r{i}" symbol="{i}" label={quoteattr(label)} '
                     f"filter={quoteattr(expr)}/>\n")
        if kind == PALETTE_KIND:
            symbols.append(_fill_symbol(str(i), colors[i]))
        elif kind == "nodata":
            symbols.append(_fill_symbol(str(i), NO_DATA_COLOR))
        else:
            symbols.append(_hatch_symbol(str(i)))
    return ("<!DOCTYPE qgis PUBLIC 'http://mrcc.com/qgis.dtd' 'SYSTEM'>\n"
            '<qgis version="3.28.0" styleCategories="Symbology">\n'
            '  <renderer-v2 type="RuleRenderer" symbollevels="0" enableorderby="0" '
            'forceraster="0">\n'
            '    <rules key="root">\n' + "".join(rules) + "    </rules>\n"
            "    <symbols>\n" + "".join(symbols) + "    </symbols>\n"
            "  </renderer-v2>\n"
            '  <layerGeometryType>2</layerGeometryType>\n'
            "</qgis>\n")


# --- SLD 1.0 ----------------------------------------------------------------------------
def sld(breaks: Sequence[float], lo: float | None = None, layer: str = "riesgo", *,
        insufficient: str = "Evidencia insuficiente (rayado)",
        no_risk: str = "Sin riesgo publicado") -> str:
    """Return the same style as Styled Layer Descriptor 1.0 (GeoServer, QGIS "Load style").

    >>> text = sld([0.05, 0.1])
    >>> text.count("<Rule>"), "shape://slash" in text
    (4, True)
    """
    colors = class_colors(len(breaks))
    rules = []
    for i, (label, _expr, kind) in enumerate(_rules(breaks, lo, insufficient, no_risk)):
        if kind == PALETTE_KIND:
            filt = _equal(CLASE, str(i + 1))
            symb = _polygon(colors[i])
        elif kind == "nodata":
            filt = (f"<ogc:Filter><ogc:PropertyIsNull><ogc:PropertyName>{CLASE}"
                    "</ogc:PropertyName></ogc:PropertyIsNull></ogc:Filter>")
            symb = _polygon(NO_DATA_COLOR)
        else:
            filt = _equal(C.EVIDENCIA, C.EVIDENCIA_INSUFICIENTE)
            symb = ("<PolygonSymbolizer><Fill><GraphicFill><Graphic><Mark>"
                    "<WellKnownName>shape://slash</WellKnownName><Stroke>"
                    f'<CssParameter name="stroke">{HATCH_COLOR}</CssParameter>'
                    '<CssParameter name="stroke-width">1</CssParameter></Stroke></Mark>'
                    "<Size>8</Size></Graphic></GraphicFill></Fill></PolygonSymbolizer>")
        rules.append(f"<Rule><Name>{escape(label)}</Name><Title>{escape(label)}</Title>"
                     f"{filt}{symb}</Rule>")
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            '<StyledLayerDescriptor version="1.0.0" xmlns="http://www.opengis.net/sld" '
            'xmlns:ogc="http://www.opengis.net/ogc" xmlns:xlink="http://www.w3.org/1999/xlink" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n'
            f"<NamedLayer><Name>{escape(layer)}</Name><UserStyle>"
            f"<Title>riskmap: {escape(layer)}</Title><FeatureTypeStyle>\n"
            + "\n".join(rules) + "\n</FeatureTypeStyle></UserStyle></NamedLayer>\n"
            "</StyledLayerDescriptor>\n")


def _equal(prop: str, value: str) -> str:
    return (f"<ogc:Filter><ogc:PropertyIsEqualTo><ogc:PropertyName>{escape(prop)}"
            f"</ogc:PropertyName><ogc:Literal>{escape(value)}</ogc:Literal>"
            "</ogc:PropertyIsEqualTo></ogc:Filter>")


def _polygon(color: str) -> str:
    return ("<PolygonSymbolizer><Fill>"
            f'<CssParameter name="fill">{color}</CssParameter></Fill><Stroke>'
            f'<CssParameter name="stroke">{OUTLINE_COLOR}</CssParameter>'
            '<CssParameter name="stroke-width">0.5</CssParameter></Stroke>'
            "</PolygonSymbolizer>")


# --- GeoPackage layer_styles ----------------------------------------------------------------
_LAYER_STYLES = """CREATE TABLE IF NOT EXISTS layer_styles (
    id INTEGER PRIMARY KEY AUTOINCREMENT, f_table_catalog TEXT(256), f_table_schema TEXT(256),
    f_table_name TEXT(256), f_geometry_column TEXT(256), styleName TEXT(30), styleQML TEXT,
    styleSLD TEXT, useAsDefault BOOLEAN, description TEXT, owner TEXT(30), ui TEXT(30),
    update_time DATETIME DEFAULT CURRENT_TIMESTAMP)"""


def write_gpkg_style(path: str | Path, layer: str, qml_text: str, sld_text: str,
                     name: str = "riskmap", description: str = "") -> None:
    """Store a style in ``path``'s ``layer_styles`` as QGIS does, as the layer's default.

    The table has QGIS's own columns and is registered in ``gpkg_contents`` as attributes,
    so GDAL lists it and QGIS applies the style when the layer is opened.
    """
    with sqlite3.connect(path) as db:
        db.execute(_LAYER_STYLES)
        geom = db.execute("SELECT column_name FROM gpkg_geometry_columns WHERE table_name = ?",
                          (layer,)).fetchone()
        db.execute("UPDATE layer_styles SET useAsDefault = 0 WHERE f_table_name = ?", (layer,))
        db.execute(
            "INSERT INTO layer_styles (f_table_catalog, f_table_schema, f_table_name, "
            "f_geometry_column, styleName, styleQML, styleSLD, useAsDefault, description, "
            "owner, ui, update_time) VALUES ('', '', ?, ?, ?, ?, ?, 1, ?, 'riskmap', '', "
            "strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))",
            (layer, geom[0] if geom else "geom", name, qml_text, sld_text, description))
        db.execute(
            "INSERT OR IGNORE INTO gpkg_contents (table_name, data_type, identifier, "
            "description, last_change) VALUES ('layer_styles', 'attributes', 'layer_styles', "
            "'', strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))")
