"""geo.geography.rasters on rasters whose answer is worked out by hand, with fractional
pixel coverage.

A 10 x 10 raster of 100 m pixels in UTM 18S (EPSG:32718), and one district: the rectangle
from x = 2.3 to 7.3 pixels and rows 2 to 4, given in EPSG:4326 (so it is reprojected to the
raster's CRS). Column 2 is covered 0.7, columns 3-6 fully, column 7 0.3: 5 pixel-widths by 2
rows, 10 ha. A pixel-centre method would count columns 2-6 whole; the answers below differ
from that, so they check the coverage fractions.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
from shapely.geometry import box

from geo import columns as C
from geo.errors import DataError
from geo.geography import rasters
from geo.geography.rasters import raster_measure, write_raster

X0, Y0, SIZE = 500_000.0, 8_500_000.0, 100.0


@pytest.fixture()
def district():
    shape = box(X0 + 2.3 * SIZE, Y0 - 4 * SIZE, X0 + 7.3 * SIZE, Y0 - 2 * SIZE)
    far = box(X0 + 50 * SIZE, Y0 - 60 * SIZE, X0 + 51 * SIZE, Y0 - 59 * SIZE)  # off the raster
    return gpd.GeoDataFrame({C.UBIGEO: ["080101", "160101"]}, geometry=[shape, far],
                            crs="EPSG:32718").to_crs("EPSG:4326")


def columns(values_of_column, dtype="uint8") -> np.ndarray:
    return np.tile(np.asarray(values_of_column, dtype=dtype), (10, 1))


def write(path, data, nodata=None):
    write_raster(path, data, crs="EPSG:32718", origin=(X0, Y0), size=SIZE, nodata=nodata)
    return path


def test_share_and_hectares_of_classes_weigh_partly_covered_pixels(tmp_path, district):
    path = write(tmp_path / "clases.tif", columns([30] * 5 + [3] * 5))  # mining west of x = 5
    share = raster_measure(path, district, "raster_share", classes=(30,))
    # columns 2 (0.7), 3 and 4 of the 5 covered are class 30: 2.7 / 5 (pixel centres: 0.6)
    assert share.iloc[0] == pytest.approx(0.54, abs=1e-3)
    assert share.iloc[1] == 0.0  # a district the raster does not reach
    hectares = raster_measure(path, district, "raster_sum", classes=(30,))
    assert hectares.iloc[0] == pytest.approx(2.7 * 2 * 1.0, rel=1e-6)  # 1 ha a pixel
    both = raster_measure(path, district, "raster_share", classes=(30, 3))
    assert both.iloc[0] == pytest.approx(1.0, abs=1e-3)


def test_hectares_lost_in_a_range_of_years(tmp_path, district):
    # a loss-year raster as Hansen publishes it: 0 no loss, k = year 2000 + k
    path = write(tmp_path / "perdida.tif", columns([18 + j for j in range(10)]), nodata=None)
    lost = raster_measure(path, district, "raster_sum", years=(2020, 2022), year_base=2000)
    # 2020-2022 are columns 2 (0.7), 3 and 4: 2.7 pixel-widths by 2 rows
    assert lost.iloc[0] == pytest.approx(5.4, rel=1e-6)
    later = raster_measure(path, district, "raster_share", years=(2025, 2030), year_base=2000)
    assert later.iloc[0] == pytest.approx(0.3 / 5, abs=1e-3)  # column 7 only (2025)


def test_mean_weighs_coverage_and_leaves_nodata_out(tmp_path, district):
    data = columns(range(10), dtype="float32")
    path = write(tmp_path / "valor.tif", data, nodata=-1.0)
    assert raster_measure(path, district, "raster_mean").iloc[0] == pytest.approx(
        (0.7 * 2 + 3 + 4 + 5 + 6 + 0.3 * 7) / 5, rel=1e-6)  # 4.3 (pixel centres: 4.0)
    data[2, 4] = -1.0  # a hole in the first covered row
    path = write(tmp_path / "hueco.tif", data, nodata=-1.0)
    assert raster_measure(path, district, "raster_mean").iloc[0] == pytest.approx(
        (17.5 + 21.5) / 9, rel=1e-6)


def test_small_windows_give_the_same_answer(tmp_path, district, monkeypatch):
    path = write(tmp_path / "clases.tif", columns([30, 3] * 5))
    whole = raster_measure(path, district, "raster_share", classes=(30,))
    monkeypatch.setattr(rasters, "MAX_CELLS", 4)  # exactextract reads 2 x 2 windows
    assert raster_measure(path, district, "raster_share", classes=(30,)).iloc[0] == \
        pytest.approx(whole.iloc[0], abs=1e-9)
    assert whole.iloc[0] == pytest.approx((0.7 + 1 + 1) / 5, abs=1e-3)  # columns 2, 4, 6


def test_band_picks_a_year_of_a_multi_band_file(tmp_path, district):
    data = np.stack([columns([3] * 10), columns([30] * 4 + [3] * 6)])  # 2 years of cover
    path = tmp_path / "anual.tif"
    write_raster(path, data, crs="EPSG:32718", origin=(X0, Y0), size=SIZE)
    with pytest.raises(DataError, match="anual.tif"):  # no mining in the first year
        raster_measure(path, district, "raster_share", classes=(30,), band=1)
    second = raster_measure(path, district, "raster_share", classes=(30,), band=2)
    assert second.iloc[0] == pytest.approx(1.7 / 5, abs=1e-3)
