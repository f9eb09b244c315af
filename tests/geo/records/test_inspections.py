"""geo.records.inspections: every bad input a planner may bring gives a clear row- or
file-level error."""

from __future__ import annotations

import datetime as dt
import types

import geopandas as gpd
import openpyxl
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geo import columns as C
from geo.errors import DataError
from geo.records.inspections import (
    ILO_INDICATORS,
    RECORD_COLUMNS,
    load_records,
    validate_inspections,
)

TODAY = dt.date(2025, 6, 30)
HEADER = "id,fecha,ubigeo,sector,hallazgo_tf"


def _csv(tmp_path, text: str, name: str = "insp.csv", encoding: str = "utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _validate(tmp_path, districts, text, **kw):
    return validate_inspections(_csv(tmp_path, text, **kw), districts, today=TODAY)


def _only_error(report):
    assert len(report.errors) == 1, report.render("es")
    return report.errors[0]


# --- encodings, separators, formats ---------------------------------------------------


def test_latin1_csv_with_accents_read_correctly(tmp_path, districts):
    text = ("id,fecha,ubigeo,sector,hallazgo_tf,indicadores,observación\n"
            "A1,2021-03-15,080101,Minería,Sí,engaño,Señor Muñoz\n"
            "A2,2021-03-16,160101,CONSTRUCCIÓN,no,,\n")
    report = _validate(tmp_path, districts, text, encoding="latin-1")
    assert report.ok, report.render("es")
    assert report.valid[C.SECTOR].tolist() == ["mineria", "construccion"]
    assert report.valid[C.HALLAZGO].tolist() == [1, 0]
    assert report.valid[C.INDICADORES].tolist() == ["engano", ""]
    # Said, not silent: the file was not UTF-8, and the extra column was not used.
    rendered = report.render("es")
    assert "no está en UTF-8" in rendered
    assert "observación" in rendered


def test_semicolon_csv_with_decimal_comma(tmp_path, districts):
    text = ("id;fecha;lat;lon;sector;hallazgo_tf\n"
            "B1;2020-01-10;-13,55;-71,95;tala;0\n")
    report = _validate(tmp_path, districts, text)
    assert report.ok, report.render("es")
    row = report.valid.iloc[0]
    assert (row[C.LAT], row[C.LON], row[C.UBIGEO]) == (-13.55, -71.95, "080101")


def test_utf8_bom_header_read(tmp_path, districts):
    path = tmp_path / "bom.csv"
    path.write_bytes(("\ufeff" + HEADER + "\nC1,2022-02-02,080101,coca,1\n").encode("utf-8"))
    report = validate_inspections(path, districts, today=TODAY)
    assert report.ok, report.render("es")
    assert report.valid[C.ID].tolist() == ["C1"]
    # UTF-8 with BOM is UTF-8: no encoding note
    assert not [es for es, _ in report.notes if "UTF-8" in es or "Latin" in es]


def test_xlsx_with_typed_cells(tmp_path, districts):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["ID", "Fecha", "UBIGEO", "Sector", "Hallazgo TF", "Trabajadores",
                  "Víctimas"])
    sheet.append(["X1", dt.datetime(2019, 7, 1), 80101, "Agricultura", True, 12, 3])
    sheet.append(["X2", "01/08/2019", 160101, "otro", 0, 4.0, None])
    sheet.append([None] * 7)  # a blank row Excel keeps: skipped, but it still counts
    sheet.append(["X3", dt.date(2030, 1, 1), 160101, "otro", 0, None, None])
    path = tmp_path / "insp.xlsx"
    book.save(path)
    report = validate_inspections(path, districts, today=TODAY)
    assert report.n_rows == 3
    assert report.valid[C.ID].tolist() == ["X1", "X2"]
    assert report.valid[C.UBIGEO].tolist() == ["080101", "160101"]
    assert report.valid[C.FECHA].dt.strftime("%Y-%m-%d").tolist() == ["2019-07-01",
                                                                       "2019-08-01"]
    assert report.valid[C.TRABAJADORES].tolist() == [12, 4]
    assert report.valid[C.VICTIMAS].iloc[0] == 3 and pd.isna(report.valid[C.VICTIMAS].iloc[1])
    err = _only_error(report)
    assert (err.line, err.column) == (5, C.FECHA)  # spreadsheet row 5: blank row 4 counted
    # a spreadsheet has numbered rows, not lines (CSV keeps "línea")
    assert "fila 5, columna 'fecha'" in report.render("es") and "línea" not in report.render("es")
    assert "row 5, column 'fecha'" in report.render("en")


