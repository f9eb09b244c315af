"""Unit tests of the map builder: class breaks, palette, simplification, offline assets."""

from __future__ import annotations

import colorsys
import json
import re

import geopandas as gpd
import numpy as np
import pytest
import shapely
from shapely.geometry import Polygon, box

from dashboard import mapview
from geo import columns as C
from geo.formatting import format_percent


def _grid(n: int = 4) -> gpd.GeoDataFrame:
    """n x n unit squares with risk rising left to right, bottom to top."""
    cells, risk, ubigeo, evid = [], [], [], []
    for i in range(n):
        for j in range(n):
            cells.append(box(i, j, i + 1, j + 1))
            risk.append((i * n + j + 1) / (n * n + 1))
            ubigeo.append(f"08{i:02d}{j:02d}")
            evid.append(C.EVIDENCIA_INSUFICIENTE if (i, j) == (0, 0) else "suficiente")
    return gpd.GeoDataFrame(
        {C.UBIGEO: ubigeo, C.DISTRITO: [f"D{k}" for k in range(n * n)], C.RIESGO: risk,
         C.RIESGO_P05: np.array(risk) * 0.5, C.RIESGO_P95: np.array(risk) * 1.5,
         C.EVIDENCIA: evid, C.PROVINCIA: "P"},
        geometry=cells, crs=4326,
    )


def _relative_luminance(hex_color: str) -> float:
    r, g, b = (int(hex_color[i:i + 2], 16) / 255 for i in (1, 3, 5))

    def lin(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b)


def test_palette_lightness_falls_monotonically():
    # A sequential palette reads correctly under any colour-vision deficiency (and in
    # greyscale) when its lightness alone orders the classes.
    lum = [_relative_luminance(c) for c in mapview.PALETTE]
    assert all(a > b for a, b in zip(lum, lum[1:], strict=False))
    # and neighbouring classes differ enough in lightness to be told apart
    assert min(a - b for a, b in zip(lum, lum[1:], strict=False)) > 0.04


def test_palette_stays_ordered_for_deuteranopes():
    # Simulate deuteranopia by collapsing red-green (keep lightness and blue-yellow):
    # the class order must survive in the lightness channel.
    def lightness(c: str) -> float:
        r, g, b = (int(c[i:i + 2], 16) / 255 for i in (1, 3, 5))
        return colorsys.rgb_to_hls(r, g, b)[1]

    ls = [lightness(c) for c in mapview.PALETTE]
    assert ls == sorted(ls, reverse=True)


def test_class_breaks_quantiles_and_equal_interval():
    values = np.arange(1, 11) / 10  # 0.1 .. 1.0
    assert mapview.class_breaks(values, "equal_interval", k=3) == pytest.approx([0.4, 0.7, 1.0])
    q = mapview.class_breaks(values, "quantiles", k=5)
    assert q == pytest.approx([0.28, 0.46, 0.64, 0.82, 1.0])
    assert mapview.class_breaks(values, "fisher_jenks", k=2)[-1] == pytest.approx(1.0)


def test_class_breaks_few_values_and_nan():
    assert mapview.class_breaks([0.3, np.nan, 0.1, 0.3]) == [0.1, 0.3]
    assert mapview.class_breaks([np.nan]) == []
    with pytest.raises(ValueError, match="scheme"):
        mapview.class_breaks(np.arange(10), "nope")


def test_classify_edges():
    # a value equal to a break belongs to that class (upper bounds are inclusive)
    assert mapview.classify([0.1, 0.100001, 0.6, 2.0], [0.1, 0.6, 1.0]).tolist() == [0, 1, 1, 2]


