"""ILO indicators (issue 10): the ICLS rule, profiles, routes, services, and bad input.

The classification tests use hand-written records, one per case of the rule (each dimension
alone, both, none, an indicator of both dimensions). ``riskmap indicators`` is checked
against an independent count of the demo's records made here from the CSV and the TOML
table read with ``tomllib``, not with :mod:`geo.records.indicators`.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geo import columns as C
from geo.errors import ConfigError, DataError
from geo.records.indicators import (
    INDICIOS,
    SIN_INDICIOS,
    TABLE_FILE,
    TRABAJO_FORZOSO,
    classify,
    classify_records,
    cooccurrence,
    load_table,
    profiles,
    routes,
    suppress,
    suppress_routes,
)
from geo.records.inspections import ILO_INDICATORS, records_frame, validate_inspections

TODAY = dt.date(2025, 6, 30)


@pytest.fixture
def districts() -> gpd.GeoDataFrame:
    """Cusco city (080101), Santa Ana (080901) and Iquitos (160101) as boxes."""
    return gpd.GeoDataFrame(
        {C.UBIGEO: ["080101", "080901", "160101"]},
        geometry=[box(-72.0, -13.6, -71.9, -13.5), box(-72.8, -12.9, -72.6, -12.8),
                  box(-73.3, -3.8, -73.2, -3.7)], crs=4326)


# --- the ICLS rule --------------------------------------------------------------------------
def test_the_table_maps_all_11_indicators_and_cites_the_icls_guidelines():
    raw = tomllib.loads(TABLE_FILE.read_text(encoding="utf-8"))
    assert set(raw["indicadores"]) == set(ILO_INDICATORS)
    assert "ICLS" in raw["source"] and "CIET" in raw["fuente"]
    table = load_table()
    assert table.codes == tuple(ILO_INDICATORS)  # the ILO 2012 order
    involuntary = {c for c, d in table.dimensions.items() if "involuntariedad" in d}
    coercion = {c for c, d in table.dimensions.items() if "amenaza" in d}
    assert involuntary | coercion == set(ILO_INDICATORS)
    assert {"engano", "condiciones_abusivas", "horas_extra_excesivas"} <= involuntary - coercion
    assert {"violencia_fisica_sexual", "retencion_documentos",
            "restriccion_movimiento"} <= coercion - involuntary


@pytest.mark.parametrize(("codes", "expected"), [
    ("engano", INDICIOS),  # involuntariness alone
    ("horas_extra_excesivas;condiciones_abusivas", INDICIOS),  # two, same dimension
    ("intimidacion_amenazas", INDICIOS),  # threat alone
    ("retencion_documentos;aislamiento", INDICIOS),
    ("engano;intimidacion_amenazas", TRABAJO_FORZOSO),  # both dimensions
    ("condiciones_abusivas;retencion_salarios;aislamiento", TRABAJO_FORZOSO),
    ("servidumbre_deudas", TRABAJO_FORZOSO),  # debt bondage belongs to both
    ("", SIN_INDICIOS),  # none
])
def test_icls_classification_of_hand_written_records(codes, expected):
    assert classify(codes) == expected


def test_contradictions_are_row_warnings_and_the_rows_are_imported(tmp_path, districts):
    path = tmp_path / "insp.csv"
    path.write_text(
        "id,fecha,ubigeo,sector,hallazgo_tf,indicadores\n"
        "A1,2021-01-05,080101,mineria,1,OIT02;OIT06\n"  # consistent: forced labour
        "A2,2021-01-06,080101,mineria,1,\n"  # a finding with no indicator
        "A3,2021-01-07,080101,tala,0,OIT10\n"  # indicators, no finding
        "A4,2021-01-08,080101,tala,0,\n"  # consistent: nothing
        "A5,2021-01-09,080101,tala,1,OIT02\n", encoding="utf-8")  # indicios: consistent
    report = validate_inspections(path, districts, today=TODAY)
    assert report.ok and len(report.valid) == 5
    assert [(w.line, w.column) for w in report.warnings] == [(3, C.HALLAZGO), (4, C.HALLAZGO)]
    assert "ningún indicador" in report.warnings[0].es
    assert "indicios" in report.warnings[1].es
    text = report.render("en")
    assert "2 records contradict" in text and "line 3" in text and "line 4" in text
    classes = classify_records(report.valid)
    assert classes["clase_oit"].tolist() == [TRABAJO_FORZOSO, SIN_INDICIOS, INDICIOS,
                                             SIN_INDICIOS, INDICIOS]
    assert classes["inconsistente"].tolist() == [False, True, True, False, False]


def test_a_file_without_indicators_has_nothing_to_contradict(tmp_path, districts):
    path = tmp_path / "insp.csv"
    path.write_text("id,fecha,ubigeo,sector,hallazgo_tf\nA1,2021-01-05,080101,mineria,1\n",
                    encoding="utf-8")
    report = validate_inspections(path, districts, today=TODAY)
    assert report.warnings == []
    # but its findings will count as findings without indicators: the user is told
    assert any("no tiene columna 'indicadores': su hallazgo se contará" in es
               for es in (note.es for note in report.notes))


# --- bad input: row-level messages, nothing imported ----------------------------------------
BAD_ROWS = (
    "id,fecha,ubigeo,sector,hallazgo_tf,indicadores,victimas,victimas_mujeres,"
    "victimas_menores,ubigeo_origen\n"
    "B1,2021-01-05,080101,mineria,1,OIT02;trata_sexual,2,,,\n"  # unknown indicator
    "B2,2021-01-05,080101,mineria,1,OIT02,2,3,,\n"  # more women than victims
    "B3,2021-01-05,080101,mineria,1,OIT02,2,,5,\n"  # more minors than victims
    "B4,2021-01-05,080101,mineria,1,OIT02,,1,,\n"  # women without a total
    "B5,2021-01-05,080101,mineria,1,OIT02,2,,,089999\n"  # in-region code, no district
    "B6,2021-01-05,080101,mineria,1,OIT02,2,,,999999\n"  # no department 99
    "B7,2021-01-05,080101,mineria,1,OIT02,2,,,Cusco\n"  # not a code
    "B8,2021-01-05,080101,mineria,1,OIT02,2,1,1,210101\n"  # fine: Puno
)


def test_bad_victim_and_origin_cells_are_named_by_row_and_column(tmp_path, districts):
    path = tmp_path / "malo.csv"
    path.write_text(BAD_ROWS, encoding="utf-8")
    report = validate_inspections(path, districts, today=TODAY)
    where = [(e.line, e.column) for e in report.errors]
    assert where == [(2, C.INDICADORES), (3, C.VICTIMAS_MUJERES), (4, C.VICTIMAS_MENORES),
                     (5, C.VICTIMAS_MUJERES), (6, C.UBIGEO_ORIGEN), (7, C.UBIGEO_ORIGEN),
                     (8, C.UBIGEO_ORIGEN)]
    by_line = {e.line: e for e in report.errors}
    assert "trata_sexual" in by_line[2].es
    assert "(3)" in by_line[3].es and "(2)" in by_line[3].es
    assert "089999" in by_line[6].es and "no es un distrito" in by_line[6].es
    assert "is not a district of Peru" in by_line[7].en
    assert report.valid[C.ID].tolist() == ["B8"]
    assert report.valid[C.UBIGEO_ORIGEN].tolist() == ["210101"]


def test_with_the_national_list_an_origin_must_be_a_real_district(tmp_path, districts):
    path = tmp_path / "origen.csv"
    path.write_text("id,fecha,ubigeo,sector,hallazgo_tf,victimas,ubigeo_origen\n"
                    "C1,2021-01-05,080101,mineria,1,2,210101\n"
                    "C2,2021-01-05,080101,mineria,1,2,210199\n", encoding="utf-8")
    report = validate_inspections(path, districts, today=TODAY, origins={"210101", "080101"})
    assert [(e.line, e.column) for e in report.errors] == [(3, C.UBIGEO_ORIGEN)]


def test_an_import_with_bad_victim_rows_writes_nothing(tmp_path, districts):
    from geo.records.store import ImportRejected, InspectionStore

    store = InspectionStore(tmp_path / "s.sqlite", role="planificador", user="ana")
    path = tmp_path / "malo.csv"
    path.write_text(BAD_ROWS, encoding="utf-8")
    with pytest.raises(ImportRejected):
        store.import_file(path, districts, today=TODAY)
    assert store.count() == 0


# --- profiles, co-occurrence, routes --------------------------------------------------------
def _records(rows):
    return records_frame([
        {C.ID: f"R{i}", C.FECHA: f"{year}-03-01", C.UBIGEO: ubigeo, C.SECTOR: sector,
         C.HALLAZGO: found, C.INDICADORES: codes, C.VICTIMAS: victims,
         C.VICTIMAS_MUJERES: women, C.VICTIMAS_MENORES: minors, C.UBIGEO_ORIGEN: origin}
        for i, (year, ubigeo, sector, found, codes, victims, women, minors, origin)
        in enumerate(rows)])


HAND = [
    (2020, "080101", "mineria", 1, "engano;intimidacion_amenazas", 3, 2, 1, "210101"),
    (2020, "080101", "mineria", 1, "engano", 2, 2, 0, "210101"),
    (2021, "080901", "tala", 0, "", 0, None, None, None),
    (2021, "080901", "tala", 1, "", 1, 0, 1, "080901"),
    (2021, "160101", "domestico", 0, "horas_extra_excesivas", 0, None, None, None),
]


def test_profiles_count_each_indicator_class_and_inconsistency_by_group():
    rec = _records(HAND)
    by_sector = profiles(rec, C.SECTOR).set_index(C.SECTOR)
    assert by_sector.loc["mineria", C.N_INSPECCIONES] == 2
    assert by_sector.loc["mineria", "engano"] == 2
    assert by_sector.loc["mineria", "intimidacion_amenazas"] == 1
    assert by_sector.loc["mineria", "n_trabajo_forzoso_oit"] == 1
    assert by_sector.loc["mineria", "n_indicios"] == 1
    assert by_sector.loc["tala", "n_inconsistentes"] == 1  # finding without indicators
    assert by_sector.loc["domestico", "n_inconsistentes"] == 1  # indicator, no finding
    assert by_sector.loc["mineria", "n_victimas_mujeres"] == 4
    assert pd.isna(by_sector.loc["domestico", "n_victimas_mujeres"])
    by_year = profiles(rec, "anio").set_index("anio")
    assert by_year[C.N_INSPECCIONES].to_dict() == {2020: 2, 2021: 3}
    every = pd.DataFrame({C.UBIGEO: ["080101", "080901", "160101", "160102"]})
    by_district = profiles(rec, C.UBIGEO, districts=every).set_index(C.UBIGEO)
    assert by_district.loc["160102", C.N_INSPECCIONES] == 0  # never inspected: a zero row
    with pytest.raises(ConfigError, match="--by"):
        profiles(rec, "distrito")


def test_cooccurrence_and_routes_on_hand_written_records():
    rec = _records(HAND)
    m = cooccurrence(rec)
    assert m.loc["engano", "engano"] == 2 and m.loc["engano", "intimidacion_amenazas"] == 1
    assert m.loc["intimidacion_amenazas", "engano"] == 1  # symmetric
    assert m.to_numpy().trace() == 4
    r = routes(rec).set_index([C.UBIGEO_ORIGEN, C.UBIGEO])
    assert r.loc[("210101", "080101"), "n_inspecciones"] == 2
    assert r.loc[("210101", "080101"), C.VICTIMAS] == 5
    assert r.loc[("210101", "080101"), C.VICTIMAS_MENORES] == 1
    assert r.loc[("080901", "080901"), C.VICTIMAS] == 1  # local recruitment
    assert len(r) == 2  # records without victims or origin make no route


def test_a_lone_small_cell_takes_a_second_one_with_it():
    from geo.records.indicators import small_cells

    assert small_cells([12, 3, 7, 0], 5).tolist() == [False, True, True, False]
    assert small_cells([12, 3, 7, 0], 5, secondary=False).tolist() == [False, True, False,
                                                                        False]
    assert small_cells([12, 0, 7], 5).tolist() == [False, False, False]
    assert small_cells([3, 0, 0], 5).tolist() == [True, False, False]  # nothing else to hide


def test_small_counts_are_blanked_for_roles_that_may_not_see_them():
    table = profiles(_records(HAND), C.SECTOR)
    out = suppress(table, 5).set_index(C.SECTOR)
    assert pd.isna(out.loc["mineria", "engano"])  # 2 < 5
    # 1 inspection in each of three sectors: all three small, all blank, no secondary needed
    assert out[C.N_INSPECCIONES].isna().all()
    assert out.loc["mineria", "horas_extra_excesivas"] == 0  # zeros reveal nobody
    assert "engano" in out.loc["mineria", "suprimido"].split(";")
    exact = suppress(table, 1).set_index(C.SECTOR)
    assert exact.loc["mineria", "engano"] == 2 and exact["suprimido"].eq("").all()
    kept = suppress_routes(routes(_records(HAND)), 5)
    assert kept.empty and kept.attrs["ocultas"] == 2


# --- riskmap indicators against an independent count of the demo's records ------------------
def _independent_count(demo_dir, by):
    """Count the demo CSV's indicators per sector without geo.records.indicators."""
    raw = pd.read_csv(demo_dir / "inspecciones.csv", dtype=str, keep_default_na=False)
    order = list(tomllib.loads(TABLE_FILE.read_text(encoding="utf-8"))["indicadores"])
    numbered = {f"OIT{n:02d}": name for n, name in enumerate(order, start=1)}
    dims = {k: set(v["dimensiones"]) for k, v in tomllib.loads(
        TABLE_FILE.read_text(encoding="utf-8"))["indicadores"].items()}
    out: dict[str, dict[str, int]] = {}
    for _, row in raw.iterrows():
        key = row[by]
        found = {numbered[c] for c in row["indicadores"].split(";") if c}
        d = out.setdefault(key, {"n": 0, **{c: 0 for c in order}, "tf": 0, "ind": 0,
                                 "inc": 0})
        d["n"] += 1
        for c in found:
            d[c] += 1
        covered = set().union(*(dims[c] for c in found)) if found else set()
        d["tf"] += covered == {"involuntariedad", "amenaza"}
        d["ind"] += bool(covered) and covered != {"involuntariedad", "amenaza"}
        d["inc"] += (row["hallazgo_tf"] == "1") != bool(found)
    return out