@pytest.mark.parametrize("suffix", [".geojson", ".gpkg"])
def test_gis_points_get_district_by_spatial_join(tmp_path, districts, suffix):
    points = gpd.GeoDataFrame(
        {"id": ["G1", "G2", "G3"], "fecha": ["2023-01-01"] * 3, "sector": ["tala"] * 3,
         "hallazgo_tf": ["1", "0", "si"]},
        geometry=[Point(-71.95, -13.55), Point(-73.25, -3.75), Point(-60.0, -10.0)],
        crs=4326,
    )
    path = tmp_path / f"puntos{suffix}"
    points.to_file(path)
    report = validate_inspections(path, districts, today=TODAY)
    assert report.valid[C.UBIGEO].tolist() == ["080101", "160101"]
    assert report.valid[C.LON].tolist() == [-71.95, -73.25]
    err = _only_error(report)
    assert err.line == 4 and "fuera de los distritos" in err.es and "outside" in err.en


def test_projected_gis_points_are_reprojected_and_said(tmp_path, districts):
    points = gpd.GeoDataFrame(
        {"id": ["P1"], "fecha": ["2023-01-01"], "sector": ["tala"], "hallazgo_tf": ["1"]},
        geometry=[Point(-71.95, -13.55)], crs=4326,
    ).to_crs(32719)
    path = tmp_path / "utm.gpkg"
    points.to_file(path)
    report = validate_inspections(path, districts, today=TODAY)
    assert report.valid[C.UBIGEO].tolist() == ["080101"]
    assert report.valid[C.LAT].iloc[0] == pytest.approx(-13.55, abs=1e-9)
    assert any("reproyectaron" in es for es, _ in report.notes)


def test_gis_polygons_are_row_errors(tmp_path, districts):
    gdf = gpd.GeoDataFrame(
        {"id": ["Q1"], "fecha": ["2023-01-01"], "sector": ["tala"], "hallazgo_tf": ["1"],
         "ubigeo": ["080101"]},
        geometry=[box(-71.96, -13.56, -71.94, -13.54)], crs=4326,
    )
    path = tmp_path / "poly.geojson"
    gdf.to_file(path)
    err = _only_error(validate_inspections(path, districts, today=TODAY))
    assert err.column == "geometry" and "punto" in err.es


# --- ubigeo ---------------------------------------------------------------------------


def test_lost_leading_zero_is_padded(tmp_path, districts):
    report = _validate(tmp_path, districts, HEADER + "\nA,2021-01-01,80101,tala,1\n")
    assert report.ok
    assert report.valid[C.UBIGEO].tolist() == ["080101"]


def test_five_digit_garbage_ubigeo(tmp_path, districts):
    report = _validate(tmp_path, districts, HEADER + "\nA,2021-01-01,12345,tala,1\n")
    err = _only_error(report)
    assert (err.line, err.column) == (2, C.UBIGEO)
    assert "'12345' tiene 5 dígitos" in err.es and "'012345'" in err.es
    assert "'12345' has 5 digits" in err.en
    assert report.valid.empty