def test_simplify_coverage_keeps_shared_border():
    zig = [(1, y / 10 + (0.002 if y % 2 else 0)) for y in range(1, 10)]
    left = Polygon([(0, 0), (1, 0), *zig, (1, 1), (0, 1)])
    right = Polygon([(1, 0), (2, 0), (2, 1), (1, 1), *reversed(zig)])
    g = gpd.GeoDataFrame({"k": [1, 2]}, geometry=[left, right], crs=4326)
    s = mapview.simplify_coverage(g, 0.1)
    before = shapely.get_num_coordinates(g.geometry.values).sum()
    after = shapely.get_num_coordinates(s.geometry.values).sum()
    assert after < before
    # no gap and no overlap opened between the neighbours
    assert s.union_all().area == pytest.approx(2.0, abs=1e-9)
    assert s.geometry.iloc[0].intersection(s.geometry.iloc[1]).area == pytest.approx(0, abs=1e-12)
    assert list(s["k"]) == [1, 2]


def test_simplify_coverage_real_districts_topology(shared_data):
    gdf = gpd.read_file(shared_data / "boundaries" / "cusco_loreto_distritos_mapsperu_full.geojson")
    s = mapview.simplify_coverage(gdf[["UBIGEO", "geometry"]], 0.006)
    assert len(s) == len(gdf) == 169
    assert shapely.get_num_coordinates(s.geometry.values).sum() < \
        0.8 * shapely.get_num_coordinates(gdf.geometry.values).sum()
    assert s.is_valid.all()
    # the outer area changes by well under 1 %
    ratio = s.to_crs(6933).area.sum() / gdf.to_crs(6933).area.sum()
    assert ratio == pytest.approx(1.0, abs=0.01)


def test_risk_map_loads_only_local_assets():
    m = mapview.risk_map(_grid(), [0.25, 0.5, 0.75, 1.0], static_url="/app/static")
    js, css = mapview.asset_urls(m)
    assert js == ["/app/static/leaflet-1.9.3/leaflet.js"]
    assert css == ["/app/static/leaflet-1.9.3/leaflet.css"]
    html = m.get_root().render()
    # nothing in the rendered page points at another host (no tiles, no CDN)
    hosts = set(re.findall(r"https?://([^/\"' ]+)", html))
    assert hosts <= {"www.w3.org"}, hosts  # SVG namespace only
    # folium's class-level defaults were not touched (other maps are unaffected)
    import folium

    assert any("cdn" in url for _, url in folium.Map.default_js)


def test_vendored_files_exist_with_licence():
    from pathlib import Path

    static = Path(mapview.__file__).parent / "static"
    for rel in mapview.LOCAL_ASSETS.values():
        assert (static / rel).is_file(), rel
    assert (static / mapview.LEAFLET_DIR / "LICENSE").is_file()
    assert "Leaflet 1.9.3" in (static / mapview.LOCAL_ASSETS["leaflet"]).read_text()[:200]
    # folium still asks for the Leaflet version we vendored
    import folium

    assert any("leaflet@1.9.3" in url for _, url in folium.Map.default_js)


def test_risk_map_payload_has_tooltip_fields_and_classes():
    grid = _grid()
    m = mapview.risk_map(grid, mapview.class_breaks(grid[C.RIESGO], "quantiles", 4), lang="en")
    html = m.get_root().render()
    assert "insufficient evidence" in html and "90% interval" in html
    data = _geojson_layers(m)
    # one layer of districts: the hatching is a fill pattern, not a second copy of them
    assert len(data) == 1
    choropleth = data[0]
    assert len(choropleth["features"]) == 16
    by_ubigeo = {f["properties"]["u"]: f["properties"] for f in choropleth["features"]}
    # only what the tooltip and the style need travels
    assert set(by_ubigeo["080101"]) == {"u", "n", "r", "i", "e", "k"}
    hatched = [u for u, p in by_ubigeo.items() if p.get("h")]
    assert hatched == ["080000"]  # the one insufficient-evidence district
    assert by_ubigeo["080000"]["e"] == "insufficient evidence"
    assert by_ubigeo["080101"]["n"] == "D5 (P)"
    assert by_ubigeo["080101"]["r"] == format_percent(6 / 17)
    classes = sorted({p["k"] for p in by_ubigeo.values()})
    assert classes == [0, 1, 2, 3]
    # the hatched district is filled with the pattern of its own class, defined in the page
    pattern = f"{mapview.HATCH_ID}-{by_ubigeo['080000']['k']}"
    assert f"url(#{pattern})" in html and pattern in html


