"""Each measure of geo.geography.layers on tiny inline geometries with hand-computed answers."""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import MultiPoint, Point, Polygon, box

from geo import columns as C
from geo.config import LayerSpec
from geo.errors import DataError
from geo.geography import layers as L

UTM18S = "EPSG:32718"
WGS84 = "EPSG:4326"
# on UTM 18S's central meridian (75°W, 13°S), where the UTM scale factor does not change
# across a kilometre, so two halves of a UTM square have equal areas on the ground (300 km
# east of it they would differ by ~4e-6)
X0, Y0 = 500_000.0, 8_560_000.0


def _utm_to_wgs(*geoms) -> gpd.GeoSeries:
    """Build geometries in UTM metres (densified so edges stay straight) and reproject."""
    dense = [shapely.segmentize(g, 10.0) for g in geoms]
    return gpd.GeoSeries(dense, crs=UTM18S).to_crs(WGS84)


def _districts(geoms, codes=None, **cols) -> gpd.GeoDataFrame:
    codes = codes or [f"0801{i:02d}" for i in range(1, len(geoms) + 1)]
    return gpd.GeoDataFrame({C.UBIGEO: codes, **cols}, geometry=list(geoms), crs=WGS84)


def _spec(path, measure, **kw) -> LayerSpec:
    return LayerSpec(name=kw.pop("name", "capa"), sector="mineria", path=path, measure=measure,
                     **kw)


# --- area_share -----------------------------------------------------------------------


@pytest.fixture
def km_square():
    """A 1 km x 1 km district and its west half, built in UTM 18S, stored in EPSG:4326."""
    square = box(X0, Y0, X0 + 1000, Y0 + 1000)
    west = box(X0, Y0, X0 + 500, Y0 + 1000)
    return square, west


def test_area_share_half_covered_km_square(km_square):
    square, west = km_square
    geo = _utm_to_wgs(square, west)
    districts = _districts([geo.iloc[0]])
    share = L.area_share(geo.iloc[[1]], districts)
    assert share.index.tolist() == ["080101"]
    assert share.iloc[0] == pytest.approx(0.5, abs=1e-6)


def test_area_share_dissolves_overlaps(km_square):
    square, west = km_square
    # the west half covered twice (once whole, once by two overlapping quarters): still 0.5
    south_west = box(X0, Y0, X0 + 500, Y0 + 600)
    north_west = box(X0, Y0 + 400, X0 + 500, Y0 + 1000)
    geo = _utm_to_wgs(square, west, south_west, north_west)
    share = L.area_share(geo.iloc[1:], _districts([geo.iloc[0]]))
    assert share.iloc[0] == pytest.approx(0.5, abs=1e-6)


def test_area_share_uses_equal_area_not_degrees():
    # a 1 x 10 degree district; the northern half in degrees (5°S-10°S) is larger on the
    # ground. On the WGS84 ellipsoid the area of a band of latitude between phi1 and phi2
    # is proportional to q(phi2) - q(phi1) (Snyder 1987, eq. 3-12): 0.50375, not 0.5
    district = box(-75, -15, -74, -5)
    north = box(-75, -10, -74, -5)
    share = L.area_share(gpd.GeoSeries([north], crs=WGS84), _districts([district]))
    e = math.sqrt(0.0066943799901413165)  # WGS84 eccentricity

    def q(deg: float) -> float:
        s = math.sin(math.radians(deg))
        return (1 - e**2) * (s / (1 - e**2 * s**2)
                             - 1 / (2 * e) * math.log((1 - e * s) / (1 + e * s)))

    expected = (q(10) - q(5)) / (q(15) - q(5))
    assert share.iloc[0] == pytest.approx(expected, abs=1e-6)
    assert abs(share.iloc[0] - 0.5) > 1e-3  # clearly not the answer in degrees


def test_area_share_two_districts_and_nothing():
    districts = _districts([box(0, 0, 1, 1), box(1, 0, 2, 1), box(5, 5, 6, 6)])
    # covers the whole of district 1 and a quarter of district 2
    cover = gpd.GeoSeries([box(0, 0, 1.25, 1)], crs=WGS84)
    share = L.area_share(cover, districts)
    assert share.tolist() == pytest.approx([1.0, 0.25, 0.0], abs=2e-4)


def test_area_share_needs_polygons():
    districts = _districts([box(0, 0, 1, 1)])
    with pytest.raises(DataError, match="area_share"):
        L.area_share(gpd.GeoSeries([Point(0.5, 0.5)], crs=WGS84), districts)


