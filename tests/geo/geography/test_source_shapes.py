"""The real sources, in their real shapes: every recipe of config/recetas on files made like them.

Each test writes small files the way the source publishes them — MapBiomas Perú's multi-band
30 m GeoTIFF in EPSG:4326 with its class codes; GeoBosques' loss-year raster and its XLSX
table by UBIGEO; Hansen's lossyear tiles joined in a VRT; INGEMMET's catastro split in three
zipped shapefiles by UTM zone (EPSG:32717/32718/32719) with CODIGOU, CONCESION, TIT_CONCES,
LEYENDA; REINFO's semicolon Latin-1 table of names in capitals without UBIGEO; SERFOR's
ArcGIS pages of GeoJSON with TITULAR — copies the recipe beside them, builds the district
table of Cusco and Loreto with it, and checks the values against an independent
computation (pixel centres with rasterio, polygon overlay with shapely, a groupby).
"""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from geo import columns as C
from geo.errors import ConfigError, DataError
from geo.geography.rasters import write_raster
from geo.paths import REPO_ROOT

RECIPES = REPO_ROOT / "config" / "recetas"
PIXEL = 0.00026949458523585647  # 30 m in degrees, as MapBiomas and Hansen publish it
EQUAL_AREA = "EPSG:6933"

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def region(base_gpkg):
    """Cusco and Loreto districts from the real base (what a recipe's build reads)."""
    from geo.geography.base import read_districts

    return read_districts(base_gpkg, ("08", "16"))


@pytest.fixture(scope="module")
def small(region):
    """A small Cusco district and a small Loreto one (their rasters stay small)."""
    area = region.set_index(C.UBIGEO)[C.AREA_KM2]
    cusco = area[area.index.str.startswith("08")].sort_values().index[5]
    loreto = area[area.index.str.startswith("16")].sort_values().index[0]
    return region.set_index(C.UBIGEO).loc[[cusco, loreto]]


def recipe(name: str, folder: Path):
    """Copy a recipe into ``folder`` (beside its fuentes/) and load it."""
    from geo.config import load_settings

    (folder / "fuentes").mkdir(exist_ok=True)
    shutil.copy(RECIPES / name, folder / name)
    return folder / name, lambda: load_settings(folder / name)


def build(settings_path: Path, tmp_path: Path) -> gpd.GeoDataFrame:
    from geo.config import load_settings
    from geo.geography.build import build_districts

    return build_districts(load_settings(settings_path), out=tmp_path / "distritos.gpkg")


def grid_over(geom, pad: float = 0.01):
    """Origin and shape of a 30 m EPSG:4326 grid covering ``geom`` with a margin."""
    minx, miny, maxx, maxy = geom.bounds
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    cols = int(np.ceil((maxx - minx) / PIXEL))
    rows = int(np.ceil((maxy - miny) / PIXEL))
    return (minx, maxy), rows, cols


def centres_in(geom, origin, rows: int, cols: int) -> np.ndarray:
    """Which pixel centres fall in ``geom`` (rasterio's rasterisation, independent of ours)."""
    from rasterio.features import geometry_mask
    from rasterio.transform import from_origin

    return geometry_mask([geom], out_shape=(rows, cols), invert=True,
                         transform=from_origin(origin[0], origin[1], PIXEL, PIXEL))


def pixel_ha(lat: float) -> float:
    radius = 6_371_008.8
    dlat = np.radians(PIXEL)
    return radius ** 2 * np.radians(PIXEL) * abs(
        np.sin(np.radians(lat) + dlat / 2) - np.sin(np.radians(lat) - dlat / 2)) / 1e4