def test_risk_features_round_coordinates():
    g = _grid(2)
    g = g.set_geometry(g.geometry.translate(xoff=-73.123456789, yoff=-12.987654321))
    feats = mapview.risk_features(g, [0.5, 1.0], ndigits=3)["features"]
    coords = [xy for f in feats for ring in f["geometry"]["coordinates"] for xy in ring]
    assert all(round(v, 3) == v for xy in coords for v in xy)
    assert [-73.123, -12.988] in coords


def test_clean_coverage_makes_mismatched_borders_simplifiable():
    # two neighbours whose shared border was digitised twice, a little differently
    # (as in the districts file): coverage_simplify can only simplify it once it is shared
    ys = [y / 20 for y in range(1, 20)]
    left = Polygon([(0, 0), (1, 0), *[(1 + (0.002 if i % 2 else 0), y)
                                      for i, y in enumerate(ys)], (1, 1), (0, 1)])
    right = Polygon([(1, 0), (2, 0), (2, 1), (1, 1),
                     *[(1 + (0.0019 if i % 2 else -0.0001), y) for i, y in enumerate(ys)][::-1]])
    g = gpd.GeoDataFrame({"k": [1, 2]}, geometry=[left, right], crs=4326)
    assert not shapely.coverage_is_valid(g.geometry.values)
    clean = mapview.clean_coverage(g)
    assert shapely.coverage_is_valid(clean.geometry.values)
    assert list(clean["k"]) == [1, 2]
    # no gap, no overlap, and nothing moved further than the sliver between the copies
    assert clean.union_all().area == pytest.approx(2.0, abs=1e-9)
    assert clean.geometry.iloc[0].intersection(clean.geometry.iloc[1]).area == \
        pytest.approx(0, abs=1e-12)
    assert clean.geometry.iloc[0].symmetric_difference(left).area < 0.001
    # a real gap (a lake between the two, 0.2 wide) is not filled in
    lake = gpd.GeoDataFrame({"k": [1, 2]}, geometry=[box(0, 0, 1, 1), box(1.2, 0, 2, 1)],
                            crs=4326)
    assert mapview.clean_coverage(lake).area.tolist() == pytest.approx([1.0, 0.8])
    simple = mapview.simplify_coverage(clean, 0.05)
    n = shapely.get_num_coordinates(simple.geometry.values)
    assert n.tolist() == [5, 5]  # the zigzag border is now one straight shared edge
    assert simple.union_all().area == pytest.approx(2.0, abs=1e-9)


def test_boundary_lines_draw_each_shared_border_once():
    g = _grid(2)  # provinces 0800 (x 0-1) and 0801 (x 1-2), one department
    provinces = mapview.boundary_lines(g, 4)
    departments = mapview.boundary_lines(g, 2)
    assert len(provinces) == len(departments) == 1
    assert shapely.length(provinces.geometry.iloc[0]) == pytest.approx(8 + 2)  # outline + x=1
    assert shapely.length(departments.geometry.iloc[0]) == pytest.approx(8)
    inner = provinces.geometry.iloc[0].difference(departments.geometry.iloc[0])
    assert shapely.length(inner) == pytest.approx(2)
    assert inner.bounds == pytest.approx((1, 0, 1, 2))


def test_display_tolerance_follows_the_extent():
    both = mapview.display_tolerance([-77.8, -15.5, -69.9, 0.0])  # Cusco and Loreto
    cusco = mapview.display_tolerance([-73.98, -15.5, -70.35, -11.2])
    province = mapview.display_tolerance([-72.1, -13.7, -71.8, -13.4])
    assert both == 0.01 and province == 0.001
    assert province < cusco < both


