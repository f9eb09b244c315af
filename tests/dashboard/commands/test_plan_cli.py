"""``riskmap plan`` end to end: files written, numbers printed, errors as plain messages."""

from __future__ import annotations

import re

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


# --- the printed plan and its field sheets, on the demo world -------------------------------
def _printed_plan(demo_settings, scores_gpkg, tmp_path, *extra):
    out, page = tmp_path / "plan.csv", tmp_path / "plan.html"
    assert main(["plan", "--config", str(demo_settings.path), "--out", str(out), "--html",
                 str(page), "--month", "2026-12", *extra]) == 0
    return pd.read_csv(out, dtype={C.UBIGEO: str}, encoding="utf-8-sig"), \
        page.read_text(encoding="utf-8")


def _sheets(text: str) -> list[str]:
    return [s.split("</section>")[0] for s in text.split("<section class='page ficha'>")[1:]]


def test_the_printed_plan_has_a_field_sheet_for_every_planned_district(
        demo_settings, scores_gpkg, tmp_path, capsys):
    from models.planning.printable import page_count

    planned, text = _printed_plan(demo_settings, scores_gpkg, tmp_path)
    sheets = _sheets(text)
    assert len(sheets) == len(planned) > 0
    on_sheets = [re.search(r"UBIGEO (\d{6})", s).group(1) for s in sheets]
    assert sorted(on_sheets) == sorted(planned[C.UBIGEO])  # every planned district, once
    for sheet in sheets:
        assert "Ficha de campo — " in sheet
        referral = sheet.split("Ruta de derivación")[1]
        rows = referral.split("<tbody>")[1].split("</tbody>")[0].split("<tr>")[1:]
        assert len(rows) >= 4  # CEM, fiscalía, policía, hogar: a name with days, or sin dato
        for row in rows:
            cells = [c.split("</td>")[0] for c in row.split("<td>")[1:]]
            assert cells[1] == "sin dato" or "días" in cells[2], cells
        assert "SIMULADO" in referral  # the demo's services layer is simulated
        assert "Línea 100" in referral and "fuente:" in referral  # the settings' lines
        assert "153-A" in sheet and "168-B" in sheet
    offices = len(demo_settings.planning.offices)
    assert page_count(text) == 1 + offices + len(planned) + 1 == text.count("<section class='page")
    assert "diciembre de 2026" in text and ">exploración<" in text
    assert ">exploracion<" not in text  # the trip kind keeps its accent
    capsys.readouterr()


def test_a_protected_role_gets_no_small_count_on_the_sheets(demo_settings, scores_gpkg,
                                                            tmp_path, capsys):
    _, text = _printed_plan(demo_settings, scores_gpkg, tmp_path, "--rol", "investigador")
    shown = []
    for sheet in _sheets(text):
        assert "hallazgos en" not in sheet  # no figure of the district's own record
        part = sheet.split("Indicadores OIT")[1].split("Base legal")[0]
        for row in part.split("<tr>")[2:]:
            cell = row.split("<td>")[2].split("</td>")[0]
            shown.append(cell)
    assert shown, "the demo's sheets name some indicators"
    assert all(c == "oculto" or int(c.replace(",", "")) >= 5 for c in shown), shown
    capsys.readouterr()
