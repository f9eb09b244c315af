"""The field sheet: its parts from small inline data, its words, the checklist page."""

from __future__ import annotations

import math
import re
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geo import columns as C
from geo.config import ReferralLine, ReferralSpec, Settings
from geo.config.layers import LayerSpec
from geo.records.contract import ILO_INDICATORS, records_frame
from models.planning.fieldprint import checklist_html, sheet_html, sheets_document
from models.planning.fieldsheet import (
    REFERRAL_ROLES,
    department_profiles,
    field_sheet,
    referral_routes,
    service_role,
)

LINE = ReferralLine("Línea 100 (MIMP)", "100", "MIMP, Línea 100")


def _settings(**changes) -> Settings:
    mining = LayerSpec(name="mineria", sector="mineria", path=Path("m.csv"), measure="value",
                       column="x", source="MapBiomas Perú", unit="ha")
    coca = LayerSpec(name="coca", sector="coca", path=Path("c.csv"), measure="value",
                     column="x", source="", unit="ha", simulated=True)
    services = LayerSpec(name="servicios", sector="servicios", path=Path("s.gpkg"),
                         measure="servicios", kind="servicios", simulated=True)
    base = Settings(path=Path("s.toml"), base=Path("b.gpkg"), workdir=Path("."),
                    simulated=True, layers=(mining, coca), services=(services,),
                    referral=ReferralSpec((LINE,)))
    return replace(base, **changes)


def _districts() -> gpd.GeoDataFrame:
    """Three districts in a row, 0.3° wide, joined by road (Sierra)."""
    return gpd.GeoDataFrame(
        {C.UBIGEO: ["080101", "080102", "080103"], C.DISTRITO: ["Uno", "Dos", "Tres"],
         C.REGION_NATURAL: "Sierra", C.COD_DEP: "08", C.COD_PROV: "0801",
         C.PROVINCIA: "Cusco"},
        geometry=[box(round(-72.0 + 0.3 * i, 6), -13.6, round(-71.7 + 0.3 * i, 6), -13.3)
                  for i in range(3)],
        crs=4326)


def _services(**extra) -> gpd.GeoDataFrame:
    frame = {"capa": "servicios", "nombre": ["CEM Uno", "CEM Tres", "Fiscalía Tres"],
             "tipo": ["cem", "cem", "fiscalia_trata"], C.UBIGEO: ["080101", "080103", "080103"]}
    frame.update(extra)
    return gpd.GeoDataFrame(frame, geometry=[Point(-71.85, -13.45), Point(-71.25, -13.45),
                                             Point(-71.24, -13.46)], crs=4326)


@pytest.mark.parametrize(("kind", "role"), [
    ("cem", "cem"), ("CEM", "cem"), ("fiscalia_trata", "fiscalia"), ("Fiscalía provincial",
                                                                      "fiscalia"),
    ("policia", "policia"), ("Comisaría PNP", "policia"), ("albergue", "refugio"),
    ("CAR", "refugio"), ("hogar refugio temporal", "refugio"), ("carretera", None),
    ("biblioteca", None)])
def test_a_service_kind_names_its_role(kind, role):
    assert service_role(kind) == role


def test_the_referral_route_takes_the_nearest_of_each_kind_on_the_network():
    routes = referral_routes(_districts(), _services(), ["080101", "080103"])
    one = {r.role: r for r in routes["080101"]}
    three = {r.role: r for r in routes["080103"]}
    assert [r.role for r in routes["080101"]][:4] == list(REFERRAL_ROLES)
    assert one["cem"].name == "CEM Uno" and three["cem"].name == "CEM Tres"
    # the prosecutor sits in Tres: from Uno the way crosses Dos by road
    assert one["fiscalia"].name == "Fiscalía Tres"
    assert one["fiscalia"].days > three["fiscalia"].days > 0
    assert one["fiscalia"].modes == ("carretera",)
    # nothing made up: no police, no shelter in the layer -> no name, no days, no contact
    for role in ("policia", "refugio"):
        assert not one[role].known and math.isnan(one[role].days) and one[role].contact == ""


def test_a_contact_comes_only_from_the_services_layer():
    routes = referral_routes(_districts(), _services(contacto=["084-000111", "", ""]),
                             ["080101"])
    by_role = {r.role: r for r in routes["080101"]}
    assert by_role["cem"].contact == "084-000111" and by_role["fiscalia"].contact == ""


def test_without_services_every_kind_says_no_data():
    routes = referral_routes(_districts(), None, ["080102"])
    assert [r.known for r in routes["080102"]] == [False] * 4


def _row(**extra):
    row = {C.UBIGEO: "080101", C.DISTRITO: "Uno", C.PROVINCIA: "Cusco",
           C.DEPARTAMENTO: "Cusco", C.RIESGO: 0.30, C.RIESGO_P05: 0.2, C.RIESGO_P95: 0.4,
           "contrib_mineria": 0.8, "contrib_pobreza_monetaria": 0.4, "contrib_coca": 1.5,
           "contrib_lejania_km": -0.6, "sin_dato": "coca"}
    row.update(extra)
    return row


def _profile():
    """A department's profile by sector: mining's deception count hidden for the role."""
    codes = list(ILO_INDICATORS)
    rows = []
    for sector, base in (("mineria", 3), ("tala", 10)):
        row = {C.SECTOR: sector, **{c: 0 for c in codes}, "suprimido": ""}
        row.update(engano=base, retencion_documentos=base + 1, aislamiento=0)
        rows.append(row)
    rows[0]["suprimido"] = "engano"
    rows[0]["engano"] = float("nan")
    return pd.DataFrame(rows)