def test_crs_mismatch_is_an_error_not_a_silent_reprojection(km_square):
    square, west = km_square
    districts = _districts([_utm_to_wgs(square).iloc[0]])
    in_utm = gpd.GeoSeries([west], crs=UTM18S)
    with pytest.raises(DataError, match="32718") as err:
        L.area_share(in_utm, districts)
    assert "reproject" in err.value.message("en")
    with pytest.raises(DataError, match="CRS"):
        L.count_features(gpd.GeoSeries([Point(0, 0)]), districts)
    with pytest.raises(DataError, match="CRS"):
        L.count_features(gpd.GeoSeries([Point(0, 0)], crs=WGS84), districts.set_crs(None,
                                                                                  allow_override=True))


# --- count and density ----------------------------------------------------------------


@pytest.fixture
def ring_districts():
    """District 080102 is a small square; 080101 is the big square around it."""
    hole = box(0.4, 0.4, 0.6, 0.6)
    outer = box(0, 0, 1, 1).difference(hole)
    return _districts([outer, hole], area_km2=[10.0, 2.0], poblacion=[4000, 500])


def test_count_polygon_by_representative_point(ring_districts):
    # a square ring around the inner district: its centroid (0.5, 0.5) is in 080102 but the
    # ring lies entirely in 080101, where its representative point is
    ring = box(0.2, 0.2, 0.8, 0.8).difference(box(0.35, 0.35, 0.65, 0.65))
    assert ring_districts.geometry.iloc[1].contains(ring.centroid)
    features = gpd.GeoDataFrame(
        geometry=[ring, Point(0.5, 0.5), Point(0.45, 0.55), Point(0.1, 0.1),
                  MultiPoint([(0.9, 0.9), (0.95, 0.95)]), Point(3, 3)],
        crs=WGS84,
    )
    counts = L.count_features(features, ring_districts)
    assert counts.to_dict() == {"080101": 3.0, "080102": 2.0}
    # the point at (3, 3) is outside every district: said, not silently dropped
    notes = counts.attrs["notices"]
    assert len(notes) == 1 and "1 of 6" in notes[0].message("en")


def test_density_per_km2_and_per_thousand_inhabitants(ring_districts):
    features = gpd.GeoDataFrame(
        geometry=[Point(0.1, 0.1), Point(0.2, 0.1), Point(0.5, 0.5)], crs=WGS84)
    counts = L.count_features(features, ring_districts)
    per_km2 = L.density(counts, ring_districts, per="km2")
    assert per_km2.tolist() == pytest.approx([2 / 10.0, 1 / 2.0])
    per_pop = L.density(counts, ring_districts, per="poblacion")
    assert per_pop.tolist() == pytest.approx([2 / 4000 * 1000, 1 / 500 * 1000])


def test_density_computes_area_when_column_absent(km_square):
    square, _ = km_square
    # no area_km2 column: the area is computed. A 1 km UTM square on the central meridian
    # is (1 / 0.9996)² km² on the ground (UTM's scale factor there is 0.9996)
    districts = _districts([_utm_to_wgs(square).iloc[0]])
    points = _utm_to_wgs(Point(X0 + 100, Y0 + 100), Point(X0 + 900, Y0 + 900))
    counts = L.count_features(points, districts)
    assert L.density(counts, districts).iloc[0] == pytest.approx(2.0 * 0.9996**2, rel=1e-6)


def test_density_with_zero_population_is_empty_and_said():
    districts = _districts([box(0, 0, 1, 1)], poblacion=[0])
    counts = L.count_features(gpd.GeoSeries([Point(0.5, 0.5)], crs=WGS84), districts)
    out = L.density(counts, districts, per="poblacion")
    assert np.isnan(out.iloc[0])
    assert "080101" in out.attrs["notices"][0].message("es")


# --- sum and mean ---------------------------------------------------------------------


def test_sum_and_mean_of_a_column(ring_districts):
    features = gpd.GeoDataFrame(
        {"ha": [1.5, 2.5, 4.0, None, 100.0]},
        geometry=[Point(0.1, 0.1), box(0.7, 0.7, 0.9, 0.9), Point(0.5, 0.5), Point(0.2, 0.2),
                  Point(9, 9)],
        crs=WGS84,
    )
    total = L.column_stat(features, ring_districts, "ha", how="sum")
    mean = L.column_stat(features, ring_districts, "ha", how="mean")
    assert total.to_dict() == {"080101": 4.0, "080102": 4.0}
    assert mean.to_dict() == {"080101": 2.0, "080102": 4.0}


def test_mean_is_zero_where_no_feature():
    districts = _districts([box(0, 0, 1, 1), box(1, 0, 2, 1)])
    features = gpd.GeoDataFrame({"v": ["3", "5"]}, geometry=[Point(.5, .5), Point(.6, .6)],
                                crs=WGS84)  # numbers stored as text are fine
    assert L.column_stat(features, districts, "v", how="mean").tolist() == [4.0, 0.0]