def test_riskmap_indicators_matches_an_independent_count(demo_dir, demo_settings, tmp_path,
                                                        monkeypatch, capsys):
    from dashboard.cli import main

    monkeypatch.setenv("RISKMAP_DATA_DIR", str(tmp_path / "datos"))  # no store: the file only
    out = tmp_path / "por_sector.csv"
    assert main(["indicators", "--config", str(demo_settings.path), "--by", "sector",
                 "--rol", "planificador", "--out", str(out)]) == 0
    assert "conteos exactos" in capsys.readouterr().out
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM: Excel reads it
    got = pd.read_csv(out, encoding="utf-8-sig").set_index(C.SECTOR)
    expected = _independent_count(demo_dir, C.SECTOR)
    assert set(got.index) == set(expected)
    for sector, d in expected.items():
        row = got.loc[sector]
        assert row[C.N_INSPECCIONES] == d["n"], sector
        for code in ILO_INDICATORS:
            assert row[code] == d[code], (sector, code)
        assert (row["n_trabajo_forzoso_oit"], row["n_indicios"], row["n_inconsistentes"]) \
            == (d["tf"], d["ind"], d["inc"]), sector
    assert got[list(ILO_INDICATORS)].to_numpy().sum() > 100  # the demo has findings


def test_riskmap_indicators_suppresses_for_an_investigator(demo_dir, demo_settings, tmp_path,
                                                          monkeypatch, capsys):
    from dashboard.cli import main

    monkeypatch.setenv("RISKMAP_DATA_DIR", str(tmp_path / "datos"))
    out = tmp_path / "por_distrito.csv"
    assert main(["indicators", "--config", str(demo_settings.path), "--out", str(out)]) == 0
    assert "suprimidos" in capsys.readouterr().out
    got = pd.read_csv(out, encoding="utf-8-sig", dtype={C.UBIGEO: str}).set_index(C.UBIGEO)
    assert len(got) == 169 and "distrito" in got.columns
    # GDAL's types beside it: the code stays text with its zero, counts are integers
    types = out.with_suffix(".csvt").read_text(encoding="utf-8").strip().split(",")
    heads = pd.read_csv(out, encoding="utf-8-sig", nrows=0).columns.tolist()
    assert dict(zip(heads, types, strict=True))[C.UBIGEO] == '"String"'
    assert dict(zip(heads, types, strict=True))["engano"] == '"Integer"'
    import pyogrio

    read = pyogrio.read_dataframe(out, read_geometry=False)
    assert read[C.UBIGEO].iloc[0].startswith("0")
    expected = _independent_count(demo_dir, C.UBIGEO)
    shown = 0
    for code in ILO_INDICATORS:
        blanked = 0
        for ubigeo, d in expected.items():
            value = got.loc[ubigeo, code]
            if 1 <= d[code] <= 4:  # primary suppression
                assert pd.isna(value), (ubigeo, code)
            if pd.isna(value):
                assert code in str(got.loc[ubigeo, "suprimido"]).split(";")
                blanked += 1
            else:
                assert value == d[code], (ubigeo, code)
                shown += d[code] > 0
        # never a lone blank in a column: the region's total would give it back
        assert blanked != 1, code
    assert shown > 0  # some counts of 5 or more do show


