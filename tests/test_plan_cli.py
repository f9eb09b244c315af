"""``riskmap plan`` end to end: files written, numbers printed, errors as plain messages."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from dashboard.cli import main
from dashboard.commands.plan import parse_budget
from geo import columns as C
from geo.errors import RiskmapError

SETTINGS = """config_version = 1
[data]
workdir = "."
simulated = true
[planning]
exploration_share = 0.15
[[planning.offices]]
name = "Intendencia Regional Cusco"
lat = -13.5226
lon = -71.9673
capacity_days = 40
department = "08"
[[planning.offices]]
name = "Intendencia Regional Loreto (Iquitos)"
lat = -3.7491
lon = -73.2538
capacity_days = 40
department = "16"
"""


@pytest.fixture(scope="module")
def world(shared_data, tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("plan-cli")
    gdf = gpd.read_file(shared_data / "boundaries" / "cusco_loreto_distritos_mapsperu_full.geojson")
    gdf = gdf.rename(columns={"UBIGEO": C.UBIGEO, "DISTRITO": C.DISTRITO})
    rng = np.random.default_rng(5)
    gdf[C.RIESGO] = rng.beta(1.0, 8.0, len(gdf))
    gdf[C.EVIDENCIA] = np.where(rng.random(len(gdf)) < 0.3, C.EVIDENCIA_INSUFICIENTE, "suficiente")
    gdf[[C.UBIGEO, C.DISTRITO, C.RIESGO, C.EVIDENCIA, "geometry"]].to_file(
        root / "riesgo.gpkg", layer="riesgo")
    (root / "settings.toml").write_text(SETTINGS, encoding="utf-8")
    return root / "settings.toml"


def test_plan_writes_csv_and_html(world, tmp_path, capsys):
    out, page = tmp_path / "plan.csv", tmp_path / "plan.html"
    code = main(["plan", "--config", str(world), "--budget", "30,25", "--seed", "4",
                 "--out", str(out), "--html", str(page)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "DATOS SIMULADOS" in printed and "Hallazgos esperados" in printed
    assert "plan simple" in printed and "ganancia" in printed
    table = pd.read_csv(out, dtype={C.UBIGEO: str})
    assert table[C.UBIGEO].is_unique and len(table) > 0
    per_office = table.drop_duplicates("viaje").groupby("oficina")["dias_del_viaje"].sum()
    assert per_office["Intendencia Regional Cusco"] <= 30
    assert per_office["Intendencia Regional Loreto (Iquitos)"] <= 25
    assert "<svg" in page.read_text(encoding="utf-8")


def test_same_seed_same_plan(world, tmp_path, capsys):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for path in (a, b):
        assert main(["plan", "--config", str(world), "--seed", "9", "--out", str(path)]) == 0
    assert a.read_text(encoding="utf-8") == b.read_text(encoding="utf-8")


def test_unknown_ubigeo_in_travel_table_is_a_message(world, tmp_path, capsys):
    table = tmp_path / "viajes.csv"
    table.write_text("ubigeo,dias_viaje\n080101,1\n080102,1\n150101,2\n", encoding="utf-8")
    code = main(["plan", "--config", str(world), "--travel", str(table)])
    err = capsys.readouterr().err
    assert code == 2
    assert "línea 4" in err and "150101" in err and "Traceback" not in err


def test_budget_too_small_is_a_message_in_english(world, capsys):
    code = main(["--lang", "en", "plan", "--config", str(world), "--budget", "1"])
    err = capsys.readouterr().err
    assert code == 2 and "fits no trip" in err


def test_missing_scores_say_what_to_run(world, tmp_path, capsys):
    code = main(["plan", "--config", str(world), "--scores", str(tmp_path / "nada.gpkg")])
    assert code == 2 and "riskmap score" in capsys.readouterr().err


def test_parse_budget_errors():
    with pytest.raises(RiskmapError, match="2 oficinas"):
        parse_budget("1,2,3", ["A", "B"])
    with pytest.raises(RiskmapError, match="--budget"):
        parse_budget("mucho", ["A"])
