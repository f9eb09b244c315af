"""The monthly inspection plan: which districts, grouped into which trips, from which office.

A ranking is not a plan. :func:`plan_inspections` turns the scores of ``riskmap score`` into
trips that fit each office's inspector-days for the month:

1. **Travel.** One-way days from every office to every district come from
   :mod:`models.planning.travel` (a documented estimate by terrain, or the planners' own table).
2. **Exploration.** ``exploration_share`` of each office's days is kept for districts drawn
   at random (seeded, reproducible), uniformly among those with ``evidencia insuficiente``
   that the office can reach. An inspectorate that only goes where its model points never
   learns where the model is wrong: the Dutch Labour Authority (Nederlandse
   Arbeidsinspectie) keeps a share of randomly selected inspections as an unbiased check
   on its risk-based selection, and the hit rate of these visits is the honest yardstick
   for the model's. The draw is **uniform** on purpose: weighting it by the model's risk
   would bring the model's bias back into the check, and equal chances make the
   exploration findings a plain estimate of the prevalence where evidence is thin.
   A drawn district whose trip no longer fits the remaining exploration days is skipped
   (so very remote districts are drawn less often than near ones: said in the plan).
   Exploration days that no trip can use go back to the optimised part.
3. **Trips.** For each office, candidate trips group a district with some of its nearest
   reachable neighbours (up to :data:`MAX_DISTRICTS_PER_TRIP`); a trip costs the best
   route office → districts → office (every order tried) plus ``days_per_inspection`` per
   district, rounded up to half a day, and must not exceed ``max_trip_days``. Every single
   district is a candidate trip too.
4. **Choice.** An exact mixed-integer programme (:func:`scipy.optimize.milp`, HiGHS)
   picks the set of candidate trips that maximises the expected findings
   (Σ ``riesgo`` of the inspected districts: ``riesgo`` is the probability that one
   inspection there finds forced-labour indicators) with each district at most once and
   each office within its remaining days — a set-packing problem with knapsack rows.
5. **Naive plan.** "Top districts by risk until the days run out": the same exploration
   trips, then districts in descending ``riesgo``, each a trip of its own from its
   nearest office under the same travel model, skipping those that no longer fit. Every
   naive plan is a feasible answer of step 4, so the optimised plan is never worse.

The interval on expected findings sums the districts' ``riesgo_p05`` and ``riesgo_p95``:
conservative (it assumes the districts' errors move together), so the true 90% interval
of the sum is narrower.

Examples
--------
>>> import geopandas as gpd
>>> from shapely.geometry import box
>>> from geo.config import Office, PlanningSpec
>>> scores = gpd.GeoDataFrame(
...     {"ubigeo": ["080101", "080102", "080103"], "riesgo": [0.5, 0.4, 0.1],
...      "evidencia": ["suficiente"] * 3},
...     geometry=[box(-72.0, -13.6, -71.9, -13.5), box(-71.9, -13.6, -71.8, -13.5),
...               box(-71.8, -13.6, -71.7, -13.5)], crs=4326)
>>> spec = PlanningSpec(offices=(Office("Cusco", -13.55, -71.95, 7.0, "08"),),
...                     exploration_share=0.0, days_per_inspection=2.0)
>>> plan = plan_inspections(scores, spec)
>>> sorted(plan.visits["ubigeo"]), plan.trips["dias"].tolist()
(['080101', '080102', '080103'], [7.0])
>>> round(plan.expected_findings, 2), round(plan.naive_findings, 2)
(1.0, 0.9)
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import columns as C
from geo.config import PlanningSpec
from geo.errors import DataError, RiskmapError
from geo.messages import Message
from geo.private import write_private
from geo.records.sheets import neutralise_frame
from models.planning import travel as T
from models.planning.columns import (
    COSTO,
    DIAS,
    DIAS_IDA,
    DIAS_INSPECCION,
    DIAS_VIAJE,
    DISTRITOS,
    FUENTE_VIAJE,
    HALLAZGOS,
    HALLAZGOS_DIA,
    HALLAZGOS_P05,
    HALLAZGOS_P95,
    MODOS,
    MOTIVO,
    N_DISTRITOS,
    OFICINA,
    ORDEN,
    TIPO,
    TIPO_EXPLORACION,
    TIPO_INGENUO,
    TIPO_PLAN,
    TRAMOS,
    UBIGEOS,
    VIAJE,
)
from models.planning.network import build_network, read_rivers
from models.planning.printable import render_html
from models.planning.sheet import plan_xlsx
from models.planning.tables import plan_tables, summarise
from models.planning.trips import (
    MAX_DISTRICTS_PER_TRIP,
    MIP_GAP,
    Problem,
    check_budgets,
    draw_exploration,
    naive_plan,
    optimise,
)

__all__ = [  # the entry point, and the columns of the tables a Plan holds
    "COSTO",
    "DIAS",
    "DIAS_IDA",
    "DIAS_INSPECCION",
    "DIAS_VIAJE",
    "DISTRITOS",
    "FUENTE_VIAJE",
    "HALLAZGOS",
    "HALLAZGOS_DIA",
    "HALLAZGOS_P05",
    "HALLAZGOS_P95",
    "MAX_DISTRICTS_PER_TRIP",
    "MIP_GAP",
    "MODOS",
    "MOTIVO",
    "N_DISTRITOS",
    "OFICINA",
    "ORDEN",
    "Plan",
    "PlanningSpec",
    "TIPO",
    "TIPO_EXPLORACION",
    "TIPO_INGENUO",
    "TIPO_PLAN",
    "TRAMOS",
    "UBIGEOS",
    "VIAJE",
    "load_scores",
    "plan_inspections",
]


@dataclass
class Plan:
    """A month's inspection plan and the naive plan it is compared with.

    Attributes
    ----------
    visits : GeoDataFrame
        One row per district to inspect: ``viaje, oficina, tipo`` (``optimizado`` or
        ``exploracion``), ``orden`` (stop in the trip), ``ubigeo``, names, ``riesgo``,
        ``riesgo_p05``, ``riesgo_p95``, ``evidencia``, ``dias_ida`` (one-way days from the
        office), ``fuente_viaje`` (``estimacion`` / ``tabla``), ``motivo``, geometry.
    trips : DataFrame
        One row per trip: ``viaje, oficina, tipo, n_distritos, distritos, ubigeos,
        dias_viaje, dias_inspeccion, dias, hallazgos_esperados, hallazgos_p05,
        hallazgos_p95, hallazgos_por_dia, motivo``.
    naive_visits, naive_trips
        The same for the naive plan (top districts by risk until the days run out).
    summary : DataFrame
        Per office and in total (last row ``Total``): capacity, days used, expected findings
        of both plans with intervals, per inspector-day, and the gain.
    spec : PlanningSpec
        The inputs actually used (capacities included).
    warnings : list of Message
        Things the planner must know (unreachable districts, budgets too small).
    unreachable : tuple of str
        UBIGEO of the districts no office reaches within ``max_trip_days``.
    gap : float
        Proven relative distance to the best possible plan (≤ ``MIP_GAP`` unless the
        solver's time limit cut the search).
    """

    visits: gpd.GeoDataFrame
    trips: pd.DataFrame
    naive_visits: gpd.GeoDataFrame
    naive_trips: pd.DataFrame
    summary: pd.DataFrame
    spec: PlanningSpec
    warnings: list[Message] = field(default_factory=list)
    unreachable: tuple[str, ...] = ()
    gap: float = 0.0
    outlines: dict = field(default_factory=dict)  # department code -> outline (printed map)

    @property
    def expected_findings(self) -> float:
        """Expected findings of the plan (exploration included)."""
        return float(self.trips[HALLAZGOS].sum())

    @property
    def naive_findings(self) -> float:
        """Expected findings of the naive plan (same exploration trips)."""
        return float(self.naive_trips[HALLAZGOS].sum())

    @property
    def gain(self) -> float:
        """Expected findings gained over the naive plan."""
        return self.expected_findings - self.naive_findings

    @property
    def exploration_days(self) -> float:
        """Days spent on exploration trips."""
        return float(self.trips.loc[self.trips[TIPO] == TIPO_EXPLORACION, DIAS].sum())

    def messages(self, lang: str | None = None) -> list[str]:
        """Return the warnings in ``lang`` (default: the current language)."""
        return [warning.message(lang) for warning in self.warnings]

    def table(self) -> pd.DataFrame:
        """Return the plan as one flat table (one row per district, trip columns repeated)."""
        trip_cols = [VIAJE, DIAS, HALLAZGOS, HALLAZGOS_P05, HALLAZGOS_P95, HALLAZGOS_DIA,
                     TRAMOS, COSTO]
        out = pd.DataFrame(self.visits.drop(columns=C.GEOMETRY)).merge(
            self.trips[[c for c in trip_cols if c in self.trips]].rename(columns={
                DIAS: "dias_del_viaje", HALLAZGOS: "hallazgos_del_viaje",
                HALLAZGOS_P05: "hallazgos_p05_del_viaje",
                HALLAZGOS_P95: "hallazgos_p95_del_viaje",
                HALLAZGOS_DIA: "hallazgos_por_dia_del_viaje",
                TRAMOS: "tramos_del_viaje", COSTO: "costo_del_viaje_soles"}),
            on=VIAJE, how="left")
        return out

    def csv_text(self, simulated: bool = False) -> str:
        """Return :meth:`table` as CSV text, its text cells safe for spreadsheets.

        Starts with a byte-order mark (Excel then reads "La Convención", not "La
        ConvenciÃ³n"); a ``simulado`` column marks a plan made on simulated data on every row.
        """
        table = self.export_table(simulated)
        return "\ufeff" + neutralise_frame(table).to_csv(index=False, lineterminator="\n")

    def export_table(self, simulated: bool = False) -> pd.DataFrame:
        """Return :meth:`table` with the ``simulado`` column first: the rows of every file."""
        table = self.table()
        table.insert(0, "simulado", "SIMULADO" if simulated else "")
        return table

    def xlsx_bytes(self, simulated: bool = False) -> bytes:
        """Return the CSV's rows as an XLSX with the sheet ``metadatos`` (a spreadsheet's file).

        UBIGEO stays text with its leading zero, counts are numbers
        (:func:`models.planning.sheet.plan_xlsx`); the same cells as :meth:`to_xlsx`.
        """
        return plan_xlsx(self, simulated)

    def to_xlsx(self, path: str | Path, simulated: bool = False) -> Path:
        """Write :meth:`xlsx_bytes` to ``path`` (atomically, owner-only like :meth:`to_csv`)."""
        return write_private(path, self.xlsx_bytes(simulated))

    def to_csv(self, path: str | Path, simulated: bool = False) -> Path:
        """Write :meth:`table` as UTF-8 CSV (atomically: a temp file, then renamed).

        Owner-only (0600, a folder made for it 0700: :mod:`geo.private`): a plan names the
        districts where findings are expected.
        """
        return write_private(path, self.csv_text(simulated))

    def to_html(self, lang: str | None = None, title: str | None = None,
                simulated: bool = False, month: str | None = None,
                sheets: Sequence[Any] | None = None) -> str:
        """Return the plan as a printable, self-contained HTML page of A4 pages.

        A cover (month, date, totals, warnings, the number of pages), then one page per
        office: its map with place names, a legend, its trips leg by leg and the expected
        findings with their interval, followed by its districts' field sheets (``sheets``,
        :func:`models.planning.fieldsheet.plan_field_sheets`); SIMULADO on every page of a
        simulated world. ``month``: ``"YYYY-MM"`` (default: next month).
        """
        return render_html(self, lang, title, simulated, month, sheets)

    def write_html(self, path: str | Path, lang: str | None = None,
                   simulated: bool = False, month: str | None = None,
                   sheets: Sequence[Any] | None = None) -> Path:
        """Write :meth:`to_html` to ``path`` (atomically, owner-only like :meth:`to_csv`)."""
        return write_private(path, self.to_html(lang, simulated=simulated, month=month,
                                                sheets=sheets))


def load_scores(path: str | Path) -> gpd.GeoDataFrame:
    """Read the scores written by ``riskmap score`` (``.gpkg`` layer ``riesgo``, or GeoJSON).

    Raises
    ------
    DataError
        When the file is missing (saying to run ``riskmap score``) or lacks a column.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError("plan.no_existe_archivo_puntajes", path=path)
    try:
        if path.suffix.lower() == ".gpkg":
            gdf = gpd.read_file(path, layer="riesgo")
        else:
            gdf = gpd.read_file(path)
    except Exception as err:  # noqa: BLE001 - GDAL raises many types; the user needs the file
        raise DataError("plan.no_pudo_leer_capa", path=path, err=err) from err
    _check_scores(gdf, path)
    return gdf