@pytest.mark.parametrize("code", ["1234", "0801011", "08O101", "-80101"])
def test_ubigeo_that_is_not_six_digits(tmp_path, districts, code):
    report = _validate(tmp_path, districts, HEADER + f"\nA,2021-01-01,{code},tala,1\n")
    err = _only_error(report)
    assert err.column == C.UBIGEO and "6 dígitos" in err.es and "6 digits" in err.en


def test_unknown_ubigeo(tmp_path, districts):
    report = _validate(tmp_path, districts, HEADER + "\nA,2021-01-01,150101,tala,1\n")
    err = _only_error(report)
    assert "'150101' no es un distrito de la región" in err.es
    assert "not a district of the region" in err.en


# --- dates ----------------------------------------------------------------------------


def test_date_in_the_future(tmp_path, districts):
    report = _validate(tmp_path, districts, HEADER + "\nA,2025-07-01,080101,tala,1\n"
                       "B,2025-06-30,080101,tala,1\n")
    err = _only_error(report)
    assert (err.line, err.column) == (2, C.FECHA)
    assert "en el futuro" in err.es and "in the future" in err.en
    assert report.valid[C.ID].tolist() == ["B"]  # today itself is fine


@pytest.mark.parametrize("value", ["ayer", "2021/03/15", "15-03-2021", "15/03/21"])
def test_unparseable_dates(tmp_path, districts, value):
    report = _validate(tmp_path, districts, HEADER + f"\nA,{value},080101,tala,1\n")
    err = _only_error(report)
    assert err.column == C.FECHA
    assert f"no se entiende la fecha '{value}'" in err.es
    assert f"cannot read date '{value}'" in err.en


@pytest.mark.parametrize(("value", "es", "en"), [
    ("31/02/2024", "febrero de 2024 tiene 29 días", "February 2024 has 29 days"),
    ("2021-02-30", "febrero de 2021 tiene 28 días", "February 2021 has 28 days"),
    ("31/04/2022", "abril de 2022 tiene 30 días", "April 2022 has 30 days"),
    ("13/13/2021", "no hay mes 13", "there is no month 13"),
])
def test_impossible_dates_say_they_do_not_exist(tmp_path, districts, value, es, en):
    err = _only_error(_validate(tmp_path, districts, HEADER + f"\nA,{value},080101,tala,1\n"))
    assert err.column == C.FECHA
    assert f"la fecha {value} no existe ({es})" in err.es and "no se entiende" not in err.es
    assert f"date {value} does not exist ({en})" in err.en


def test_render_counts_singular_and_plural(tmp_path, districts):
    one = _validate(tmp_path, districts, HEADER + "\nA,2021-01-01,080101,tala,1\n")
    assert "1 fila leída, 1 válida, 0 con errores." in one.render("es")
    assert "1 row read, 1 valid, 0 with errors." in one.render("en")
    two = _validate(tmp_path, districts, HEADER + "\nA,2021-01-01,080101,tala,1\n"
                    "B,2021-01-01,999999,tala,1\n")
    assert "2 filas leídas, 1 válida, 1 con error." in two.render("es")
    assert "2 rows read, 1 valid, 1 with error." in two.render("en")



@pytest.mark.parametrize("value", ["0021-03-15", "1989-12-31"])
def test_two_digit_or_implausible_years(tmp_path, districts, value):
    err = _only_error(_validate(tmp_path, districts, HEADER + f"\nA,{value},080101,tala,1\n"))
    assert err.column == C.FECHA and "anterior a 1990" in err.es and "4 digits" in err.en


def test_day_month_year_dates(tmp_path, districts):
    report = _validate(tmp_path, districts, HEADER + "\nA,15/03/2021,080101,tala,1\n"
                       "B,1/2/2020,080101,tala,0\n")
    assert report.ok
    assert report.valid[C.FECHA].tolist() == [pd.Timestamp("2021-03-15"),
                                              pd.Timestamp("2020-02-01")]
    assert str(report.valid[C.FECHA].dtype) == "datetime64[ns]"


# --- file-level problems ----------------------------------------------------------------


