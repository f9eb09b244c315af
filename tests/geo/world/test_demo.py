"""The demo world (``geo.world.demo``, ``riskmap demo``): real public layers, simulated records.

Unit tests on tiny inline geometries first; then integration tests on the real Cusco and
Loreto boundaries through the conftest fixtures (``base_gpkg``, ``demo_dir`` = seed 0, real
layers), and on a world whose layers are simulated too (``riskmap demo --capas simuladas``).
"""

from __future__ import annotations

import hashlib
import shutil
import tomllib
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from scipy.special import expit
from scipy.stats import spearmanr
from shapely.geometry import box

from dashboard.cli import main
from geo import columns as C
from geo import paths
from geo.config import load_settings
from geo.errors import ConfigError
from geo.world.demo import (
    DEMO_LAYERS,
    FEATURES,
    HIDDEN,
    INSPECTION_COLUMNS,
    REAL_FEATURES,
    SIMULATED_FEATURES,
    load_calibration,
    make_demo,
)
from geo.world.districts import _check_names, _check_region, _fold, _World
from geo.world.sector_layers import _clip, _rectangles

LAYER_NAMES = [layer.name for layer in DEMO_LAYERS]


# --- unit tests: no real data -----------------------------------------------------------


def test_fold_ignores_accents_and_case():
    assert _fold("Santo Tomás") == _fold("SANTO TOMAS") == "santo tomas"
    assert _fold("Kosñipata") == "kosnipata"
    assert _fold("Mazán") != _fold("Napo")


@pytest.mark.parametrize("region", [(), ("15",), ("08", "20")])
def test_region_outside_cusco_loreto_is_refused(region):
    with pytest.raises(ConfigError) as err:
        _check_region(region)
    assert "Cusco (08)" in err.value.message("es") and "Loreto (16)" in err.value.message("en")


def test_region_is_sorted_and_deduplicated():
    assert _check_region(("16", "08", "16")) == ("08", "16")


def test_rectangle_has_the_requested_hectares():
    # 100 ha = 1 km2; at the equator 1 km is 1/111.32 deg of longitude and 1/110.574 of latitude
    rng = np.random.default_rng(1)
    rect = _rectangles(rng, np.array([[-73.0, 0.0]]), np.array([100.0]))[0]
    area_km2 = gpd.GeoSeries([rect], crs=4326).to_crs("EPSG:6933").area.iloc[0] / 1e6
    assert area_km2 == pytest.approx(1.0, rel=0.01)
    xmin, ymin, xmax, ymax = rect.bounds  # north-south aligned: a box
    assert rect.area == pytest.approx((xmax - xmin) * (ymax - ymin))


def test_clip_keeps_only_the_polygonal_part_inside():
    district = box(0, 0, 1, 1)
    polys = np.array([box(0.5, 0.5, 1.5, 1.5), box(2, 2, 3, 3), box(1, 0, 2, 1)], dtype=object)
    clipped = _clip(polys, district)
    assert clipped[0].area == pytest.approx(0.25)  # a quarter of the box is inside
    assert clipped[1] is None  # entirely outside
    assert clipped[2] is None  # touches along an edge only: a line, not a polygon
    assert clipped[0].within(district) and clipped[0].is_valid


def _tiny_districts() -> gpd.GeoDataFrame:
    # two 1x1 squares that overlap in a 0.1-wide strip, like the slivers of the real source
    return gpd.GeoDataFrame(
        {C.UBIGEO: ["080101", "080102"], C.COD_DEP: ["08", "08"], C.AREA_KM2: [1.0, 1.0],
         C.DISTRITO: ["Cusco", "Ccorca"], C.COD_PROV: ["0801", "0801"],
         C.PROVINCIA: ["Cusco", "Cusco"]},
        geometry=[box(0, 0, 1, 1), box(0.9, 0, 1.9, 1)], crs=4326)


