"""Reading user vector files: formats, CRS checks, repairs, and the boundary key."""

from __future__ import annotations

import zipfile

import geopandas as gpd
import pytest
import shapely
import shapely.affinity
from shapely.geometry import Point, Polygon, box

from geo.errors import DataError, set_language
from geo.geography.io import notices, read_boundaries, read_vector


@pytest.fixture(autouse=True)
def _spanish_after():
    """`riskmap --lang en` switches the process language; put Spanish back after each test."""
    yield
    set_language("es")


BOWTIE = Polygon([(0, 0), (2, 2), (2, 0), (0, 2), (0, 0)])  # crosses itself at (1, 1)


def _squares(crs="EPSG:4326", codes=("080101", "080102")):
    return gpd.GeoDataFrame(
        {"UBIGEO": list(codes), "nombre": [f"d{i}" for i in range(len(codes))]},
        geometry=[box(i, 0, i + 1, 1) for i in range(len(codes))],
        crs=crs,
    )


def test_geojson_roundtrip(tmp_path):
    path = tmp_path / "d.geojson"
    _squares().to_file(path, driver="GeoJSON")
    gdf = read_vector(path)
    assert len(gdf) == 2 and gdf.crs.to_epsg() == 4326
    assert shapely.area(gdf.geometry.to_numpy()).tolist() == pytest.approx([1.0, 1.0])
    assert notices(gdf) == []


def test_projected_crs_is_reprojected_and_said(tmp_path):
    # UTM 18S: easting 500 000 is the central meridian, 75 degrees West
    path = tmp_path / "utm.gpkg"
    gpd.GeoDataFrame(
        {"UBIGEO": ["080101"]}, geometry=[Point(500000, 8500000).buffer(1000)], crs="EPSG:32718"
    ).to_file(path, layer="d")
    gdf = read_vector(path)
    assert gdf.crs.to_epsg() == 4326
    c = gdf.geometry.iloc[0].centroid
    assert c.x == pytest.approx(-75.0, abs=1e-6)
    assert -13.7 < c.y < -13.4
    msgs = notices(gdf)
    assert len(msgs) == 1
    assert "32718" in msgs[0].es and "reproyectó" in msgs[0].es and "reprojected" in msgs[0].en


@pytest.mark.parametrize("epsg", [32719, 5389])  # WGS 84 and Peru96, UTM zone 19S (Cusco)
def test_utm_19s_and_peru96_reprojected(tmp_path, epsg):
    # easting 500 000 in zone 19S is its central meridian, 69 degrees West
    path = tmp_path / f"z{epsg}.geojson"
    gpd.GeoDataFrame({"UBIGEO": ["080101"]}, geometry=[Point(500000, 8500000).buffer(500)],
                     crs=f"EPSG:{epsg}").to_file(path, driver="GeoJSON")
    gdf = read_vector(path)
    assert gdf.geometry.iloc[0].centroid.x == pytest.approx(-69.0, abs=1e-5)
    assert str(epsg) in notices(gdf)[0].es


def test_missing_crs_is_an_error(tmp_path):
    path = tmp_path / "sin_prj.shp"
    _squares().to_file(path)
    path.with_suffix(".prj").unlink()
    with pytest.raises(DataError) as err:
        read_vector(path)
    assert "sin_prj.shp" in err.value.es and ".prj" in err.value.es
    assert "EPSG:4326" in err.value.en


def test_missing_crs_can_be_given(tmp_path):
    path = tmp_path / "sin_prj.shp"
    _squares().to_file(path)
    path.with_suffix(".prj").unlink()
    gdf = read_vector(path, crs="EPSG:4326")
    assert gdf.crs.to_epsg() == 4326 and "asumió" in notices(gdf)[0].es


def test_self_intersecting_polygon_repaired_and_reported(tmp_path):
    path = tmp_path / "bowtie.gpkg"
    gdf = _squares()
    gdf.loc[1, "geometry"] = BOWTIE
    gdf.to_file(path)
    out = read_vector(path)
    assert out.geometry.is_valid.all()
    # the bowtie becomes its two triangles, each of area 1
    assert out.geometry.iloc[1].geom_type == "MultiPolygon"
    assert out.geometry.iloc[1].area == pytest.approx(2.0)
    assert out.geometry.iloc[0].equals(box(0, 0, 1, 1))
    (msg,) = notices(out)
    assert "objeto 2" in msg.es and "make_valid" in msg.es and "feature 2" in msg.en


def test_empty_file_is_an_error(tmp_path):
    path = tmp_path / "vacio.geojson"
    path.write_bytes(b"")
    with pytest.raises(DataError) as err:
        read_vector(path)
    assert "vacío" in err.value.es and "empty" in err.value.en