# --------------------------------------------------------------------------------------
def test_mapbiomas_recipe_share_of_classes(tmp_path, small, data_root):
    path, _ = recipe("mapbiomas_mineria.toml", tmp_path)
    ubigeo = small.index[0]
    geom = small.geometry.iloc[0]
    origin, rows, cols = grid_over(geom)
    rng = np.random.default_rng(0)
    bands = rng.choice(np.array([3, 15, 24, 33], dtype="uint8"), size=(38, rows, cols))
    year = np.full((rows, cols), 3, dtype="uint8")  # band 38: forest, mining west, farms east
    year[:, : cols // 3] = 30
    year[:, cols // 3: cols // 2] = 18
    year[: rows // 4, cols // 2:] = 35
    bands[37] = year
    write_raster(tmp_path / "fuentes" / "mapbiomas-peru-coleccion2.tif", bands, crs="EPSG:4326",
                 origin=origin, size=PIXEL, nodata=0)
    table = build(path, tmp_path).set_index(C.UBIGEO)
    inside = centres_in(geom, origin, rows, cols)
    expected_mining = (year[inside] == 30).mean()
    expected_farms = np.isin(year[inside], [18, 35]).mean()
    assert table.loc[ubigeo, "mineria_mapbiomas"] == pytest.approx(expected_mining, abs=0.01)
    assert table.loc[ubigeo, "agricultura_mapbiomas"] == pytest.approx(expected_farms,
                                                                       abs=0.01)
    assert expected_mining > 0.05 and expected_farms > 0.05  # the check means something
    far = table.index.difference(small.index)
    assert table.loc[far, "mineria_mapbiomas"].max() < 0.5  # only the raster's reach counts
    # band_first_year = 1985: the earlier bands are the earlier years (no mining before 2022)
    from geo.geography.build import read_layer_history

    past = read_layer_history(tmp_path / "distritos.gpkg")["mineria_mapbiomas"].unstack("anio")
    assert past.columns.max() == 2022 and past.loc[ubigeo, 2021] == 0.0
    assert past.loc[ubigeo, 2022] == pytest.approx(table.loc[ubigeo, "mineria_mapbiomas"])


def test_geobosques_recipe_hectares_by_year_and_the_xlsx_table(tmp_path, small, region):
    path, _ = recipe("geobosques_perdida.toml", tmp_path)
    ubigeo, geom = small.index[1], small.geometry.iloc[1]  # a Loreto district
    origin, rows, cols = grid_over(geom)
    rng = np.random.default_rng(1)
    loss = np.where(rng.random((rows, cols)) < 0.2,
                    rng.integers(2001, 2025, size=(rows, cols)), 0).astype("int16")
    write_raster(tmp_path / "fuentes" / "geobosques_perdida_bosque.tif", loss, crs="EPSG:4326",
                 origin=origin, size=PIXEL, nodata=0)
    codes = region[C.UBIGEO].tolist()
    sheet = pd.DataFrame({"UBIGEO": [int(c) for c in codes],  # Excel drops the leading 0
                          "DEPARTAMENTO": region[C.DEPARTAMENTO].str.upper().to_numpy(),
                          "DISTRITO": region[C.DISTRITO].str.upper().to_numpy(),
                          **{str(y): np.arange(len(codes)) * 1.5 + y - 2000
                             for y in range(2001, 2024)}})
    sheet.to_excel(tmp_path / "fuentes" / "geobosques_perdida_por_distrito.xlsx", index=False)
    table = build(path, tmp_path).set_index(C.UBIGEO)
    inside = centres_in(geom, origin, rows, cols)
    years = loss[inside]
    expected_ha = ((years >= 2020) & (years <= 2024)).sum() * pixel_ha(geom.centroid.y)
    assert table.loc[ubigeo, "perdida_bosque_2020_2024"] == pytest.approx(expected_ha, rel=0.03)
    expected_table = sheet.set_index(sheet["UBIGEO"].astype(str).str.zfill(6))["2023"]
    assert np.allclose(table["perdida_bosque_2023_tabla"], expected_table.loc[table.index])


def test_hansen_recipe_tiles_in_a_vrt_with_year_base(tmp_path, small):
    path, _ = recipe("hansen_perdida.toml", tmp_path)
    ubigeo, geom = small.index[0], small.geometry.iloc[0]
    origin, rows, cols = grid_over(geom)
    rng = np.random.default_rng(2)
    lossyear = np.where(rng.random((rows, cols)) < 0.3, rng.integers(1, 24, size=(rows, cols)),
                        0).astype("uint8")
    half = cols // 2  # two tiles, as the Hansen 10° tiles come, joined in a VRT
    tiles = []
    for i, part in enumerate((lossyear[:, :half], lossyear[:, half:])):
        tile = tmp_path / "fuentes" / f"Hansen_GFC-2023-v1.11_lossyear_{i}.tif"
        write_raster(tile, part, crs="EPSG:4326", origin=(origin[0] + i * half * PIXEL,
                                                           origin[1]), size=PIXEL)
        tiles.append((tile, part.shape, i * half))
    sources = "".join(
        f"<SimpleSource><SourceFilename relativeToVRT=\"1\">{t.name}</SourceFilename>"
        f"<SourceBand>1</SourceBand><SrcRect xOff=\"0\" yOff=\"0\" xSize=\"{s[1]}\" "
        f"ySize=\"{s[0]}\"/><DstRect xOff=\"{x}\" yOff=\"0\" xSize=\"{s[1]}\" "
        f"ySize=\"{s[0]}\"/></SimpleSource>" for t, s, x in tiles)
    (tmp_path / "fuentes" / "hansen_lossyear.vrt").write_text(
        f'<VRTDataset rasterXSize="{cols}" rasterYSize="{rows}"><SRS>EPSG:4326</SRS>'
        f"<GeoTransform>{origin[0]}, {PIXEL}, 0, {origin[1]}, 0, {-PIXEL}</GeoTransform>"
        f'<VRTRasterBand dataType="Byte" band="1">{sources}</VRTRasterBand></VRTDataset>')
    table = build(path, tmp_path).set_index(C.UBIGEO)
    years = lossyear[centres_in(geom, origin, rows, cols)].astype(int) + 2000
    expected = ((years >= 2020) & (years <= 2023)).sum() * pixel_ha(geom.centroid.y)
    assert table.loc[ubigeo, "perdida_hansen_2020_2023"] == pytest.approx(expected, rel=0.03)
    assert expected > 0


def _zip_shapefile(gdf: gpd.GeoDataFrame, target: Path) -> Path:
    folder = target.with_suffix("")
    folder.mkdir()
    gdf.to_file(folder / (target.stem + ".shp"))
    with zipfile.ZipFile(target, "w") as zf:
        for part in folder.iterdir():
            zf.write(part, part.name)
    shutil.rmtree(folder)
    return target


def test_ingemmet_recipe_three_utm_zones_and_a_where(tmp_path, small):
    path, _ = recipe("ingemmet_concesiones.toml", tmp_path)
    polygons, rows = [], []
    for n, (ubigeo, geom) in enumerate(small.geometry.items()):
        minx, miny, maxx, maxy = geom.bounds
        w, h = maxx - minx, maxy - miny
        for k, leyenda in enumerate(("TITULADO", "TITULADO", "TRAMITE", "EXTINGUIDO")):
            if leyenda == "TRAMITE":  # a petition well inside the district
                polygons.append(geom.representative_point().buffer(min(w, h) / 50))
            else:
                polygons.append(box(minx + w * (0.1 + 0.2 * k), miny + h * 0.2,
                                    minx + w * (0.35 + 0.2 * k), miny + h * 0.7))
            # FEC_DENU: the claim's date (a shapefile Date field); the second title is recent
            rows.append({"CODIGOU": f"0{n}0{k}0001X01", "CONCESION": f"MINERA {ubigeo}-{k}",
                         "TIT_CONCES": "EMPRESA MINERA S.A.C.", "LEYENDA": leyenda,
                         "HECTAREA": 100.0,
                         "FEC_DENU": pd.Timestamp("2021-03-15" if k == 1 else "1998-05-12"
                                                  ).date()})
    catastro = gpd.GeoDataFrame(rows, geometry=polygons, crs=4326)
    # the same catastro, split by UTM zone as GEOCATMIN publishes it: each zone its own CRS
    lon = catastro.geometry.bounds["minx"].to_numpy()
    zone = (np.floor((lon + 180) / 6) + 1).astype(int)
    for z in (17, 18, 19):
        part = catastro[zone == z]
        if part.empty:  # an empty zone file still exists, as GEOCATMIN's does
            part = catastro.iloc[:1].assign(LEYENDA="EXTINGUIDO")
        _zip_shapefile(part.to_crs(32700 + z), tmp_path / "fuentes" / f"Catastro_{z}S.zip")
    table = build(path, tmp_path).set_index(C.UBIGEO)
    titled = catastro[catastro["LEYENDA"] == "TITULADO"].to_crs(EQUAL_AREA).union_all()
    for ubigeo, geom in small.geometry.items():
        district = gpd.GeoSeries([geom], crs=4326).to_crs(EQUAL_AREA).iloc[0]
        expected = district.intersection(titled).area / district.area
        assert table.loc[ubigeo, "concesiones_mineras"] == pytest.approx(expected, rel=0.01)
        assert expected > 0.05
    # counted where each petition's representative point falls (as geo.geography.layers counts)
    pending = catastro[catastro["LEYENDA"] == "TRAMITE"].geometry.representative_point()
    expected = [float(pending.within(geom).sum()) for geom in small.geometry]
    assert table.loc[small.index, "concesiones_en_tramite"].tolist() == expected == [1.0, 1.0]
    # dated by FEC_DENU: before 2021 only the older title covered its share
    from geo.geography.build import read_layer_history
    from models.risk.score import features_in

    past = read_layer_history(tmp_path / "distritos.gpkg")
    assert set(past.columns) == {"concesiones_mineras", "concesiones_en_tramite"}
    now = table.loc[small.index, ["concesiones_mineras"]]
    before = features_in(now, past, 2019)["concesiones_mineras"]
    year = pd.to_datetime(catastro["FEC_DENU"]).dt.year
    older = catastro[(catastro["LEYENDA"] == "TITULADO") & (year < 2000)]
    for ubigeo, geom in small.geometry.items():
        district = gpd.GeoSeries([geom], crs=4326).to_crs(EQUAL_AREA).iloc[0]
        share = district.intersection(older.to_crs(EQUAL_AREA).union_all()).area / district.area
        assert before[ubigeo] == pytest.approx(share, rel=0.01)
        assert before[ubigeo] < now.loc[ubigeo, "concesiones_mineras"]
    assert features_in(now, past, 2024).equals(now)


def test_reinfo_recipe_names_without_ubigeo(tmp_path, region):
    path, _ = recipe("reinfo.toml", tmp_path)
    by = region.set_index(C.UBIGEO)
    picks = ["080910", "080907", "160101", "160112"]  # Pichari, Kimbiri, Iquitos, San Juan B.
    lines = ["RUC;NOMBRE;DEPARTAMENTO;PROVINCIA;DISTRITO;ESTADO"]
    expected = {}
    for i, code in enumerate(picks):
        d = by.loc[code]
        names = [str(d[c]).upper().replace("Á", "A").replace("É", "E").replace("Í", "I")
                 .replace("Ó", "O").replace("Ú", "U").replace("Ñ", "N")
                 for c in (C.DEPARTAMENTO, C.PROVINCIA, C.DISTRITO)]
        for j in range(i + 1):
            lines.append(f"2060{i}{j};MINERO {i}{j};{';'.join(names)};VIGENTE")
        lines.append(f"2070{i};OTRO {i};{';'.join(names)};SUSPENDIDO")  # filtered out
        expected[code] = i + 1
    lines.append("20999;MINERO X;CUSCO;LA CONVENCION;PICHARY;VIGENTE")  # misspelt
    lines.append("20998;MINERO Y;LIMA;LIMA;MIRAFLORES;VIGENTE")  # another department
    lines.append("20997;MINERO Z;;;SANTA ROSA;VIGENTE")  # in several departments
    (tmp_path / "fuentes" / "reinfo_mineros.csv").write_bytes(
        ("\n".join(lines) + "\n").encode("latin-1"))
    table = build(path, tmp_path)
    counts = table.set_index(C.UBIGEO)["mineria_informal_reinfo"]
    for code, n in expected.items():
        assert counts[code] == n, code
    assert counts.sum() == sum(expected.values())  # Lima's row is not Cusco's or Loreto's
    notices = " | ".join(n.es for n in table.attrs["notices"])
    assert "reinfo_mineros.csv, línea" in notices and "PICHARY" in notices
    assert "Pichari (La Convención, Cusco)" in notices  # the closest name, to fix the row
    assert "SANTA ROSA" in notices and "varios distritos" in notices
    fuentes = {r["capa"]: r for r in table.attrs["fuentes"]}
    assert fuentes["mineria_informal_reinfo"]["filas_sin_distrito"] == 2


def test_serfor_recipe_arcgis_pages(tmp_path, small):
    path, _ = recipe("serfor_concesiones.toml", tmp_path)
    geom = small.geometry.iloc[1]
    minx, miny, maxx, maxy = geom.bounds
    w, h = maxx - minx, maxy - miny
    pages = []
    for page in range(2):
        feats = gpd.GeoDataFrame(
            {"TITULAR": [f"FORESTAL {page}-{k} S.A.C." for k in range(3)],
             "MODALIDAD": ["CONCESION MADERABLE", "PERMISO", "CONCESION MADERABLE"],
             "SUPAPROB": [1000.0, 50.0, 800.0]},
            geometry=[box(minx + w * (0.05 + 0.3 * k + 0.1 * page), miny + h * 0.1,
                          minx + w * (0.2 + 0.3 * k + 0.1 * page), miny + h * 0.9)
                      for k in range(3)], crs=4326)
        feats.to_file(tmp_path / "fuentes" / f"serfor_titulos_{page * 1000}.geojson",
                      driver="GeoJSON")
        pages.append(feats)
    table = build(path, tmp_path).set_index(C.UBIGEO)
    both = pd.concat(pages)
    wood = both[both["MODALIDAD"] == "CONCESION MADERABLE"].to_crs(EQUAL_AREA).union_all()
    district = gpd.GeoSeries([geom], crs=4326).to_crs(EQUAL_AREA).iloc[0]
    expected = district.intersection(wood).area / district.area
    assert table.loc[small.index[1], "concesiones_forestales"] == pytest.approx(expected,
                                                                               rel=0.01)


# --------------------------------------------------------------------------------------
# bad input: a message naming the file and the key, nothing written
def _settings(tmp_path: Path, layer: str) -> Path:
    path = tmp_path / "ajustes.toml"
    path.write_text("config_version = 1\n[data]\nregion = [\"08\"]\n[[layers]]\n" + layer,
                    encoding="utf-8")
    (tmp_path / "fuentes").mkdir(exist_ok=True)
    return path


def test_a_raster_without_crs_is_refused(tmp_path, small, data_root):
    import rasterio

    tif = tmp_path / "fuentes" / "sin_crs.tif"
    (tmp_path / "fuentes").mkdir(exist_ok=True)
    with rasterio.open(tif, "w", driver="GTiff", width=10, height=10, count=1,
                       dtype="uint8") as dst:
        dst.write(np.ones((1, 10, 10), dtype="uint8"))
    path = _settings(tmp_path, 'name = "x"\nsector = "mineria"\npath = "fuentes/sin_crs.tif"\n'
                     'measure = "raster_share"\nclasses = [1]\n')
    with pytest.raises(DataError, match="sin_crs.tif: el ráster no declara su sistema"):
        build(path, tmp_path)
    assert not (tmp_path / "distritos.gpkg").exists()


def test_classes_absent_from_the_raster_are_said(tmp_path, small):
    geom = small.geometry.iloc[0]
    origin, rows, cols = grid_over(geom)
    (tmp_path / "fuentes").mkdir()
    write_raster(tmp_path / "fuentes" / "c.tif", np.full((rows, cols), 3, dtype="uint8"),
                 crs="EPSG:4326", origin=origin, size=PIXEL)
    path = _settings(tmp_path, 'name = "x"\nsector = "mineria"\npath = "fuentes/c.tif"\n'
                     'measure = "raster_share"\nclasses = [30]\n')
    with pytest.raises(DataError) as info:
        build(path, tmp_path)
    assert "c.tif: ningún píxel" in info.value.es and "30" in info.value.es


def test_match_naming_a_missing_column(tmp_path, data_root):
    (tmp_path / "fuentes").mkdir()
    (tmp_path / "fuentes" / "t.csv").write_text("DEP;DIST\nCUSCO;PICHARI\n", encoding="utf-8")
    path = _settings(tmp_path, 'name = "x"\nsector = "mineria"\npath = "fuentes/t.csv"\n'
                     'measure = "count"\nmatch = { departamento = "DEP", distrito = '
                     '"DISTRITO" }\n')
    with pytest.raises(DataError) as info:
        build(path, tmp_path)
    assert "t.csv: no tiene la(s) columna(s) DISTRITO" in info.value.es
    assert "DEP, DIST" in info.value.es


def test_a_where_gdal_rejects(tmp_path, small, data_root):
    (tmp_path / "fuentes").mkdir()
    gpd.GeoDataFrame({"LEYENDA": ["TITULADO"]}, geometry=[small.geometry.iloc[0]], crs=4326
                     ).to_file(tmp_path / "fuentes" / "c.gpkg")
    path = _settings(tmp_path, 'name = "x"\nsector = "mineria"\npath = "fuentes/c.gpkg"\n'
                     'measure = "area_share"\nwhere = "NO_EXISTE = 1"\n')
    with pytest.raises(DataError) as info:
        build(path, tmp_path)
    assert "c.gpkg: el filtro where = \"NO_EXISTE = 1\" no es válido" in info.value.es


def test_a_file_list_mixing_points_and_polygons(tmp_path, small, data_root):
    (tmp_path / "fuentes").mkdir()
    geom = small.geometry.iloc[0]
    gpd.GeoDataFrame({"a": [1]}, geometry=[geom], crs=4326).to_file(
        tmp_path / "fuentes" / "poligonos.gpkg")
    gpd.GeoDataFrame({"a": [1]}, geometry=[geom.centroid], crs=4326).to_file(
        tmp_path / "fuentes" / "puntos.gpkg")
    path = _settings(tmp_path, 'name = "x"\nsector = "mineria"\npath = ["fuentes/poligonos'
                     '.gpkg", "fuentes/puntos.gpkg"]\nmeasure = "count"\n')
    with pytest.raises(DataError) as info:
        build(path, tmp_path)
    assert "mezcla tipos de geometría" in info.value.es and "puntos.gpkg: Point" in info.value.es


@pytest.mark.parametrize(("layer", "needle"), [
    ('measure = "raster_share"\n', "necesita 'classes'"),
    ('measure = "raster_sum"\nyears = [2024, 2020]\n', None),
    ('measure = "count"\nclasses = [1]\n', "son de los rásteres"),
    ('measure = "area_share"\nmatch = { distrito = "D" }\n', "match sirve para tablas"),
    ('measure = "count"\nmatch = { provincia = "P" }\n', "al menos 'distrito'"),
])
def test_settings_errors_name_the_layer_and_key(tmp_path, layer, needle):
    from geo.config import load_settings

    path = _settings(tmp_path, 'name = "x"\nsector = "mineria"\npath = "f.tif"\n' + layer)
    if needle is None:  # a reversed range reaches the raster reader, which says so
        from geo.geography.rasters import _wanted_values

        with pytest.raises(DataError, match=r"'years' debe ser \[desde, hasta\]"):
            _wanted_values((), (2024, 2020), 0)
        return
    with pytest.raises(ConfigError) as info:
        load_settings(path, check_files=False)
    assert needle in info.value.es and "('x')" in info.value.es
