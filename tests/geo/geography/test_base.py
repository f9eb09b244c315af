"""The base GeoPackage built from the real public sources (fetched over loopback)."""

from __future__ import annotations

import math
import shutil

import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely
from pyproj import Geod

from geo import columns as C
from geo.errors import DataError
from geo.geography.base import (
    DISTRICT_COLUMNS,
    IMPUTADO,
    build_base,
    read_departments,
    read_districts,
    read_provinces,
)
from geo.geography.sources import load_registry

PERU_AREA_KM2 = 1_285_215.6  # INEI's official surface of Peru
CUSCO_NEW = {"080915", "080916", "080917", "080918"}


@pytest.fixture(scope="module")
def peru(base_gpkg):
    return read_districts(base_gpkg, region=())


def test_layers_of_the_base(base_gpkg):
    layers = dict(pyogrio.list_layers(base_gpkg))
    assert set(layers) == {"distritos", "provincias", "departamentos", "fuentes",
                           "nombres_anteriores"}
    assert layers["fuentes"] is None and layers["nombres_anteriores"] is None  # plain tables


def test_all_peru_has_1891_districts(peru):
    assert len(peru) == 1891
    assert list(peru.columns) == [*DISTRICT_COLUMNS, "geometry"]
    assert peru.crs.to_epsg() == 4326
    assert peru[C.UBIGEO].is_unique
    assert peru[C.UBIGEO].map(type).eq(str).all()
    assert peru[C.UBIGEO].str.fullmatch(r"\d{6}").all()
    assert (peru[C.COD_DEP] == peru[C.UBIGEO].str[:2]).all()
    assert (peru[C.COD_PROV] == peru[C.UBIGEO].str[:4]).all()
    assert peru.geometry.is_valid.all()
    assert peru[list(C.BASE_INDICATORS) + [C.AREA_KM2]].notna().all().all()


def test_default_region_is_cusco_and_loreto(base_gpkg):
    gdf = read_districts(base_gpkg)
    assert gdf[C.COD_DEP].value_counts().to_dict() == {"08": 116, "16": 53}
    assert len(read_districts(base_gpkg, region="cusco")) == 116
    assert len(read_districts(base_gpkg, region=("16",))) == 53
    assert gdf.loc[gdf[C.UBIGEO] == "080101", C.DISTRITO].item() == "Cusco"
    assert gdf.loc[gdf[C.UBIGEO] == "160101", C.DEPARTAMENTO].item() == "Loreto"


def test_provinces_and_departments(base_gpkg):
    assert len(read_provinces(base_gpkg, region=())) == 196
    assert len(read_departments(base_gpkg, region=())) == 25
    provs = read_provinces(base_gpkg)
    # Cusco has 13 provinces, Loreto 8 (Putumayo since 2014)
    assert provs[C.COD_DEP].value_counts().to_dict() == {"08": 13, "16": 8}
    assert provs[C.COD_PROV].str.fullmatch(r"\d{4}").all()
    deps = read_departments(base_gpkg)
    assert deps[C.DEPARTAMENTO].tolist() == ["Cusco", "Loreto"]


def test_area_matches_official_surface(peru, upstream_dir):
    assert peru[C.AREA_KM2].sum() == pytest.approx(PERU_AREA_KM2, rel=0.005)
    table = pd.read_csv(upstream_dir / "ubigeo-peru-aumentado_ubigeo_distrito.csv",
                        dtype={"inei": str})
    official = pd.to_numeric(table.set_index("inei")["superficie"], errors="coerce")
    ratio = (peru.set_index(C.UBIGEO)[C.AREA_KM2] / official).dropna()
    assert len(ratio) > 1850
    # INEI's legal surfaces and the mapped polygons differ a little: most within a few %
    assert (ratio - 1).abs().median() < 0.05
    assert ((ratio - 1).abs() < 0.10).mean() > 0.75


def test_area_is_equal_area_not_degrees(base_gpkg):
    gdf = read_districts(base_gpkg, region="cusco")
    geod = Geod(ellps="WGS84")
    geodesic = np.array([abs(geod.geometry_area_perimeter(g)[0]) / 1e6 for g in gdf.geometry])
    np.testing.assert_allclose(gdf[C.AREA_KM2], geodesic, rtol=1e-4)


def test_lejania_is_great_circle_to_department_capital(peru):
    by = peru.set_index(C.UBIGEO)
    assert by.loc["080101", C.LEJANIA] == 0 and by.loc["160101", C.LEJANIA] == 0

    def haversine(a, b):
        lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
        h = (math.sin((lat2 - lat1) / 2) ** 2
             + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2)
        return 2 * 6371.0088 * math.asin(math.sqrt(h))

    for code in ("080901", "160801", "150101", "081201"):
        capital = code[:2] + "0101"
        expected = haversine(by.loc[code, ["lon", "lat"]], by.loc[capital, ["lon", "lat"]])
        # geodesic on the WGS84 ellipsoid vs a sphere: up to ~0.6 % near the equator
        assert by.loc[code, C.LEJANIA] == pytest.approx(expected, rel=0.01)
    # Putumayo, on the Colombian border, is far from Iquitos; Santa Ana is ~100 km from Cusco
    assert by.loc["160801", C.LEJANIA] > 100
    assert 60 < by.loc["080901", C.LEJANIA] < 150