def test_file_without_features_is_an_error(tmp_path):
    path = tmp_path / "cero.geojson"
    path.write_text('{"type": "FeatureCollection", "features": []}')
    with pytest.raises(DataError, match="vacío"):
        read_vector(path)


def test_missing_file_and_unreadable_file(tmp_path):
    with pytest.raises(DataError, match="No existe"):
        read_vector(tmp_path / "nada.gpkg")
    junk = tmp_path / "basura.gpkg"
    junk.write_bytes(b"esto no es un geopackage")
    with pytest.raises(DataError, match="GDAL"):
        read_vector(junk)


def test_empty_geometry_names_the_rows(tmp_path):
    path = tmp_path / "huecos.gpkg"
    gdf = _squares(codes=("080101", "080102", "080103"))
    gdf.loc[1, "geometry"] = None
    gdf.to_file(path)
    with pytest.raises(DataError) as err:
        read_vector(path)
    assert "objeto 2" in err.value.es and "feature 2" in err.value.en
    kept = read_vector(path, drop_empty=True)
    assert kept["UBIGEO"].tolist() == ["080101", "080103"]
    assert "descartaron 1" in notices(kept)[0].es


def test_zipped_shapefile(tmp_path):
    shp = tmp_path / "limites.shp"
    _squares().to_file(shp)
    zpath = tmp_path / "limites.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for part in tmp_path.glob("limites.*"):
            if part.suffix != ".zip":
                zf.write(part, part.name)
    gdf = read_boundaries(zpath)
    assert gdf["ubigeo"].tolist() == ["080101", "080102"]
    assert gdf.crs.to_epsg() == 4326


def test_multilayer_file_reads_first_and_says_so(tmp_path):
    path = tmp_path / "multi.gpkg"
    _squares().to_file(path, layer="a")
    _squares(codes=("160101",)).to_file(path, layer="b")
    first = read_vector(path)
    assert len(first) == 2 and "'a'" in notices(first)[0].es and "b" in notices(first)[0].en
    assert read_vector(path, layer="b")["UBIGEO"].tolist() == ["160101"]
    with pytest.raises(DataError) as err:
        read_vector(path, layer="c")
    assert "'c'" in err.value.es and "a, b" in err.value.es


def test_csv_with_wkt(tmp_path):
    path = tmp_path / "wkt.csv"
    path.write_text(
        'ubigeo,nombre,WKT\n080101,Cusco,"POLYGON ((0 0, 1 0, 1 1, 0 1, 0 0))"\n'
        '080102,Ccorca,"POLYGON ((1 0, 3 0, 3 1, 1 1, 1 0))"\n'
    )
    gdf = read_boundaries(path)
    assert gdf["ubigeo"].tolist() == ["080101", "080102"]
    assert shapely.area(gdf.geometry.to_numpy()).tolist() == pytest.approx([1.0, 2.0])
    assert gdf.crs.to_epsg() == 4326
    assert any("EPSG:4326" in n.es for n in notices(gdf))


def test_csv_with_projected_wkt_needs_a_crs(tmp_path):
    path = tmp_path / "utm.csv"
    path.write_text('id,wkt\n1,"POINT (500000 8500000)"\n')
    with pytest.raises(DataError, match="CRS"):
        read_vector(path)
    gdf = read_vector(path, crs="EPSG:32718")
    assert gdf.geometry.iloc[0].x == pytest.approx(-75.0)


def test_csv_with_lonlat_latin1_semicolon(tmp_path):
    path = tmp_path / "puntos.csv"
    path.write_bytes("id;lugar;lon;lat\n1;Kosñipata;-71.5;-13.0\n2;Iquitos;-73.25;-3.75\n"
                     .encode("latin-1"))
    gdf = read_vector(path)
    assert gdf["lugar"].tolist() == ["Kosñipata", "Iquitos"]
    assert gdf.geometry.x.tolist() == [-71.5, -73.25]
    assert gdf.geometry.y.tolist() == [-13.0, -3.75]
    assert gdf.crs.to_epsg() == 4326


