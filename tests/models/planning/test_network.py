"""Travel as a network: roads between neighbours, rivers, trails, flights; plans that follow it.

Unit tests on small worlds drawn by hand, then the Done-when of issue 12 on the demo world with
its default settings: none of the 10 highest-risk districts of either region is left out as
unreachable, and each trip's legs are plausible for its region.
"""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import pytest
from shapely.geometry import box

from geo import columns as C
from geo.config import Flight, Office
from geo.errors import ConfigError
from models.planning import network as N
from models.planning import plan as P
from models.planning import travel as T


def _row(codes, region="Selva", y0=-5.0):
    """Square districts 0.5 degree wide in a row, west to east."""
    return gpd.GeoDataFrame(
        {C.UBIGEO: codes, C.DISTRITO: [f"D{c}" for c in codes],
         C.REGION_NATURAL: region, C.RIESGO: 0.1, C.EVIDENCIA: "suficiente"},
        geometry=[box(-76 + 0.5 * i, y0, -75.5 + 0.5 * i, y0 + 0.5) for i in range(len(codes))],
        crs=4326)


def test_river_districts_off_the_rivers_go_by_trail_and_along_a_river_by_boat():
    d = _row(["160201", "160202", "160203"])
    office = Office("O", -4.75, -75.75, 20, "16")  # in the first district
    trail = N.build_network(d, [office], rivers=())
    river = N.build_network(d, [office], rivers=(N.River("R", ("160201", "160202", "160203")),))
    km = float(T.haversine_km(-75.75, -4.75, -75.25, -4.75))
    assert trail.graph.edges[("d", "160201"), ("d", "160202")]["mode"] == N.TRAIL
    assert river.graph.edges[("d", "160201"), ("d", "160202")]["mode"] == N.RIVER
    # the documented speeds: trail 1.8 x km at 45 km/day, river 1.6 x km at 130 km/day
    assert trail.hop_days[0, 1] == pytest.approx(km * 1.8 / 45, rel=1e-3)
    assert river.hop_days[0, 1] == pytest.approx(km * 1.6 / 130, rel=1e-3)
    assert river.office_days()["O"]["160203"] == pytest.approx(2 * km * 1.6 / 130, rel=1e-3)
    legs = river.legs([("o", "O"), ("d", "160203"), ("o", "O")])
    assert [(leg.mode, leg.origin, leg.destination) for leg in legs] == [
        (N.RIVER, "D160201", "D160203"), (N.RIVER, "D160203", "D160201")]
    assert legs[0].cost == pytest.approx(legs[0].km * N.COST_PER_KM[N.RIVER])


def test_andean_neighbours_go_by_road_and_the_minimum_leg_holds_per_journey():
    d = _row(["080101", "080102", "080103"], region="Sierra", y0=-13.6)
    net = N.build_network(d, [Office("C", -13.35, -75.75, 20, "08")], rivers=())
    assert net.graph.edges[("d", "080101"), ("d", "080102")]["mode"] == N.ROAD
    assert net.office_days()["C"]["080101"] == pytest.approx(T.MIN_LEG_DAYS)
    km = float(T.haversine_km(-75.75, -13.35, -74.75, -13.35))
    assert net.hop_days[0, 2] == pytest.approx(km * 1.7 / 250, rel=1e-3)


def test_a_flight_waits_for_its_day_and_an_aerodrome_outside_reaches_the_region_by_road():
    """Iquitos (SPQT) to Tarapoto (SPST, San Martín, outside the region) twice a week; from
    Tarapoto the road to the nearest district of the region (a square around Yurimaguas)."""
    iquitos = gpd.GeoDataFrame({C.UBIGEO: ["160101", "160201"], C.DISTRITO: ["Iquitos",
                                                                            "Yurimaguas"],
                                C.REGION_NATURAL: "Selva"},
                               geometry=[box(-73.5, -4.0, -73.0, -3.5),
                                         box(-76.4, -6.2, -75.9, -5.7)], crs=4326)
    office = Office("Iquitos", -3.75, -73.25, 20, "16")
    flight = Flight("SPQT", "SPST", days=0.5, per_week=2, cost=250)
    net = N.build_network(iquitos, [office], rivers=(), flights=[flight])
    edge = net.graph.edges[("a", "SPQT"), ("a", "SPST")]
    assert edge["mode"] == N.AIR and edge["days"] == pytest.approx(0.5 + 1.75 / 2)
    assert edge["cost"] == 250
    assert net.graph.edges[("a", "SPST"), ("d", "160201")]["mode"] == N.ROAD
    legs = net.legs([("o", "Iquitos"), ("d", "160201")])
    assert [leg.mode for leg in legs] == [N.AIR, N.ROAD]
    assert legs[0].origin.startswith("Iquitos") and "SPST" in legs[0].destination
    assert legs[1].destination == "Yurimaguas"


