"""Point files beyond memory: GeoParquet and CSV counted in chunks, and on a Dask cluster."""

from __future__ import annotations

import shutil

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo import columns as C
from geo.geography.chunks import count_point_file
from geo.paths import REPO_ROOT

RECIPES = REPO_ROOT / "config" / "recetas"


@pytest.fixture(scope="module")
def grid() -> gpd.GeoDataFrame:
    """Twelve districts in a 4 x 3 grid of 0.5° squares over Cusco."""
    boxes = [box(-73 + 0.5 * i, -14 + 0.5 * j, -72.5 + 0.5 * i, -13.5 + 0.5 * j)
             for j in range(3) for i in range(4)]
    return gpd.GeoDataFrame({C.UBIGEO: [f"0801{k:02d}" for k in range(1, 13)]},
                            geometry=boxes, crs=4326)


@pytest.fixture(scope="module")
def alerts(grid) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(7)
    n = 120_000
    x, y = rng.uniform(-73.2, -70.8, n), rng.uniform(-14.2, -12.3, n)  # some outside
    return gpd.GeoDataFrame(
        {"fecha": pd.to_datetime("2023-01-01") + pd.to_timedelta(rng.integers(0, 700, n),
                                                                  unit="D"),
         "confianza": rng.integers(2, 4, n)},
        geometry=gpd.points_from_xy(x, y), crs=4326)


def independent(points: gpd.GeoDataFrame, districts: gpd.GeoDataFrame) -> pd.Series:
    joined = gpd.sjoin(points.to_crs(4326), districts, predicate="within", how="inner")
    return joined.groupby(C.UBIGEO).size().reindex(districts[C.UBIGEO], fill_value=0) \
        .astype(float)


def test_geoparquet_in_chunks_equals_a_spatial_join(tmp_path, grid, alerts):
    path = tmp_path / "alertas.parquet"
    alerts.to_parquet(path, row_group_size=10_000)
    result = count_point_file(path, grid, chunk_rows=25_000)
    expected = independent(alerts, grid)
    assert result.counts.tolist() == expected.tolist()
    assert result.points == len(alerts) and result.outside == len(alerts) - expected.sum()


def test_geoparquet_in_another_crs_and_a_where(tmp_path, grid, alerts):
    path = tmp_path / "alertas_utm.parquet"
    alerts.assign(fecha=alerts["fecha"].dt.strftime("%Y-%m-%d")).to_crs(32718).to_parquet(
        path, row_group_size=20_000)
    result = count_point_file(path, grid, where="confianza >= 3 AND fecha >= '2024-01-01'",
                              chunk_rows=30_000)
    kept = alerts[(alerts["confianza"] >= 3) & (alerts["fecha"] >= "2024-01-01")]
    assert result.counts.tolist() == independent(kept, grid).tolist()
    assert result.points == len(kept)


def test_a_csv_in_chunks(tmp_path, grid, alerts):
    path = tmp_path / "alertas.csv"
    pd.DataFrame({"longitud": alerts.geometry.x, "latitud": alerts.geometry.y,
                  "confianza": alerts["confianza"]}).to_csv(path, index=False)
    result = count_point_file(path, grid, chunk_rows=7_777)  # ranges end mid-block
    assert result.counts.tolist() == independent(alerts, grid).tolist()


def test_on_a_dask_cluster_the_counts_and_rasters_are_the_same(tmp_path, grid, alerts):
    pytest.importorskip("dask.distributed")
    from dask.distributed import Client, LocalCluster

    from geo.geography.rasters import raster_measure, write_raster

    path = tmp_path / "alertas.parquet"
    alerts.to_parquet(path, row_group_size=10_000)
    raster = write_raster(tmp_path / "clases.tif",
                          np.random.default_rng(1).integers(1, 4, (600, 800)).astype("uint8"),
                          crs="EPSG:4326", origin=(-73.1, -12.4), size=0.003)
    local = count_point_file(path, grid, chunk_rows=25_000)
    local_share = raster_measure(raster, grid, "raster_share", classes=(2,))
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster, Client(cluster) as client:
        remote = count_point_file(path, grid, chunk_rows=25_000, client=client)
        remote_share = raster_measure(raster, grid, "raster_share", classes=(2,),
                                      client=client)
    assert remote.counts.tolist() == local.counts.tolist()
    assert np.allclose(remote_share.to_numpy(), local_share.to_numpy())


@pytest.mark.slow
def test_alerts_recipe_and_build_on_local_workers(tmp_path, base_gpkg, data_root):
    from geo.config import load_settings
    from geo.geography.base import read_districts

    (tmp_path / "fuentes").mkdir()
    shutil.copy(RECIPES / "alertas_deforestacion.toml", tmp_path / "receta.toml")
    districts = read_districts(base_gpkg, ("08", "16"))
    target = districts.set_index(C.UBIGEO).geometry
    rng = np.random.default_rng(3)
    rows = []
    for code, geom in list(target.items())[:20]:
        inside = geom.representative_point()
        for k in range(int(rng.integers(1, 6))):
            rows.append({"ubigeo_real": code, "confianza": 3 if k % 2 == 0 else 2,
                         "fecha": "2024-03-01" if k % 3 else "2023-06-01",
                         "geometry": inside})
    points = gpd.GeoDataFrame(rows, crs=4326)
    points.drop(columns="ubigeo_real").to_parquet(tmp_path / "fuentes" / "alertas_peru.parquet")
    expected = points[(points["confianza"] >= 3) & (points["fecha"] >= "2024-01-01")] \
        .groupby("ubigeo_real").size()
    from dashboard.cli import main

    out = tmp_path / "distritos.gpkg"
    assert main(["build", "--config", str(tmp_path / "receta.toml"), "--out", str(out),
                 "--workers", "2"]) == 0
    table = gpd.read_file(out, layer="distritos").set_index(C.UBIGEO)
    settings = load_settings(tmp_path / "receta.toml")
    assert settings.layers[0].measure == "density"
    got = table["alertas_deforestacion"] * table[C.AREA_KM2]
    for code, n in expected.items():
        assert got[code] == pytest.approx(n), code
    assert got.drop(expected.index).abs().max() < 1e-9
