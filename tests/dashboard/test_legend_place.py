"""Legends go where they hide the fewest districts (dashboard.legend_place, mapview)."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
from shapely.geometry import box

from dashboard import mapview
from dashboard.legend_place import CORNERS, legend_corners, legend_size


def _grid(cells) -> gpd.GeoDataFrame:
    """Unit squares at (col, row) cells, as districts with a risk."""
    return gpd.GeoDataFrame(
        {"ubigeo": [f"08{i:04d}" for i in range(len(cells))],
         "distrito": [f"D{i}" for i in range(len(cells))],
         "riesgo": np.linspace(0.01, 0.5, len(cells))},
        geometry=[box(c * 0.1, r * 0.1, c * 0.1 + 0.1, r * 0.1 + 0.1) for c, r in cells],
        crs=4326)


def test_a_full_bottom_right_sends_the_legend_elsewhere():
    # an L-shaped region as wide as the map: the two bottom rows and the two right columns
    # full, the top left empty
    cells = [(c, r) for c in range(16) for r in range(10) if r < 2 or c >= 14]
    layer = _grid(cells)
    m = mapview.risk_map(layer, [0.1, 0.3, 0.5])
    html = m.get_root().render()
    assert 'position: "topleft"' in html
    assert 'position: "bottomright"' not in html


def test_the_chosen_corner_covers_no_more_districts_than_any_other():
    rng = np.random.default_rng(0)
    pts = rng.uniform([0, 0], [1, 1], size=(400, 2))
    pts = pts[(pts[:, 0] > 0.5) | (pts[:, 1] > 0.4)]  # the bottom left is empty
    size = legend_size(7, 28)
    assert legend_corners(pts, [0, 0, 1, 1], [size], 560) == ["bottomleft"]


def test_legends_never_cover_each_other_while_a_corner_is_free():
    pts = np.array([[0.5, 0.5]])
    # two legends taller than half the map: stacked on one side they would overlap
    corners = legend_corners(pts, [0, 0, 1, 1], [(330, 300)] * 2, 560)
    assert set(corners) <= set(CORNERS)
    assert {c.endswith("right") for c in corners} == {True, False}


def test_default_is_bottom_right_when_nothing_is_in_the_way():
    layer = _grid([(5, 5)])
    html = mapview.risk_map(layer, [0.5]).get_root().render()
    assert 'position: "bottomright"' in html