def test_point_is_inside_its_district(peru):
    points = shapely.points(peru["lon"].to_numpy(), peru["lat"].to_numpy())
    assert shapely.contains(peru.geometry.to_numpy(), points).all()


def test_indicators_come_from_the_poverty_map(peru, shared_data):
    table = pd.read_csv(shared_data / "tables" / "pobreza_monetaria_distrital_2018_inei.csv",
                        dtype={"ubigeo": str}).set_index("ubigeo")
    by = peru.set_index(C.UBIGEO)
    common = table.index
    assert len(common) == 1874
    whole = by.loc[common, IMPUTADO] == ""  # not a parent that gave territory after 2018
    assert whole.sum() > 1850
    np.testing.assert_allclose(by.loc[common[whole], C.POBLACION],
                               table.loc[whole[whole].index, "pob_2020"])
    np.testing.assert_allclose(by.loc[common, C.POBREZA], table["pobreza_monetaria"])
    np.testing.assert_allclose(by.loc[common, C.POBREZA_INF], table["conf_95_inf"])
    np.testing.assert_allclose(by.loc[common, C.POBREZA_SUP], table["conf_95_sup"])
    np.testing.assert_allclose(by[C.DENSIDAD], by[C.POBLACION] / by[C.AREA_KM2])
    assert set(by.loc[common[~whole], IMPUTADO]) == {C.POBLACION}  # the parents: population
    assert by[C.IDH].between(0, 1).all()


def test_districts_created_after_2017_are_imputed_from_their_province(peru):
    new = peru[peru[IMPUTADO].str.contains(C.POBREZA)]
    assert len(new) == 17
    assert CUSCO_NEW <= set(new[C.UBIGEO])
    assert set(new[IMPUTADO].iloc[0].split(";")) >= {C.POBREZA, C.POBLACION, C.IDH}
    # La Convención (0809): the new districts get the mean poverty of its other districts
    la_convencion = peru[(peru[C.COD_PROV] == "0809") & ~peru[IMPUTADO].str.contains(
        C.POBREZA)]
    for code in CUSCO_NEW:
        row = peru[peru[C.UBIGEO] == code].iloc[0]
        assert row[C.POBREZA] == pytest.approx(la_convencion[C.POBREZA].mean())


def test_new_districts_share_their_parents_population_and_totals_stay_inei(peru, shared_data):
    """Population of a district created after 2017 comes from the one it was split from."""
    table = pd.read_csv(shared_data / "tables" / "pobreza_monetaria_distrital_2018_inei.csv",
                        dtype={"ubigeo": str})
    for dep, inei_2020 in (("08", 1_357_075), ("16", 1_027_559)):  # CALIBRATION_FACTS.md
        ours = peru.loc[peru[C.COD_DEP] == dep, C.POBLACION].sum()
        theirs = table.loc[table["ubigeo"].str[:2] == dep, "pob_2020"].sum()
        assert ours == pytest.approx(theirs, rel=1e-9)  # nothing created or lost
        assert abs(ours / inei_2020 - 1) < 0.01, (dep, ours)
    by = peru.set_index(C.UBIGEO)
    # Kumpirushiato was given 56,518 people by a province-mean density; it is a split now
    assert by.loc["080915", C.POBLACION] < 15_000
    parents = by[(by[IMPUTADO] == C.POBLACION)]
    assert len(parents) >= 10  # the districts that gave territory, marked


def test_fuentes_table_names_every_converted_source(base_gpkg):
    fuentes = pyogrio.read_dataframe(base_gpkg, layer="fuentes")
    registry = {s.key: s for s in load_registry()}
    assert len(fuentes) == 6  # with the INEI-2007 division (old names, parents)
    for row in fuentes.itertuples():
        assert row.sha256 == registry[row.clave].sha256
        assert row.url == registry[row.clave].url
        assert row.licencia
    assert fuentes.set_index("clave").loc["mapsperu_distritos", "n_filas"] == 1891


def test_missing_source_leaves_existing_base_untouched(base_gpkg, tmp_path):
    sources = tmp_path / "fuentes"
    shutil.copytree(base_gpkg.parent / "fuentes", sources)
    (sources / "perupobreza2018_pobreza2018.rda").unlink()
    out = tmp_path / "peru_base.gpkg"
    out.write_bytes(b"base anterior")
    with pytest.raises(DataError) as err:
        build_base(sources, out)
    assert "perupobreza2018_pobreza2018.rda" in err.value.es
    assert "riskmap data fetch" in err.value.en
    assert out.read_bytes() == b"base anterior"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["fuentes", "peru_base.gpkg"]


def test_tampered_source_is_refused(base_gpkg, tmp_path):
    sources = tmp_path / "fuentes"
    shutil.copytree(base_gpkg.parent / "fuentes", sources)
    target = sources / "mapsPERU_map_DEP.rda"
    target.chmod(0o644)
    target.write_bytes(target.read_bytes()[:-10])
    with pytest.raises(DataError, match="sha256"):
        build_base(sources, tmp_path / "b.gpkg")
    assert not (tmp_path / "b.gpkg").exists()


def test_read_errors(base_gpkg, tmp_path):
    with pytest.raises(DataError, match="riskmap data fetch"):
        read_districts(tmp_path / "no.gpkg")
    with pytest.raises(DataError) as err:
        read_districts(base_gpkg, region=("99",))
    assert "99" in err.value.es and "Cusco is '08'" in err.value.en