def test_a_shown_province_never_gives_a_blank_district_back(demo_settings, tmp_path,
                                                           monkeypatch):
    """Issue 21: province Cusco showed 12 victims, its districts shown 11 (the 12th blank)."""
    from dashboard.cli import main

    monkeypatch.setenv("RISKMAP_DATA_DIR", str(tmp_path / "datos"))
    tables = {}
    for by in ("ubigeo", "provincia"):
        out = tmp_path / f"{by}.csv"
        assert main(["indicators", "--config", str(demo_settings.path), "--by", by,
                     "--rol", "investigador", "--out", str(out)]) == 0
        tables[by] = pd.read_csv(out, encoding="utf-8-sig",
                                 dtype={C.UBIGEO: str, C.COD_PROV: str}).fillna(
            {"suprimido": ""})
    districts = tables["ubigeo"].assign(cod_prov=lambda d: d[C.UBIGEO].str[:4])
    checked = 0
    for prov in tables["provincia"].to_dict("records"):
        mine = districts[districts[C.COD_PROV] == prov[C.COD_PROV]]
        for col in (*ILO_INDICATORS, "n_trabajo_forzoso_oit", "n_indicios", "n_victimas",
                    "n_victimas_mujeres", "n_victimas_menores"):
            if col in str(prov["suprimido"]).split(";"):
                continue
            blank = mine["suprimido"].map(lambda v, c=col: c in v.split(";"))
            assert blank.sum() != 1, (prov[C.PROVINCIA], col)
            checked += int(blank.sum() > 1)
    assert checked >= 10  # shown provinces with blank districts: protected in pairs or more


