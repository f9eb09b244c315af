"""UBIGEO keys: finding the column, restoring lost zeros, rejecting bad codes, vintages."""

from __future__ import annotations

import pandas as pd
import pyogrio
import pytest

from geo.errors import DataError
from geo.geography.ubigeo import compare_vintages, find_ubigeo_column, normalize_ubigeo


@pytest.mark.parametrize(
    "name", ["UBIGEO", "ubigeo", "IDDIST", "COD_DISTRITO", "inei", "CODDIST", "Ubigeo_INEI"]
)
def test_find_column_known_names(name):
    df = pd.DataFrame({"nombre": ["x"], name: ["080101"]})
    assert find_ubigeo_column(df, "t.csv") == name


def test_find_column_prefers_ubigeo_over_reniec():
    df = pd.DataFrame({"reniec": ["070101"], "inei": ["080101"]})
    assert find_ubigeo_column(df, "t.csv") == "inei"


def test_find_column_missing_names_file_and_columns():
    df = pd.DataFrame({"codigo_raro": ["080101"], "nombre": ["Cusco"]})
    with pytest.raises(DataError) as err:
        find_ubigeo_column(df, "mis_datos.csv")
    assert "mis_datos.csv" in err.value.es and "codigo_raro" in err.value.es
    assert "Rename" in err.value.en


def test_lost_zero_integer_is_padded():
    s = pd.Series([80101, 160101, 80915], name="UBIGEO")
    assert normalize_ubigeo(s, "t.csv").tolist() == ["080101", "160101", "080915"]


def test_lost_zero_float_is_padded():
    # a column with a missing value elsewhere becomes float in pandas
    s = pd.Series([80101.0, 250101.0])
    assert normalize_ubigeo(s, "t.csv").tolist() == ["080101", "250101"]


def test_text_codes_kept_and_stripped():
    s = pd.Series([" 080101", "160101 "], index=[10, 20])
    out = normalize_ubigeo(s, "t.csv")
    assert out.tolist() == ["080101", "160101"]
    assert out.index.tolist() == [10, 20]


def test_five_digit_text_is_an_error_naming_the_line():
    s = pd.Series(["080101", "80102", "080103"])
    with pytest.raises(DataError) as err:
        normalize_ubigeo(s, "insp.csv", first_line=2)
    assert "insp.csv" in err.value.es
    assert "línea 3" in err.value.es and "'80102'" in err.value.es
    assert "line 3" in err.value.en and "leading zero" in err.value.en


@pytest.mark.parametrize("bad", ["0801", "0801011", "ABC123", "", None, 801, 12.5])
def test_not_six_digits_is_an_error(bad):
    s = pd.Series(["080101", bad], dtype=object)
    with pytest.raises(DataError) as err:
        normalize_ubigeo(s, "t.gpkg")
    assert "fila 2" in err.value.es and "row 2" in err.value.en


def test_many_bad_rows_are_counted_not_all_listed():
    s = pd.Series(["x"] * 25)
    with pytest.raises(DataError) as err:
        normalize_ubigeo(s, "t.csv")
    assert "25 fila(s)" in err.value.es and "y 15 más" in err.value.es


def test_compare_vintages_lists_codes_both_ways():
    r = compare_vintages(["080101", "080102", "080102", None], ["080101", "080919"], "a", "b")
    assert (r.n_left, r.n_right, r.n_common) == (2, 2, 1)
    assert r.only_left == ("080102",) and r.only_right == ("080919",)
    assert not r.matches
    assert "080102" in r.es and "solo en a" in r.es and "only in b" in r.en
    assert set(r.to_frame()["ubigeo"]) == {"080102", "080919"}


def test_compare_vintages_match():
    r = compare_vintages(["080101"], ["080101"], "a", "b")
    assert r.matches and r.only_left == () and "coinciden" in r.es


def test_2007_division_against_current_boundaries(upstream_dir, shared_data):
    old = pyogrio.read_dataframe(
        upstream_dir / "juaneladio_peru_distrital_simple.geojson", read_geometry=False
    )
    new = pyogrio.read_dataframe(
        shared_data / "boundaries" / "peru_distritos_1891_mapsperu_simpl.geojson",
        read_geometry=False,
    )
    old_codes = normalize_ubigeo(old[find_ubigeo_column(old, "2007")], "2007")
    new_codes = normalize_ubigeo(new[find_ubigeo_column(new, "2025")], "2025")
    r = compare_vintages(old_codes, new_codes, "INEI 2007", "INEI 2025")
    assert (r.n_left, r.n_right) == (1834, 1891)
    assert r.n_common + len(r.only_right) == 1891
    assert r.n_common + len(r.only_left) == 1834
    # Putumayo province (Loreto 1608xx) did not exist in 2007; Cusco gained 080915-080918
    assert {"080915", "080916", "080917", "080918"} <= set(r.only_right)
    assert any(c.startswith("1608") for c in r.only_right)
    assert "INEI 2025" in r.es and "only in INEI 2025" in r.en


def test_compare_vintages_subset_is_not_a_vintage_problem():
    # one province's districts against the whole department: all codes exist
    r = compare_vintages(["080101", "080102"], ["080101", "080102", "080201", "080202"],
                         "prov.geojson", "la base")
    assert r.is_subset and not r.matches
    assert "cubre 2 de los 4 distritos de la base (un subconjunto)" in r.es
    assert "todos sus códigos UBIGEO coinciden" in r.es and "080201, 080202" in r.es
    assert "versiones distintas" not in r.es
    assert "covers 2 of the 4 districts" in r.en and "vintages" not in r.en
    # one code that really does not exist: the vintage message stays
    r = compare_vintages(["080101", "080199"], ["080101", "080102"], "prov.geojson", "la base")
    assert not r.is_subset and "versiones distintas" in r.es and "080199" in r.es