def test_missing_columns_named_with_columns_found(tmp_path, districts):
    path = _csv(tmp_path, "codigo_x,Fecha,Distrito\n1,2021-01-01,Cusco\n")
    with pytest.raises(DataError) as info:
        validate_inspections(path, districts, today=TODAY)
    es, en = info.value.es, info.value.en
    assert "faltan columnas obligatorias: id, sector, hallazgo_tf, ubigeo (o lat y lon)" in es
    assert "Columnas encontradas: 'codigo_x', 'Fecha', 'Distrito'" in es
    assert "required columns are missing: id, sector, hallazgo_tf, ubigeo (or lat and lon)" in en
    assert "Columns found: 'codigo_x', 'Fecha', 'Distrito'" in en


@pytest.mark.parametrize("content", [b"", b"\n \n", (HEADER + "\n").encode()])
def test_empty_file(tmp_path, districts, content):
    path = tmp_path / "vacio.csv"
    path.write_bytes(content)
    with pytest.raises(DataError) as info:
        validate_inspections(path, districts, today=TODAY)
    assert "vacío" in info.value.es and "empty" in info.value.en


def test_missing_file(tmp_path, districts):
    with pytest.raises(DataError, match="No existe el archivo"):
        validate_inspections(tmp_path / "nada.csv", districts)


def test_xls_format_refused_with_advice(tmp_path, districts):
    path = tmp_path / "viejo.xls"
    path.write_bytes(b"\xd0\xcf\x11\xe0")
    with pytest.raises(DataError, match=r"\.xlsx o CSV"):
        validate_inspections(path, districts)


def test_two_columns_meaning_the_same(tmp_path, districts):
    path = _csv(tmp_path, "id,fecha,ubigeo,sector,hallazgo,hallazgo_tf\n")
    with pytest.raises(DataError, match="significan lo mismo"):
        validate_inspections(path, districts)


# --- rows -------------------------------------------------------------------------------


def test_duplicate_ids(tmp_path, districts):
    text = HEADER + "\nA,2021-01-01,080101,tala,1\nB,2021-01-01,080101,tala,1\n" \
        "A,2021-01-02,080101,tala,0\n"
    report = _validate(tmp_path, districts, text)
    err = _only_error(report)
    assert (err.line, err.column) == (4, C.ID)
    assert "repetido (ya aparece en la línea 2)" in err.es
    assert "already appears on line 2" in err.en


def test_latlon_without_ubigeo_assigned_by_spatial_join(tmp_path, districts):
    text = ("id,fecha,ubigeo,lat,lon,sector,hallazgo_tf\n"
            "A,2021-01-01,,-3.75,-73.25,tala,1\n"
            "B,2021-01-01,080101,,,tala,1\n"
            # 0.005 degrees (~540 m) outside the Cusco box: within the 1 km tolerance
            "C,2021-01-01,,-13.495,-71.95,tala,1\n")
    report = _validate(tmp_path, districts, text)
    assert report.ok, report.render("es")
    assert report.valid[C.UBIGEO].tolist() == ["160101", "080101", "080101"]
    assert pd.isna(report.valid[C.LAT].iloc[1])


def test_latlon_contradicting_ubigeo(tmp_path, districts):
    text = ("id,fecha,ubigeo,lat,lon,sector,hallazgo_tf\n"
            "A,2021-01-01,080101,-3.75,-73.25,tala,1\n"
            "B,2021-01-01,080101,-13.495,-71.95,tala,1\n")  # 0.5 km off its box: tolerated
    report = _validate(tmp_path, districts, text)
    err = _only_error(report)
    assert (err.line, err.column) == (2, C.UBIGEO)
    assert "cae en el distrito 160101" in err.es and "falls in district 160101" in err.en
    assert report.valid[C.ID].tolist() == ["B"]