# --- services --------------------------------------------------------------------------------
def _services_spec(path, column="TIPO"):
    from geo.config import LayerSpec

    return LayerSpec(name="servicios", sector="servicios", path=path, measure="servicios",
                     column=column, kind="servicios")


def test_services_are_read_with_type_name_and_district(tmp_path, districts):
    from geo.geography.services import read_services

    pts = gpd.GeoDataFrame({"NOMBRE": ["CEM Cusco", "", "Lejos"],
                            "TIPO": ["CEM", "Policia", "cem"]},
                           geometry=[Point(-71.95, -13.55), Point(-73.25, -3.75),
                                     Point(-60.0, 10.0)], crs=4326)
    pts.to_file(tmp_path / "s.gpkg")
    out = read_services([_services_spec(tmp_path / "s.gpkg")], districts)
    assert out["nombre"].tolist() == ["CEM Cusco", "POLICIA 2"]  # the far one is left out
    assert out["tipo"].tolist() == ["cem", "policia"]
    assert out[C.UBIGEO].tolist() == ["080101", "160101"]


def test_services_bad_input_names_the_file_and_the_key(tmp_path, districts):
    from geo.geography.services import read_services

    polys = gpd.GeoDataFrame({"TIPO": ["cem"]}, geometry=[box(-72, -13.6, -71.9, -13.5)],
                             crs=4326)
    polys.to_file(tmp_path / "poligonos.gpkg")
    with pytest.raises(DataError, match="poligonos.gpkg.*Polygon.*puntos"):
        read_services([_services_spec(tmp_path / "poligonos.gpkg")], districts)
    pts = gpd.GeoDataFrame({"CLASE": ["cem"]}, geometry=[Point(-71.95, -13.55)], crs=4326)
    pts.to_file(tmp_path / "p.gpkg")
    with pytest.raises(DataError, match="column = 'TIPO' no existe.*CLASE"):
        read_services([_services_spec(tmp_path / "p.gpkg")], districts)


