"""Dated layers (issue 11): a layer's past state for past years, its present state for today.

Shapes: INGEMMET's mining cadastre (GEOCATMIN) dates each concession by its claim,
``FEC_DENU`` (a date field; written day first in its CSV exports, 15/03/2021); Hansen/GFW's
``lossyear`` raster stores the year of loss in each pixel (1..23 = 2001..2023, ``year_base =
2000``). The model pairs each inspection with the layers of its year, scores today with
today's, and a backtest year never sees a later layer.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy import special
from shapely.geometry import Point, box
from test_build import _write_base

from geo import columns as C
from geo.config import LayerSpec, load_settings
from geo.errors import ConfigError, DataError
from geo.geography.build import HISTORY_TABLE, build_districts, read_layer_history
from geo.geography.layers import HISTORY_YEARS, layer_history
from models.evaluation.backtest import backtest_folds
from models.risk.recency import ALZA, LAYER_ALERT, drift_alerts
from models.risk.score import features_in, history_features, training_rows
from models.risk.scorer import RiskScorer

WGS84 = "EPSG:4326"
UNTIL = 2025


def _districts() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({C.UBIGEO: ["080101", "080102"]},
                            geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=WGS84)


# ----------------------------------------------------------------------------- the build
def test_concessions_by_claim_date_day_first_iso_and_blank(tmp_path: Path):
    # INGEMMET's FEC_DENU as text: day first (its CSV exports), ISO, and one left blank
    path = tmp_path / "catastro.geojson"
    gpd.GeoDataFrame({"FEC_DENU": ["15/03/2012", "2021-07-01", None]}, crs=WGS84,
                     geometry=[box(0, 0, 0.5, 1), box(0.5, 0, 1, 1), box(1, 0, 1.25, 1)]
                     ).to_file(path)
    spec = LayerSpec("concesiones", "mineria", path, "area_share", year_column="FEC_DENU")
    past = layer_history(spec, _districts(), until=UNTIL)
    first = UNTIL - HISTORY_YEARS
    assert list(past.columns) == [first, 2012, 2021]
    assert past.loc["080101"].round(3).tolist() == [0.0, 0.5, 1.0]
    # the concession without a date counts in every year, and the build says so
    assert past.loc["080102"].round(3).tolist() == [0.25, 0.25, 0.25]
    assert any("sin año" in n.es and "without a year" in n.en for n in past.attrs["notices"])


def test_real_date_fields_and_numeric_years(tmp_path: Path):
    # a GeoPackage DateTime field and a shapefile Date field come back as datetime64
    dated = gpd.GeoDataFrame({"FEC_DENU": pd.to_datetime(["2012-03-15", "2021-07-01"]),
                              "anio": [2012.0, 2021.7]}, crs=WGS84,
                             geometry=[box(0, 0, 0.5, 1), box(0.5, 0, 1, 1)])
    dated.to_file(tmp_path / "catastro.gpkg", layer="catastro")
    shp = tmp_path / "catastro.shp"
    dated.assign(FEC_DENU=dated["FEC_DENU"].dt.date).to_file(shp)
    import pyogrio

    assert pyogrio.read_info(shp)["dtypes"][0] in ("datetime64[ms]", "datetime64[ns]",
                                                   "object")
    for path, column in ((tmp_path / "catastro.gpkg", "FEC_DENU"), (shp, "FEC_DENU"),
                         (tmp_path / "catastro.gpkg", "anio")):
        spec = LayerSpec("concesiones", "mineria", path, "area_share", year_column=column)
        past = layer_history(spec, _districts(), until=UNTIL)
        assert list(past.columns) == [UNTIL - HISTORY_YEARS, 2012, 2021], (path, column)
        assert past.loc["080101"].round(3).tolist() == [0.0, 0.5, 1.0]


def test_a_bad_year_in_the_second_file_of_a_layer_names_that_file(tmp_path: Path):
    for zone, years in (("17S", [2019, 2020]), ("18S", [2019, "quizás"])):
        gpd.GeoDataFrame({"anio": years}, crs=WGS84,
                         geometry=[Point(0.5, 0.5), Point(0.6, 0.5)]
                         ).to_file(tmp_path / f"dragas_{zone}.geojson")
    spec = LayerSpec("dragas", "mineria", tmp_path / "dragas_17S.geojson", "count",
                     paths=(tmp_path / "dragas_17S.geojson", tmp_path / "dragas_18S.geojson"),
                     year_column="anio")
    with pytest.raises(DataError) as err:
        layer_history(spec, _districts(), until=UNTIL)
    assert "dragas_18S.geojson, objeto 2" in err.value.es
    assert "dragas_18S.geojson, feature 2" in err.value.en


def test_an_item_dated_ahead_is_in_todays_state(tmp_path: Path):
    path = tmp_path / "dragas.geojson"
    gpd.GeoDataFrame({"anio": [2019, 2031]}, crs=WGS84,
                     geometry=[Point(0.5, 0.5), Point(0.6, 0.5)]).to_file(path)
    spec = LayerSpec("dragas", "mineria", path, "count", year_column="anio")
    past = layer_history(spec, _districts(), until=UNTIL)
    assert past.loc["080101"].to_dict() == {UNTIL - HISTORY_YEARS: 0.0, 2019: 1.0, UNTIL: 2.0}


def test_a_value_that_is_no_year_names_the_file_the_feature_and_the_value(tmp_path: Path):
    path = tmp_path / "dragas.geojson"
    gpd.GeoDataFrame({"anio": ["2019", "pronto"]}, crs=WGS84,
                     geometry=[Point(0.5, 0.5), Point(0.6, 0.5)]).to_file(path)
    spec = LayerSpec("dragas", "mineria", path, "count", year_column="anio")
    with pytest.raises(DataError) as err:
        layer_history(spec, _districts(), until=UNTIL)
    assert "dragas.geojson, objeto 2" in err.value.es and "'pronto'" in err.value.es
    assert "feature 2" in err.value.en and "year" in err.value.en
    missing = LayerSpec("dragas", "mineria", path, "count", year_column="FECHA")
    with pytest.raises(DataError, match="FECHA"):
        layer_history(missing, _districts(), until=UNTIL)


def test_a_name_keyed_registry_by_year_names_the_line(tmp_path: Path):
    # REINFO-like registry: rows keyed by district names, each with its registration year
    table = tmp_path / "reinfo.csv"
    table.write_text("DEPARTAMENTO,PROVINCIA,DISTRITO,ANIO\nCusco,Cusco,Cusco,2015\n"
                     "Cusco,Cusco,Cusco,2020\nCusco,Cusco,Ccorca,2020\n"
                     "Cusco,Cusco,Ccorca,hace poco\n", encoding="utf-8")
    districts = _districts().assign(**{C.DISTRITO: ["Cusco", "Ccorca"],
                                       C.PROVINCIA: ["Cusco", "Cusco"],
                                       C.DEPARTAMENTO: ["Cusco", "Cusco"]})
    spec = LayerSpec("reinfo", "mineria", table, "count", year_column="ANIO",
                     match={"departamento": "DEPARTAMENTO", "provincia": "PROVINCIA",
                            "distrito": "DISTRITO"})
    with pytest.raises(DataError) as err:
        layer_history(spec, districts, until=UNTIL)
    assert "reinfo.csv, línea 5" in err.value.es and "line 5" in err.value.en
    table.write_text(table.read_text(encoding="utf-8").replace("hace poco", "2023"),
                     encoding="utf-8")
    past = layer_history(spec, districts, until=UNTIL)
    assert past.loc["080101"].tolist() == [0.0, 1.0, 2.0, 2.0]
    assert past.loc["080102"].tolist() == [0.0, 0.0, 1.0, 2.0]


def test_a_loss_year_raster_by_year(tmp_path: Path):
    from geo.geography.rasters import write_raster

    # Hansen's lossyear: 0 no loss, 18 = 2018, 22 = 2022 (year_base 2000)
    grid = np.zeros((10, 10), dtype="uint8")
    grid[:, :3] = 18
    grid[:, 3:5] = 22
    tif = write_raster(tmp_path / "lossyear.tif", grid, crs="EPSG:32718",
                       origin=(500000, 9000000), size=30)
    district = gpd.GeoDataFrame({C.UBIGEO: ["080101"]},
                                geometry=[box(500000, 8999700, 500300, 9000000)],
                                crs=32718).to_crs(WGS84)
    spec = LayerSpec("perdida", "tala", tif, "raster_share", years=(2016, 2023),
                     year_base=2000)
    past = layer_history(spec, district, until=UNTIL)
    state = past.loc["080101"]
    assert state[UNTIL - HISTORY_YEARS] == 0.0  # before the window: nothing lost yet
    assert state[2017] == pytest.approx(0.0, abs=1e-6)
    assert state[2018] == pytest.approx(0.3, abs=0.01)
    assert state[2022] == pytest.approx(0.5, abs=0.01)
    assert state[2023] == pytest.approx(0.5, abs=0.01)


def test_a_raster_with_one_band_per_year(tmp_path: Path):
    from geo.geography.rasters import write_raster

    # MapBiomas: one band per year, class 30 = mining; bands 2020, 2021, 2022, 2023
    bands = np.zeros((4, 10, 10), dtype="uint8")
    for b, cols in enumerate((1, 3, 5, 9)):
        bands[b, :, :cols] = 30
    tif = write_raster(tmp_path / "mapbiomas.tif", bands, crs="EPSG:32718",
                       origin=(500000, 9000000), size=30)
    district = gpd.GeoDataFrame({C.UBIGEO: ["080101"]},
                                geometry=[box(500000, 8999700, 500300, 9000000)],
                                crs=32718).to_crs(WGS84)
    # today's band is 2022's (band 3): 2023's is not read
    spec = LayerSpec("mineria_mapbiomas", "mineria", tif, "raster_share", classes=(30,),
                     band=3, band_first_year=2020)
    past = layer_history(spec, district, until=UNTIL)
    assert list(past.columns) == [2020, 2021, 2022]
    assert past.loc["080101"].round(2).tolist() == [0.1, 0.3, 0.5]
    assert spec.dated


def test_point_files_counted_in_chunks_cannot_be_dated(tmp_path: Path):
    path = tmp_path / "alertas.parquet"
    gpd.GeoDataFrame({"fecha": ["2024-01-02"]}, geometry=[Point(0.5, 0.5)],
                     crs=WGS84).to_parquet(path)
    spec = LayerSpec("alertas", "tala", path, "count", year_column="fecha")
    with pytest.raises(DataError, match="where"):
        layer_history(spec, _districts(), until=UNTIL)


def _settings_with_layer(folder: Path, name: str, **keys) -> Path:
    """A settings file beside the tiny base with one layer of these keys."""
    import tomli_w

    path = folder / f"{name}.toml"
    path.write_text('config_version = 1\n[data]\nbase = "base.gpkg"\n' + tomli_w.dumps(
        {"layers": [{"name": name, **keys}]}), encoding="utf-8")
    return path


def test_settings_accept_year_column_and_refuse_it_on_a_raster(tmp_path: Path):
    _write_base(tmp_path / "base.gpkg")
    (tmp_path / "c.geojson").write_text("{}")
    (tmp_path / "r.tif").write_bytes(b"")
    ok = _settings_with_layer(tmp_path, "concesiones", sector="mineria", path="c.geojson",
                              measure="area_share", year_column="FEC_DENU")
    spec = load_settings(ok).layers[0]
    assert spec.year_column == "FEC_DENU" and spec.dated
    bad = _settings_with_layer(tmp_path, "perdida", sector="tala", path="r.tif",
                               measure="raster_share", years=[2020, 2023], year_column="anio")
    with pytest.raises(ConfigError) as err:
        load_settings(bad)
    assert "years" in err.value.es and "perdida.toml" in err.value.es
    assert "raster" in err.value.en
    banded = {"sector": "mineria", "path": "r.tif", "measure": "raster_share",
              "classes": [30], "band": 38}
    good = _settings_with_layer(tmp_path, "mineria", **banded, band_first_year=1985)
    assert load_settings(good).layers[0].band_first_year == 1985
    text = _settings_with_layer(tmp_path, "mineria", **banded, band_first_year="1985")
    with pytest.raises(ConfigError, match="band_first_year"):
        load_settings(text)


def test_build_keeps_the_past_beside_the_present(tmp_path: Path):
    _write_base(tmp_path / "base.gpkg")
    gpd.GeoDataFrame({"anio": [2019, 2023, 2023]}, crs=WGS84,
                     geometry=[Point(-71.5, -13.5), Point(-71.4, -13.5), Point(-70.5, -13.5)]
                     ).to_file(tmp_path / "dragas.geojson")
    gpd.GeoDataFrame({"x": [1]}, crs=WGS84, geometry=[Point(-71.5, -13.5)]
                     ).to_file(tmp_path / "campamentos.geojson")
    (tmp_path / "settings.toml").write_text(textwrap.dedent("""\
        config_version = 1
        [data]
        base = "base.gpkg"
        workdir = "trabajo"
        region = ["08"]
        [[layers]]
        name = "dragas"
        sector = "mineria"
        path = "dragas.geojson"
        measure = "count"
        year_column = "anio"
        [[layers]]
        name = "campamentos"
        sector = "tala"
        path = "campamentos.geojson"
        measure = "count"
        """))
    settings = load_settings(tmp_path / "settings.toml")
    gdf = build_districts(settings, out=tmp_path / "distritos.gpkg")
    past = read_layer_history(tmp_path / "distritos.gpkg")
    assert list(past.columns) == ["dragas"]  # the undated layer keeps no past
    dragas = past["dragas"].unstack("anio")
    present = gdf.set_index(C.UBIGEO)["dragas"]
    assert dragas.loc["080101"].tolist() == [0.0, 1.0, 2.0]
    assert dragas.loc["080102"].tolist() == [0.0, 0.0, 1.0]
    # the latest state is today's column
    assert dragas.iloc[:, -1].to_dict() == present.to_dict()
    assert HISTORY_TABLE == "capas_por_anio"


# ----------------------------------------------------------------------------- the model
def _frontier_world(seed: int = 0, n: int = 80, frontier: int = 12):
    """Dredges arrive in 2021 in ``frontier`` districts: risk rises with them.

    Truth: logit = -2 + 0.6 z(dredges of that year) + u, u ~ N(0, 0.3); every district is
    inspected 8 times a year 2016-2024.
    """
    rng = np.random.default_rng(seed)
    keys = [f"08{i:04d}" for i in range(n)]
    before = rng.poisson(0.3, n).astype(float)
    after = before.copy()
    after[:frontier] += 4.0
    history = pd.DataFrame(
        {"dragas": np.concatenate([before, after])},
        index=pd.MultiIndex.from_product([[2005, 2021], keys], names=["anio", C.UBIGEO])
    ).swaplevel().sort_index()
    X = pd.DataFrame({"dragas": after, "pobreza": rng.normal(0, 1, n)}, index=keys)
    u = rng.normal(0, 0.3, n)
    scale = after.std()

    def logit(year):
        now = features_in(X, history, year)["dragas"].to_numpy()
        return -2.0 + 0.6 * (now - after.mean()) / scale + u

    rows = []
    for year in range(2016, 2025):
        p = special.expit(logit(year))
        for i, key in enumerate(keys):
            for hit in rng.random(8) < p[i]:
                rows.append({C.UBIGEO: key, C.FECHA: f"{year}-06-01", C.HALLAZGO: int(hit)})
    records = pd.DataFrame(rows)
    truth = pd.Series(special.expit(logit(2025)), index=keys)
    return X, history, records, truth


def _fit(X, records, seen=None):
    from models.risk.score import district_counts

    counts = district_counts(records, X.index.to_numpy())
    Xr, y, w, g = training_rows(X if seen is None else seen, counts)
    return RiskScorer(prior={c: 0.0 for c in X.columns}, prior_strength=1.0).fit(
        Xr, y, sample_weight=w, groups=g)


def test_records_are_read_with_the_layers_of_their_year():
    X, history, records, truth = _frontier_world()
    seen = history_features(X, history, records)
    # the frontier's records span 5 years without dredges and 4 with: their mean
    assert seen["dragas"].iloc[0] == pytest.approx(X["dragas"].iloc[0] * 0 + (
        features_in(X, history, 2016)["dragas"].iloc[0] * 5 + X["dragas"].iloc[0] * 4) / 9)
    assert seen["dragas"].iloc[-1] == X["dragas"].iloc[-1]  # nothing changed there
    plain, dated = _fit(X, records), _fit(X, records, seen)
    # the weight of dredges is learnt from the years that had them
    true_weight = 0.6  # per standard deviation of today's dredges
    w_plain = plain.coef_.ravel()[0] * X["dragas"].std(ddof=0) / plain.scale_[0]
    w_dated = dated.coef_.ravel()[0] * X["dragas"].std(ddof=0) / dated.scale_[0]
    assert abs(w_dated - true_weight) < abs(w_plain - true_weight)
    # today's frontier districts: not dragged down by the findings of before the dredges
    front = slice(0, 12)
    err_plain = np.abs(plain.predict_risk(X, groups=X.index) - truth.to_numpy())[front].mean()
    err_dated = np.abs(dated.predict_risk(X, groups=X.index) - truth.to_numpy())[front].mean()
    assert err_dated < 0.8 * err_plain



def test_where_no_layer_moved_the_model_is_the_undated_one_bit_for_bit():
    from models.risk.scorer import simulate_uncertainty

    X, history, records, _ = _frontier_world(n=150, frontier=0)  # dated, nothing moved
    rng = np.random.default_rng(5)  # nine features, as the real model has
    X = X.assign(**{f"otra_{j}": rng.normal(size=len(X)) for j in range(7)})
    seen = history_features(X, history, records)
    assert seen.equals(X)
    scorer = _fit(X, records, seen)
    keys = X.index
    risk = scorer.predict_risk(X, groups=keys)
    unc = simulate_uncertainty(scorer, X, keys, n_bootstrap=50, random_state=1)
    alerts = drift_alerts(scorer, X, keys, records, history=history)
    assert (alerts["cambio_capas"] == 0).all()
    # the same scorer as it was before dates were kept: every number the same, exactly
    scorer.group_z_ = None
    assert np.array_equal(scorer.predict_risk(X, groups=keys), risk)
    assert simulate_uncertainty(scorer, X, keys, n_bootstrap=50, random_state=1).equals(unc)
    assert drift_alerts(scorer, X, keys, records).equals(alerts)


def test_a_backtest_year_never_sees_a_later_layer():
    X, history, records, truth = _frontier_world(n=40, frontier=6)
    folds = backtest_folds(X, ["dragas", "pobreza"], records, {"dragas": 0.5, "pobreza": 0.0},
                           n_uncertainty=0, history=history, half_life=0)
    by_year = {f.name: f for f in folds}
    # the expert index weighs dredges: when 2021 began the frontier had none yet (they came
    # during 2021), when 2022 began it had them
    before = features_in(X, history, 2020)["dragas"].to_numpy()
    for year in ("2020", "2021"):
        expert = by_year[year].scores["indice_experto"]
        assert np.argsort(expert)[-1] in np.flatnonzero(before == before.max()), year
    assert set(np.argsort(by_year["2022"].scores["indice_experto"])[-6:]) == set(range(6))
    without = backtest_folds(X, ["dragas", "pobreza"], records, {"dragas": 0.5, "pobreza": 0.0},
                             n_uncertainty=0, half_life=0)
    assert set(np.argsort(without[3].scores["indice_experto"])[-6:]) == set(range(6))


def test_a_district_whose_layers_changed_since_its_records_is_flagged():
    X, history, records, truth = _frontier_world()
    # records only until 2020: the dredges came after every inspection
    old = records[pd.to_datetime(records[C.FECHA]).dt.year <= 2020]
    seen = history_features(X, history, old)
    scorer = _fit(X, old, seen)
    alerts = drift_alerts(scorer, X, X.index, old, history=history)
    change = alerts["cambio_capas"].to_numpy()
    flagged = alerts["alerta_deriva"].eq(ALZA) & alerts["motivo_deriva"].eq("capas")
    # every frontier district whose change reaches the threshold, and no other by its layers
    assert flagged.iloc[:12].sum() == int((change[:12] >= LAYER_ALERT).sum()) > 0
    assert not alerts["motivo_deriva"].iloc[12:].eq("capas").any()
    assert np.allclose(change[12:], 0.0)
    # without dates there is nothing to flag for layers
    plain = drift_alerts(_fit(X, old), X, X.index, old)
    assert not plain["motivo_deriva"].eq("capas").any()


def test_the_layer_alert_is_withheld_with_a_hidden_record():
    from models.risk.disclosure import protect_scores

    scores = pd.DataFrame({
        C.UBIGEO: ["1", "2"], C.RIESGO: [0.5, 0.2], C.RIESGO_P05: [0.3, 0.1],
        C.RIESGO_P95: [0.7, 0.3], C.PROB_TOP10: [0.9, 0.1], "contrib_historial": [0.4, 0.0],
        C.EVIDENCIA: ["limitada", "suficiente"], C.RANGO: [1, 2],
        C.N_INSPECCIONES: [3, 20], C.N_HALLAZGOS: [0, 6],
        "alerta_deriva": [ALZA, ALZA], "motivo_deriva": ["capas", "hallazgos"]})
    out = protect_scores(scores, 5)
    assert out["motivo_deriva"].tolist() == ["", "hallazgos"]
    assert out["alerta_deriva"].tolist() == ["", ALZA]


def test_an_age_discount_weighs_the_layers_a_record_saw_like_the_record():
    from models.risk.recency import recency_fit

    X, history, records, truth = _frontier_world()
    seen = history_features(X, history, records)
    front = slice(0, 12)
    errors = {}
    for name, hist in (("counts only", None), ("layers too", history)):
        scorer, _ = recency_fit(_fit(X, records, seen), X, X.index, records, half_life=1.0,
                                history=hist)
        risk = scorer.predict_risk(X, groups=X.index)
        errors[name] = float(np.mean(risk[front] - truth.to_numpy()[front]))
    # the recent findings, made under the dredges, read against the dredges: no double rise
    assert abs(errors["layers too"]) < abs(errors["counts only"])
    # a discounted mean leans to the recent years: nearer today's dredges than the plain one
    weighted = recency_fit(_fit(X, records, seen), X, X.index, records, half_life=1.0,
                           history=history)[0].group_z_.iloc[0, 0]
    plain = _fit(X, records, seen).group_z_.iloc[0, 0]
    assert plain < weighted


def test_a_district_table_carrying_its_past_concatenates_and_copies_cheaply(tmp_path: Path):
    import copy

    from geo.geography.build import LayerHistory
    from models.risk.score import layer_history_of

    past = pd.DataFrame({"dragas": [0.0, 3.0]}, index=pd.MultiIndex.from_tuples(
        [("080101", 2005), ("080101", 2021)], names=[C.UBIGEO, "anio"]))
    a = _districts()
    b = _districts()
    a.attrs[HISTORY_TABLE] = LayerHistory(past)
    b.attrs[HISTORY_TABLE] = LayerHistory(past.copy())
    # pandas compares attrs when concatenating: a DataFrame there raised
    both = pd.concat([a, b], ignore_index=True)
    assert len(both) == 4
    assert layer_history_of(copy.deepcopy(a)) is past  # passed on, not copied
    assert layer_history_of(a.iloc[:1]) is past
    assert layer_history_of(_districts()) is None
