"""Where a map's legends go: the corners that hide the fewest districts of the region shown.

A Leaflet legend is a box pinned to a corner of the map. The map is fitted to the region's
bounds, so which corner is empty depends on the region's shape: Cusco's south-east is full of
districts where Loreto's is empty. :func:`legend_corners` works out, for the map as the page
draws it (its width on a 1366×768 screen, its height), the part of the region under each
corner and puts each legend in the corner that covers the fewest district centres (a
representative point inside each district); several legends in one corner stack, as Leaflet
stacks them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import geopandas as gpd
import numpy as np

__all__ = ["CORNERS", "MAP_WIDTH", "legend_corners", "legend_size", "place_legends"]

#: Leaflet's corners, in the order preferred when several cover as few districts.
CORNERS = ("bottomright", "bottomleft", "topright", "topleft")
#: Width in px of the map on a 1366×768 screen (wide layout, sidebar open).
MAP_WIDTH = 900
# Space Leaflet's own controls take in each corner (zoom buttons, scale bar, attribution,
# the layer control's button when sector layers are drawn).
_RESERVED = {"topleft": 80, "bottomleft": 35, "bottomright": 22, "topright": 60}
_MARGIN = 10  # px between a control and the map's edge (Leaflet's)
_EARTH = 6378137.0


def legend_size(n_rows: int, longest: int, max_width: int = 260) -> tuple[int, int]:
    """Estimate a legend box's size in px: ``n_rows`` rows under a title, 12 px text.

    >>> legend_size(6, 30)
    (228, 146)
    """
    width = min(max_width, 42 + int(6.2 * longest))
    return width, 26 + 20 * n_rows  # a little more than drawn: an overlap costs more


def legend_corners(points: np.ndarray, bounds: Sequence[float],
                   sizes: Sequence[tuple[int, int]], height: int,
                   width: int = MAP_WIDTH) -> list[str]:
    """Choose a corner for each legend (``sizes`` in px), covering the fewest ``points``.

    ``points`` are the districts' (lon, lat); ``bounds`` (minx, miny, maxx, maxy) what the
    map is fitted to; ``height`` and ``width`` the map's size in px. Legends are placed in
    order; one placed in a corner pushes the next one there further in.

    >>> pts = np.array([[0.9, 0.1], [0.95, 0.05], [0.1, 0.9], [0.5, 0.5]])
    >>> legend_corners(pts, [0, 0, 1, 1], [(300, 200)], 400, 400)
    ['bottomleft']
    >>> legend_corners(np.empty((0, 2)), [0, 0, 1, 1], [(300, 200)], 400, 400)
    ['bottomright']
    """
    x, y = _mercator(points[:, 0], points[:, 1]) if len(points) else (np.array([]),) * 2
    (x0, x1), (y0, y1) = (_mercator(np.array([bounds[0], bounds[2]]),
                                    np.array([bounds[1], bounds[3]])))
    # fit_bounds: the bounds fill the frame along one axis, at quarter zoom steps (down)
    scale = max((x1 - x0) / width, (y1 - y0) / height, 1e-9)
    scale = 2 ** (math.ceil(math.log2(scale) * 4) / 4)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    left, top = cx - width / 2 * scale, cy + height / 2 * scale
    used = dict(_RESERVED)
    placed: list[tuple[float, float, float, float]] = []  # boxes in px: x0, y0, x1, y1
    chosen = []
    for w, h in sizes:
        costs, boxes = [], []
        for corner in CORNERS:
            # the box in px from the map's top-left, then in mercator metres
            px0 = width - _MARGIN - w if corner.endswith("right") else _MARGIN
            py0 = used[corner] if corner.startswith("top") else height - used[corner] - h
            inside = ((x >= left + px0 * scale) & (x <= left + (px0 + w) * scale)
                      & (y <= top - py0 * scale) & (y >= top - (py0 + h) * scale))
            box = (px0, py0, px0 + w, py0 + h)
            # a legend over another one, or out of the map, is worse than over districts
            clash = py0 < 0 or py0 + h > height or any(_overlap(box, b) for b in placed)
            costs.append(int(inside.sum()) + (10 * len(x) + 1000) * clash)
            boxes.append(box)
        best = int(np.argmin(costs))
        used[CORNERS[best]] += h + _MARGIN
        placed.append(boxes[best])
        chosen.append(CORNERS[best])
    return chosen


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def place_legends(legends: Sequence, layer: gpd.GeoDataFrame, height: int,
                  bounds: Sequence[float] | None = None) -> None:
    """Set ``position`` of each legend (with ``rows`` and ``longest``) by :func:`legend_corners`.

    ``layer`` holds the districts the map shows (any CRS-less or EPSG:4326 geometry);
    ``bounds`` what the map is fitted to (default: the layer's).
    """
    if not len(legends):
        return
    pts = layer.geometry.representative_point() if len(layer) else gpd.GeoSeries()
    points = np.column_stack([pts.x, pts.y]) if len(pts) else np.empty((0, 2))
    box = bounds if bounds is not None else (layer.total_bounds if len(layer)
                                             else [-76.0, -15.0, -69.0, -2.0])
    sizes = [legend_size(lg.rows, lg.longest, getattr(lg, "max_width", 260)) for lg in legends]
    for legend, corner in zip(legends, legend_corners(points, box, sizes, height),
                              strict=True):
        legend.position = corner


def _mercator(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    lat = np.clip(np.asarray(lat, dtype=float), -85.0, 85.0)
    x = np.radians(np.asarray(lon, dtype=float)) * _EARTH
    y = np.log(np.tan(np.pi / 4 + np.radians(lat) / 2)) * _EARTH
    return x, y