def test_travel_days_to_the_nearest_service_follow_the_planning_model():
    from models.planning.services import service_access

    d = pd.DataFrame({C.UBIGEO: ["080101", "080901"], "lon": [-71.98, -72.70],
                      "lat": [-13.52, -12.86], C.REGION_NATURAL: ["Sierra", "Selva"]})
    s = gpd.GeoDataFrame({"nombre": ["CEM Cusco", "Fiscalía Cusco"],
                          "tipo": ["cem", "fiscalia_trata"]},
                         geometry=[Point(-71.97, -13.52), Point(-71.90, -13.50)], crs=4326)
    a = service_access(d, s)
    # by hand: haversine km x detour / km per day of the district's mode (models.planning.travel)
    r = 6371.0088
    lat1, lat2 = math.radians(-13.52), math.radians(-12.86)
    dlon = math.radians(-72.70 - (-71.97))
    km = 2 * r * math.asin(math.sqrt(math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1)
                                     * math.cos(lat2) * math.sin(dlon / 2) ** 2))
    assert a.loc["080901", "dias_servicio"] == pytest.approx(km * 2.0 / 150, rel=0.01)
    assert a.loc["080901", "servicio_cercano"] == "CEM Cusco"
    assert a.loc["080101", "dias_servicio"] == 0.25  # the minimum leg
    assert a.loc["080901", "dias_fiscalia_trata"] > a.loc["080901", "dias_cem"]
    table = pd.DataFrame({C.UBIGEO: ["080901"], "dias_viaje": [0.5], "oficina": ["CEM Cusco"]})
    assert service_access(d, s, table).loc["080901", "dias_servicio"] == 0.5  # planners know