def test_csv_lonlat_not_numbers_names_the_line(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("id,lon,lat\n1,-71.5,-13.0\n2,abc,-13\n")
    with pytest.raises(DataError) as err:
        read_vector(path)
    assert "línea 3" in err.value.es


def test_csv_without_geometry_is_an_error(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("ubigeo,valor\n080101,3\n")
    with pytest.raises(DataError) as err:
        read_vector(path)
    assert "wkt" in err.value.es and "lon" in err.value.en


def test_boundaries_lost_zero_restored_from_numbers(tmp_path):
    path = tmp_path / "num.gpkg"
    gdf = _squares()
    gdf["UBIGEO"] = [80101, 160101]
    gdf.to_file(path)
    out = read_boundaries(path)
    assert out["ubigeo"].tolist() == ["080101", "160101"]
    assert "UBIGEO" not in out.columns and out.columns[0] == "ubigeo"
    assert any("cero inicial de 1" in n.es for n in notices(out))


def test_boundaries_five_digit_text_is_an_error(tmp_path):
    path = tmp_path / "texto.geojson"
    _squares(codes=("080101", "80102")).to_file(path, driver="GeoJSON")
    with pytest.raises(DataError) as err:
        read_boundaries(path)
    assert "objeto 2" not in err.value.es  # ubigeo errors speak of rows
    assert "fila 2" in err.value.es and "'80102'" in err.value.es


def test_boundaries_duplicate_keys_listed(tmp_path):
    path = tmp_path / "dup.gpkg"
    _squares(codes=("080101", "080102", "080101")).to_file(path)
    with pytest.raises(DataError) as err:
        read_boundaries(path)
    assert "080101" in err.value.es and "objeto 1, objeto 3" in err.value.es
    assert "080102" not in err.value.es
    assert "duplicate" in err.value.en


def test_boundaries_must_be_polygons(tmp_path):
    path = tmp_path / "puntos.gpkg"
    gpd.GeoDataFrame({"ubigeo": ["080101"]}, geometry=[Point(0, 0)], crs=4326).to_file(path)
    with pytest.raises(DataError, match="polígonos"):
        read_boundaries(path)


def test_real_boundaries_2007_vintage(upstream_dir):
    gdf = read_boundaries(upstream_dir / "juaneladio_peru_distrital_simple.geojson",
                          drop_empty=True)
    assert len(gdf) == 1834 - 8
    assert gdf["ubigeo"].str.fullmatch(r"\d{6}").all()
    assert gdf["ubigeo"].is_unique
    assert any("8" in n.es and "sin geometría" in n.es for n in notices(gdf))


# --- riskmap data check: the user's way to test their own boundaries -------------------
@pytest.fixture
def no_base(tmp_path, monkeypatch):
    monkeypatch.setenv("RISKMAP_DATA_DIR", str(tmp_path / "datos"))


def _check(capsys, *args):
    from dashboard.cli import main

    code = main(list(args))
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return code, out.out, out.err


def test_cli_check_good_file_reports_repairs(tmp_path, capsys, no_base):
    path = tmp_path / "utm.gpkg"
    gdf = _squares().to_crs("EPSG:32718")
    gdf.loc[1, "geometry"] = shapely.affinity.translate(BOWTIE, 500000, 8500000)
    gdf.to_file(path)
    code, out, _ = _check(capsys, "data", "check", str(path))
    assert code == 0
    assert "2 distritos válidos" in out and "reproyectó" in out and "make_valid" in out
    code, out, _ = _check(capsys, "--lang", "en", "data", "check", str(path))
    assert code == 0 and "reprojected" in out and "repaired 1 invalid" in out


@pytest.mark.parametrize(
    ("content", "es", "en"),
    [
        ("dup", "repetido", "duplicate"),
        ("noprj", "no declara su sistema de coordenadas", "declares no coordinate"),
        ("empty", "vacío", "empty"),
        ("5digit", "5 dígitos", "lost leading zero"),
        ("nokey", "no se encontró la columna", "was not found"),
    ],
)
def test_cli_check_bad_inputs_exit_2_in_both_languages(tmp_path, capsys, no_base, content,
                                                      es, en):
    if content == "dup":
        path = tmp_path / "dup.gpkg"
        _squares(codes=("080101", "080101")).to_file(path)
    elif content == "noprj":
        path = tmp_path / "noprj.shp"
        _squares().to_file(path)
        path.with_suffix(".prj").unlink()
    elif content == "empty":
        path = tmp_path / "vacio.geojson"
        path.write_text("")
    elif content == "5digit":
        path = tmp_path / "cinco.geojson"
        _squares(codes=("80101", "080102")).to_file(path, driver="GeoJSON")
    else:
        path = tmp_path / "sinclave.gpkg"
        _squares().rename(columns={"UBIGEO": "codigo"}).to_file(path)
    code, _, err = _check(capsys, "data", "check", str(path))
    assert code == 2 and es in err and path.name in err
    code, _, err = _check(capsys, "--lang", "en", "data", "check", str(path))
    assert code == 2 and en in err


def test_cli_check_compares_codes_with_the_base(base_gpkg, shared_data, capsys):
    old = shared_data / "upstream" / "juaneladio_peru_distrital_simple.geojson"
    code, out, _ = _check(capsys, "--lang", "en", "data", "check", str(old), "--drop-empty",
                          "--base", str(base_gpkg))
    assert code == 0
    assert "dropped 8 feature(s)" in out
    assert "only in the current INEI base" in out and "080915" in out
    full = shared_data / "boundaries" / "cusco_loreto_distritos_mapsperu_full.geojson"
    code, out, _ = _check(capsys, "data", "check", str(full), "--base", str(base_gpkg))
    assert code == 0 and "169 distritos válidos" in out and "coinciden" in out


def _utm_geojson_without_crs(tmp_path):
    """A GeoJSON in UTM 18S metres with no ``crs`` member: GDAL calls it EPSG:4326."""
    import json

    ring = [[865209, 8494143], [866209, 8494143], [866209, 8495143], [865209, 8495143],
            [865209, 8494143]]
    path = tmp_path / "utm_sin_crs.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": [{
        "type": "Feature", "properties": {"UBIGEO": "080101"},
        "geometry": {"type": "Polygon", "coordinates": [ring]}}]}))
    return path