def test_real_districts_clean_and_simplified_for_the_map(shared_data):
    gdf = gpd.read_file(shared_data / "boundaries" /
                        "cusco_loreto_distritos_mapsperu_full.geojson")
    gdf = gdf.rename(columns=str.lower)
    clean = mapview.clean_coverage(gdf[["ubigeo", "geometry"]])
    assert shapely.coverage_is_valid(clean.geometry.values)
    change = clean.to_crs(6933).area.to_numpy() / gdf.to_crs(6933).area.to_numpy() - 1
    assert np.abs(change).max() < 0.05  # only slivers moved between neighbours
    tol = mapview.display_tolerance(clean.total_bounds)
    simple = mapview.simplify_coverage(clean, tol)
    # every district is still there and still has an area
    assert len(simple) == len(gdf) == 169
    assert not simple.geometry.is_empty.any() and (simple.to_crs(6933).area > 0).all()
    assert shapely.coverage_is_valid(simple.geometry.values)  # borders still meet
    full = shapely.get_num_coordinates(gdf.geometry.values).sum()
    assert shapely.get_num_coordinates(simple.geometry.values).sum() < 0.5 * full
    # each district keeps most of its area; the whole, well within 1 %
    ratio = simple.to_crs(6933).area.to_numpy() / gdf.to_crs(6933).area.to_numpy()
    assert ratio.min() > 0.8
    assert simple.to_crs(6933).area.sum() / gdf.to_crs(6933).area.sum() == \
        pytest.approx(1.0, abs=0.01)


def test_risk_map_basemap_is_opt_in():
    grid = _grid(2)
    off = mapview.risk_map(grid, [0.5, 1.0]).get_root().render()
    on = mapview.risk_map(grid, [0.5, 1.0], basemap=True).get_root().render()
    assert "tile.openstreetmap.org" not in off
    assert "tile.openstreetmap.org" in on


def test_risk_map_layers_and_hotspots():
    grid = _grid(3)
    pts = gpd.GeoDataFrame(geometry=[shapely.Point(0.5, 0.5), shapely.Point(2.5, 2.5)], crs=4326)
    m = mapview.risk_map(grid, [0.5, 1.0], sectors={"Aserraderos": pts},
                         hotspots=[grid[C.UBIGEO].iloc[-1]],
                         provinces=mapview.boundary_lines(grid, 4),
                         departments=mapview.boundary_lines(grid, 2))
    html = m.get_root().render()
    assert "Aserraderos" in html and "Punto caliente" in html and "L.CircleMarker" in html
    layers = _geojson_layers(m)
    kinds = [layer["features"][0]["geometry"]["type"] for layer in layers[1:3]]
    assert all(kind.endswith("LineString") for kind in kinds), kinds  # borders as lines


def test_ubigeo_from_click():
    grid = _grid(2)
    assert mapview.ubigeo_from_click({"last_object_clicked_tooltip": "D1 UBIGEO 080001"}) \
        == "080001"
    hit = mapview.ubigeo_from_click(
        {"last_object_clicked_tooltip": None, "last_object_clicked": {"lat": 1.5, "lng": 0.5}},
        grid)
    assert hit == "080001"
    assert mapview.ubigeo_from_click({"last_object_clicked": {"lat": 9, "lng": 9}}, grid) is None
    assert mapview.ubigeo_from_click({}) is None


def _geojson_layers(m) -> list[dict]:
    import folium

    out = []
    for child in m._children.values():
        if isinstance(child, folium.GeoJson):
            out.append(child.data if isinstance(child.data, dict) else json.loads(child.data))
    return out


