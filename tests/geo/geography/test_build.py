"""The district table: `riskmap build` on tiny inline settings, and on the real demo world."""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point, box

from dashboard.cli import main
from geo import columns as C
from geo.config import load_settings
from geo.errors import ConfigError, DataError
from geo.geography.build import build_districts, read_fuentes

WGS84 = "EPSG:4326"


def _write_base(path: Path) -> Path:
    """A base GeoPackage with four 1°x1° districts: two of Cusco, one of Loreto, one of Lima."""
    codes = ["080101", "080102", "160101", "150101"]
    deps = ["Cusco", "Cusco", "Loreto", "Lima"]
    geoms = [box(-72, -14, -71, -13), box(-71, -14, -70, -13), box(-74, -4, -73, -3),
             box(-77, -13, -76, -12)]
    n = len(codes)
    gdf = gpd.GeoDataFrame(
        {
            C.UBIGEO: codes,
            C.DISTRITO: ["Cusco", "Ccorca", "Iquitos", "Lima"],
            C.PROVINCIA: ["Cusco", "Cusco", "Maynas", "Lima"],
            C.DEPARTAMENTO: deps,
            C.COD_DEP: [c[:2] for c in codes],
            C.COD_PROV: [c[:4] for c in codes],
            C.REGION_NATURAL: ["Sierra", "Sierra", "Selva", "Costa"],
            C.AREA_KM2: [100.0, 200.0, 400.0, 50.0],
            C.POBLACION: [10_000.0, 2_000.0, 50_000.0, 1_000.0],
            C.POBREZA: [10.0] * n, C.POBREZA_INF: [8.0] * n, C.POBREZA_SUP: [12.0] * n,
            C.IDH: [0.5] * n, C.DENSIDAD: [1.0] * n, C.ALTITUD: [3000.0] * n,
            C.LEJANIA: [0.0] * n, C.CENTROIDE_LON: [g.centroid.x for g in geoms],
            C.CENTROIDE_LAT: [g.centroid.y for g in geoms], "imputado": [""] * n,
        },
        geometry=geoms,
        crs=WGS84,
    )
    gdf.to_file(path, layer="distritos", driver="GPKG")
    return path


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A folder with a base, three layers and a settings.toml pointing at them."""
    _write_base(tmp_path / "base.gpkg")
    capas = tmp_path / "capas"
    capas.mkdir()
    # covers the west half of 080101 and nothing else
    gpd.GeoDataFrame({"titular": ["A"]}, geometry=[box(-72, -14, -71.5, -13)], crs=WGS84
                     ).to_file(capas / "concesiones.gpkg", layer="concesiones")
    gpd.GeoDataFrame({"trabajadores": [3, 4, 10]},
                     geometry=[Point(-71.5, -13.5), Point(-70.5, -13.5), Point(-73.5, -3.5)],
                     crs=WGS84).to_file(capas / "campamentos.geojson")
    (capas / "coca.csv").write_text("ubigeo,coca_ha\n80101,1.5\n160101,20\n")
    (tmp_path / "settings.toml").write_text(textwrap.dedent("""\
        config_version = 1
        [data]
        base = "base.gpkg"
        workdir = "trabajo"
        [[layers]]
        name = "concesiones"
        sector = "mineria"
        path = "capas/concesiones.gpkg"
        layer = "concesiones"
        measure = "area_share"
        [[layers]]
        name = "campamentos"
        sector = "tala"
        path = "capas/campamentos.geojson"
        measure = "density"
        per = "poblacion"
        [[layers]]
        name = "trabajadores"
        sector = "tala"
        path = "capas/campamentos.geojson"
        measure = "sum"
        column = "trabajadores"
        [[layers]]
        name = "coca"
        sector = "coca"
        path = "capas/coca.csv"
        measure = "value"
        column = "coca_ha"
        simulated = true
        """))
    return tmp_path


def test_build_districts_on_tiny_settings(tiny: Path):
    settings = load_settings(tiny / "settings.toml")
    gdf = build_districts(settings)
    out = settings.districts_gpkg
    assert out == tiny / "trabajo" / "distritos.gpkg" and out.is_file()
    # default region: Cusco and Loreto, Lima left out
    assert gdf[C.UBIGEO].tolist() == ["080101", "080102", "160101"]
    got = gdf.set_index(C.UBIGEO)
    assert got["concesiones"].tolist() == pytest.approx([0.5, 0.0, 0.0], abs=1e-9)
    assert got["campamentos"].tolist() == pytest.approx([1 / 10, 1 / 2, 1 / 50])
    assert got["trabajadores"].tolist() == [3.0, 4.0, 10.0]
    # a table's district without a row has no value (NaN), not 0 (docs/CAPAS_REALES.md)
    assert got["coca"].tolist()[::2] == [1.5, 20.0] and np.isnan(got["coca"].iloc[1])

    written = gpd.read_file(out, layer="distritos")
    for col in (C.UBIGEO, C.DISTRITO, C.PROVINCIA, C.DEPARTAMENTO, C.AREA_KM2, C.POBLACION,
                "concesiones", "campamentos", "trabajadores", "coca"):
        assert col in written.columns
    assert written.crs.to_epsg() == 4326
    pd.testing.assert_series_equal(written["coca"], gdf["coca"].reset_index(drop=True))
    assert written["coca"].isna().tolist() == [False, True, False]  # NULL, read back as NaN

    fuentes = read_fuentes(out)
    assert fuentes["capa"].tolist() == ["concesiones", "campamentos", "trabajadores", "coca"]
    assert fuentes["medida"].tolist() == ["area_share", "density", "sum", "value"]
    assert fuentes["n_elementos"].tolist() == [1, 3, 3, 2]
    assert fuentes["simulado"].tolist() == [False, False, False, True]
    sha = hashlib.sha256((tiny / "capas" / "coca.csv").read_bytes()).hexdigest()
    assert fuentes["sha256"].iloc[3] == sha
    assert fuentes["fecha_construccion"].str.match(r"\d{4}-\d\d-\d\dT").all()
    assert sorted(pyogrio.list_layers(out)[:, 0]) == ["distritos", "fuentes"]
    assert gdf.attrs["simulated"] is True


def test_build_region_and_out(tiny: Path):
    settings = load_settings(tiny / "settings.toml")
    gdf = build_districts(settings, region="all", out=tiny / "todo.gpkg")
    assert len(gdf) == 4 and (tiny / "todo.gpkg").is_file()
    assert len(build_districts(settings, region="loreto", out=tiny / "l.gpkg")) == 1


def test_cli_build_prints_a_summary(tiny: Path, capsys):
    out = tiny / "salida" / "d.gpkg"
    assert main(["build", "--config", str(tiny / "settings.toml"), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "3 distritos: Cusco 2, Loreto 1" in text
    assert "coca (coca, value)" in text and "SIMULAD" in text
    assert "080102" in text  # no row in coca.csv: said, left without a value
    assert out.is_file()


def _fuentes_row(capa: str, medida: str, n: int, **extra) -> dict:
    return {"capa": capa, "sector": extra.pop("sector", capa), "medida": medida,
            "n_elementos": n, "simulado": False, **extra}


@pytest.mark.parametrize(("lang", "words"), [
    ("es", ["mineria (mineria, value): 3 elementos, 1 distrito con valor > 0, máx. 4.5 ha, "
            "2 distritos sin dato",
            "coca (coca, value): 2 elementos, 0 distritos con valor > 0, ningún distrito con dato",
            "servicios (servicios, servicios): 7 puntos de atención"]),
    ("en", ["mineria (mineria, value): 3 features, 1 district with value > 0, max 4.5 ha, "
            "2 districts without a value",
            "coca (coca, value): 2 features, 0 districts with value > 0, no district has a value",
            "servicios (servicios, servicios): 7 service points"]),
])
def test_summary_says_services_points_and_districts_without_a_value(lang, words):
    """A services layer has no district column; a table layer may leave NaN: both are said."""
    from dashboard.commands.build import _summary
    from geo.errors import set_language

    gdf = gpd.GeoDataFrame({
        C.UBIGEO: ["080101", "080102", "160101"],
        C.DEPARTAMENTO: ["CUSCO", "CUSCO", "LORETO"],
        "mineria": [4.5, float("nan"), float("nan")],
        "coca": [float("nan")] * 3,
    }, geometry=[Point(0, 0)] * 3, crs=WGS84)
    gdf.attrs["fuentes"] = [
        _fuentes_row("mineria", "value", 3, unidad="ha"),
        _fuentes_row("coca", "value", 2, unidad=float("nan")),  # NULL read back: no unit
        _fuentes_row("servicios", "servicios", 7),
    ]
    set_language(lang)
    try:
        text = _summary(gdf, Path("d.gpkg"))
    finally:
        set_language("es")
    for line in words:
        assert f"  {line}\n" in text
    assert "nan" not in text


def _settings_with(tiny: Path, layer_toml: str) -> Path:
    path = tiny / "otra.toml"
    path.write_text('config_version = 1\n[data]\nbase = "base.gpkg"\nworkdir = "trabajo"\n'
                    + textwrap.dedent(layer_toml))
    return path


@pytest.mark.parametrize(
    ("layer_toml", "es", "en"),
    [
        ('[[layers]]\nname = "x"\nsector = "mineria"\npath = "capas/no_existe.gpkg"\n'
         'measure = "count"\n', "no_existe.gpkg", "does not exist"),
        ('[[layers]]\nname = "x"\nsector = "mineria"\npath = "capas/coca.csv"\n'
         'measure = "mediana"\n', "mediana", "does not exist"),
        ('[[layers]]\nname = "x"\nsector = "tala"\npath = "capas/campamentos.geojson"\n'
         'measure = "sum"\ncolumn = "obreros"\n', "obreros", "trabajadores"),
        ('[[layers]]\nname = "x"\nsector = "tala"\npath = "capas/sin_crs.shp"\n'
         'measure = "count"\n', "sin_crs", "CRS"),
    ],
    ids=["missing-file", "unknown-measure", "unknown-column", "missing-crs"],
)
@pytest.mark.filterwarnings("ignore:'crs' was not provided")  # the layer without CRS, on purpose
def test_cli_build_bad_config_is_a_clear_error(tiny: Path, capsys, layer_toml, es, en):
    gpd.GeoDataFrame(geometry=[Point(-71.5, -13.5)]).to_file(tiny / "capas" / "sin_crs.shp")
    assert not (tiny / "capas" / "sin_crs.prj").exists()
    settings = _settings_with(tiny, layer_toml)
    out = tiny / "previo.gpkg"
    out.write_bytes(b"previous table")
    assert main(["build", "--config", str(settings), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert es in err and "Traceback" not in err
    assert main(["--lang", "en", "build", "--config", str(settings), "--out", str(out)]) == 2
    assert en in capsys.readouterr().err
    # nothing already stored is lost or half-written
    assert out.read_bytes() == b"previous table"
    assert [p.name for p in tiny.glob(".*tmp*")] == []


def test_layer_named_like_a_base_column_is_refused(tiny: Path):
    settings = load_settings(_settings_with(
        tiny, '[[layers]]\nname = "poblacion"\nsector = "otro"\npath = "capas/coca.csv"\n'
        'measure = "value"\ncolumn = "coca_ha"\n'))
    with pytest.raises(ConfigError, match="poblacion"):
        build_districts(settings, out=tiny / "x.gpkg")
    assert not (tiny / "x.gpkg").exists()


def test_missing_base_says_to_fetch(tiny: Path):
    (tiny / "base.gpkg").unlink()
    settings = load_settings(tiny / "settings.toml")
    with pytest.raises(ConfigError) as err:
        build_districts(settings)
    assert "riskmap data fetch" in err.value.message("es")


def test_non_numeric_value_in_a_layer_fails_the_build(tiny: Path):
    (tiny / "capas" / "coca.csv").write_text("ubigeo,coca_ha\n080101,1.5\n160101,n/d\n")
    settings = load_settings(tiny / "settings.toml")
    with pytest.raises(DataError) as err:
        build_districts(settings)
    assert "línea 3" in err.value.message("es") and "coca_ha" in err.value.message("es")
    assert not settings.districts_gpkg.exists()


# --- on the real data (need geo.geography.base and geo.world.demo) ------------------------------


@pytest.mark.slow
def test_demo_world_gives_169_districts(districts_gpkg: Path, demo_settings):
    gdf = gpd.read_file(districts_gpkg, layer="distritos")
    assert len(gdf) == 169
    assert gdf[C.UBIGEO].is_unique
    assert gdf[C.COD_DEP].value_counts().to_dict() == {"08": 116, "16": 53}
    names = [layer.name for layer in demo_settings.layers]
    assert names, "the demo settings declare sector layers"
    for name in names:
        assert pd.api.types.is_float_dtype(gdf[name]), name
        assert gdf[name].notna().any(), name
    fuentes = read_fuentes(districts_gpkg)
    services = [spec.name for spec in demo_settings.services]
    assert fuentes["capa"].tolist() == names + services
    assert fuentes.set_index("capa").loc[services, "medida"].eq("servicios").all()
    # the sector layers are real and say so; the services layer is simulated and says so
    by = fuentes.set_index("capa")
    assert (by.loc[names, "origen"] == "real").all() and not by.loc[names, "simulado"].any()
    assert by.loc[services, "simulado"].all()


@pytest.mark.slow
def test_region_all_gives_1891_districts(base_gpkg: Path, tmp_path: Path):
    settings_path = tmp_path / "peru.toml"
    settings_path.write_text(
        f'config_version = 1\n[data]\nbase = "{base_gpkg.as_posix()}"\nregion = ["all"]\n')
    out = tmp_path / "peru.gpkg"
    assert main(["build", "--config", str(settings_path), "--out", str(out)]) == 0
    gdf = gpd.read_file(out, layer="distritos")
    assert len(gdf) == 1891 and gdf[C.UBIGEO].is_unique
    assert len(read_fuentes(out)) == 0