def test_sampled_points_fall_in_their_district_only():
    world = _World(_tiny_districts())
    xy = world.sample(np.random.default_rng(0), 0, 500)
    assert xy.shape == (500, 2)
    assert (xy[:, 0] > 0).all() and (xy[:, 0] < 0.9).all()  # never in the shared strip
    # the district's own area excludes the overlap: 0.9 of the square
    assert world.own[0].area == pytest.approx(0.9)


def test_calibration_name_mismatch_is_a_clear_error():
    cal = load_calibration()
    districts = _tiny_districts()
    districts[C.UBIGEO] = ["081203", "081209"]  # Camanti and Marcapata codes
    districts[C.COD_PROV] = ["0812", "0812"]
    districts[C.PROVINCIA] = ["Quispicanchi", "Quispicanchi"]
    districts[C.DISTRITO] = ["CAMANTI", "Ocongate"]  # the second name is wrong
    with pytest.raises(ConfigError) as err:
        _check_names(cal, districts)
    assert "081209" in err.value.es and "Marcapata" in err.value.es and "Ocongate" in err.value.en


def test_calibration_names_every_published_hotspot():
    cal = load_calibration()
    named = {_fold(v["distrito"]) for v in cal["hotspots"].values()}
    for name in ["Camanti", "Marcapata", "Ccarhuayo", "Colquemarca", "Santo Tomás", "Livitaca",
                 "Kosñipata", "Echarate", "Megantoni", "Pichari", "Kimbiri", "Kumpirushiato",
                 "Quellouno", "Yanatile", "Santa Ana", "Alto Nanay", "Mazán", "Napo", "Indiana",
                 "Tigre", "Ramón Castilla", "Yavarí", "San Pablo", "Pebas", "Putumayo",
                 "Teniente Manuel Clavero", "Contamana", "Padre Márquez", "Sarayacu",
                 "Yurimaguas", "Balsapuerto"]:
        assert _fold(name) in named, name
    assert set(cal["origen_reclutamiento"]) == {f"1607{i:02d}" for i in range(1, 7)}  # Datem
    assert set(cal["verdad"]["coeficientes"]) == set(FEATURES) | set(HIDDEN) | set(
        SIMULATED_FEATURES)


def test_calibration_offices_match_the_deployment_template():
    cal = load_calibration()
    template = load_settings(paths.CONFIG_DIR / "settings.toml", check_files=False)
    ours = {(o["name"], o["lat"], o["lon"], o["department"]) for o in cal["oficinas"]}
    theirs = {(o.name, o.lat, o.lon, o.department) for o in template.planning.offices}
    assert ours == theirs


def test_cli_without_base_says_to_fetch(tmp_path: Path, capsys):
    code = main(["demo", "--base", str(tmp_path / "none.gpkg"), "--out", str(tmp_path / "d")])
    err = capsys.readouterr().err
    assert code == 2
    assert "riskmap data fetch" in err and "Traceback" not in err
    assert not (tmp_path / "d").exists()
    code = main(["--lang", "en", "demo", "--base", str(tmp_path / "none.gpkg")])
    assert code == 2 and "not found" in capsys.readouterr().err


# --- integration: the demo world on the real boundaries ---------------------------------


