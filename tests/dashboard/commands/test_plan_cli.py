"""``riskmap plan`` end to end: files written, numbers printed, errors as plain messages."""

from __future__ import annotations

import pandas as pd
import pytest

from dashboard.cli import main
from dashboard.commands.plan import parse_budget
from geo import columns as C
from geo.errors import RiskmapError


def test_plan_writes_csv_and_html(synthetic_plan_world, tmp_path, capsys):
    out, page = tmp_path / "plan.csv", tmp_path / "plan.html"
    code = main(["plan", "--config", str(synthetic_plan_world), "--budget", "30,25", "--seed", "4",
                 "--out", str(out), "--html", str(page)])
    printed = capsys.readouterr().out
    assert code == 0
    assert "DATOS SIMULADOS" in printed and "Hallazgos esperados" in printed
    assert "plan simple" in printed and "ganancia" in printed
    # what --budget means is said with the plan
    assert ("Presupuesto (días inspector por oficina; cada día de viaje, de traslado o de "
            "inspección gasta uno): Intendencia Regional Cusco 30, Intendencia Regional Loreto "
            "(Iquitos) 25.") in printed
    assert (simulated := pd.read_csv(out, dtype=str, encoding="utf-8-sig"))["simulado"].eq(
        "SIMULADO").all(), simulated.columns
    table = pd.read_csv(out, dtype={C.UBIGEO: str})
    assert table[C.UBIGEO].is_unique and len(table) > 0
    per_office = table.drop_duplicates("viaje").groupby("oficina")["dias_del_viaje"].sum()
    assert per_office["Intendencia Regional Cusco"] <= 30
    assert per_office["Intendencia Regional Loreto (Iquitos)"] <= 25
    assert "<svg" in page.read_text(encoding="utf-8")


def test_same_seed_same_plan(synthetic_plan_world, tmp_path, capsys):
    a, b = tmp_path / "a.csv", tmp_path / "b.csv"
    for path in (a, b):
        assert main(["plan", "--config", str(synthetic_plan_world), "--seed", "9",
                     "--out", str(path)]) == 0
    assert a.read_text(encoding="utf-8") == b.read_text(encoding="utf-8")


def test_unknown_ubigeo_in_travel_table_is_a_message(synthetic_plan_world, tmp_path, capsys):
    table = tmp_path / "viajes.csv"
    table.write_text("ubigeo,dias_viaje\n080101,1\n080102,1\n150101,2\n", encoding="utf-8")
    code = main(["plan", "--config", str(synthetic_plan_world), "--travel", str(table)])
    err = capsys.readouterr().err
    assert code == 2
    assert "línea 4" in err and "150101" in err and "Traceback" not in err


def test_budget_too_small_is_a_message_in_english(synthetic_plan_world, capsys):
    code = main(["--lang", "en", "plan", "--config", str(synthetic_plan_world), "--budget", "1"])
    err = capsys.readouterr().err
    assert code == 2 and "fits no trip" in err


def test_missing_scores_say_what_to_run(synthetic_plan_world, tmp_path, capsys):
    code = main(["plan", "--config", str(synthetic_plan_world),
                 "--scores", str(tmp_path / "nada.gpkg")])
    assert code == 2 and "riskmap score" in capsys.readouterr().err


def test_budget_semantics_are_in_the_help(capsys):
    main(["plan", "--help"])  # the CLI turns argparse's exit into a return code
    text = " ".join(capsys.readouterr().out.split())
    assert "POR OFICINA" in text and "un viaje de 10 días gasta 10" in text


def test_parse_budget_errors():
    with pytest.raises(RiskmapError, match="2 oficinas"):
        parse_budget("1,2,3", ["A", "B"])
    with pytest.raises(RiskmapError, match="--budget"):
        parse_budget("mucho", ["A"])