def test_the_sheet_says_why_what_and_where_to_refer():
    routes = referral_routes(_districts(), _services(), ["080101"])
    sheet = field_sheet(_row(), _settings(), values={"mineria": 250.0, "coca": 0.0},
                        profile=_profile(), referrals=routes["080101"], trip="RC-01", stop=2)
    # the silent layer (coca: no public data here) gives no reason, the negative one neither
    assert [r.feature for r in sheet.reasons] == ["mineria", "pobreza_monetaria"]
    assert sheet.reasons[0].points > sheet.reasons[1].points > 0
    assert [(s.layer, s.source, s.simulated) for s in sheet.sectors] == [
        ("mineria", "MapBiomas Perú", False)]
    # indicators of the district's sectors only (mining), the hidden one stays hidden
    assert sheet.indicator_sectors == ("mineria",)
    found = {i.code: i for i in sheet.indicators}
    assert found["retencion_documentos"].count == 4
    assert found["engano"].hidden and found["engano"].count is None
    assert "aislamiento" not in found  # never found: not listed
    assert sheet.lines == (LINE,) and sheet.services_simulated


def test_a_district_without_sector_activity_counts_every_sector():
    sheet = field_sheet(_row(), _settings(), values={"mineria": 0.0}, profile=_profile())
    assert sheet.sectors == () and sheet.indicator_sectors == ()
    found = {i.code: i for i in sheet.indicators}
    assert found["engano"].hidden  # a sum with a hidden part is hidden
    assert found["retencion_documentos"].count == 4 + 11


def test_department_profiles_count_a_planner_exactly():
    """The planner's profile is exact; a protected role's is tested on the demo world."""
    rows = [{C.ID: f"r{i}", C.FECHA: "2024-01-02", C.UBIGEO: "080101",
             C.SECTOR: "mineria" if i < 5 else "tala", C.HALLAZGO: 1,
             C.INDICADORES: "engano;retencion_documentos" if i < 2 else "engano"}
            for i in range(7)]
    exact = department_profiles(records_frame(rows), _districts(), 1,
                                aggregate_role=False)["08"]
    row = exact.set_index(C.SECTOR).loc["mineria"]
    assert int(row["engano"]) == 5 and int(row["retencion_documentos"]) == 2
    planner = field_sheet(_row(), _settings(), values={"mineria": 1.0}, profile=exact)
    assert [(i.code, i.count) for i in planner.indicators] == [
        ("engano", 5), ("retencion_documentos", 2)]


@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_printed_sheet_says_no_data_and_simulated(lang):
    routes = referral_routes(_districts(), _services(contacto=["084-000111", "", ""]),
                             ["080101"])
    sheet = field_sheet(_row(), _settings(), values={"mineria": 250.0}, profile=_profile(),
                        referrals=routes["080101"], trip="RC-01", stop=2)
    page = sheet_html(sheet, lang)
    words = {"es": ("Ficha de campo — Uno", "sin dato", "SIMULADO", "Hogar o refugio",
                    "Viaje RC-01, parada 2", "250 ha", "oculto", "Línea 100 (MIMP): 100"),
             "en": ("Field sheet — Uno", "no data", "SIMULATED", "Shelter", "Trip RC-01, stop 2",
                    "250 ha", "hidden", "Línea 100 (MIMP): 100")}[lang]
    for word in words:
        assert word in page, word
    assert "084-000111" in page
    assert page.count("<tr>") - 1 >= 4  # a row per kind of help at least
    assert "153-A" in page and "168-B" in page and "CIET" in page or "ICLS" in page
    assert page.startswith("<section class='page ficha'>")


def test_without_lines_in_the_settings_the_sheet_says_so():
    sheet = field_sheet(_row(), _settings(referral=ReferralSpec()))
    page = sheet_html(sheet, "es")
    assert "Líneas nacionales: sin dato" in page
    assert page.count("<td>sin dato</td>") == 4 * 4  # four kinds, name/days/modes/contact


def test_a_document_of_sheets_is_one_page_each():
    sheets = [field_sheet(_row(**{C.UBIGEO: u}), _settings()) for u in ("080101", "080102")]
    page = sheets_document(sheets, "es")
    assert page.count("class='page ficha'") == 2 and "@page{size:A4" in page


@pytest.mark.parametrize("lang", ["es", "en"])
def test_the_checklist_has_the_eleven_indicators_under_both_dimensions(lang):
    page = checklist_html(lang)
    codes = re.findall(r"<span class='code'>([a-z_]+)</span>", page)
    assert set(codes) == set(ILO_INDICATORS)
    both = {c for c in codes if codes.count(c) > 1}
    assert both == {"servidumbre_deudas"}  # config/indicadores_oit.toml: both dimensions
    dims = ("Trabajo involuntario", "Amenaza") if lang == "es" else ("Involuntary work",
                                                                     "Threat")
    assert all(d in page for d in dims)
    for column in ("ubigeo", "sector", "origen", "hallazgo_tf", "ubigeo_origen"):
        assert column in page
    assert page.count("class='box'") == len(codes) + len(C.SECTORES_INSPECCION) + \
        len(C.ORIGENES) + 2  # + yes / no


def test_a_missing_value_term_of_a_district_with_the_value_says_it_has_it():
    row = _row(**{"contrib_falta_coca": 0.9, "contrib_falta_mineria": 0.7,
                  "sin_dato": "mineria"})
    sheet = field_sheet(row, _settings())
    said = {r.feature: r.has_data for r in sheet.reasons if r.feature.startswith("falta_")}
    assert said == {"falta_coca": True, "falta_mineria": False}
    page = sheet_html(sheet, "es")
    assert "Con dato público: Cultivo de coca" in page or "Con dato público: Coca" in page
    assert "Sin dato público: Minería" in page