def test_an_office_in_its_aerodromes_district_counts_the_way_to_the_airport():
    """The legs of a round trip add up to twice the one-way days, access to the airport
    included (the office sits in Iquitos, the aerodrome too)."""
    iquitos = gpd.GeoDataFrame({C.UBIGEO: ["160101", "160201"], C.DISTRITO: ["Iquitos",
                                                                            "Yurimaguas"],
                                C.REGION_NATURAL: "Selva"},
                               geometry=[box(-73.5, -4.0, -73.0, -3.5),
                                         box(-76.4, -6.2, -75.9, -5.7)], crs=4326)
    net = N.build_network(iquitos, [Office("Iquitos", -3.75, -73.25, 20, "16")], rivers=(),
                          flights=[Flight("SPQT", "SPST", days=0.5, per_week=2)])
    one_way = net.office_days()["Iquitos"]["160201"]
    legs = net.legs([("o", "Iquitos"), ("d", "160201"), ("o", "Iquitos")])
    assert sum(leg.days for leg in legs) == pytest.approx(2 * one_way)


def test_no_route_makes_no_leg_up():
    far = gpd.GeoDataFrame({C.UBIGEO: ["160201", "160401"], C.DISTRITO: ["A", "B"],
                            C.REGION_NATURAL: "Selva"},
                           geometry=[box(-76, -5, -75.5, -4.5), box(-71, -4, -70.5, -3.5)],
                           crs=4326)
    net = N.build_network(far, [Office("O", -4.75, -75.75, 20, "16")], rivers=())
    assert net.office_days()["O"]["160401"] == float("inf")
    assert net.legs([("o", "O"), ("d", "160401"), ("o", "O")]) == []


