"""The default world is made of the real public layers (issue 20's "Done when").

`make serve` builds the default world (``riskmap prepare``: ``geo.world.demo.make_demo`` then
``riskmap build``) from the verbatim public files that ``riskmap data fetch`` downloads. Here
its ``distritos.gpkg`` is checked against an independent reading of those files (plain csv
and arithmetic, not riskmap's readers), in their real shape:

* GeoBosques forest loss by district (``…Bosque_y_perdida…curated.csv``): comma separated,
  UBIGEO as zero-padded text, one column per year ``2001_ha`` … ``2024_ha``, large numbers
  written with thousands commas inside quotes (``"2,403.72"``);
* the Amazon district × year panel (``deforestation_dataset_PERU.csv``): semicolon
  separated, ``NA`` for empty cells, UBIGEO written as a number that lost its leading zero
  (``80901`` = ``080901``), one row per district and ``YEAR`` 2001–2020.
"""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyogrio
import pytest

from geo import columns as C
from geo.paths import REPO_ROOT

GEOBOSQUES = "xgboost_deforestation_Bosque_y_perdida_de_bosques_por_Distrito_al_2024_curated.csv"
PANEL = "xgboost_deforestation_deforestation_dataset_PERU.csv"
REGION = ("08", "16")


def _geobosques_loss(path: Path) -> dict[str, float]:
    """Forest loss 2020-2024 per UBIGEO, summed by hand from the verbatim file."""
    out = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            cells = [row[f"{y}_ha"].replace(",", "") for y in range(2020, 2025)]
            out[row["UBIGEO"]] = sum(float(c) for c in cells)
    return out


def _panel_2020(path: Path, column: str) -> dict[str, float | None]:
    """``column`` of the panel's 2020 rows per UBIGEO (``None`` for NA), read by hand."""
    out: dict[str, float | None] = {}
    with path.open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh, delimiter=";"):
            if row["YEAR"] == "2020":
                code = row["UBIGEO"].strip().zfill(6)
                out[code] = None if row[column] in ("", "NA") else float(row[column])
    return out


@pytest.fixture(scope="module")
def table(districts_gpkg: Path) -> gpd.GeoDataFrame:
    return gpd.read_file(districts_gpkg, layer="distritos").set_index(C.UBIGEO)


def test_forest_loss_is_geobosques_summed_and_zero_only_where_declared(table, upstream_dir):
    loss = _geobosques_loss(upstream_dir / GEOBOSQUES)
    covered = [u for u in table.index if u in loss]
    assert len(covered) == 26 + 53  # GeoBosques lists 26 Cusco and all 53 Loreto districts
    np.testing.assert_allclose(table.loc[covered, "perdida_bosque"],
                               [loss[u] for u in covered], rtol=1e-9)
    # a "2,403.72" cell was read as 2403.72, not refused nor cut at the comma
    assert max(loss[u] for u in covered) > 1000
    others = [u for u in table.index if u not in loss]
    assert others and (table.loc[others, "perdida_bosque"] == 0).all()


@pytest.mark.parametrize(("layer", "column"), [("mineria", "Minería"),
                                               ("agricultura", "area_agropec"),
                                               ("coca", "Coca_ha")])
def test_panel_layers_are_the_2020_rows_and_missing_where_the_panel_is_silent(
        table, upstream_dir, layer, column):
    panel = _panel_2020(upstream_dir / PANEL, column)
    given = [u for u in table.index if panel.get(u) is not None]
    np.testing.assert_allclose(table.loc[given, layer], [panel[u] for u in given], rtol=1e-9)
    silent = [u for u in table.index if panel.get(u) is None]
    # Andean Cusco, the four La Convención districts created after the panel, NA cells
    assert table.loc[silent, layer].isna().all()
    assert {"080101", "080915", "080916", "080917", "080918"} <= set(silent)
    if layer == "mineria":
        assert table.loc["081203", layer] == pytest.approx(919.08)  # Camanti
        assert len(given) == 22 + 53  # the panel covers 22 Cusco and 53 Loreto districts