def test_non_numeric_value_names_file_row_and_column(tmp_path):
    path = tmp_path / "campamentos.gpkg"
    gpd.GeoDataFrame({"trabajadores": ["3", "muchos", "5"]},
                     geometry=[Point(.1, .1), Point(.2, .2), Point(.3, .3)],
                     crs=WGS84).to_file(path, layer="campamentos")
    districts = _districts([box(0, 0, 1, 1)])
    with pytest.raises(DataError) as err:
        L.aggregate(_spec(path, "sum", column="trabajadores"), districts)
    es = err.value.message("es")
    assert "campamentos.gpkg" in es and "elemento 2" in es and "'trabajadores'" in es
    assert "'muchos'" in es


def test_missing_column_lists_the_columns_found(tmp_path):
    path = tmp_path / "c.gpkg"
    gpd.GeoDataFrame({"hectareas": [1.0], "titular": ["x"]}, geometry=[Point(.5, .5)],
                     crs=WGS84).to_file(path)
    with pytest.raises(DataError) as err:
        L.aggregate(_spec(path, "mean", column="area_ha"), _districts([box(0, 0, 1, 1)]))
    en = err.value.message("en")
    assert "'area_ha'" in en and "hectareas" in en and "titular" in en


# --- value ----------------------------------------------------------------------------


def test_value_from_csv_with_lost_leading_zero_and_unknown_codes(tmp_path):
    csv = tmp_path / "deforestacion.csv"
    # 80101/80102 lost their zero (a spreadsheet made them numbers); 089999 is no district
    # of Cusco in this base (another vintage?); 150101 is Lima, outside the region
    csv.write_text("UBIGEO,def_ha\n80101,12.5\n80102,3\n89999,7\n150101,99\n")
    districts = _districts([box(0, 0, 1, 1), box(1, 0, 2, 1), box(2, 0, 3, 1)])
    out = L.aggregate(_spec(csv, "value", column="def_ha", name="deforestacion"), districts)
    assert out.name == "deforestacion"
    assert out[["080101", "080102"]].to_dict() == {"080101": 12.5, "080102": 3.0}
    assert np.isnan(out["080103"])  # missing is not zero: no row, no value
    notes = " | ".join(n.message("en") for n in out.attrs["notices"])
    assert "089999" in notes  # unknown code reported
    assert "1 district(s) from other departments" in notes
    assert "080103" in notes and "without a value" in notes  # missing district reported
    assert out.attrs["n_features"] == 4 and out.attrs["simulated"] is False
    assert out.attrs["sin_dato"] == 1


def test_value_semicolon_latin1_csv_with_text_codes(tmp_path):
    csv = tmp_path / "tabla.csv"
    csv.write_bytes("ubigeo;población_índice\n080101;0,5\n".encode("latin-1"))
    districts = _districts([box(0, 0, 1, 1), box(1, 0, 2, 1)])
    # a semicolon file with a decimal comma, as Excel saves it in Peru: read as a number
    assert L.aggregate(_spec(csv, "value", column="población_índice"),
                       districts).to_dict()["080101"] == 0.5
    # both conventions in one file: ambiguous, refused with the line, never guessed
    csv.write_bytes("ubigeo;población_índice\n080101;0,5\n080102;2.5\n".encode("latin-1"))
    with pytest.raises(DataError) as err:
        L.aggregate(_spec(csv, "value", column="población_índice"), districts)
    assert "línea 2" in err.value.message("es") and "'0,5'" in err.value.message("es")
    csv.write_bytes("ubigeo;población_índice\n080101;0.5\n".encode("latin-1"))
    out = L.aggregate(_spec(csv, "value", column="población_índice"), districts)
    assert out.iloc[0] == 0.5 and np.isnan(out.iloc[1])


def test_value_duplicate_codes_are_an_error():
    table = pd.DataFrame({"ubigeo": ["080101", "080101"], "x": [1, 2]})
    with pytest.raises(DataError, match="080101"):
        L.value_by_ubigeo(table, "x", _districts([box(0, 0, 1, 1)]), source="t.csv")


def test_value_from_a_gdal_file(tmp_path):
    path = tmp_path / "indicadores.gpkg"
    gpd.GeoDataFrame({"IDDIST": [80102, 80101], "coca_ha": [7.0, 1.0]},
                     geometry=[Point(0, 0), Point(0, 0)], crs=WGS84).to_file(path)
    districts = _districts([box(0, 0, 1, 1), box(1, 0, 2, 1)])
    out = L.aggregate(_spec(path, "value", column="coca_ha"), districts)
    assert out.to_dict() == {"080101": 1.0, "080102": 7.0}


# --- aggregate on files ---------------------------------------------------------------