def test_risk_map_click_does_not_scroll_the_page():
    # Leaflet's keyboard handler focuses the map on mousedown, and a map partly below the
    # window's edge then scrolls the page under the pointer: the click missed its district
    html = mapview.risk_map(_grid(2), [0.5, 1.0]).get_root().render()
    assert re.search(r'"keyboard":\s*false', html)


def test_dashboard_doctests_run():
    # the dashboard is not in pytest's testpaths: run its modules' examples from here
    import doctest

    from dashboard import i18n, layer_words, state

    for module in (mapview, state, i18n, layer_words):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.attempted > 0 and result.failed == 0, module.__name__


def test_risk_map_zooms_in_quarter_steps():
    # fit_bounds can only land on a multiple of zoomSnap: with 1 a region alone often
    # fills half the frame; 0.25 lets the map fill it
    html = mapview.risk_map(_grid(2), [0.5, 1.0]).get_root().render()
    assert re.search(r'"zoomSnap":\s*0\.25', html)
    assert "fitBounds" in html


def test_folium_payload_is_what_st_folium_sends(monkeypatch):
    # the Mapa page renders the map once (cached) and calls st_folium's component itself:
    # what it sends must stay what st_folium would send for the same map
    import streamlit_folium as sf

    sent = {}
    monkeypatch.setattr(sf, "_component_func", lambda **kwargs: sent.update(kwargs))
    grid = _grid(3)

    def build():
        return mapview.risk_map(grid, [0.5, 1.0], provinces=mapview.boundary_lines(grid, 4))

    sf.st_folium(build(), key="m", height=560, use_container_width=True,
                 returned_objects=["last_object_clicked"])
    payload = mapview.folium_payload(build())

    def plain(script: str) -> str:  # folium's random element ids aside
        return re.sub(r"(_[a-z0-9]+)", "", script)

    assert plain(payload["script"]) == plain(sent["script"])
    assert payload["header"] == sent["header"] and payload["html"] == sent["html"]
    assert payload["id"] == sent["id"]
    assert payload["js_links"] == sent["js_links"] and payload["css_links"] == sent["css_links"]
    assert payload["zoom"] == sent["default"].get("zoom", payload["zoom"])
    # and dashboard.ui sends the same arguments st_folium does
    from dashboard import ui

    ours = {}
    monkeypatch.setattr(sf, "_component_func", lambda **kwargs: ours.update(kwargs))
    ui.folium_component(payload, key="m", height=560, returned_objects=["last_object_clicked"])
    assert set(ours) == set(sent)
    for name in ("height", "width", "returned_objects", "default", "css_links", "js_links"):
        assert ours[name] == sent[name], name


def test_risk_map_scale_bar_is_metric_only():
    html = mapview.risk_map(_grid(), [0.25, 0.5, 0.75, 1.0],
                            static_url="/app/static").get_root().render()
    assert "imperial: false" in html
    assert html.count("L.control.scale(") == 1  # not Leaflet's default (miles) as well


# --- table layers and the learnt range (issue 20) -------------------------------------------
def _mining(grid: gpd.GeoDataFrame) -> mapview.DistrictValues:
    """A table layer over ``grid``: a value for half the districts, none for the others."""
    import pandas as pd

    from dashboard.layer_words import LayerFacts, layer_byline, value_text

    facts = LayerFacts("mineria", measure="value", source="MapBiomas Perú", years="2020",
                       unit="ha")
    codes = grid[C.UBIGEO].tolist()
    values = pd.Series([5539.86 * i if i % 2 == 0 else np.nan for i in range(len(codes))],
                       index=codes, dtype=float)
    return mapview.DistrictValues(
        title="Minería", byline=layer_byline(facts, "es"), values=values,
        texts=values.map(lambda v: value_text(facts, v, "es")),
        breaks=mapview.class_breaks(values.dropna(), "quantiles"),
        format_value=lambda v: value_text(facts, v, "es"))