def test_swapped_latlon_hint(tmp_path, districts):
    text = "id,fecha,lat,lon,sector,hallazgo_tf\nA,2021-01-01,-71.95,-13.55,tala,1\n"
    err = _only_error(_validate(tmp_path, districts, text))
    assert "¿Se intercambiaron lat y lon?" in err.es


def test_no_district_at_all(tmp_path, districts):
    text = "id,fecha,ubigeo,lat,lon,sector,hallazgo_tf\nA,2021-01-01,,,,tala,1\n"
    err = _only_error(_validate(tmp_path, districts, text))
    assert err.column == C.UBIGEO and "ni coordenadas" in err.es


def test_half_a_coordinate(tmp_path, districts):
    text = "id,fecha,lat,lon,sector,hallazgo_tf\nA,2021-01-01,-13.55,,tala,1\n"
    err = _only_error(_validate(tmp_path, districts, text))
    assert err.column == C.LON and "sin su pareja" in err.es


@pytest.mark.parametrize("value,expected", [
    ("1", 1), ("0", 0), ("Sí", 1), ("si", 1), ("NO", 0), ("true", 1), ("False", 0),
    ("Verdadero", 1), ("falso", 0), ("1.0", 1),
])
def test_hallazgo_spellings(tmp_path, districts, value, expected):
    report = _validate(tmp_path, districts, HEADER + f"\nA,2021-01-01,080101,tala,{value}\n")
    assert report.valid[C.HALLAZGO].tolist() == [expected]
    assert report.valid[C.HALLAZGO].dtype == "int64"


@pytest.mark.parametrize("value", ["quizás", "2", ""])
def test_bad_hallazgo(tmp_path, districts, value):
    err = _only_error(_validate(tmp_path, districts,
                                HEADER + f"\nA,2021-01-01,080101,tala,{value}\n"))
    assert err.column == C.HALLAZGO and "Use 1 o 0" in err.es


def test_sector_accents_tolerated_unknown_rejected(tmp_path, districts):
    text = HEADER + "\nA,2021-01-01,080101, Doméstico ,1\nB,2021-01-01,080101,pesca,1\n"
    report = _validate(tmp_path, districts, text)
    assert report.valid[C.SECTOR].tolist() == ["domestico"]
    err = _only_error(report)
    assert err.line == 3 and "'pesca' no es un valor válido" in err.es
    assert ", ".join(C.SECTORES_INSPECCION) in err.es


def test_optional_columns(tmp_path, districts):
    text = ("id,fecha,ubigeo,sector,hallazgo_tf,origen,indicadores,trabajadores,victimas\n"
            'A,2021-01-01,080101,tala,1,Denuncia,"Engaño; servidumbre_deudas",10,4\n'
            "B,2021-01-01,080101,tala,0,,,,\n"
            "C,2021-01-01,080101,tala,1,rumor,,,\n"
            "D,2021-01-01,080101,tala,1,,trata;engano,,\n"
            "E,2021-01-01,080101,tala,1,,,-3,\n"
            "F,2021-01-01,080101,tala,1,,,2.5,\n"
            "G,2021-01-01,080101,tala,1,,,3,5\n")
    report = _validate(tmp_path, districts, text)
    valid = report.valid.set_index(C.ID)
    assert valid.loc["A", C.ORIGEN] == "denuncia"
    assert valid.loc["A", C.INDICADORES] == "engano;servidumbre_deudas"
    assert (valid.loc["A", C.TRABAJADORES], valid.loc["A", C.VICTIMAS]) == (10, 4)
    assert pd.isna(valid.loc["B", C.ORIGEN]) and valid.loc["B", C.INDICADORES] == ""
    by_line = {e.line: e for e in report.errors}
    assert sorted(by_line) == [4, 5, 6, 7, 8]
    assert by_line[4].column == C.ORIGEN
    assert by_line[5].column == C.INDICADORES and "trata" in by_line[5].es
    assert by_line[6].column == C.TRABAJADORES and by_line[7].column == C.TRABAJADORES
    assert by_line[8].column == C.VICTIMAS and "más víctimas (5) que trabajadores (3)" in \
        by_line[8].es


