"""The Distrito page's words and tables (dashboard.district_view), on inline values."""

from __future__ import annotations

import pandas as pd

from dashboard import district_view as dv
from geo import columns as C


def test_count_text_hidden_missing_and_grouped():
    assert dv.count_text(3, True) == "oculto"  # never "fewer than k": a blank may be larger
    assert dv.count_text(None, False) == "—"
    assert dv.count_text(1234.0, False) == "1,234"  # CLDR es_PE groups with a comma


def test_count_phrase_singular_plural_hidden():
    nouns = ("inspección", "inspecciones")
    assert dv.count_phrase(1, False, 5, nouns) == "1 inspección"
    assert dv.count_phrase(12, False, 5, nouns) == "12 inspecciones"
    assert dv.count_phrase(3, True, 5, nouns) == "un número oculto de inspecciones"


def test_yes_no_reads_stored_flags():
    assert [dv.yes_no(v) for v in ("true", 1, "Sí", 0, None)] == ["Sí", "Sí", "Sí", "No", "No"]


def test_indicator_text_writes_the_unit():
    assert dv.indicator_text(C.ALTITUD, 3399.6, {}, "en") == "3,400 m"
    poverty = dv.indicator_text(C.POBREZA, 45.26, {}, "es")
    assert poverty.startswith("45") and poverty.endswith("%") and "45.26" not in poverty
    assert dv.indicator_text(C.ALTITUD, float("nan"), {}, "es") == "—"


def test_source_table_keeps_known_columns_with_plain_names():
    table = pd.DataFrame({"capa": ["mineria"], "simulado": [1], "otra": [0],
                          "fecha_construccion": ["2026-01-02T10:00:00"]})
    out = dv.source_table(table, dv.LAYER_SOURCE_COLUMNS)
    assert list(out.columns) == ["Capa", "Fecha", "Simulada"]
    assert out.iloc[0].tolist() == ["mineria", "2026-01-02", "Sí"]


def test_layer_rows_one_per_layer_and_silent_sources_are_not_zero():
    from dashboard.layer_words import LayerFacts

    facts = {"mineria": LayerFacts(name="mineria", origin="real", source="INGEMMET",
                                   years="2024", unit="ha", no_data=1)}
    row = pd.Series({C.UBIGEO: "080101", "sin_dato": "mineria"})
    out = dv.layer_rows(facts, pd.Series({"mineria": float("nan")}), row, "es")
    assert len(out) == 1 and out.loc[0, "Fuente"] == "INGEMMET"
    assert out.loc[0, "Nota"] == "la fuente no cubre el distrito (no es 0)"