def test_table_features_say_the_value_in_its_unit_or_no_public_data():
    grid = _grid(2)
    feats = mapview.table_features(grid, _mining(grid))["features"]
    props = {f["properties"]["u"]: f["properties"] for f in feats}
    assert [set(p) for p in props.values()] == [{"n", "u", "v", "s", "k"}] * 4
    with_value = props[grid[C.UBIGEO].iloc[2]]
    assert with_value["v"] == "11,080 ha" and with_value["k"] >= 0
    silent = props[grid[C.UBIGEO].iloc[1]]
    assert silent["v"] == "sin dato público" and silent["k"] == -1
    assert silent["s"] == "MapBiomas Perú · 2020 · ha · real"


def test_a_table_layer_is_drawn_with_its_legend_and_in_the_layer_control():
    grid = _grid(2)
    m = mapview.risk_map(grid, [0.5, 1.0], tables=[_mining(grid)])
    html = m.get_root().render()
    layers = _geojson_layers(m)
    assert len(layers) == 2 and len(layers[1]["features"]) == 4  # the risk, then the layer
    # its legend (bottom left) says name, source line, classes in hectares and the silent
    legend = re.search(r'"riskmap-legend-capa"\);\s*div\.innerHTML = ("(?:[^"\\]|\\.)*")',
                       html)
    assert legend, "no table-layer legend"
    text = json.loads(legend.group(1))
    assert "<b>Minería</b>" in text and "MapBiomas Perú · 2020 · ha · real" in text
    assert "0 ha" in text and "11,080 ha" in text and "sin dato público (2)" in text
    # districts without a value are hatched grey, by a pattern the page defines
    assert f"url(#{mapview.NO_VALUE_ID})" in html and f'id=\\"{mapview.NO_VALUE_ID}\\"' in html
    # the layer control lists it by name and source; its tooltip names the source too
    import folium

    control = next(c for c in m._children.values() if isinstance(c, folium.LayerControl))
    assert "Minería — MapBiomas Perú · 2020 · ha · real" in control.overlays
    assert '"Fuente"' in html


def test_a_map_without_table_layers_has_no_layer_control_nor_second_legend():
    html = mapview.risk_map(_grid(2), [0.5, 1.0]).get_root().render()
    assert "L.control.layers" not in html and "riskmap-legend-capa" not in html


def test_out_of_range_districts_are_outlined_and_said_in_the_tooltip():
    grid = _grid(2)
    beyond = grid[C.UBIGEO].iloc[3]
    notes = {beyond: "fuera del rango aprendido: Pérdida de bosque (GeoBosques)"}
    features = mapview.risk_features(grid, [0.5, 1.0], notes=notes)
    assert [f["properties"]["x"] for f in features["features"]] == ["—", "—", "—", notes[beyond]]
    m = mapview.risk_map(grid, [0.5, 1.0], features=features, out_of_range=[beyond])
    html = m.get_root().render()
    assert "Fuera del rango aprendido" in html  # the legend row and the outline's name
    outline = _geojson_layers(m)[1]
    assert len(outline["features"]) == 1
    assert re.search(r'"fields":\s*\["n", "u", "r", "i", "e", "x"\]', html) or \
        '["n", "u", "r", "i", "e", "x"]' in html
    assert mapview.OUT_OF_RANGE_COLOR in html
    # a district with no note: no extra property, no extra tooltip row
    plain = mapview.risk_features(grid, [0.5, 1.0], notes={c: "" for c in grid[C.UBIGEO]})
    assert all("x" not in f["properties"] for f in plain["features"])


def test_dashboard_state_and_model_view_doctests_run():
    # the package's rooms and the Modelo page's builders: their examples run here too
    import doctest
    import importlib

    for name in ("files", "loaders", "disclosure", "card", "regions", "maps", "exports",
                 "services"):
        module = importlib.import_module(f"dashboard.state.{name}")
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0, module.__name__
    from dashboard import model_view

    result = doctest.testmod(model_view, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