def test_eleven_ilo_indicators():
    assert len(ILO_INDICATORS) == 11
    assert all(code.isidentifier() and code.isascii() for code in ILO_INDICATORS)


def test_numbered_ilo_codes_accepted(tmp_path, districts):
    text = HEADER + ",indicadores\nA,2021-01-01,080101,tala,1,OIT02;oit11;OIT09\n" \
        "B,2021-01-01,080101,tala,1,OIT12\n"
    report = _validate(tmp_path, districts, text)
    assert report.valid[C.INDICADORES].tolist() == [
        "engano;horas_extra_excesivas;servidumbre_deudas"]
    assert _only_error(report).line == 3


def test_column_names_tolerate_case_accents_spaces(tmp_path, districts):
    text = (" ID ;Fecha;Ubigeo;SECTOR;Hallazgo TF;Víctimas;N Trabajadores\n"
            "A;2021-01-01;080101;tala;1;1;2\n")
    report = _validate(tmp_path, districts, text)
    assert report.ok and report.valid[C.VICTIMAS].tolist() == [1]


def test_row_with_extra_fields(tmp_path, districts):
    text = HEADER + ",trabajadores\nA,2021-01-01,080101,tala,1,1,5\n"
    err = _only_error(_validate(tmp_path, districts, text))
    assert "7 campos" in err.es and "entre comillas" in err.es


def test_line_numbers_count_blank_rows_and_multiline_cells(tmp_path, districts):
    text = (HEADER + ",notas\n"
            'A,2021-01-01,080101,tala,1,"dos\nlíneas"\n'
            "\n"
            "B,ayer,080101,tala,1,\n")
    err = _only_error(_validate(tmp_path, districts, text))
    assert err.line == 4  # header 1, A 2, blank 3, B 4: as a spreadsheet shows it


def test_valid_frame_contract(tmp_path, districts):
    report = _validate(tmp_path, districts, HEADER + "\nA,2021-01-01,080101,tala,1\n")
    assert tuple(report.valid.columns) == RECORD_COLUMNS
    assert report.valid[C.UBIGEO].iloc[0] == "080101"
    assert report.valid_lines == [2]


def test_render_in_both_languages(tmp_path, districts):
    text = HEADER + "\nA,2099-01-01,080101,tala,1\nB,2021-01-01,12345,tala,1\n"
    report = _validate(tmp_path, districts, text)
    es, en = report.render("es"), report.render("en")
    assert "2 filas leídas, 0 válidas, 2 con errores" in es
    assert "línea 2, columna 'fecha'" in es and "línea 3, columna 'ubigeo'" in es
    assert "2 rows read, 0 valid, 2 with errors" in en
    assert "line 2, column 'fecha'" in en and "line 3, column 'ubigeo'" in en
    assert "  … y 1 error más." in report.render("es", max_errors=1)
    with pytest.raises(DataError) as info:
        report.raise_if_invalid()
    assert "línea 3" in info.value.es and "line 3" in info.value.en


def test_load_records_from_file_when_store_absent(tmp_path, districts, monkeypatch):
    monkeypatch.setenv("RISKMAP_DATA_DIR", str(tmp_path))  # no store there
    path = _csv(tmp_path, HEADER + "\nA,2021-01-01,080101,tala,1\n")
    settings = types.SimpleNamespace(inspections=path, base=None, region=("08", "16"))
    records = load_records(settings, districts=districts)
    assert records[C.ID].tolist() == ["A"]
    empty = load_records(types.SimpleNamespace(inspections=None), None)
    assert empty.empty and tuple(empty.columns) == RECORD_COLUMNS