def test_the_gap_is_high_risk_far_from_help():
    from models.planning.services import gap

    codes = ["080101", "080102", "080103", "080104", "160101", "160102"]
    scores = pd.DataFrame({C.UBIGEO: codes, C.RIESGO: [0.40, 0.30, 0.10, 0.05, 0.2, 0.1]})
    access = pd.DataFrame({"dias_servicio": [2.0, 0.25, 3.0, 0.5, 1.5, 4.0],
                           "servicio_cercano": "x", "tipo_servicio_cercano": "cem"},
                          index=pd.Index(codes, name=C.UBIGEO))
    out = gap(scores, access).set_index(C.UBIGEO)
    # Cusco: top quarter is 080101 (far: gap) ; 080102 near; 080103 far but low risk
    assert out["brecha"].to_dict() == {"080101": True, "080102": False, "080103": False,
                                       "080104": False, "160101": True, "160102": False}


def test_a_services_layer_is_parsed_apart_from_the_model_layers(tmp_path):
    from geo.config import load_settings

    (tmp_path / "s.gpkg").write_bytes(b"")
    text = ('config_version = 1\n[data]\nbase = "b.gpkg"\n[[layers]]\nname = "servicios"\n'
            'kind = "servicios"\npath = "s.gpkg"\ncolumn = "tipo"\n')
    (tmp_path / "a.toml").write_text(text, encoding="utf-8")
    s = load_settings(tmp_path / "a.toml", check_files=False)
    assert s.layers == () and s.services[0].name == "servicios"
    assert "servicios" not in s.feature_names
    (tmp_path / "b.toml").write_text(text + 'measure = "count"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="no admite measure"):
        load_settings(tmp_path / "b.toml", check_files=False)
    (tmp_path / "c.toml").write_text(text.replace('"servicios"\npath', '"ayuda"\npath'),
                                     encoding="utf-8")
    with pytest.raises(ConfigError, match="kind = 'ayuda'"):
        load_settings(tmp_path / "c.toml", check_files=False)


# --- exports ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("k", "protected"), [(1, False), (5, True)])
def test_exports_carry_the_indicator_profile_suppressed_by_role(demo_dir, demo_settings,
                                                               scores_gpkg, tmp_path,
                                                               monkeypatch, k, protected):
    import pyogrio

    from dashboard import state
    from models.risk.score import write_scores

    monkeypatch.setenv("RISKMAP_CONFIG", str(demo_settings.path))
    monkeypatch.setenv("RISKMAP_DATA_DIR", str(tmp_path / "datos"))  # no store: the file only
    counts = state.export_counts(not protected)
    table = state.export_table(("08",), k, protected, counts)
    cols = [f"oit_{c}" for c in ILO_INDICATORS]
    assert set(cols) <= set(table.columns) and len(table) == 116
    expected = _independent_count(demo_dir, C.UBIGEO)
    for row in table.itertuples():
        d = expected.get(row.ubigeo, {c: 0 for c in ILO_INDICATORS})
        for code in ILO_INDICATORS:
            value = getattr(row, f"oit_{code}")
            if 1 <= d[code] < k:
                assert pd.isna(value), (row.ubigeo, code)
            if pd.isna(value):
                assert f"oit_{code}" in row.indicadores_suprimidos
            else:
                assert value == d[code], (row.ubigeo, code)
    if k > 1:
        for code in ILO_INDICATORS:
            assert table[f"oit_{code}"].isna().sum() != 1, code  # secondary suppression
    out = write_scores(table, tmp_path / "riesgo.gpkg", demo_settings)
    back = pyogrio.read_dataframe(out, layer="riesgo", read_geometry=False)
    assert str(back["oit_engano"].dtype).lower().startswith("int") or \
        back["oit_engano"].dropna().eq(back["oit_engano"].dropna().round()).all()


# --- disclosure across views (review of issue 10) ---------------------------------------------
def _demo_records(demo_settings):
    from geo.records.inspections import load_records

    return load_records(demo_settings, store=False)


def _demo_districts(demo_settings):
    from geo.geography.base import read_districts

    return pd.DataFrame(read_districts(demo_settings.base, demo_settings.region)).drop(
        columns="geometry")


@pytest.mark.parametrize("by", [C.SECTOR, "anio"])
def test_a_union_of_departments_never_gives_back_a_departments_blank(demo_settings, by):
    from geo.records.indicators import protected_profile

    rec, dist = _demo_records(demo_settings), _demo_districts(demo_settings)
    both = protected_profile(rec, by, dist, 5).set_index(by)
    per = {dep: protected_profile(rec[rec[C.UBIGEO].str[:2] == dep], by,
                                  dist[dist[C.UBIGEO].str[:2] == dep], 5).set_index(by)
           for dep in ("08", "16")}
    checked = 0
    for key in both.index:
        for col in ILO_INDICATORS:
            union = both.loc[key, col]
            cells = [per[d].loc[key, col] if key in per[d].index else 0 for d in per]
            if pd.isna(union):
                continue
            # shown in the union: every department's cell is shown too, and they add up
            assert not any(pd.isna(c) for c in cells), (key, col)
            assert union == sum(int(c) for c in cells)
            checked += 1
    assert checked >= 5  # enough cells shown for the check to mean something
    # an aggregate role gets neither the group's inspections (the region's total) nor the
    # inconsistencies (two small counts by algebra)
    assert C.N_INSPECCIONES not in both and "n_inconsistentes" not in both
    planner = protected_profile(rec, by, dist, 1)
    assert C.N_INSPECCIONES in planner and "n_inconsistentes" in planner


def test_victims_by_sex_hide_when_the_rest_is_small():
    from geo.records.indicators import suppress

    t = pd.DataFrame({C.SECTOR: ["tala", "coca"], "n_victimas": [10, 20],
                      "n_victimas_mujeres": [6, 8], "n_victimas_menores": [10, 9]})
    out = suppress(t, 5).set_index(C.SECTOR)
    assert pd.isna(out.loc["tala", "n_victimas_mujeres"])  # 10 - 6 = 4 men: hidden
    assert out.loc["tala", "n_victimas_menores"] == 10  # 0 adults: reveals nobody
    assert out.loc["coca", "n_victimas_mujeres"] == 8  # 12 men


def test_the_classification_table_does_not_publish_the_total_to_aggregate_roles(
        demo_settings, districts_gpkg, monkeypatch, tmp_path):
    from dashboard import state
    from geo.trust.access import Principal

    monkeypatch.setenv("RISKMAP_CONFIG", str(demo_settings.path))
    monkeypatch.setenv("RISKMAP_DATA_DIR", str(tmp_path / "datos"))
    rosa = Principal("rosa", "investigador")
    table = state.indicator_classes(rosa, ("08",))
    assert pd.isna(table.loc["sin_indicios", 0])  # the big cell: the rest would give N
    assert table.isna().to_numpy().sum() != 1
    ana = state.indicator_classes(Principal("ana", "planificador"), ("08",))
    assert not ana.isna().to_numpy().any()
    rec = _demo_records(demo_settings)
    assert int(ana.to_numpy().sum()) == int((rec[C.UBIGEO].str[:2] == "08").sum())
