"""Explanations in a real browser: the district card's wording and rank, "what changed".

The demo world of ``conftest`` (simulated data, no sign-in, the visitor is a planner).
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from geo import columns as C

from .conftest import AppPage, E2EData
from .test_dashboard import expect, switch_language

pytestmark = pytest.mark.e2e


def _scores(e2e_data: E2EData) -> pd.DataFrame:
    import pyogrio

    return pd.DataFrame(pyogrio.read_dataframe(e2e_data.load_settings().scores_gpkg,
                                               layer="riesgo", read_geometry=False))


def _open_card(app: AppPage, ubigeo: str) -> None:
    app.page.set_viewport_size({"width": 1366, "height": 900})
    app.open()
    app.goto("distrito")
    search = app.main().get_by_label(re.compile("Buscar por nombre o UBIGEO"))
    search.fill(ubigeo)
    search.press("Enter")
    app.wait()


def test_the_card_speaks_in_points_ranks_within_the_department_and_says_the_record(
        app: AppPage, e2e_data: E2EData) -> None:
    scores = _scores(e2e_data)
    cusco = scores[scores[C.UBIGEO].str.startswith("08")]
    most = cusco.loc[cusco[C.N_INSPECCIONES].idxmax()]  # a record that surely says something
    rank = int((cusco[C.RIESGO] > most[C.RIESGO]).sum()) + 1
    _open_card(app, str(most[C.UBIGEO]))
    main = app.main()
    metric = main.get_by_test_id("stMetric").filter(has_text="Puesto en Cusco")
    expect(metric).to_have_count(1)
    expect(metric.get_by_test_id("stMetricValue")).to_have_text(f"{rank} / {len(cusco)}")
    expect(main.get_by_text(re.compile("en puntos porcentuales")).first).to_be_visible()
    expect(main.get_by_text(re.compile(
        r"Con sus características, el modelo esperaría un riesgo de [\d.,]+%\. Su propio "
        rf"historial \({int(most[C.N_HALLAZGOS])} hallazgos en "
        rf"{int(most[C.N_INSPECCIONES])} inspecciones")).first).to_be_visible()
    assert "escala logit" not in main.inner_text()
    app.assert_no_exception()
    switch_language(app, "en")
    expect(main.get_by_test_id("stMetric").filter(has_text="Rank in Cusco")).to_have_count(1)
    expect(main.get_by_text(re.compile("in percentage points")).first).to_be_visible()
    expect(main.get_by_text(re.compile(
        r"From its characteristics, the model would expect a risk of")).first).to_be_visible()
    app.assert_no_exception()


def test_the_modelo_page_says_what_the_last_rescoring_moved(app: AppPage,
                                                            e2e_data: E2EData) -> None:
    """A rescoring after new records in one Cusco district (kept as the comparison the Datos
    button keeps): the Modelo page names the districts that moved, and why."""
    from models.risk.explain import CHANGES_FILE, what_changed, write_changes

    settings = e2e_data.load_settings()
    after = _scores(e2e_data)
    before = after.copy()
    cusco = before[before[C.UBIGEO].str.startswith("08")]
    top = cusco[C.RIESGO].idxmax()
    before.loc[top, C.RIESGO] = float(cusco[C.RIESGO].min()) / 2  # it was the lowest ...
    before.loc[top, C.N_INSPECCIONES] = int(after.loc[top, C.N_INSPECCIONES]) - 3  # ... before
    changes = what_changed(before, after)
    path = write_changes(settings.workdir, changes)
    try:
        app.open()
        app.goto("modelo")
        main = app.main()
        heading = main.get_by_text("Qué cambió en el último recálculo").first
        expect(heading).to_be_visible()
        moved = changes["por_departamento"]["08"]["cambian_de_clase"]
        expect(main.get_by_text(re.compile(rf"{moved} de 169 distritos cambiaron de clase"))
               .first).to_be_visible()
        # the first table after the heading (a canvas: read through its CSV download)
        table = app.table(heading.locator("xpath=following::*[@data-testid='stDataFrame'][1]"))
        assert "Por qué" in table.columns, table.columns
        row = table[table["Distrito"] == after.loc[top, C.DISTRITO]].iloc[0]
        assert row["Clase"] == "1 → 5" and row["Por qué"] == "registros nuevos propios"
        app.assert_no_exception()
    finally:
        path.unlink(missing_ok=True)
        assert not (settings.workdir / CHANGES_FILE).exists()