def test_load_records_refuses_invalid_file(tmp_path, districts):
    path = _csv(tmp_path, HEADER + "\nA,2021-01-01,999999,tala,1\n")
    settings = types.SimpleNamespace(inspections=path, base=None, region=("08", "16"))
    with pytest.raises(DataError, match="línea 2, columna 'ubigeo'"):
        load_records(settings, districts=districts)


# --- ids a person cannot see, files that are not tables (issue 21) ---------------------
def test_ids_with_control_or_invisible_characters_are_refused_naming_the_row(tmp_path,
                                                                             districts):
    text = (HEADER + "\n"
            "OK-1,2021-03-15,080101,mineria,1\n"
            "A\x00B,2021-03-15,080101,mineria,1\n"      # NUL
            "C\x1b[31mD,2021-03-15,080101,tala,0\n"     # a terminal escape
            "E\u202eF,2021-03-15,160101,tala,0\n"        # right-to-left override
            "G\u200bH,2021-03-15,160101,tala,0\n"        # zero-width space
            '"I\nJ",2021-03-15,160101,tala,0\n'         # a line break inside the cell
            "K\tL,2021-03-15,160101,tala,0\n")          # a tab inside
    report = _validate(tmp_path, districts, text)
    assert report.valid[C.ID].tolist() == ["OK-1"]
    assert [(e.line, e.column) for e in report.errors] == [
        (3, C.ID), (4, C.ID), (5, C.ID), (6, C.ID), (7, C.ID), (8, C.ID)]
    by_line = {e.line: e for e in report.errors}
    assert "U+0000" in by_line[3].es and "caracteres de control" in by_line[3].es
    assert "U+001B" in by_line[4].es and "U+202E" in by_line[5].en
    assert "U+200B" in by_line[6].en and "U+000A" in by_line[7].es
    assert "U+0009" in by_line[8].es  # a quoted cell with a line break is one row
    rendered = report.render("es") + report.render("en")
    assert "línea 3, columna 'id'" in rendered and "line 5, column 'id'" in rendered
    # the refused characters never reach the message itself
    assert not any(ch in rendered for ch in ("\x00", "\x1b", "\u202e", "\u200b", "\t"))
    # letters of any language, spaces and signs are ids like any other
    fine = _validate(tmp_path, districts, HEADER + "\nÑuñoa 7/2021-Ü,2021-03-15,080101,"
                     "mineria,1\n", name="bien.csv")
    assert fine.ok and fine.valid[C.ID].tolist() == ["Ñuñoa 7/2021-Ü"]


def test_a_csv_with_a_huge_cell_is_a_clear_error_naming_the_file_and_the_limit(tmp_path,
                                                                                districts):
    from geo.records.inspections import MAX_CELL_CHARS

    huge = tmp_path / "una_celda.csv"
    huge.write_bytes(b"A" * (3 * MAX_CELL_CHARS))  # one field, no line break
    with pytest.raises(DataError) as info:
        validate_inspections(huge, districts, today=TODAY)
    assert "una_celda.csv" in info.value.es and "131,072 caracteres" in info.value.es
    assert "131,072 characters" in info.value.en and "una_celda.csv" in info.value.en
    # an open quote swallowing the rest of the file is the same thing
    quoted = _csv(tmp_path, HEADER + '\n"A1,2021-03-15,080101,mineria,1\n'
                  + "x" * (MAX_CELL_CHARS + 10) + "\n", name="comilla.csv")
    with pytest.raises(DataError, match="registro 2 del archivo"):
        validate_inspections(quoted, districts, today=TODAY)


def test_a_header_with_thousands_of_columns_is_refused(tmp_path, districts):
    from geo.records.inspections import MAX_COLUMNS

    wide = _csv(tmp_path, ",".join(f"c{i}" for i in range(MAX_COLUMNS + 1)) + "\n1\n",
                name="ancho.csv")
    with pytest.raises(DataError) as info:
        validate_inspections(wide, districts, today=TODAY)
    assert "ancho.csv" in info.value.es and f"{MAX_COLUMNS + 1} columnas" in info.value.es
