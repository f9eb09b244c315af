"""Explanations in percentage points, the district's record in words, what a rescoring moved."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from scipy import special

from geo import columns as C
from geo.formatting import format_percent
from models.risk.explain import (
    NUEVOS_REGISTROS,
    REAJUSTE,
    points,
    read_changes,
    record_words,
    what_changed,
)


# --- percentage points ---------------------------------------------------------------------
@pytest.mark.parametrize("risk", [0.03, 0.2, 0.5, 0.74, 0.97])
def test_points_add_up_to_the_distance_from_the_average_district(risk):
    contrib = {"pobreza": 0.8, "lejania": -0.3, "mineria": 0.4, "historial": -0.2}
    base, pts = points(risk, contrib)
    # the average district is the risk with every contribution taken away, on the logit scale
    assert base == pytest.approx(special.expit(special.logit(risk) - sum(contrib.values())))
    assert sum(pts.values()) == pytest.approx(100 * (risk - base))
    assert all(np.sign(pts[k]) == np.sign(v) for k, v in contrib.items())
    # shares are the logit shares: twice the logit, twice the points
    assert pts["pobreza"] == pytest.approx(2 * pts["mineria"])


def test_points_without_contributions_are_zero():
    base, pts = points(0.3, {"a": 0.0})
    assert base == pytest.approx(0.3) and pts == {"a": 0.0}


# --- the district's own record, in words --------------------------------------------------------
def _row(risk, term, n=53, k=39):
    return {C.RIESGO: risk, C.CONTRIB_PREFIX + "historial": term, C.N_INSPECCIONES: n,
            C.N_HALLAZGOS: k}


def test_a_record_below_what_the_features_predict_lowers_the_risk_and_says_so():
    """Pichari: 39 findings in 53 inspections, yet its record lowers its risk — because its
    characteristics predict even more. The words say both numbers."""
    text = record_words(_row(0.74, -0.6), "es")
    features = special.expit(special.logit(0.74) + 0.6)
    assert format_percent(features, "es") in text  # 83.8%
    assert "39 hallazgos en 53 inspecciones" in text and "73.6%" in text
    assert "lo baja" in text and "mayor" not in text
    english = record_words(_row(0.74, -0.6), "en")
    assert "lowers it by" in english


def test_a_record_above_the_features_raises_the_risk():
    text = record_words(_row(0.40, 0.9, n=20, k=9), "es")
    assert "lo sube" in text and "9 hallazgos en 20 inspecciones" in text


def test_no_words_when_the_record_is_withheld():
    assert record_words(_row(0.4, float("nan")), "es") is None
    assert record_words({C.RIESGO: 0.4}, "es") is None


# --- what a rescoring moved --------------------------------------------------------------------
def _table(risks, n, dep="08"):
    keys = [f"{dep}{i:04d}" for i in range(len(risks))]
    return pd.DataFrame({C.UBIGEO: keys, C.DISTRITO: [f"D{i}" for i in range(len(risks))],
                         C.DEPARTAMENTO: "Cusco", C.RIESGO: risks, C.N_INSPECCIONES: n})


def test_what_changed_names_the_districts_that_moved_and_why():
    risks = np.linspace(0.01, 0.30, 20)
    before = _table(risks, [5] * 20)
    after = before.copy()
    after.loc[0, C.RIESGO] = 0.29  # the lowest district, inspected again, jumps to the top
    after.loc[0, C.N_INSPECCIONES] = 8
    changes = what_changed(before, after)
    moved = {d[C.UBIGEO]: d for d in changes["distritos"]}
    assert moved["080000"]["motivo"] == NUEVOS_REGISTROS
    assert (moved["080000"]["clase_antes"], moved["080000"]["clase_despues"]) == (1, 5)
    # the districts pushed down a class moved because the others moved: the refit
    others = [d for k, d in moved.items() if k != "080000"]
    assert others and all(d["motivo"] == REAJUSTE for d in others)
    assert changes["por_departamento"]["08"] == {"distritos": 20,
                                                 "cambian_de_clase": len(moved)}
    assert changes["nuevas_inspecciones"] == 3
    assert changes["distritos_con_registros_nuevos"] == 1


def test_what_changed_is_empty_when_nothing_moved():
    table = _table(np.linspace(0.01, 0.3, 20), [5] * 20)
    assert what_changed(table, table.copy())["distritos"] == []


@pytest.mark.slow
def test_riskmap_score_keeps_what_changed_after_new_records(demo_settings, districts_gpkg,
                                                            tmp_path, capsys):
    """Twenty new records of Cusco, then `riskmap score`: the comparison is kept in
    <workdir>/cambios.json and the CLI says how many districts moved and why."""
    from dashboard.cli import main

    shutil.copy(districts_gpkg, tmp_path / "distritos.gpkg")
    records = pd.read_csv(demo_settings.inspections, dtype=str)
    (tmp_path / "inspecciones.csv").write_text(records.to_csv(index=False), encoding="utf-8")
    text = demo_settings.path.read_text(encoding="utf-8")
    text = text.replace('workdir = "."', f'workdir = "{tmp_path.as_posix()}"').replace(
        'inspections = "inspecciones.csv"',
        f'inspections = "{(tmp_path / "inspecciones.csv").as_posix()}"').replace(
        'truth = "verdad.csv"', f'truth = "{demo_settings.truth.as_posix()}"')
    text = text.replace("base = \"", f'base = "{demo_settings.base.as_posix()}" #')
    config = demo_settings.path.parent / "settings_cambios_test.toml"
    config.write_text(text, encoding="utf-8")
    out = tmp_path / "riesgo.gpkg"
    assert main(["score", "--config", str(config), "--out", str(out), "--bootstrap", "20"]) == 0
    assert read_changes(tmp_path) is None  # a first scoring has nothing to compare with
    target = records[records[C.UBIGEO].str.startswith("08")][C.UBIGEO].value_counts().index[-1]
    new = pd.DataFrame({C.ID: [f"NUEVO-{i}" for i in range(20)],
                        C.FECHA: "2025-12-01", C.UBIGEO: target, C.SECTOR: "mineria",
                        C.HALLAZGO: "1"})
    pd.concat([records, new]).to_csv(tmp_path / "inspecciones.csv", index=False)
    capsys.readouterr()
    assert main(["score", "--config", str(config), "--out", str(out), "--bootstrap", "20"]) == 0
    said = capsys.readouterr().out
    changes = read_changes(tmp_path)
    assert changes is not None and changes["nuevas_inspecciones"] == 20
    mine = [d for d in changes["distritos"] if d[C.UBIGEO] == target]
    assert mine and mine[0]["motivo"] == NUEVOS_REGISTROS
    assert mine[0]["clase_despues"] > mine[0]["clase_antes"]
    assert f"Cambian de clase en el mapa {len(changes['distritos'])} distritos" in said
    assert json.loads((tmp_path / "cambios.json").read_text(encoding="utf-8"))["pesos"]
    config.unlink()