def plan_inspections(
    scores: gpd.GeoDataFrame,
    planning: PlanningSpec,
    *,
    capacities: Mapping[str, float] | None = None,
    travel_table: str | Path | pd.DataFrame | None = None,
    districts: pd.DataFrame | None = None,
) -> Plan:
    """Choose the month's inspection trips that maximise expected findings.

    Parameters
    ----------
    scores : GeoDataFrame
        One row per district: ``ubigeo, riesgo`` and, when present, ``riesgo_p05``,
        ``riesgo_p95``, ``evidencia``, ``n_inspecciones``, names, ``region_natural`` and
        geometry (EPSG:4326), as written by ``riskmap score``.
    planning : PlanningSpec
        Offices (with ``capacity_days``), ``exploration_share``, ``max_trip_days``,
        ``days_per_inspection``, ``travel_table`` and ``seed``.
    capacities : mapping, optional
        Inspector-days per office name, replacing the offices' ``capacity_days``.
    travel_table : path or DataFrame, optional
        The planners' table (``ubigeo, dias_viaje[, oficina]``), replacing
        ``planning.travel_table``; a DataFrame must already be validated
        (:func:`models.planning.travel.read_travel_table`).
    districts : DataFrame, optional
        The district table (``ubigeo``, ``region_natural``) when the scores lack
        ``region_natural``; it refines the travel estimate for Cusco's Selva.

    Returns
    -------
    Plan

    Raises
    ------
    RiskmapError
        For an office outside the region, a travel table naming an unknown UBIGEO, or
        budgets that fit no trip at all.
    """
    _check_scores(scores, "scores")
    spec = _resolve_spec(planning, capacities)
    scores = scores.reset_index(drop=True)
    if districts is not None and C.REGION_NATURAL not in scores and C.REGION_NATURAL in districts:
        regions = districts.drop_duplicates(C.UBIGEO).set_index(C.UBIGEO)[C.REGION_NATURAL]
        scores = scores.assign(**{C.REGION_NATURAL: scores[C.UBIGEO].map(regions)})
    T.check_offices(spec.offices, scores)
    ubigeo = scores[C.UBIGEO].astype(str).to_numpy()
    risk, p05, p95 = _risk_columns(scores)

    net = None
    if spec.network and isinstance(scores, gpd.GeoDataFrame) and scores.crs is not None:
        # the road, river and air network: trips follow rivers and fly where flights go
        net = build_network(scores, spec.offices, flights=spec.flights,
                            rivers=read_rivers(spec.rivers) if spec.rivers else None)
        travel = net.office_days()
    else:
        travel = T.estimate_travel(spec.offices, scores)
    from_table = pd.DataFrame(False, index=travel.index, columns=travel.columns)
    table = travel_table if travel_table is not None else spec.travel_table
    if table is not None:
        if not isinstance(table, pd.DataFrame):
            table = T.read_travel_table(table, ubigeo, [o.name for o in spec.offices])
        travel, from_table = T.apply_travel_table(travel, table)
    out_days = travel.to_numpy()  # (n districts, n offices), one way
    hops = net.hop_days if net is not None else T.hop_days(scores)

    problem = Problem(spec, ubigeo, risk, out_days, hops)
    warnings: list[Message] = []
    labels = (scores[C.DISTRITO].astype(str) + " (" + scores[C.UBIGEO].astype(str) + ")"
              if C.DISTRITO in scores else scores[C.UBIGEO].astype(str)).to_numpy()
    check_budgets(problem, warnings, labels)

    explore = draw_exploration(problem, scores, warnings)
    budgets = problem.capacity - np.array(
        [sum(t.days for t in explore if t.office == o) for o in range(problem.n_offices)])
    taken = {d for t in explore for d in t.stops}

    naive = naive_plan(problem, budgets, taken)
    chosen, gap = optimise(problem, budgets, taken)
    if sum(t.value for t in chosen) < sum(t.value for t in naive) - 1e-9:
        # the naive plan is a feasible answer of the MILP, so the solver beats it unless a
        # time limit cut the search short: never hand the planner something worse
        chosen = naive
        warnings.append(Message("plan.optimizador_sin_tiempo"))
    if gap > MIP_GAP + 1e-12:
        warnings.append(Message("plan.optimizador_se_detuvo", {"gap": gap}))

    plan_trips = explore + sorted(chosen, key=lambda t: (t.office, -t.value / t.days))
    naive_trips = explore + naive
    source = np.where(from_table.to_numpy(), "tabla", "estimacion")
    visits, trips = plan_tables(plan_trips, problem, scores, p05, p95, source, net)
    nvisits, ntrips = plan_tables(naive_trips, problem, scores, p05, p95, source, net)
    ntrips[TIPO] = ntrips[TIPO].replace(TIPO_PLAN, TIPO_INGENUO)
    nvisits[TIPO] = nvisits[TIPO].replace(TIPO_PLAN, TIPO_INGENUO)
    summary = summarise(problem, trips, ntrips)
    return Plan(
        visits=visits,
        trips=trips,
        naive_visits=nvisits,
        naive_trips=ntrips,
        summary=summary,
        spec=spec,
        warnings=warnings,
        unreachable=tuple(ubigeo[~problem.allowed.any(axis=1)]),
        gap=gap,
        outlines=_outlines(scores, spec),
    )