def test_aggregate_reads_a_projected_layer_and_says_so(tmp_path, km_square):
    square, west = km_square
    path = tmp_path / "concesiones.gpkg"
    gpd.GeoDataFrame({"simulado": [True]}, geometry=[shapely.segmentize(west, 10.0)],
                     crs=UTM18S).to_file(path, layer="concesiones")
    districts = _districts([_utm_to_wgs(square).iloc[0]])
    out = L.aggregate(_spec(path, "area_share", layer="concesiones"), districts)
    assert out.iloc[0] == pytest.approx(0.5, abs=1e-6)
    assert any("4326" in n.message("en") for n in out.attrs["notices"])
    assert out.attrs["simulated"] is True and out.attrs["n_features"] == 1


@pytest.mark.parametrize(
    ("measure", "extra", "expected"),
    [
        ("count", {}, [2.0, 1.0]),
        ("density", {"per": "km2"}, [2 / 10.0, 1 / 2.0]),
        ("density", {"per": "poblacion"}, [2 / 4000 * 1000, 1 / 500 * 1000]),
        ("sum", {"column": "n"}, [5.0, 10.0]),
        ("mean", {"column": "n"}, [2.5, 10.0]),
    ],
)
def test_aggregate_each_point_measure(tmp_path, ring_districts, measure, extra, expected):
    path = tmp_path / "puntos.geojson"
    gpd.GeoDataFrame({"n": [2, 3, 10]}, geometry=[Point(.1, .1), Point(.9, .9), Point(.5, .5)],
                     crs=WGS84).to_file(path)
    out = L.aggregate(_spec(path, measure, **extra), ring_districts)
    assert out.index.name == C.UBIGEO
    assert out.tolist() == pytest.approx(expected)


# --- the fast point counter -----------------------------------------------------------


def _sjoin_counts(points: gpd.GeoSeries, districts: gpd.GeoDataFrame) -> np.ndarray:
    """The reference: sjoin(intersects), each point kept once in its lowest district."""
    left = gpd.GeoDataFrame(geometry=points.reset_index(drop=True))
    joined = gpd.sjoin(left, districts.reset_index(drop=True), predicate="intersects")
    first = joined.groupby(level=0)["index_right"].min()
    return first.value_counts().reindex(range(len(districts)), fill_value=0).to_numpy()


def test_count_points_equals_sjoin_groupby_on_random_points():
    rng = np.random.default_rng(42)
    # a 3 x 3 grid of unit squares sharing edges, a triangle, and a polygon overlapping two
    cells = [box(i, j, i + 1, j + 1) for j in range(3) for i in range(3)]
    extra = [Polygon([(4, 0), (6, 0), (5, 2)]), box(2.5, 2.5, 4.5, 3.5)]
    districts = _districts(cells + extra)
    xy = rng.uniform(-0.5, 6.5, size=(3000, 2))
    on_edges = np.column_stack([rng.integers(0, 4, 300).astype(float),
                                rng.uniform(0, 3, 300)])  # on vertical grid lines
    vertices = np.array([[1.0, 1.0], [2.0, 2.0], [0.0, 0.0], [3.0, 3.0], [5.0, 2.0]])
    pts = np.vstack([xy, on_edges, on_edges[:, ::-1], vertices])
    points = gpd.GeoSeries(gpd.points_from_xy(pts[:, 0], pts[:, 1]), crs=WGS84)
    points = pd.concat([points, gpd.GeoSeries([None, Point()], crs=WGS84)], ignore_index=True)
    fast = L.count_points(points, districts)
    assert fast.tolist() == _sjoin_counts(points, districts).tolist()
    # every point inside some district counted exactly once
    inside = shapely.intersects(shapely.union_all(districts.geometry.values),
                                points.values).sum()
    assert fast.sum() == inside
    # the same answer from bare coordinates
    assert L.count_points(pts, districts).tolist() == fast.tolist()
    assert L.count_points((pts[:, 0], pts[:, 1]), districts).tolist() == fast.tolist()


def test_boundary_point_goes_to_the_first_district():
    districts = _districts([box(1, 0, 2, 1), box(0, 0, 1, 1)])
    where = L.locate_points(gpd.GeoSeries([Point(1, 0.5), Point(0.5, 0.5)], crs=WGS84),
                            districts)
    assert where.tolist() == [0, 1]


def test_count_points_rejects_other_geometries_and_crs_mismatch():
    districts = _districts([box(0, 0, 1, 1)])
    with pytest.raises(TypeError):
        L.count_points(gpd.GeoSeries([box(0, 0, 1, 1)], crs=WGS84), districts)
    with pytest.raises(DataError):
        L.count_points(gpd.GeoSeries([Point(0, 0)], crs=UTM18S), districts)