def _hashes(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def truth(demo_dir: Path) -> pd.DataFrame:
    return pd.read_csv(demo_dir / "verdad.csv", dtype={C.UBIGEO: str})


@pytest.fixture(scope="module")
def records(demo_dir: Path) -> pd.DataFrame:
    return pd.read_csv(demo_dir / "inspecciones.csv", dtype={C.UBIGEO: str},
                       keep_default_na=False)


@pytest.fixture(scope="module")
def districts(base_gpkg: Path) -> gpd.GeoDataFrame:
    from geo.geography.base import read_districts

    return read_districts(base_gpkg, C.DEFAULT_DEPARTMENTS)


@pytest.fixture(scope="module")
def simulated_world(base_gpkg: Path, demo_dir: Path) -> Path:
    """The world before issue 20: every sector layer simulated (``--capas simuladas``)."""
    out = demo_dir.parent / "demo_capas_simuladas"
    make_demo(base_gpkg, out, seed=0, layers="simuladas")
    yield out
    shutil.rmtree(out, ignore_errors=True)


def test_demo_writes_exactly_the_contract_files(demo_dir: Path):
    files = set(_hashes(demo_dir))
    expected = {"inspecciones.csv", "verdad.csv", "settings.toml", "LEEME.md",
                "capas/servicios.gpkg"}
    assert expected <= files
    # the real layers are read from the sources folder: never copied into the world
    assert not {f"capas/{name}.gpkg" for name in REAL_FEATURES} & files
    readme = (demo_dir / "LEEME.md").read_text(encoding="utf-8")
    assert readme.startswith("# Mundo de demostración: capas REALES, inspecciones SIMULADAS")
    assert "NO SON REGISTROS REALES" in readme and "GeoBosques" in readme
    assert "sin dato" in readme


def test_the_world_with_simulated_layers_still_writes_them(simulated_world: Path):
    files = set(_hashes(simulated_world))
    assert {f"capas/{name}.gpkg" for name in LAYER_NAMES} <= files
    assert (simulated_world / "LEEME.md").read_text(encoding="utf-8").startswith(
        "# DATOS SIMULADOS — NO SON REGISTROS REALES")
    s = load_settings(simulated_world / "settings.toml")
    assert [layer.name for layer in s.layers] == LAYER_NAMES
    assert all(layer.simulated for layer in s.layers)


def test_same_seed_gives_identical_files(base_gpkg: Path, demo_dir: Path):
    # two fresh worlds beside demo_dir (same place relative to the base), not demo_dir itself:
    # other tests add their own outputs (district table, scores) to the shared demo folder
    first, again = demo_dir.parent / "demo_repro_a", demo_dir.parent / "demo_repro_b"
    try:
        make_demo(base_gpkg, first, seed=0)
        make_demo(base_gpkg, again, seed=0)
        assert _hashes(again) == _hashes(first)
        # and the shared fixture world is that same world, file for file
        shared = _hashes(demo_dir)
        assert {name: shared[name] for name in _hashes(first)} == _hashes(first)
    finally:
        shutil.rmtree(first, ignore_errors=True)
        shutil.rmtree(again, ignore_errors=True)


def test_other_seed_gives_another_world(base_gpkg: Path, demo_dir: Path, truth):
    other = demo_dir.parent / "demo_seed1"
    try:
        make_demo(base_gpkg, other, seed=1)
        h1 = _hashes(other)
        h0 = {name: digest for name, digest in _hashes(demo_dir).items() if name in h1}
        assert set(h0) == set(h1)
        differ = {name for name in h0 if h0[name] != h1[name]}
        assert {"inspecciones.csv", "verdad.csv", "LEEME.md"} <= differ
        t1 = pd.read_csv(other / "verdad.csv", dtype={C.UBIGEO: str})
        assert (t1[C.UBIGEO] == truth[C.UBIGEO]).all()
        assert not np.allclose(t1[C.RIESGO_VERDADERO], truth[C.RIESGO_VERDADERO])
    finally:
        shutil.rmtree(other, ignore_errors=True)


def test_truth_covers_the_169_districts_and_adds_up(truth: pd.DataFrame, districts):
    assert len(truth) == 169 and truth[C.UBIGEO].is_unique
    assert set(truth[C.UBIGEO]) == set(districts[C.UBIGEO])
    assert truth[C.UBIGEO].str[:2].value_counts().to_dict() == {"08": 116, "16": 53}
    p = truth[C.RIESGO_VERDADERO]
    assert ((p > 0) & (p < 1)).all()
    # the components are the truth: logit = intercept + sum of contributions + random effect
    contrib = truth[[f"contrib_{f}" for f in FEATURES + HIDDEN]].sum(axis=1)
    logit = truth["intercepto"] + contrib + truth["efecto_aleatorio"]
    np.testing.assert_allclose(logit, truth["logit_verdadero"], atol=1e-4)
    np.testing.assert_allclose(expit(truth["logit_verdadero"]), p, rtol=1e-4)
    # mostly explained by the features, but not entirely
    share = contrib.var() / truth["logit_verdadero"].var()
    assert 0.6 < share < 0.97


def test_hotspots_have_high_true_risk(truth: pd.DataFrame):
    median = truth[C.RIESGO_VERDADERO].median()
    risk = truth.set_index(C.UBIGEO)[C.RIESGO_VERDADERO]
    for code in ["081203", "160102", "081209", "080910"]:  # Camanti, Alto Nanay, Marcapata, Pichari
        assert risk[code] > median, code
    hot = truth[truth["hotspot"] == 1]
    assert len(hot) >= 30
    assert (hot[C.RIESGO_VERDADERO] > median).mean() >= 0.7
    # the top of the truth is where the calibration puts the exploitation
    top10 = truth.nlargest(10, C.RIESGO_VERDADERO)
    assert top10["hotspot"].sum() >= 5


def test_true_risk_moves_with_the_dated_real_layers(truth: pd.DataFrame):
    years = [c for c in truth.columns if c.startswith("riesgo_") and c[7:].isdigit()]
    assert [int(c[7:]) for c in years] == list(range(2016, 2026))
    # today's risk is that of the last year (the layers' newest state)
    np.testing.assert_allclose(truth["riesgo_2025"], truth[C.RIESGO_VERDADERO], rtol=1e-9)
    moved = (truth["riesgo_2016"] - truth["riesgo_2025"]).abs() > 1e-6
    # forest loss, mining, farms and coca change in the Amazon districts, not in the Andes
    assert moved.sum() >= 20
    hidden = truth[[f"oculto_{f}" for f in ("mineria", "agricultura", "coca")]].all(axis=1)
    assert not (moved & hidden & (truth["oculto_perdida_bosque"] == 1)).any()


@pytest.mark.parametrize("name", LAYER_NAMES)
def test_layers_are_valid_simulated_and_inside(name: str, simulated_world: Path, districts):
    path = simulated_world / "capas" / f"{name}.gpkg"
    info = pyogrio.read_info(path, layer=name)
    assert info["layer_metadata"]["simulado"] == "true"
    gdf = gpd.read_file(path, layer=name)
    assert len(gdf) > 0 and gdf.crs.to_epsg() == 4326
    assert gdf["simulado"].astype(bool).all()
    assert gdf.geometry.is_valid.all() and not gdf.geometry.is_empty.any()
    region = shapely.union_all(districts.geometry.values)
    inside = shapely.covered_by(gdf.geometry.values, shapely.buffer(region, 1e-9))
    assert inside.all(), f"{(~inside).sum()} features of {name} outside Cusco/Loreto"
    spec = next(s for s in DEMO_LAYERS if s.name == name)
    kinds = {"polygon": {"MultiPolygon"}, "point": {"Point"}}[spec.geometry]
    assert set(gdf.geom_type) == kinds


def test_layers_sit_where_the_facts_put_them(truth: pd.DataFrame):
    t = truth.set_index(C.UBIGEO)
    assert t.loc["160102", "valor_dragas"] >= 25  # Alto Nanay: >45 dredges on the Nanay
    with_dredges = set(t.index[t["valor_dragas"] > 0])
    assert with_dredges <= set(load_calibration()["mineria"]["dragas"])  # the named rivers only
    assert {"160102", "160107", "160303"} <= with_dredges  # Nanay, Napo, Tigre
    assert (t.loc[t.index.str.startswith("08"), "valor_dragas"] == 0).all()  # none in Cusco
    assert t["valor_mineria_informal"].idxmax() in {"081203", "081209", "080701", "080704"}
    # the real layers, as log(1 + ha): Pichari's ~2,600 ha of coca, Camanti's 919 ha of mining
    assert t.loc["080910", "valor_coca"] == pytest.approx(np.log1p(2613.659), rel=1e-4)
    assert t.loc["081203", "valor_mineria"] == pytest.approx(np.log1p(919.08), rel=1e-4)
    assert t.loc["080910", "oculto_coca"] == 0 and t.loc["081203", "oculto_mineria"] == 0
    # where the panel is silent (Cusco city, Andean Cusco), the truth's value is hidden
    assert t.loc["080101", "oculto_coca"] == 1 and t.loc["080101", "oculto_mineria"] == 1
    # forest loss: zero where GeoBosques lists no Amazon forest (declared), never hidden
    assert (t["oculto_perdida_bosque"] == 0).all()
    assert t.loc["080101", "valor_perdida_bosque"] == 0


def test_finding_rate_is_in_the_calibrated_range(records: pd.DataFrame):
    assert 0.05 <= records[C.HALLAZGO].mean() <= 0.15
    per_year = records.groupby(records[C.FECHA].str[:4]).size()
    assert list(per_year.index) == [str(y) for y in range(2016, 2026)]


def test_volume_follows_the_documented_judgement(records: pd.DataFrame):
    """Each department's yearly count is Poisson around the calibrated line (90 -> 150)."""
    conf = load_calibration()["inspecciones"]
    first, last = conf["anios"]
    lo, hi = conf["por_departamento_anio"]
    expected = dict(zip(range(first, last + 1), np.linspace(lo, hi, last - first + 1),
                        strict=True))
    counts = records.groupby([records[C.UBIGEO].str[:2], records[C.FECHA].str[:4]]).size()
    assert len(counts) == 2 * len(expected)  # every department, every year
    for (dep, year), n in counts.items():
        mu = expected[int(year)]
        assert abs(n - mu) <= 4 * np.sqrt(mu), (dep, year, n, mu)
    # ~24 findings a year in the two departments: the backtest has power (benchmarks/model.md)
    assert records[C.HALLAZGO].sum() / len(expected) > 15


def test_inspections_show_selection_bias(records: pd.DataFrame, truth: pd.DataFrame):
    n = records.groupby(C.UBIGEO).size().reindex(truth[C.UBIGEO], fill_value=0)
    rho = spearmanr(n.to_numpy(), truth["valor_lejania_km"].to_numpy())[0]
    assert rho < -0.1  # more inspections near the offices in Cusco city and Iquitos
    rate = records.groupby(C.ORIGEN)[C.HALLAZGO].mean()
    assert rate["denuncia"] > rate["planificada"]  # complaints come from where risk is
    assert set(records[C.ORIGEN]) == set(C.ORIGENES)


def test_records_pass_the_inspection_contract(demo_dir: Path, records: pd.DataFrame,
                                              districts):
    from geo.records.inspections import validate_inspections

    assert list(records.columns) == list(INSPECTION_COLUMNS)
    report = validate_inspections(demo_dir / "inspecciones.csv", districts)
    assert report.errors == []
    assert len(report.valid) == len(records)
    assert records[C.ID].is_unique
    codes = set(load_calibration()["indicadores_oit"])
    found = records[C.HALLAZGO] == 1
    # recording slips, as documented: a few findings without indicators, a few
    # inspections without a finding that note long hours or poor conditions
    stray = records.loc[~found, C.INDICADORES].fillna("")
    assert 0 < (stray != "").mean() < 0.03
    assert set(stray[stray != ""]) <= {"OIT10", "OIT11"}
    blank = records.loc[found, C.INDICADORES].fillna("") == ""
    assert 0 < blank.mean() < 0.10
    assert (records.loc[~found, C.VICTIMAS] == 0).all()
    used = {c for cell in records.loc[found, C.INDICADORES].fillna("") for c in cell.split(";")
            if c}
    assert used and used <= codes
    assert (records.loc[found, C.VICTIMAS] >= 1).all()
    assert (records[C.VICTIMAS] <= records[C.TRABAJADORES]).all()


def test_victims_by_sex_age_and_origin_are_plausible(demo_dir: Path, base_gpkg):
    """Victims' columns of demo version 2: within the totals, mostly recorded, documented."""
    from geo.geography.base import national_ubigeos

    rec = pd.read_csv(demo_dir / "inspecciones.csv", dtype={C.UBIGEO: str,
                                                             C.UBIGEO_ORIGEN: str})
    with_victims = rec[rec[C.VICTIMAS] > 0]
    assert with_victims[C.VICTIMAS_MUJERES].notna().all()
    assert (with_victims[C.VICTIMAS_MUJERES] <= with_victims[C.VICTIMAS]).all()
    assert (with_victims[C.VICTIMAS_MENORES] <= with_victims[C.VICTIMAS]).all()
    assert rec.loc[rec[C.VICTIMAS] == 0, C.UBIGEO_ORIGEN].isna().all()
    women = with_victims[C.VICTIMAS_MUJERES].sum() / with_victims[C.VICTIMAS].sum()
    assert 0.15 < women < 0.6  # labour exploitation: fewer women than all trafficking (80 %)
    domestic = with_victims[with_victims[C.SECTOR] == "domestico"]
    if len(domestic):
        assert domestic[C.VICTIMAS_MUJERES].sum() >= 0.8 * domestic[C.VICTIMAS].sum()
    origin = with_victims[C.UBIGEO_ORIGEN].dropna()
    assert 0.75 < len(origin) / len(with_victims) < 0.95
    assert set(origin) <= national_ubigeos(base_gpkg)
    loreto = with_victims[with_victims[C.UBIGEO].str[:2] == "16"][C.UBIGEO_ORIGEN].dropna()
    assert (loreto.str[:2] == "16").all()  # Loreto's victims come from Loreto
    cusco = with_victims[with_victims[C.UBIGEO].str[:2] == "08"][C.UBIGEO_ORIGEN].dropna()
    outside = cusco.str[:2].isin(["03", "21"]).mean()
    assert 0.03 < outside < 0.35  # some from Puno and Apurímac
    assert (origin == with_victims.loc[origin.index, C.UBIGEO]).mean() > 0.2  # local


def test_services_layer_is_declared_simulated_and_in_the_region(demo_dir: Path, demo_settings):
    import geopandas as gpd

    (spec,) = demo_settings.services
    assert spec.kind == "servicios" and spec.simulated and spec.column == "tipo"
    gdf = gpd.read_file(demo_dir / "capas" / "servicios.gpkg")
    assert set(gdf["tipo"]) == {"cem", "fiscalia_trata", "policia", "albergue"}
    assert gdf["simulado"].all() and (gdf.geom_type == "Point").all()
    # a CEM in every province capital of the region (xxxx01)
    capitals = {u for u in gdf.loc[gdf["tipo"] == "cem", "ubigeo"]}
    assert {"080101", "080901", "160101", "160701"} <= capitals


def test_settings_load_and_say_what_is_real(demo_dir: Path, demo_settings):
    s = demo_settings
    assert s.simulated and s.workdir == demo_dir.resolve()
    assert s.inspections == (demo_dir / "inspecciones.csv").resolve()
    assert s.truth == (demo_dir / "verdad.csv").resolve()
    assert s.base.is_file() and s.region == ("08", "16")
    assert [layer.name for layer in s.layers] == list(REAL_FEATURES)
    for layer in s.layers:  # real, from the public files, each saying what it is
        assert not layer.simulated and layer.origin == "real"
        assert layer.unit == "ha" and layer.source and layer.license and layer.citation
        assert layer.path.parent == (demo_dir.parent / "fuentes").resolve()
        assert layer.dated
    assert s.model.features == ("pobreza_monetaria", "lejania_km")
    assert s.model.log_features == tuple(REAL_FEATURES)
    for name in ["perdida_bosque", "mineria", "coca", "pobreza_monetaria", "agricultura"]:
        assert s.model.prior[name] > 0, name
    # the documented blind spot of a MIRTI-like index built from official layers
    assert s.model.prior["lejania_km"] == 0
    hidden = load_calibration()["verdad"]["coeficientes"]
    assert any(s.model.prior[f] != hidden[f] for f in s.model.prior)  # the prior is not the truth
    assert {o.department for o in s.planning.offices} == {"08", "16"}
    raw = tomllib.loads((demo_dir / "settings.toml").read_text(encoding="utf-8"))
    assert raw["config_version"] == 1 and raw["data"]["simulated"] is True


def test_the_simulated_world_keeps_its_blind_prior(simulated_world: Path):
    s = load_settings(simulated_world / "settings.toml")
    assert s.model.prior["dragas"] == 0 and s.model.log_features == ()
    for name in ["concesiones_mineras", "mineria_informal", "campamentos_tala", "coca"]:
        assert s.model.prior[name] > 0, name


def test_demo_without_the_public_layers_says_to_fetch(base_gpkg: Path, tmp_path: Path):
    with pytest.raises(ConfigError, match="riskmap data fetch"):
        make_demo(base_gpkg, tmp_path / "w", seed=0, sources=tmp_path / "vacia")
    assert not (tmp_path / "w").exists()


@pytest.mark.slow
def test_truth_features_match_the_built_district_table(districts_gpkg: Path, truth):
    # the truth is a function of what `riskmap build` measures: the model can recover it
    table = gpd.read_file(districts_gpkg, layer="distritos").set_index(C.UBIGEO)
    t = truth.set_index(C.UBIGEO)
    for name in REAL_FEATURES:
        seen = t[f"oculto_{name}"] == 0
        np.testing.assert_allclose(np.log1p(table.loc[t.index[seen], name]),
                                   t.loc[seen, f"valor_{name}"], rtol=1e-4, atol=1e-6,
                                   err_msg=name)
        # what the truth hides, the table does not have: no value, never 0
        assert table.loc[t.index[~seen], name].isna().all(), name
    for name in ("pobreza_monetaria", "lejania_km"):
        np.testing.assert_allclose(table.loc[t.index, name], t[f"valor_{name}"], rtol=1e-4,
                                   atol=1e-6, err_msg=name)


@pytest.mark.slow
def test_single_department_world(base_gpkg: Path, tmp_path: Path, capsys):
    out = tmp_path / "cusco"
    assert main(["demo", "--base", str(base_gpkg), "--out", str(out), "--region", "cusco",
                 "--seed", "2"]) == 0
    said = capsys.readouterr().out
    assert "SIMULADAS" in said and "capas sectoriales reales" in said
    t = pd.read_csv(out / "verdad.csv", dtype={C.UBIGEO: str})
    assert len(t) == 116 and t[C.UBIGEO].str.startswith("08").all()
    s = load_settings(out / "settings.toml")
    assert s.region == ("08",) and [o.department for o in s.planning.offices] == ["08"]
    r = pd.read_csv(out / "inspecciones.csv", dtype={C.UBIGEO: str})
    assert r[C.UBIGEO].str.startswith("08").all()


def test_error_leaves_the_previous_world_intact(base_gpkg: Path, tmp_path: Path):
    out = tmp_path / "world"
    out.mkdir()
    (out / "verdad.csv").write_text("previous world\n", encoding="utf-8")
    bad = tmp_path / "calibration.toml"
    text = (paths.CONFIG_DIR / "calibration.toml").read_text(encoding="utf-8")
    bad.write_text(text.replace('"081203" = { distrito = "Camanti"',
                                '"081203" = { distrito = "Quincemil"'), encoding="utf-8")
    with pytest.raises(ConfigError, match="Quincemil"):
        make_demo(base_gpkg, out, seed=0, calibration=bad)
    assert (out / "verdad.csv").read_text(encoding="utf-8") == "previous world\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["calibration.toml", "world"]
