"""Scores as a product: the demo world through score_districts, write_scores and `riskmap score`."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
from scipy import special, stats

from dashboard.cli import main
from geo import columns as C
from geo.records.inspections import empty_records
from models.risk.score import CONTRIB_HISTORIAL, SCORE_COLUMNS, score_districts, write_scores


@pytest.fixture(scope="module")
def scores(scores_gpkg):
    return gpd.read_file(scores_gpkg, layer="riesgo")


def test_columns_follow_the_contract(scores, demo_settings):
    contrib = [C.CONTRIB_PREFIX + f for f in demo_settings.feature_names]
    assert list(scores.columns[: len(SCORE_COLUMNS)]) == list(SCORE_COLUMNS)
    assert set(contrib) <= set(scores.columns)
    assert CONTRIB_HISTORIAL in scores.columns
    assert len(scores) == 169
    assert sorted(scores[C.RANGO]) == list(range(1, 170))
    assert (scores[C.RIESGO_P05] <= scores[C.RIESGO]).all()
    assert (scores[C.RIESGO] <= scores[C.RIESGO_P95]).all()
    assert scores[C.PROB_TOP10].sum() == pytest.approx(10.0)


def test_few_inspections_are_marked_never_low_risk(scores, demo_settings):
    thin = scores[C.N_INSPECCIONES] < demo_settings.model.min_inspections
    assert thin.any()
    assert (scores.loc[thin, C.EVIDENCIA] == C.EVIDENCIA_INSUFICIENTE).all()
    assert (scores.loc[~thin, C.EVIDENCIA] != C.EVIDENCIA_INSUFICIENTE).all()


def test_contributions_add_up_to_the_score(demo_settings, districts_gpkg):
    gdf = score_districts(demo_settings, n_bootstrap=20)
    contrib = [c for c in gdf.columns if c.startswith(C.CONTRIB_PREFIX)]
    total = gdf.attrs["logit_base"] + gdf[contrib].sum(axis=1)
    np.testing.assert_allclose(special.expit(total), gdf[C.RIESGO], rtol=1e-9)


def test_metadata_table(scores_gpkg, demo_settings):
    meta = pyogrio.read_dataframe(scores_gpkg, layer="metadatos")
    values = dict(zip(meta["clave"], meta["valor"], strict=True))
    assert values["hash_configuracion"] == demo_settings.digest()
    assert values["simulado"] == "true"
    assert values["version_modelo"].startswith("riskmap")
    assert values["inspecciones_desde"].startswith("2016")


def test_model_tracks_the_simulated_truth(scores, demo_settings):
    truth = pd.read_csv(demo_settings.truth, dtype={C.UBIGEO: str}).set_index(C.UBIGEO)
    t = truth[C.RIESGO_VERDADERO].reindex(scores[C.UBIGEO])
    assert stats.spearmanr(scores[C.RIESGO], t)[0] > 0.6


def test_no_inspections_ranks_by_the_expert_index(demo_settings, districts_gpkg):
    from models.risk.score import feature_matrix

    gdf = score_districts(demo_settings, inspections=empty_records(), n_bootstrap=20)
    # the features as the model reads them: hectares as log(1 + ha), a missing term left out
    table = gpd.read_file(districts_gpkg, layer="distritos")
    X = feature_matrix(table, demo_settings).loc[gdf[C.UBIGEO]]
    z = (X - X.mean()) / X.std(ddof=0).replace(0, 1)
    index = sum(w * z[f] for f, w in demo_settings.model.prior.items())
    assert stats.spearmanr(gdf[C.RIESGO], index)[0] == pytest.approx(1.0)
    assert (gdf[C.EVIDENCIA] == C.EVIDENCIA_INSUFICIENTE).all()


@pytest.mark.parametrize("suffix", [".csv", ".geojson", ".gpkg"])
def test_cli_score_with_own_inspections(tmp_path, demo_settings, districts_gpkg, suffix):
    recs = pd.read_csv(demo_settings.inspections, dtype=str).head(300)
    own = tmp_path / "mis_inspecciones.csv"
    recs.to_csv(own, index=False, sep=";")
    out = tmp_path / f"riesgo{suffix}"
    code = main(["score", "--config", str(demo_settings.path), "--inspections", str(own),
                 "--out", str(out), "--bootstrap", "20"])
    assert code == 0
    table = (pd.read_csv(out, dtype={C.UBIGEO: str}) if suffix == ".csv"
             else gpd.read_file(out, layer="riesgo" if suffix == ".gpkg" else None))
    assert len(table) == 169
    assert table[C.N_INSPECCIONES].sum() == 300


def test_cli_rejects_bad_inspections_and_output(tmp_path, demo_settings, districts_gpkg, capsys):
    bad = tmp_path / "malas.csv"
    bad.write_text("id,fecha,ubigeo,sector,hallazgo_tf\nA,2020-01-01,99999,mineria,1\n")
    out = tmp_path / "r.csv"
    assert main(["score", "--config", str(demo_settings.path), "--inspections", str(bad),
                 "--out", str(out)]) == 2
    assert not out.exists()
    assert "Traceback" not in capsys.readouterr().err
    assert main(["score", "--config", str(demo_settings.path), "--out",
                 str(tmp_path / "r.xls")]) == 2


def test_write_scores_keeps_an_existing_file_on_error(tmp_path, demo_settings, scores_gpkg):
    target = tmp_path / "r.csv"
    target.write_text("previo\n")
    with pytest.raises(Exception):  # noqa: B017 - a broken frame: any error, file untouched
        write_scores(object(), target, demo_settings)  # type: ignore[arg-type]
    assert target.read_text() == "previo\n"


_PATH_KEYS = ("configuracion", "tabla_distritos", "base", "inspecciones_fuente")


def test_metadata_has_no_absolute_paths_and_keeps_the_hash(scores_gpkg, demo_settings):
    meta = pyogrio.read_dataframe(scores_gpkg, layer="metadatos")
    values = dict(zip(meta["clave"], meta["valor"], strict=True))
    root = str(demo_settings.path.parent)
    for key in _PATH_KEYS:
        assert not values[key].startswith("/") and root not in values[key], key
    assert values["configuracion"] == demo_settings.path.name
    assert values["tabla_distritos"] == demo_settings.districts_gpkg.resolve().relative_to(
        demo_settings.path.parent.resolve()).as_posix()
    assert values["hash_configuracion"] == demo_settings.digest()
    # prob_top10 means the 10 highest-risk districts, as `riskmap score --help` says
    assert "10 distritos de mayor riesgo" in values["descripcion_columnas"]


def test_portable_path_outside_the_settings_folder_is_the_file_name(tmp_path):
    from types import SimpleNamespace

    from models.risk.score import portable_path

    s = SimpleNamespace(path=tmp_path / "cfg" / "settings.toml")
    assert portable_path(tmp_path / "cfg" / "datos" / "a.csv", s) == "datos/a.csv"
    assert portable_path("datos/a.csv", s) == "datos/a.csv"
    assert portable_path(tmp_path / "otro" / "b.gpkg", s) == "b.gpkg"
    assert portable_path(None, s) == ""


def test_write_scores_without_metadata_counts_from_the_frame(tmp_path, demo_settings):
    import json

    gdf = gpd.GeoDataFrame(
        {C.UBIGEO: ["080101", "080102"], C.N_INSPECCIONES: [4, 3], C.N_HALLAZGOS: [1, 0]},
        geometry=gpd.points_from_xy([-72.0, -71.9], [-13.5, -13.6]), crs=4326,
    )
    out = write_scores(gdf, tmp_path / "r.csv", demo_settings)
    meta = json.loads((tmp_path / "r.csv.metadatos.json").read_text(encoding="utf-8"))
    assert out.is_file()
    assert meta["n_inspecciones"] == 7 and meta["n_hallazgos"] == 1
    assert meta["hash_configuracion"] == demo_settings.digest()
    assert not any(str(meta[k]).startswith("/") for k in _PATH_KEYS)
    # no counts in the frame either: left out, never a silent 0
    write_scores(gdf.drop(columns=[C.N_INSPECCIONES, C.N_HALLAZGOS]), tmp_path / "s.csv",
                 demo_settings)
    meta = json.loads((tmp_path / "s.csv.metadatos.json").read_text(encoding="utf-8"))
    assert "n_inspecciones" not in meta and "n_hallazgos" not in meta


def test_csv_export_neutralises_formulas(tmp_path, demo_settings):
    gdf = gpd.GeoDataFrame(
        {C.UBIGEO: ["080101", "080102"], C.DISTRITO: ['=HYPERLINK("http://x","y")', "Cusco"],
         C.RIESGO: [-0.5, 0.2]},
        geometry=gpd.points_from_xy([-72.0, -71.9], [-13.5, -13.6]), crs=4326,
    )
    write_scores(gdf, tmp_path / "r.csv", demo_settings)
    back = pd.read_csv(tmp_path / "r.csv", dtype={C.UBIGEO: str})
    assert back[C.DISTRITO].tolist() == ["'=HYPERLINK(\"http://x\",\"y\")", "Cusco"]
    assert back[C.RIESGO].tolist() == [-0.5, 0.2]  # numbers stay numbers
    assert back[C.UBIGEO].tolist() == ["080101", "080102"]


def test_write_scores_relativises_paths_of_stored_metadata(tmp_path, demo_settings):
    import json

    gdf = gpd.GeoDataFrame({C.UBIGEO: ["080101"]}, geometry=gpd.points_from_xy([-72.0], [-13.5]),
                           crs=4326)
    gdf.attrs["metadatos"] = {"base": "/srv/riskmap/datos/base", "n_inspecciones": 5}
    write_scores(gdf, tmp_path / "r.geojson", demo_settings)
    meta = json.loads((tmp_path / "r.geojson.metadatos.json").read_text(encoding="utf-8"))
    assert meta["base"] == "base" and meta["n_inspecciones"] == 5


def test_the_deployments_scores_carry_the_map_geometry(tmp_path, demo_settings, scores_gpkg):
    """Made where the scores are written, so the first map after a start need not make it."""
    import dataclasses

    import pyogrio

    from geo.geography.display import (
        clean_coverage,
        display_tolerance,
        read_display_layer,
        simplify_coverage,
    )

    layers = {name for name, _ in pyogrio.list_layers(scores_gpkg)}
    assert {"riesgo", "mapa_limpio", "mapa_08_16", "mapa_08", "mapa_16"} <= layers
    scores = gpd.read_file(scores_gpkg, layer="riesgo")
    clean = clean_coverage(scores[[C.UBIGEO, "geometry"]])
    stored = read_display_layer(scores_gpkg)
    assert stored[C.UBIGEO].tolist() == clean[C.UBIGEO].tolist()
    assert stored.geometry.geom_equals(clean.geometry).all()  # (the file keeps MultiPolygons)
    cusco = clean[clean[C.UBIGEO].str.startswith("08")]
    simple = simplify_coverage(cusco, display_tolerance(cusco.total_bounds))
    assert read_display_layer(scores_gpkg, ("08",)).geometry.geom_equals(
        simple.geometry.set_axis(range(len(simple)))).all()
    # an export (any other file) stays just the scores
    other = write_scores(scores, tmp_path / "export.gpkg",
                         dataclasses.replace(demo_settings))
    assert {n for n, _ in pyogrio.list_layers(other)} == {"riesgo", "metadatos", "layer_styles"}


def test_the_demo_model_can_read_its_complaints(scores, demo_settings):
    """The demo's records say where inspections came from: with `complaint_intensity = true`
    the complaint feature is in the model, explained like any other factor, and described;
    by default it is not (benchmarks/model.md says why)."""
    import dataclasses

    from models.risk.score import DENUNCIAS, describe_columns

    col = C.CONTRIB_PREFIX + DENUNCIAS
    assert col not in scores.columns
    on = dataclasses.replace(demo_settings, model=dataclasses.replace(
        demo_settings.model, complaint_intensity=True))
    with_feature = score_districts(on, n_bootstrap=20)
    assert col in with_feature.columns and with_feature[col].abs().sum() > 0
    assert "Denuncias frente a lo esperado" in describe_columns([col], on)[col]
