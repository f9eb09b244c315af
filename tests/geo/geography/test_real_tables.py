"""Tables as they are downloaded, and missing is not zero (issue 20, docs/CAPAS_REALES.md).

Shapes of the two public tables the default world reads: GeoBosques' forest loss by district
(comma-separated, one ``{year}_ha`` column per year, large numbers with thousands commas inside
quotes) and the Amazon district × year panel of Quispe et al. (semicolon-separated, decimal
point, ``NA`` cells, UBIGEO written as a number that lost its leading zero, a ``YEAR`` column).
Small inline copies for each rule; at the end, both recipes of config/recetas built on the
verbatim files and checked against an independent reading with plain pandas.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from shapely.geometry import Point, box
from test_build import _write_base

from dashboard.cli import main
from geo import columns as C
from geo.config import LayerSpec, load_settings
from geo.errors import DataError
from geo.geography.build import (
    ANIOS,
    FUENTES_COLUMNS,
    MOTIVO_CERO,
    ORIGEN,
    SIN_DATO,
    UNIDAD,
    build_districts,
    read_fuentes,
    read_layer_history,
)
from geo.geography.layers import aggregate, layer_history, read_table
from geo.paths import REPO_ROOT

WGS84 = "EPSG:4326"
RECIPES = REPO_ROOT / "config" / "recetas"
GEOBOSQUES = "xgboost_deforestation_Bosque_y_perdida_de_bosques_por_Distrito_al_2024_curated.csv"
PANEL = "xgboost_deforestation_deforestation_dataset_PERU.csv"


def _districts(codes=("080101", "080102", "080103")) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({C.UBIGEO: list(codes)},
                            geometry=[box(i, 0, i + 1, 1) for i in range(len(codes))], crs=WGS84)


def _table(path: Path, **keys) -> LayerSpec:
    return LayerSpec(keys.pop("name", "capa"), "otro", path, "value", **keys)


def _refused(spec: LayerSpec, districts=None) -> DataError:
    with pytest.raises(DataError) as err:
        aggregate(spec, _districts() if districts is None else districts)
    return err.value


# --------------------------------------------------------------------------- reading
def test_thousands_commas_inside_quotes_are_numbers(tmp_path: Path):
    # as GeoBosques writes it: a comma CSV whose large numbers are "2,403.72"
    path = tmp_path / "geobosques.csv"
    path.write_text('UBIGEO,2023_ha,BOSQUE AL 2024_ha\n080101,0.54,833.67\n'
                    '080102,1.26,"2,403.72"\n080103,0.00,"1,257,001.5"\n', encoding="utf-8")
    out = aggregate(_table(path, column="BOSQUE AL 2024_ha"), _districts())
    assert out.tolist() == [833.67, 2403.72, 1257001.5]
    # a comma that groups nothing is no thousands mark: refused with file, line and column
    path.write_text('UBIGEO,ha\n080101,"2,403.72"\n080102,"1,5"\n', encoding="utf-8")
    err = _refused(_table(path, column="ha"))
    assert "geobosques.csv, línea 3, columna 'ha': '1,5' no es un número" in err.es
    assert "line 3, column 'ha'" in err.en and "2,403.72" in err.en  # what it accepts


def test_a_semicolon_panel_with_a_numeric_ubigeo_and_na_cells(tmp_path: Path):
    # as the Amazon panel writes it: ';', decimal point, NA, 80101 for 080101, YEAR per row
    path = tmp_path / "panel.csv"
    path.write_text("UBIGEO;YEAR;Minería;Coca_ha\n80101;2019;1.5;NA\n80101;2020;2.25;NA\n"
                    "80102;2019;0;3.5\n80102;2020;0;4.75\n150101;2020;9;9\n", encoding="utf-8")
    assert read_table(path)["UBIGEO"].tolist()[:2] == [80101, 80101]
    mining = aggregate(_table(path, column="Minería", panel_year="YEAR", year=2020),
                       _districts())
    assert mining.iloc[:2].tolist() == [2.25, 0.0] and np.isnan(mining.iloc[2])
    coca = aggregate(_table(path, column="Coca_ha", panel_year="YEAR", year=2020), _districts())
    assert np.isnan(coca.iloc[0]) and coca.iloc[1] == 4.75  # NA: no value, not 0
    assert coca.attrs["sin_dato"] == 2
    notes = " ".join(n.es for n in coca.attrs["notices"])
    assert "2 de 3 distritos no tienen valor" in notes and "1 no figuran en la tabla" in notes
    assert "1 tienen celdas vacías" in notes and "no 0" in notes


@pytest.mark.parametrize("code", ["8010", "8010123"])
def test_a_numeric_ubigeo_of_4_or_7_digits_is_refused_naming_the_line(tmp_path: Path, code):
    path = tmp_path / "panel.csv"
    path.write_text(f"UBIGEO;YEAR;x\n80101;2020;1.5\n{code};2020;2\n", encoding="utf-8")
    err = _refused(_table(path, column="x", panel_year="YEAR", year=2020))
    assert "línea 3" in err.es and code in err.es and f"{len(code)} dígitos" in err.es
    assert "line 3" in err.en and "lost its leading zero" in err.en


def test_a_repeated_district_and_year_of_a_panel_is_refused_naming_the_lines(tmp_path: Path):
    path = tmp_path / "panel.csv"
    path.write_text("UBIGEO;YEAR;x\n80101;2019;1\n80101;2020;2\n80102;2020;3\n80101;2020;4\n",
                    encoding="utf-8")
    err = _refused(_table(path, column="x", panel_year="YEAR", year=2020))
    assert "080101" in err.es and "2020" in err.es and "líneas" not in err.es
    assert "línea 3 y línea 5" in err.es and "line 3 and line 5" in err.en
    # a wide table: one row per district, both lines named
    wide = tmp_path / "wide.csv"
    wide.write_text("ubigeo,x\n080101,1\n080102,2\n080101,3\n", encoding="utf-8")
    err = _refused(_table(wide, column="x"))
    assert "línea 2 y línea 4" in err.es and "repeated" in err.en


def test_a_year_the_file_lacks_is_refused_naming_the_years_it_has(tmp_path: Path):
    wide = tmp_path / "geobosques.csv"
    wide.write_text("UBIGEO,2001_ha,2002_ha,2003_ha,2005_ha\n080101,1,2,3,5\n", encoding="utf-8")
    err = _refused(_table(wide, column="{year}_ha", years=(2003, 2006)))
    assert "'2004_ha', '2006_ha'" in err.es and "2001–2003, 2005" in err.es
    assert "are missing" in err.en and "2001–2003, 2005" in err.en
    panel = tmp_path / "panel.csv"
    panel.write_text("UBIGEO;YEAR;x\n80101;2018;1\n80101;2019;2\n", encoding="utf-8")
    err = _refused(_table(panel, column="x", panel_year="YEAR", year=2020))
    assert "no tiene filas de 2020" in err.es and "tiene 2018–2019" in err.es
    assert "has no rows for 2020" in err.en
    # a year column that is no year: the line and the value
    panel.write_text("UBIGEO;YEAR;x\n80101;2020;1\n80102;hace poco;2\n", encoding="utf-8")
    err = _refused(_table(panel, column="x", panel_year="YEAR", year=2020))
    assert "línea 3, columna 'YEAR': 'hace poco' no es un año" in err.es
    assert "is not a year" in err.en


def test_wide_years_and_lists_combined(tmp_path: Path):
    path = tmp_path / "geobosques.csv"
    # 080102 has an empty 2021 cell; 080103 is not in the table
    path.write_text("UBIGEO,2020_ha,2021_ha,2022_ha\n080101,1,2,\"1,000\"\n080102,4,,6\n",
                    encoding="utf-8")
    d = _districts()

    def value(**keys):
        return aggregate(_table(path, **keys), d).tolist()

    total = value(column="{year}_ha", years=(2020, 2022))
    assert total[0] == 1003.0 and np.isnan(total[1]) and np.isnan(total[2])  # sum needs all
    assert value(column="{year}_ha", years=(2020, 2022), combine="mean")[:2] == [
        pytest.approx(1003 / 3), 5.0]
    assert value(column="{year}_ha", years=(2020, 2022), combine="last")[:2] == [1000.0, 6.0]
    assert value(column="{year}_ha", year=2021)[0] == 2.0
    # a list of columns (column = ["2020_ha", "2022_ha"] ended in a TypeError before)
    assert value(column=("2020_ha", "2022_ha"))[:2] == [1001.0, 10.0]
    zero = aggregate(_table(path, column="{year}_ha", years=(2020, 2022), missing="zero",
                            missing_reason="sin bosque amazónico"), d)
    assert zero.tolist() == [1003.0, 0.0, 0.0] and zero.attrs["sin_dato"] == 2
    note = zero.attrs["notices"][-1]
    assert "se les asigna 0: sin bosque amazónico" in note.es and "they get 0" in note.en
    assert "la suma necesita todos los años" in note.es


def test_a_panel_over_several_years(tmp_path: Path):
    path = tmp_path / "panel.csv"
    path.write_text("UBIGEO;YEAR;x\n80101;2019;1\n80101;2020;3\n80102;2020;5\n80103;2019;7\n"
                    "80103;2020;NA\n", encoding="utf-8")

    def value(combine):
        spec = _table(path, column="x", panel_year="YEAR", years=(2019, 2020), combine=combine)
        return aggregate(spec, _districts()).tolist()

    s, m, last = value("sum"), value("mean"), value("last")
    assert s[0] == 4.0 and np.isnan(s[1]) and np.isnan(s[2])  # 080102 lacks 2019
    assert m == [2.0, 5.0, 7.0] and last == [3.0, 5.0, 7.0]


def test_counts_and_features_still_give_zero_where_there_is_nothing(tmp_path: Path):
    path = tmp_path / "dragas.geojson"
    gpd.GeoDataFrame({"n": [2]}, geometry=[Point(0.5, 0.5)], crs=WGS84).to_file(path)
    for measure, column in (("count", None), ("sum", "n")):
        spec = LayerSpec("dragas", "mineria", path, measure, column=column)
        assert spec.missing == "zero"
        out = aggregate(spec, _districts())
        assert out.tolist() == [1.0 if measure == "count" else 2.0, 0.0, 0.0]
        assert out.attrs["sin_dato"] == 0


# --------------------------------------------------------------------------- the past
def test_a_wide_sum_in_past_years_is_the_same_sum_over_a_window_as_long(tmp_path: Path):
    path = tmp_path / "geobosques.csv"
    years = list(range(2015, 2023))
    rows = {"080101": [1, 2, 3, 4, 5, 6, 7, 100], "080102": [1, "", 1, 1, 1, 1, 1, 1]}
    path.write_text("UBIGEO," + ",".join(f"{y}_ha" for y in years) + "\n" + "".join(
        f"{code}," + ",".join(map(str, v)) + "\n" for code, v in rows.items()),
        encoding="utf-8")
    spec = _table(path, column="{year}_ha", years=(2019, 2021))  # a 3-year sum
    assert spec.dated
    past = layer_history(spec, _districts(), until=2025)
    # windows the file holds (2015 onwards), up to the end year 2021, never 2022
    assert list(past.columns) == [2017, 2018, 2019, 2020, 2021]
    assert past.loc["080101"].tolist() == [6.0, 9.0, 12.0, 15.0, 18.0]
    today = aggregate(spec, _districts())
    assert past[2021].loc["080101"] == today["080101"]  # the end year's state is today's
    # the empty 2016 cell: the windows holding it have no value; later ones do
    assert past.loc["080102"].isna().tolist() == [True, True, False, False, False]
    assert past.loc["080103"].isna().all()  # not in the table: NaN, never 0
    # a backtest ending before the end year sees states up to its year only
    assert list(layer_history(spec, _districts(), until=2019).columns) == [2017, 2018, 2019]
    # missing = "zero": the absent district is 0 in the past too
    zero = layer_history(_table(path, column="{year}_ha", years=(2019, 2021), missing="zero",
                                missing_reason="sin bosque"), _districts(), until=2025)
    assert zero.loc["080103"].tolist() == [0.0] * 5


def test_a_panel_year_in_past_years_is_that_years_rows(tmp_path: Path):
    path = tmp_path / "panel.csv"
    path.write_text("UBIGEO;YEAR;x\n" + "".join(
        f"80101;{y};{y - 2000}\n" for y in range(2001, 2021)) + "80102;2020;5\n",
        encoding="utf-8")
    spec = _table(path, column="x", panel_year="YEAR", year=2020)
    assert spec.dated and spec.years_label == "2020"
    past = layer_history(spec, _districts(), until=2026)
    assert list(past.columns) == list(range(2006, 2021))  # HISTORY_YEARS back from 2026
    assert past.loc["080101"].tolist() == [float(y - 2000) for y in range(2006, 2021)]
    assert past.loc["080102"].isna().tolist() == [True] * 14 + [False]


# --------------------------------------------------------------------------- the build
@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    _write_base(tmp_path / "base.gpkg")
    (tmp_path / "fuentes").mkdir()
    # 080102 is not in the panel; Lima's row is outside the region
    (tmp_path / "fuentes" / "panel.csv").write_text(
        "UBIGEO;YEAR;Minería\n80101;2019;1.5\n80101;2020;2.5\n160101;2019;7\n160101;2020;8\n"
        "150101;2020;9\n", encoding="utf-8")
    gpd.GeoDataFrame({"n": [1]}, geometry=[Point(-71.5, -13.5)], crs=WGS84).to_file(
        tmp_path / "dragas.geojson")
    (tmp_path / "settings.toml").write_text(textwrap.dedent("""\
        config_version = 1
        [data]
        base = "base.gpkg"
        [[layers]]
        name = "mineria"
        sector = "mineria"
        path = "{fuentes}/panel.csv"
        measure = "value"
        panel_year = "YEAR"
        column = "Minería"
        year = 2020
        unit = "ha"
        source = "MapBiomas Perú vía Quispe et al. (2022)"
        [[layers]]
        name = "dragas"
        sector = "mineria"
        path = "dragas.geojson"
        measure = "count"
        unit = "número"
        """), encoding="utf-8")
    return tmp_path


def test_build_writes_no_value_as_null_and_says_so_in_fuentes(tiny: Path, monkeypatch):
    monkeypatch.setenv("RISKMAP_DATA_DIR", str(tiny))  # {fuentes}/ = tiny/fuentes
    settings = load_settings(tiny / "settings.toml")
    assert settings.layers[0].path == (tiny / "fuentes" / "panel.csv").resolve()
    out = tiny / "distritos.gpkg"
    build_districts(settings, out=out)
    written = pyogrio.read_dataframe(out, layer="distritos", read_geometry=False)
    written = written.set_index(C.UBIGEO)
    assert written.loc["080101", "mineria"] == 2.5 and written.loc["160101", "mineria"] == 8.0
    assert np.isnan(written.loc["080102", "mineria"])  # NULL in the GeoPackage, not 0
    assert written["dragas"].tolist() == [1.0, 0.0, 0.0]  # a count keeps its zeros
    fuentes = read_fuentes(out).set_index("capa")
    assert list(fuentes.reset_index().columns) == list(FUENTES_COLUMNS)
    assert fuentes.loc["mineria", [ORIGEN, UNIDAD, ANIOS, SIN_DATO, MOTIVO_CERO]].tolist() == [
        "real", "ha", "2020", 1, ""]
    assert fuentes.loc["mineria", "fuente"] == "MapBiomas Perú vía Quispe et al. (2022)"
    assert fuentes.loc["dragas", [UNIDAD, ANIOS, SIN_DATO]].tolist() == ["número", "", 0]
    assert pd.api.types.is_integer_dtype(fuentes[SIN_DATO])
    # the panel's past: the district it does not cover stays NaN year by year
    past = read_layer_history(out)["mineria"].unstack("anio")
    assert past.loc["080101"].tolist() == [1.5, 2.5]
    assert past.loc["080102"].isna().all()


def test_read_fuentes_of_a_table_built_before_these_columns(tmp_path: Path):
    old = pd.DataFrame({"capa": ["coca", "minas"], "simulado": [True, False],
                        "n_elementos": [3, 4]})
    path = tmp_path / "viejo.gpkg"
    pyogrio.write_dataframe(old, path, layer="fuentes", driver="GPKG")
    fuentes = read_fuentes(path)
    assert fuentes[ORIGEN].tolist() == ["simulado", "real"]
    assert fuentes[SIN_DATO].tolist() == [0, 0] and fuentes[MOTIVO_CERO].tolist() == ["", ""]
    assert fuentes[UNIDAD].tolist() == ["", ""] and fuentes[ANIOS].tolist() == ["", ""]


# --------------------------------------------------------------------------- the verbatim files
@pytest.fixture
def fetched(tmp_path: Path, upstream_dir: Path, base_gpkg: Path, monkeypatch) -> Path:
    """A data folder as `riskmap data fetch` leaves it: the base and the verbatim tables."""
    root = tmp_path / "datos"
    (root / "fuentes").mkdir(parents=True)
    for name in (GEOBOSQUES, PANEL):
        (root / "fuentes" / name).symlink_to(upstream_dir / name)
    (root / "peru_base.gpkg").symlink_to(base_gpkg)
    monkeypatch.setenv("RISKMAP_DATA_DIR", str(root))
    return root


def _independent(upstream_dir: Path):
    """GeoBosques' 2020-2024 sum and the panel's rows, read with nothing but pandas."""
    gb = pd.read_csv(upstream_dir / GEOBOSQUES, dtype=str).set_index("UBIGEO")
    loss = {y: gb[f"{y}_ha"].str.replace(",", "").astype(float) for y in range(2001, 2025)}
    panel = pd.read_csv(upstream_dir / PANEL, sep=";")
    panel["UBIGEO"] = panel["UBIGEO"].astype(str).str.zfill(6)
    return loss, panel


@pytest.mark.slow
def test_the_recipes_build_on_the_verbatim_files(fetched: Path, upstream_dir: Path, capsys):
    out = {}
    for recipe in ("geobosques_distrital", "panel_amazonia"):
        out[recipe] = fetched / f"{recipe}.gpkg"
        assert main(["build", "--config", str(RECIPES / f"{recipe}.toml"),
                     "--out", str(out[recipe])]) == 0, capsys.readouterr().err
    loss, panel = _independent(upstream_dir)
    table = pd.concat([
        pyogrio.read_dataframe(out[r], layer="distritos", read_geometry=False).set_index(
            C.UBIGEO) for r in out], axis=1)
    table = table.loc[:, ~table.columns.duplicated()]
    assert len(table) == 169
    codes = table.index

    # forest loss: the sum of 2020_ha..2024_ha where GeoBosques lists the district, else 0
    listed = codes[codes.isin(loss[2020].index)]
    expected = sum(loss[y] for y in range(2020, 2025)).reindex(listed)
    assert len(listed) == 79  # Cusco 26, Loreto 53
    np.testing.assert_allclose(table.loc[listed, "perdida_bosque"], expected, rtol=1e-9)
    assert (table.loc[codes.difference(listed), "perdida_bosque"] == 0).all()
    assert expected.max() > 1000  # the check means something

    # the panel's 2020 rows: mining, farmland, coca; districts it does not cover are NaN
    rows = panel[panel["YEAR"] == 2020].set_index("UBIGEO")
    covered = codes[codes.isin(rows.index)]
    assert len(covered) == 75  # Cusco 22, Loreto 53
    for layer, column in (("mineria", "Minería"), ("agricultura", "area_agropec"),
                          ("coca", "Coca_ha")):
        pd.testing.assert_series_equal(table.loc[covered, layer], rows.loc[covered, column],
                                       check_names=False)
        assert table.loc[codes.difference(covered), layer].isna().all(), layer
    assert rows.loc[covered, "Minería"].max() > 100 and rows.loc[covered, "Coca_ha"].isna().any()
    # Andean Cusco and the districts created after the panel: no value, never 0
    for code in ("080101", "080915", "080916", "080917", "080918"):
        assert np.isnan(table.loc[code, "mineria"]) and np.isnan(table.loc[code, "coca"])

    # fuentes says it: origin, unit, years, how many without a value, why zero
    gb = read_fuentes(out["geobosques_distrital"]).set_index("capa").loc["perdida_bosque"]
    assert (gb[ORIGEN], gb[UNIDAD], gb[ANIOS], gb[SIN_DATO]) == ("real", "ha", "2020–2024", 90)
    assert "bosque húmedo amazónico" in gb[MOTIVO_CERO]
    pf = read_fuentes(out["panel_amazonia"]).set_index("capa")
    assert pf.loc["mineria", SIN_DATO] == 94 and pf.loc["mineria", MOTIVO_CERO] == ""
    assert pf.loc["coca", SIN_DATO] == 94 + int(rows.loc[covered, "Coca_ha"].isna().sum())
    assert set(pf[ANIOS]) == {"2020"} and set(pf[UNIDAD]) == {"ha"}

    # the past: in 2018 the forest loss is the 2014-2018 sum; mining in 2015, its 2015 rows
    past = read_layer_history(out["geobosques_distrital"])["perdida_bosque"].unstack("anio")
    np.testing.assert_allclose(past.loc[listed, 2018],
                               sum(loss[y] for y in range(2014, 2019)).reindex(listed))
    assert past.columns.max() == 2024
    mining = read_layer_history(out["panel_amazonia"])["mineria"].unstack("anio")
    rows15 = panel[panel["YEAR"] == 2015].set_index("UBIGEO")["Minería"]
    in15 = codes[codes.isin(rows15.index)]
    np.testing.assert_allclose(mining.loc[in15, 2015], rows15.reindex(in15))
    assert mining.columns.max() == 2020