def test_sources_table_says_what_each_layer_is(districts_gpkg: Path):
    fuentes = pyogrio.read_dataframe(districts_gpkg, layer="fuentes").set_index("capa")
    for name in ("perdida_bosque", "mineria", "agricultura", "coca"):
        row = fuentes.loc[name]
        assert row["origen"] == "real" and not row["simulado"]
        assert row["unidad"] == "ha" and row["fuente"] and row["licencia"] and row["cita"]
    assert fuentes.loc["perdida_bosque", "anios"] == "2020–2024"
    assert fuentes.loc["mineria", "anios"] == "2020"
    assert fuentes.loc["perdida_bosque", "motivo_cero"]  # why zero is right there
    assert fuentes.loc["mineria", "sin_dato"] == 116 - 22  # Andean Cusco and the new four
    assert fuentes.loc["servicios", "origen"] == "simulado"


@pytest.mark.slow
def test_the_readme_recipe_commands_run_as_written(upstream_dir: Path, base_gpkg: Path,
                                                   tmp_path: Path):
    """`riskmap build --config config/recetas/<name>.toml --out FILE`, as the README says."""
    import os
    import subprocess
    import sys

    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    commands = [line.strip() for line in readme.splitlines()
                if line.strip().startswith("riskmap build --config config/recetas/")]
    assert len(commands) == 2
    data = tmp_path / "datos"
    (data / "fuentes").mkdir(parents=True)
    for name in (GEOBOSQUES, PANEL):
        (data / "fuentes" / name).symlink_to(upstream_dir / name)
    (data / "peru_base.gpkg").symlink_to(base_gpkg)
    work = tmp_path / "proyecto"  # the project root as the reader has it: config/ beside
    work.mkdir()
    (work / "config").symlink_to(REPO_ROOT / "config")
    env = {**os.environ, "RISKMAP_DATA_DIR": str(data)}
    riskmap = Path(sys.executable).parent / "riskmap"
    for command in commands:
        words = command.split()
        done = subprocess.run([str(riskmap), *words[1:]], cwd=work, env=env,
                              capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr and "inesperado" not in done.stderr
        out = work / words[words.index("--out") + 1]
        layer = pyogrio.read_dataframe(out, layer="distritos", read_geometry=False)
        assert len(layer) == 169


def test_every_model_feature_says_what_it_is(demo_settings, scores_gpkg: Path):
    import json

    from models.evaluation.backtest import card_to_markdown
    from models.risk.score import feature_sources

    said = feature_sources(demo_settings, [*demo_settings.feature_names, "falta_mineria"])
    assert said["perdida_bosque"] == {"origen": "real", "fuente": "GeoBosques (MINAM)",
                                      "anios": "2020–2024", "unidad": "ha"}
    assert said["coca"]["origen"] == "real" and "DEVIDA" in said["coca"]["fuente"]
    assert said["pobreza_monetaria"]["fuente"].startswith("INEI")
    assert said["falta_mineria"]["origen"] == "modelo"
    meta = pyogrio.read_dataframe(scores_gpkg, layer="metadatos")
    values = dict(zip(meta["clave"], meta["valor"], strict=True))
    assert json.loads(values["variables_fuentes"])["mineria"]["unidad"] == "ha"
    card = {"titulo": "Ficha", "simulado": True, "variables": [
        {"factor": k, "nombre": k, "peso_experto": 0.0, **v} for k, v in said.items()]}
    md = card_to_markdown(card)
    assert "| perdida_bosque | real | GeoBosques (MINAM) | 2020–2024 | ha |" in md
    assert "las inspecciones y el riesgo verdadero son simulados" in md


def test_the_model_card_says_what_is_simulated_and_what_has_no_public_data(demo_settings,
                                                                          districts_gpkg):
    from models.evaluation.backtest import evaluate
    from models.risk.score import score_districts

    card = evaluate(demo_settings, n_bootstrap=20, n_uncertainty=10)
    assert card["faltantes"] == {"falta_mineria": ["mineria", "agricultura"],
                                 "falta_coca": ["coca"]}
    first = card["advertencias"][0]
    assert first.startswith("DATOS SIMULADOS: las inspecciones y el riesgo verdadero")
    assert "perdida_bosque, mineria, agricultura, coca son datos públicos reales" in first
    assert any(w.startswith("Sin dato público: las capas agricultura, coca, mineria")
               for w in card["advertencias"])
    assert len(card["advertencias"]) == len(card["advertencias_en"])
    meta = score_districts(demo_settings, n_bootstrap=10).attrs["metadatos"]
    assert meta["faltantes"] == card["faltantes"]