def test_an_unknown_aerodrome_and_a_bad_rivers_file_say_what_to_fix(tmp_path):
    d = _row(["160201", "160202"])
    with pytest.raises(ConfigError, match="SPXX.*OACI"):
        N.build_network(d, [Office("O", -4.75, -75.75, 20, "16")],
                        flights=[Flight("SPQT", "SPXX")])
    bad = tmp_path / "rios.toml"
    bad.write_text('[[rios]]\nnombre = "Nanay"\ndistritos = ["160102"]\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="rios\\[1\\].*dos UBIGEO"):
        N.read_rivers(bad)


def test_a_base_that_is_no_district_of_the_region_is_said():
    d = _row(["160201", "160202"])
    with pytest.raises(ConfigError, match="Suboficina.*base = '999999'"):
        N.build_network(d, [Office("Suboficina", -4.75, -75.75, 10, "16", base="999999")],
                        rivers=())


def test_a_sub_office_starts_from_its_base_town():
    d = _row(["160201", "160202", "160203"])
    sub = Office("Suboficina", -4.75, -75.75, 10, "16", base="160203")
    net = N.build_network(d, [sub], rivers=(N.River("R", ("160201", "160202", "160203")),))
    days = net.office_days()["Suboficina"]
    assert days["160203"] == pytest.approx(T.MIN_LEG_DAYS)
    assert days["160201"] > days["160202"] > days["160203"]


def test_the_settings_read_flights_rivers_and_a_base(tmp_path):
    from geo.config import load_settings

    text = ('config_version = 1\n[data]\nregion = ["16"]\n[planning]\nrivers = "rios.toml"\n'
            '[[planning.offices]]\nname = "Yurimaguas"\nlat = -5.9\nlon = -76.1\n'
            'capacity_days = 10\ndepartment = "16"\nbase = "160201"\n'
            '[[planning.flights]]\nfrom = "spqt"\nto = "SPST"\nper_week = 7\n')
    (tmp_path / "s.toml").write_text(text, encoding="utf-8")
    spec = load_settings(tmp_path / "s.toml", check_files=False).planning
    assert spec.offices[0].base == "160201"
    assert spec.flights == (Flight("SPQT", "SPST", 0.5, 7.0, 300.0),)
    assert spec.rivers == (tmp_path / "rios.toml").resolve()
    (tmp_path / "t.toml").write_text(text.replace("per_week = 7", "per_week = 0"),
                                     encoding="utf-8")
    with pytest.raises(ConfigError, match="per_week"):
        load_settings(tmp_path / "t.toml", check_files=False)
    (tmp_path / "u.toml").write_text(text.replace('to = "SPST"', 'to = "SPXX"'),
                                     encoding="utf-8")
    with pytest.raises(ConfigError, match=r"u\.toml: planning\.flights\[1\].*SPXX"):
        load_settings(tmp_path / "u.toml", check_files=False)


# --- Done when (issue 12): the demo world with its default settings ---------------------------
#: Where a road runs in Loreto: the Iquitos-Nauta road and Tarapoto-Yurimaguas.
LORETO_ROAD_PLACES = {"Iquitos", "Punchana", "Belén", "San Juan Bautista", "Nauta",
                      "Yurimaguas"}


@pytest.fixture(scope="module")
def demo_plan(scores_gpkg, demo_settings):
    import pyogrio

    scores = P.load_scores(scores_gpkg)
    districts = pyogrio.read_dataframe(demo_settings.districts_gpkg, layer="distritos",
                                       read_geometry=False)
    return scores, P.plan_inspections(scores, demo_settings.planning, districts=districts)


@pytest.mark.slow
@pytest.mark.parametrize("department", ["08", "16"])
def test_no_top_ten_district_is_left_out_as_unreachable(demo_plan, department):
    scores, plan = demo_plan
    top = scores[scores[C.UBIGEO].str[:2] == department].nlargest(10, C.RIESGO)
    left_out = sorted(set(top[C.UBIGEO]) & set(plan.unreachable))
    assert not left_out, (left_out, plan.messages("es"))


@pytest.mark.slow
def test_loreto_trips_fly_and_follow_rivers(demo_plan, demo_settings):
    _, plan = demo_plan
    loreto = plan.trips[plan.trips[P.OFICINA].str.contains("Loreto")]
    assert len(loreto) >= 3
    assert loreto[P.TIPO].eq(P.TIPO_EXPLORACION).any()  # Loreto explores too
    for trip in loreto.itertuples():
        legs = [leg.strip() for leg in getattr(trip, P.TRAMOS).split(";")]
        for leg in legs:
            mode, rest = leg.split(" ", 1)
            assert mode in ("río", "avión", "carretera", "trocha"), leg
            if mode == "carretera":  # only where Loreto has roads, and Tarapoto's
                ends = [p.strip() for p in rest.rsplit("(", 1)[0].split("→")]
                assert all(e in LORETO_ROAD_PLACES or "SPST" in e or "SPQT" in e
                           for e in ends), leg
        assert trip.dias <= demo_settings.planning.max_trip_days
        if any(u.startswith("1602") for u in trip.ubigeos.split()):  # Alto Amazonas
            assert "avión Iquitos (SPQT) → Tarapoto (SPST)" in getattr(trip, P.TRAMOS)
        assert getattr(trip, P.COSTO) > 0


@pytest.mark.slow
def test_cusco_trips_go_by_road(demo_plan):
    _, plan = demo_plan
    cusco = plan.trips[plan.trips[P.OFICINA].str.contains("Cusco")]
    assert len(cusco) >= 3
    modes = {m for text in cusco[P.MODOS] for m in text.split(" + ")}
    assert modes <= {"carretera", "río"}, modes
    for trip in cusco.itertuples():
        days = sum(float(leg.rsplit("(", 1)[1].split()[0].replace(",", "."))
                   for leg in getattr(trip, P.TRAMOS).split(";"))
        # the legs add up to the trip's travel days (each rounded to a tenth in the text)
        assert days == pytest.approx(trip.dias_viaje, abs=0.05 * (trip.n_distritos + 2))


def test_without_polygons_the_plan_keeps_the_straight_line_estimate():
    d = _row(["080101", "080102"], region="Sierra", y0=-13.6)
    pts = d.assign(lon=d.geometry.centroid.x, lat=d.geometry.centroid.y).drop(
        columns="geometry")
    spec = dataclasses.replace(P.PlanningSpec(), offices=(Office("C", -13.35, -75.75, 20, "08"),),
                               exploration_share=0.0)
    plan = P.plan_inspections(pts, spec)
    assert plan.trips[P.TRAMOS].eq("").all()
