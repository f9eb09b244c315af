"""The districts' display geometry: borders that meet exactly, simplified for the screen.

Made once where the scores are written (:func:`write_display_layers`, called by
``riskmap prepare``, ``riskmap score`` and the dashboard's rescoring) and stored in the scores
GeoPackage, so the first map after a server start is as quick as the next ones; the
dashboard (``dashboard.mapview``) computes them only for a file made without them.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import shapely

from geo import columns as C
from geo.geography.io import GPKG_OPTIONS

__all__ = [
    "boundary_lines",
    "clean_coverage",
    "display_digits",
    "display_layer_name",
    "display_tolerance",
    "read_display_layer",
    "round_coordinates",
    "simplify_coverage",
    "write_display_layers",
]

CLEAN_LAYER = "mapa_limpio"
SIMPLE_PREFIX = "mapa_"


def display_layer_name(region: Sequence[str]) -> str:
    """Return the stored layer of the simplified districts of ``region`` (codes; () = all).

    >>> display_layer_name(("16", "08")), display_layer_name(())
    ('mapa_08_16', 'mapa_todo')
    """
    return SIMPLE_PREFIX + ("_".join(sorted(region)) or "todo")


def write_display_layers(gpkg: str | Path, scores: gpd.GeoDataFrame | None = None) -> list[str]:
    """Store the cleaned districts and, per region choice, their simplified version.

    The region choices are the whole area and each department of ``scores`` (what the map's
    region switch offers). Returns the layers written.
    """
    gpkg = Path(gpkg)
    if scores is None:
        scores = pyogrio.read_dataframe(gpkg, layer="riesgo", columns=[C.UBIGEO])
    clean = clean_coverage(scores[[C.UBIGEO, "geometry"]].to_crs(4326))
    pyogrio.write_dataframe(clean, gpkg, layer=CLEAN_LAYER, driver="GPKG",
                            dataset_options=GPKG_OPTIONS)
    written = [CLEAN_LAYER]
    codes = clean[C.UBIGEO].astype(str).str[:2]
    choices = [tuple(sorted(codes.unique()))] + [(c,) for c in sorted(codes.unique())]
    for region in dict.fromkeys(choices):
        part = clean[codes.isin(region)]
        simple = simplify_coverage(part, display_tolerance(part.total_bounds))
        name = display_layer_name(region)
        pyogrio.write_dataframe(simple, gpkg, layer=name, driver="GPKG",
                                dataset_options=GPKG_OPTIONS)
        written.append(name)
    return written


def read_display_layer(gpkg: str | Path, region: Sequence[str] | None = None
                       ) -> gpd.GeoDataFrame | None:
    """Read the stored simplified districts of ``region`` (None: the cleaned ones).

    None when the file has no such layer (made before, or another region).
    """
    name = CLEAN_LAYER if region is None else display_layer_name(region)
    try:
        if name not in {n for n, _ in pyogrio.list_layers(gpkg)}:
            return None
        gdf = pyogrio.read_dataframe(gpkg, layer=name)
    except Exception:  # noqa: BLE001 - an unreadable layer is recomputed, not fatal
        return None
    gdf[C.UBIGEO] = gdf[C.UBIGEO].astype(str).str.zfill(6)
    return gdf


def simplify_coverage(gdf: gpd.GeoDataFrame, tolerance: float) -> gpd.GeoDataFrame:
    """Simplify polygons as a coverage, so neighbours keep sharing their borders.

    ``shapely.coverage_simplify`` removes the same vertices from both sides of each
    shared edge (no gaps, no overlaps are created). Non-polygon rows are returned
    unchanged.

    Parameters
    ----------
    gdf : GeoDataFrame
        Polygons in EPSG:4326.
    tolerance : float
        Largest distance (in degrees) a removed vertex may lie from the new edge.

    Returns
    -------
    GeoDataFrame
        Same rows and columns, lighter geometry.

    Examples
    --------
    >>> from shapely.geometry import Polygon
    >>> wiggly = Polygon([(0, 0), (1, 0), (1, 0.5), (1.001, 0.6), (1, 1), (0, 1)])
    >>> right = Polygon([(1, 0), (2, 0), (2, 1), (1, 1), (1.001, 0.6), (1, 0.5)])
    >>> g = gpd.GeoDataFrame(geometry=[wiggly, right], crs=4326)
    >>> s = simplify_coverage(g, 0.1)
    >>> [len(p.exterior.coords) for p in s.geometry]
    [5, 5]
    >>> round(s.union_all().area, 6)
    2.0
    """
    if gdf.empty:
        return gdf
    out = gdf.copy()
    polys = out.geom_type.isin(["Polygon", "MultiPolygon"]).to_numpy()
    if polys.any():
        geoms = out.geometry.to_numpy()
        simple = shapely.coverage_simplify(geoms[polys], tolerance)
        simple = shapely.make_valid(simple)
        geoms = geoms.copy()
        geoms[polys] = simple
        out = out.set_geometry(gpd.GeoSeries(geoms, index=out.index, crs=gdf.crs))
        out = out[~out.geometry.is_empty]
    return out


def clean_coverage(gdf: gpd.GeoDataFrame, grid: float = 1e-6,
                   max_gap: float = 0.001) -> gpd.GeoDataFrame:
    """Make polygons an exact coverage: each shared border drawn once, no gaps, no overlaps.

    Boundary files often digitise a border twice, a little differently on each side; on
    such input ``shapely.coverage_simplify`` can hardly simplify (an edge that does not
    match its neighbour's is left as it is). Here every border is noded on a ``grid``
    (degrees), the faces between them are polygonized, each face goes to the polygon it
    lies in (an overlap to the first, a sliver of gap narrower than ``max_gap`` to the
    nearest; a wider gap such as a lake stays a gap) and the faces are dissolved again.
    Rows keep their order and attributes; a row whose polygon gets no face keeps its own
    geometry.

    Parameters
    ----------
    gdf : GeoDataFrame
        Polygons in EPSG:4326 that should tile the plane (districts).
    grid : float
        Precision of the noding, in degrees (1e-6 is about 11 cm).
    max_gap : float
        Mean width (degrees) under which a gap between polygons is a sliver to close.

    Returns
    -------
    GeoDataFrame
        Same rows and columns; the geometries form a valid coverage.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"k": [1, 2]}, geometry=[box(0, 0, 1, 1), box(0.99, 0, 2, 1)],
    ...                      crs=4326)
    >>> bool(shapely.coverage_is_valid(g.geometry.values))
    False
    >>> c = clean_coverage(g)
    >>> bool(shapely.coverage_is_valid(c.geometry.values)), round(c.union_all().area, 6)
    (True, 2.0)
    """
    if gdf.empty:
        return gdf
    geoms = gdf.geometry.to_numpy()
    lines = shapely.set_precision(shapely.boundary(geoms), grid)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(shapely.union_all(lines))))
    faces = faces[shapely.area(faces) > 0]
    tree = shapely.STRtree(geoms)
    inside = shapely.point_on_surface(faces)
    face_idx, geom_idx = tree.query(inside, predicate="within")
    owner = np.full(len(faces), -1)
    owner[face_idx[::-1]] = geom_idx[::-1]  # an overlap goes to the first polygon
    # a sliver of gap (mean width 2 * area / perimeter under max_gap) joins its nearest
    # polygon; a real gap (a lake between districts) stays a gap
    gaps = np.flatnonzero(owner < 0)
    gaps = gaps[2 * shapely.area(faces[gaps]) / shapely.length(faces[gaps]) < max_gap]
    if len(gaps):
        owner[gaps] = tree.nearest(inside[gaps])
    faces, owner = faces[owner >= 0], owner[owner >= 0]
    out = geoms.copy()
    order = np.argsort(owner, kind="stable")
    for group in np.split(order, np.flatnonzero(np.diff(owner[order])) + 1):
        if len(group):
            out[owner[group[0]]] = shapely.coverage_union_all(faces[group])
    return gdf.set_geometry(gpd.GeoSeries(out, index=gdf.index, crs=gdf.crs))


def display_tolerance(bounds: Sequence[float], height_px: int = 560, width_px: int = 900,
                      pixels: float = 0.5, lowest: float = 0.001,
                      highest: float = 0.01) -> float:
    """Simplification tolerance (degrees) for a map that first shows ``bounds`` whole.

    Half a pixel of the first view (``pixels``), kept between ``lowest`` and ``highest``:
    the whole of Cusco and Loreto on a laptop gets 0.01° (about 1 km; a fifth of a pixel
    at zoom 6, three pixels at zoom 9), a single province a few metres.

    >>> display_tolerance([-77.8, -15.5, -69.9, 0.0])
    0.01
    >>> display_tolerance([-73.0, -14.0, -71.0, -12.0])
    0.0018
    """
    west, south, east, north = (float(b) for b in bounds)
    per_pixel = max((north - south) / height_px, (east - west) / width_px)
    return round(min(max(pixels * per_pixel, lowest), highest), 4)


def display_digits(bounds: Sequence[float]) -> int:
    """Decimals worth keeping in the coordinates of a map that first shows ``bounds``.

    3 (about 110 m) when :func:`display_tolerance` is 0.004° or more, else 4 (about 11 m).

    >>> display_digits([-77.8, -15.5, -69.9, 0.0]), display_digits([-72.1, -13.6, -71.8, -13.4])
    (3, 4)
    """
    return 3 if display_tolerance(bounds) >= 0.004 else 4


def boundary_lines(layer: gpd.GeoDataFrame, digits: int) -> gpd.GeoDataFrame:
    """Return the borders between groups of districts (first ``digits`` of the UBIGEO), once.

    ``digits=4`` gives province borders, ``digits=2`` department borders. Drawn from the
    districts' own (simplified) coverage, so they fall exactly on the district borders;
    each shared border is one line, not the edge of two polygons.

    Returns
    -------
    GeoDataFrame
        One row (a MultiLineString) per call; empty when ``layer`` is.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"ubigeo": ["080101", "080102", "080201"]},
    ...                      geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)],
    ...                      crs=4326)
    >>> float(shapely.length(boundary_lines(g, 4).geometry.iloc[0]))  # outline 8 + border at x=2
    9.0
    """
    if layer.empty:
        return gpd.GeoDataFrame(geometry=[], crs=layer.crs)
    keys = layer[C.UBIGEO].astype(str).str[:digits].to_numpy()
    geoms = layer.geometry.to_numpy()
    parts = [shapely.coverage_union_all(geoms[keys == key]) for key in dict.fromkeys(keys)]
    lines = shapely.line_merge(shapely.union_all(shapely.boundary(np.array(parts))))
    return gpd.GeoDataFrame(geometry=[lines], crs=layer.crs)


def round_coordinates(gdf: gpd.GeoDataFrame, ndigits: int) -> gpd.GeoDataFrame:
    """Round every coordinate to ``ndigits`` decimals (3 = about 110 m, 4 = about 11 m).

    For display only: rounding may make a geometry invalid in GEOS' sense.

    >>> from shapely.geometry import Point
    >>> g = gpd.GeoDataFrame(geometry=[Point(-73.123456, -12.987654)], crs=4326)
    >>> round_coordinates(g, 3).geometry.iloc[0].wkt
    'POINT (-73.123 -12.988)'
    """
    if gdf.empty:
        return gdf
    geoms = shapely.transform(gdf.geometry.to_numpy(), lambda xy: np.round(xy, ndigits))
    return gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))