def _outlines(scores: pd.DataFrame, spec: PlanningSpec) -> dict:
    """Each office department's outline, simplified, for the printed map's background."""
    if not isinstance(scores, gpd.GeoDataFrame) or scores.crs is None:
        return {}
    out = {}
    dep = scores[C.UBIGEO].astype(str).str[:2]
    for code in {o.department for o in spec.offices if o.department}:
        part = scores.geometry[(dep == code).to_numpy()]
        if len(part):
            out[code] = part.to_crs(4326).union_all().simplify(0.01)
    return out


def _resolve_spec(planning: PlanningSpec, capacities: Mapping[str, float] | None) -> PlanningSpec:
    offices = list(planning.offices)
    if capacities:
        names = {o.name for o in offices}
        unknown = sorted(set(capacities) - names)
        if unknown:
            raise RiskmapError("plan.capacidad_dada_oficinas_no", unknown=', '.join(unknown),
                               names=', '.join(sorted(names)))
        offices = [dataclasses.replace(o, capacity_days=float(capacities.get(o.name,
                                                                             o.capacity_days)))
                   for o in offices]
    for o in offices:
        if not (math.isfinite(o.capacity_days) and o.capacity_days >= 0):
            raise RiskmapError("plan.capacidad_oficina_debe_numero", name=o.name,
                               capacity_days=o.capacity_days)
    if not 0.0 <= planning.exploration_share < 1.0:
        raise RiskmapError("plan.proporcion_exploracion_debe_estar",
                           exploration_share=planning.exploration_share)
    if not planning.days_per_inspection > 0 or not planning.max_trip_days > 0:
        raise RiskmapError("plan.dias_inspeccion_duracion_maxima",
                           days_per_inspection=planning.days_per_inspection,
                           max_trip_days=planning.max_trip_days)
    return dataclasses.replace(planning, offices=tuple(offices))


