"""The Modelo page's builders (dashboard.model_view): each turns part of the card into what
the page shows, on a small inline card."""

from __future__ import annotations

import pandas as pd

from dashboard import model_view as mv
from dashboard.i18n import set_lang

CARD = {
    "version_modelo": "riskmap-1.0", "generado": "2026-11-28", "hash_configuracion": "abc",
    "datos": {"inspecciones": 1193, "anios": [2016, 2024]},
    "evaluacion": {"temporal": {
        "metricas": {
            "modelo": {"acierto_10": {"valor": 0.357, "ic95": [0.3, 0.4]},
                       "brier": {"valor": 0.0812}},
            "aleatorio": {"acierto_10": {"valor": 0.06}, "brier": {"valor": None}},
        },
        "diferencias": {"tasa_pasada": {"acierto_10": {"valor": -0.01, "ic95": [-0.05, 0.03]},
                                        "brier": {"valor": -0.002}}},
        "por_anio": {"modelo": {"2022": {"acierto_10": 0.3}, "2023": {"acierto_10": 0.4}},
                     "aleatorio": {"2022": {"acierto_10": {"valor": 0.05}}}},
        "calibracion": [{"riesgo_medio": 0.1, "tasa_observada": 0.12}],
    }},
    "modelo": {"coeficientes": [
        {"factor": "pobreza", "nombre": "Pobreza", "peso": 0.41, "peso_experto": 0.5,
         "razon_de_odds": 1.51},
        {"factor": "desconocido", "nombre": "Un factor nuevo", "peso": -0.2}]},
    "advertencias": ["Etiquetas escasas: pocos hallazgos."],
}


def test_metrics_table_one_row_per_method_in_the_pages_order():
    table, config = mv.metrics_table(CARD["evaluacion"]["temporal"]["metricas"])
    assert table.iloc[:, 0].tolist() == ["Modelo de riesgo", "Al azar"]
    assert table.loc[0, "Acierto, 10 primeros"] == "35.7%"
    assert table.loc[1, "Error de Brier"] == mv.MISSING
    assert "Error de Brier" in config


def test_metric_frame_and_top_ks():
    frame = mv.metric_frame(CARD["evaluacion"]["temporal"]["metricas"])
    assert set(frame.columns) == {"metodo", "metrica", "valor", "p025", "p975"}
    assert frame.loc[frame["metrica"] == "acierto_10", "p975"].tolist()[0] == 0.4
    assert mv.top_ks(frame) == [10]


def test_per_year_frame_needs_two_years():
    frame = mv.per_year_frame(CARD["evaluacion"]["temporal"])
    assert sorted(frame["anio"].unique()) == ["2022", "2023"]
    assert mv.per_year_frame({"por_anio": {"modelo": {"2022": {"acierto_10": 0.3}}}}) is None


def test_differences_table_signed_with_intervals():
    table = mv.differences_table(CARD["evaluacion"]["temporal"]["diferencias"])
    assert table.iloc[0, 0] == "Hallazgos pasados"
    assert table.loc[0, "Acierto, 10 primeros"] == "-1.0 pp (-5.0 pp a +3.0 pp)"
    assert table.loc[0, "Error de Brier"] == "-0.0020"


def test_coefficient_table_names_and_number_columns():
    coefs = pd.DataFrame(CARD["modelo"]["coeficientes"])
    shown, config = mv.coefficient_table(coefs, {}, {}, "es")
    assert shown["Factor"].tolist()[1] == "Un factor nuevo"
    assert shown["Peso"].tolist() == [0.41, -0.2]
    assert set(config) == set(shown.columns)


def test_byline_period_and_stale_scores():
    assert mv.card_byline(CARD) == "riskmap-1.0 · 2026-11-28 · configuración abc"
    assert mv.period_text(CARD["datos"]) == "2016–2024"
    assert mv.evaluated_on_other_records(CARD["datos"], 1200)
    assert not mv.evaluated_on_other_records(CARD["datos"], None)


def test_calibration_and_alerts_in_english():
    assert list(mv.calibration_frame(CARD["evaluacion"]["temporal"]).columns) == [
        "riesgo_medio", "tasa_observada"]
    table = mv.alerts_table([{"ubigeo": "160107", "distrito": "Napo", "alerta": "a la baja",
                              "motivo": "hallazgos", "p": 0.031, "cambio_capas": 0.0}], "en")
    assert table.iloc[0].tolist() == ["160107", "Napo", "falling", "findings", "3.10%", "—"]
    assert "Reason" in table.columns


def test_caveats_downloads_and_words():
    set_lang("en")
    try:
        caveats, untranslated = mv.caveats_for(CARD, "en")
        assert caveats[0].startswith("Scarce labels") and not untranslated
        assert mv.half_life_text(3.0) == "3 years"
    finally:
        set_lang("es")
    assert mv.caveats_for(CARD, "es") == (CARD["advertencias"], False)
    assert mv.card_json(CARD).decode("utf-8").startswith('{\n  "version_modelo"')
    markdown = mv.card_markdown(CARD)
    assert markdown is None or "riskmap-1.0" in markdown
    assert [mv.t(mv.selection_key({"metodo": "cluster"}), lang) for lang in ("es", "en")] == \
        ["cada distrito una vez", "each district once"]
    assert mv.alert_count({"n_alertas": 4}) == 4
    assert mv.dated_layer_names({"capas_con_fecha": ["pobreza"]}, {}, "es") == [
        mv.feature_label("pobreza", {}, "es").lower()]