def test_metres_under_a_geographic_crs_is_an_error(tmp_path):
    path = _utm_geojson_without_crs(tmp_path)
    with pytest.raises(DataError) as err:
        read_vector(path)
    assert "proyectadas (metros)" in err.value.es and "--crs EPSG:32718" in err.value.es
    assert "utm_sin_crs.geojson" in err.value.es and "865,209" in err.value.es
    assert "look projected (metres)" in err.value.en and ".prj" in err.value.en
    # degrees are fine: the same square near Cusco in lon/lat is read as it is
    ok = tmp_path / "grados.geojson"
    gpd.GeoDataFrame({"UBIGEO": ["080101"]}, geometry=[box(-72.0, -13.6, -71.9, -13.5)],
                     crs=4326).to_file(ok, driver="GeoJSON")
    assert notices(read_vector(ok)) == []


def test_metres_under_a_geographic_crs_uses_the_given_crs(tmp_path):
    path = _utm_geojson_without_crs(tmp_path)
    gdf = read_vector(path, crs="EPSG:32718")
    # easting 865 209 is 365 km east of 75 W: about 71.6 W, near Cusco
    c = gdf.geometry.iloc[0].centroid
    assert -71.8 < c.x < -71.4 and -13.8 < c.y < -13.5
    assert "metros" in notices(gdf)[0].es and "EPSG:32718" in notices(gdf)[0].es
    with pytest.raises(DataError, match="proyectadas"):
        read_vector(path, crs="EPSG:4326")  # a geographic --crs does not help


def test_cli_check_metres_without_crs_exit_2(tmp_path, capsys, no_base):
    path = _utm_geojson_without_crs(tmp_path)
    code, _, err = _check(capsys, "data", "check", str(path))
    assert code == 2 and "EPSG:32718" in err
    code, out, _ = _check(capsys, "data", "check", str(path), "--crs", "EPSG:32718")
    assert code == 0 and "son metros" in out and "EPSG:32718" in out


def test_cli_check_one_province_is_a_subset(base_gpkg, shared_data, tmp_path, capsys):
    boundaries = shared_data / "boundaries"
    full = gpd.read_file(boundaries / "cusco_loreto_distritos_mapsperu_full.geojson")
    key = next(c for c in full.columns if c.lower() in ("ubigeo", "iddist"))
    codes = full[key].astype(str).str.zfill(6)
    province = full[codes.str.startswith("0812")]  # one province of Cusco
    n = len(province)
    assert 0 < n < 116
    path = tmp_path / "provincia.geojson"
    province.to_file(path, driver="GeoJSON")
    code, out, _ = _check(capsys, "data", "check", str(path), "--base", str(base_gpkg))
    assert code == 0
    assert f"cubre {n} de los 116 distritos" in out and "subconjunto" in out
    assert "versiones distintas" not in out and "solo en" not in out
    code, out, _ = _check(capsys, "--lang", "en", "data", "check", str(path),
                          "--base", str(base_gpkg))
    assert f"covers {n} of the 116 districts" in out and "(departments 08)" in out


def test_every_geopackage_write_in_the_code_asks_for_gpkg_options():
    """A GeoPackage written without GPKG_OPTIONS is 1.4, which GDAL 3.6 opens with a warning
    (tests/models/risk/test_exports.py opens the files; this finds a new writer early)."""
    import ast
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    missing, writes = [], 0
    for path in sorted(p for pkg in ("geo", "models", "dashboard")
                       for p in (root / pkg).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            words = {kw.arg: kw.value for kw in node.keywords}
            driver = words.get("driver")
            if isinstance(driver, ast.Constant) and driver.value == "GPKG":
                writes += 1
                options = words.get("dataset_options")
                if not (isinstance(options, ast.Name) and options.id == "GPKG_OPTIONS"):
                    missing.append(f"{path.relative_to(root)}:{node.lineno}")
    assert writes >= 10  # the scan sees the writers (base, build, display, scores, demo)
    assert not missing, missing