def _check_scores(scores: pd.DataFrame, source: object) -> None:
    missing = [c for c in (C.UBIGEO, C.RIESGO) if c not in scores]
    if missing:
        raise DataError("plan.faltan_columnas_esperan_puntajes", source=source,
                        missing=', '.join(missing))
    risk = pd.to_numeric(scores[C.RIESGO], errors="coerce")
    bad = np.flatnonzero(~risk.between(0.0, 1.0).to_numpy())
    if bad.size:
        code = scores[C.UBIGEO].iloc[bad[0]]
        raise DataError("plan.distrito_tiene_riesgo_espera", source=source, code=code,
                        iloc=scores[C.RIESGO].iloc[bad[0]])
    dupes = scores[C.UBIGEO].astype(str)
    dupes = sorted(set(dupes[dupes.duplicated()]))
    if dupes:
        raise DataError("plan.ubigeo_repetidos_distrito_debe", source=source,
                        dupes=', '.join(dupes[:10]))


def _risk_columns(scores: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    risk = scores[C.RIESGO].astype(float).to_numpy()
    p05 = (scores[C.RIESGO_P05].astype(float).to_numpy() if C.RIESGO_P05 in scores else risk)
    p95 = (scores[C.RIESGO_P95].astype(float).to_numpy() if C.RIESGO_P95 in scores else risk)
    return risk, np.nan_to_num(p05, nan=0.0), np.nan_to_num(p95, nan=1.0)
