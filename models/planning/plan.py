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
import html
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from geo import columns as C
from geo.config import PlanningSpec
from geo.errors import DataError, RiskmapError, number, tr
from geo.private import write_private
from models.planning import travel as T
from models.risk.recency import MOTIVO_CAPAS

__all__ = [
    "DIAS",
    "HALLAZGOS",
    "MAX_DISTRICTS_PER_TRIP",
    "Plan",
    "TIPO_EXPLORACION",
    "TIPO_PLAN",
    "VIAJE",
    "load_scores",
    "plan_inspections",
]

# --- output column names (planning-only; the shared ones come from geo.columns) ---------
VIAJE = "viaje"
OFICINA = "oficina"
TIPO = "tipo"
ORDEN = "orden"
MOTIVO = "motivo"
DIAS = "dias"
DIAS_VIAJE = "dias_viaje"
DIAS_IDA = "dias_ida"
DIAS_INSPECCION = "dias_inspeccion"
N_DISTRITOS = "n_distritos"
DISTRITOS = "distritos"
UBIGEOS = "ubigeos"
HALLAZGOS = "hallazgos_esperados"
HALLAZGOS_P05 = "hallazgos_p05"
HALLAZGOS_P95 = "hallazgos_p95"
HALLAZGOS_DIA = "hallazgos_por_dia"
FUENTE_VIAJE = "fuente_viaje"
MODOS = "modos"  # the modes a trip uses: carretera, río, trocha, avión
TRAMOS = "tramos"  # each leg: mode, from, to, days
COSTO = "costo_soles"  # estimated cost of the trip's travel (models.planning.network)
TIPO_PLAN = "optimizado"
TIPO_EXPLORACION = "exploracion"
TIPO_INGENUO = "ingenuo"

#: Largest number of districts grouped in one trip (keeps the candidate set small; with two
#: days per inspection and ten-day trips no more than four fit anyway).
MAX_DISTRICTS_PER_TRIP = 5
#: How many nearest reachable neighbours of a district are considered as trip companions.
NEIGHBOURS = 6
#: Trip lengths are rounded up to this many days (planners book half days, not hours).
DAY_STEP = 0.5
#: The optimiser stops once the plan is proven within this fraction of the best possible
#: (0.1 %: far below the uncertainty of the risk scores themselves).
MIP_GAP = 1e-3
#: Time limits of the solver (seconds): a quick attempt without presolve, then one with it.
#: When a limit cuts the search the plan says how far from optimal it is proven to be.
QUICK_TIME_LIMIT_S = 3.0
SOLVER_TIME_LIMIT_S = 8.0


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
    warnings : list of (es, en)
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
    warnings: list[tuple[str, str]] = field(default_factory=list)
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
        return [tr(es, en, lang) for es, en in self.warnings]

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
        from geo.records.sheets import neutralise_frame

        table = self.table()
        table.insert(0, "simulado", "SIMULADO" if simulated else "")
        return "\ufeff" + neutralise_frame(table).to_csv(index=False, lineterminator="\n")

    def to_csv(self, path: str | Path, simulated: bool = False) -> Path:
        """Write :meth:`table` as UTF-8 CSV (atomically: a temp file, then renamed).

        Owner-only (0600, a folder made for it 0700: :mod:`geo.private`): a plan names the
        districts where findings are expected.
        """
        return write_private(path, self.csv_text(simulated))

    def to_html(self, lang: str | None = None, title: str | None = None,
                simulated: bool = False, month: str | None = None) -> str:
        """Return the plan as a printable, self-contained HTML page.

        A cover page (month, date, totals, warnings), then one page per office: its map
        with place names, a legend, its trips leg by leg and the expected findings with
        their interval; SIMULADO on every page of a simulated world. ``month``:
        ``"YYYY-MM"`` (default: next month).
        """
        return _render_html(self, lang, title, simulated, month)

    def write_html(self, path: str | Path, lang: str | None = None,
                   simulated: bool = False, month: str | None = None) -> Path:
        """Write :meth:`to_html` to ``path`` (atomically, owner-only like :meth:`to_csv`)."""
        return write_private(path, self.to_html(lang, simulated=simulated, month=month))


def load_scores(path: str | Path) -> gpd.GeoDataFrame:
    """Read the scores written by ``riskmap score`` (``.gpkg`` layer ``riesgo``, or GeoJSON).

    Raises
    ------
    DataError
        When the file is missing (saying to run ``riskmap score``) or lacks a column.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(
            es=f"No existe el archivo de puntajes {path}. Ejecute primero 'riskmap score' "
            "(o 'riskmap prepare').",
            en=f"Scores file {path} does not exist. Run 'riskmap score' (or 'riskmap "
            "prepare') first.",
        )
    try:
        if path.suffix.lower() == ".gpkg":
            gdf = gpd.read_file(path, layer="riesgo")
        else:
            gdf = gpd.read_file(path)
    except Exception as err:  # noqa: BLE001 - GDAL raises many types; the user needs the file
        raise DataError(
            es=f"{path}: no se pudo leer la capa de puntajes ({err}).",
            en=f"{path}: the scores layer could not be read ({err}).",
        ) from err
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
        from models.planning.network import build_network, read_rivers

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

    problem = _Problem(spec, ubigeo, risk, out_days, hops)
    warnings: list[tuple[str, str]] = []
    labels = (scores[C.DISTRITO].astype(str) + " (" + scores[C.UBIGEO].astype(str) + ")"
              if C.DISTRITO in scores else scores[C.UBIGEO].astype(str)).to_numpy()
    _check_budgets(problem, warnings, labels)

    explore = _draw_exploration(problem, scores, warnings)
    budgets = problem.capacity - np.array(
        [sum(t.days for t in explore if t.office == o) for o in range(problem.n_offices)])
    taken = {d for t in explore for d in t.stops}

    naive = _naive(problem, budgets, taken)
    chosen, gap = _optimise(problem, budgets, taken)
    if sum(t.value for t in chosen) < sum(t.value for t in naive) - 1e-9:
        # the naive plan is a feasible answer of the MILP, so the solver beats it unless a
        # time limit cut the search short: never hand the planner something worse
        chosen = naive
        warnings.append((
            "El optimizador no terminó a tiempo; se muestra el plan simple.",
            "The optimiser did not finish in time; the simple plan is shown.",
        ))
    if gap > MIP_GAP + 1e-12:
        warnings.append((
            f"El optimizador se detuvo por tiempo: el plan está demostrado a menos de "
            f"{gap:.1%} del mejor posible.",
            f"The optimiser stopped on its time limit: the plan is proven within {gap:.1%} of "
            "the best possible.",
        ))

    plan_trips = explore + sorted(chosen, key=lambda t: (t.office, -t.value / t.days))
    naive_trips = explore + naive
    source = np.where(from_table.to_numpy(), "tabla", "estimacion")
    visits, trips = _tables(plan_trips, problem, scores, p05, p95, source, net)
    nvisits, ntrips = _tables(naive_trips, problem, scores, p05, p95, source, net)
    ntrips[TIPO] = ntrips[TIPO].replace(TIPO_PLAN, TIPO_INGENUO)
    nvisits[TIPO] = nvisits[TIPO].replace(TIPO_PLAN, TIPO_INGENUO)
    summary = _summary(problem, trips, ntrips)
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


# ---------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Trip:
    office: int
    stops: tuple[int, ...]  # district positions, in route order
    days: float
    travel: float
    value: float
    kind: str = TIPO_PLAN
    reason_es: str = ""
    reason_en: str = ""


class _Problem:
    """Arrays shared by the exploration draw, the naive plan and the optimiser."""

    def __init__(self, spec: PlanningSpec, ubigeo: np.ndarray, risk: np.ndarray,
                 out_days: np.ndarray, hops: np.ndarray) -> None:
        self.spec = spec
        self.ubigeo = ubigeo
        self.risk = risk
        self.out = out_days
        self.hops = hops
        self.n_offices = len(spec.offices)
        self.capacity = np.array([o.capacity_days for o in spec.offices], dtype=float)
        same_dep = np.column_stack([
            np.char.startswith(ubigeo.astype(str), o.department) if o.department
            else np.ones(len(ubigeo), bool)
            for o in spec.offices
        ])
        self.single = _round_days(2 * out_days + spec.days_per_inspection)
        self.allowed = same_dep & (self.single <= spec.max_trip_days + 1e-9)
        self.served = same_dep.any(axis=1)

    def single_trip(self, d: int, o: int, **kw) -> _Trip:
        return _Trip(o, (d,), float(self.single[d, o]), float(2 * self.out[d, o]),
                     float(self.risk[d]), **kw)


def _round_days(days):
    return np.ceil(np.asarray(days) / DAY_STEP - 1e-9) * DAY_STEP


def _resolve_spec(planning: PlanningSpec, capacities: Mapping[str, float] | None) -> PlanningSpec:
    offices = list(planning.offices)
    if capacities:
        names = {o.name for o in offices}
        unknown = sorted(set(capacities) - names)
        if unknown:
            raise RiskmapError(
                es=f"Capacidad dada para oficinas que no existen: {', '.join(unknown)}. "
                f"Oficinas configuradas: {', '.join(sorted(names))}.",
                en=f"Capacity given for offices that do not exist: {', '.join(unknown)}. "
                f"Configured offices: {', '.join(sorted(names))}.",
            )
        offices = [dataclasses.replace(o, capacity_days=float(capacities.get(o.name,
                                                                             o.capacity_days)))
                   for o in offices]
    for o in offices:
        if not (math.isfinite(o.capacity_days) and o.capacity_days >= 0):
            raise RiskmapError(
                es=f"La capacidad de la oficina '{o.name}' debe ser un número de días "
                f"inspector >= 0 (se encontró {o.capacity_days}).",
                en=f"The capacity of office '{o.name}' must be a number of inspector-days "
                f">= 0 (found {o.capacity_days}).",
            )
    if not 0.0 <= planning.exploration_share < 1.0:
        raise RiskmapError(
            es=f"La proporción de exploración debe estar entre 0 y 1 (se encontró "
            f"{planning.exploration_share}).",
            en=f"The exploration share must be between 0 and 1 (found "
            f"{planning.exploration_share}).",
        )
    if not planning.days_per_inspection > 0 or not planning.max_trip_days > 0:
        raise RiskmapError(
            es="Los días por inspección y la duración máxima del viaje deben ser positivos "
            f"(se encontró {planning.days_per_inspection} y {planning.max_trip_days}).",
            en="Days per inspection and the longest trip must be positive (found "
            f"{planning.days_per_inspection} and {planning.max_trip_days}).",
        )
    return dataclasses.replace(planning, offices=tuple(offices))


def _check_scores(scores: pd.DataFrame, source: object) -> None:
    missing = [c for c in (C.UBIGEO, C.RIESGO) if c not in scores]
    if missing:
        raise DataError(
            es=f"{source}: faltan las columnas {', '.join(missing)}; se esperan los puntajes "
            "de 'riskmap score' (ubigeo, riesgo, riesgo_p05, riesgo_p95, evidencia).",
            en=f"{source}: missing columns {', '.join(missing)}; expected the scores of "
            "'riskmap score' (ubigeo, riesgo, riesgo_p05, riesgo_p95, evidencia).",
        )
    risk = pd.to_numeric(scores[C.RIESGO], errors="coerce")
    bad = np.flatnonzero(~risk.between(0.0, 1.0).to_numpy())
    if bad.size:
        code = scores[C.UBIGEO].iloc[bad[0]]
        raise DataError(
            es=f"{source}: el distrito {code} tiene riesgo = {scores[C.RIESGO].iloc[bad[0]]!r}; "
            "se espera una probabilidad entre 0 y 1. Vuelva a ejecutar 'riskmap score'.",
            en=f"{source}: district {code} has riesgo = {scores[C.RIESGO].iloc[bad[0]]!r}; a "
            "probability between 0 and 1 was expected. Run 'riskmap score' again.",
        )
    dupes = scores[C.UBIGEO].astype(str)
    dupes = sorted(set(dupes[dupes.duplicated()]))
    if dupes:
        raise DataError(
            es=f"{source}: UBIGEO repetidos: {', '.join(dupes[:10])}. Cada distrito debe "
            "aparecer una sola vez.",
            en=f"{source}: repeated UBIGEO: {', '.join(dupes[:10])}. Each district must "
            "appear once.",
        )


def _risk_columns(scores: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    risk = scores[C.RIESGO].astype(float).to_numpy()
    p05 = (scores[C.RIESGO_P05].astype(float).to_numpy() if C.RIESGO_P05 in scores else risk)
    p95 = (scores[C.RIESGO_P95].astype(float).to_numpy() if C.RIESGO_P95 in scores else risk)
    return risk, np.nan_to_num(p05, nan=0.0), np.nan_to_num(p95, nan=1.0)


def _check_budgets(problem: _Problem, warnings: list[tuple[str, str]],
                   labels: np.ndarray) -> None:
    spec = problem.spec
    cheapest = np.where(problem.allowed, problem.single, np.inf).min(axis=0)
    if not problem.allowed.any():
        raise RiskmapError(
            es=f"Ningún distrito se alcanza en un viaje de {spec.max_trip_days:g} días como "
            "máximo (ida, inspección de "
            f"{spec.days_per_inspection:g} días y vuelta). Aumente la duración máxima del "
            "viaje o revise la tabla de viajes.",
            en=f"No district can be reached in a trip of at most {spec.max_trip_days:g} days "
            f"(out, a {spec.days_per_inspection:g}-day inspection and back). Raise the longest "
            "trip or check the travel table.",
        )
    fits = problem.capacity >= cheapest
    if not fits.any():
        per = "; ".join(
            f"{o.name}: {o.capacity_days:g} (mín. {c:g})" for o, c in zip(spec.offices, cheapest,
                                                                           strict=True))
        per_en = "; ".join(
            f"{o.name}: {o.capacity_days:g} (min. {c:g})" for o, c in zip(spec.offices, cheapest,
                                                                           strict=True))
        raise RiskmapError(
            es=f"El presupuesto de días no alcanza para ningún viaje ({per}). El viaje más corto "
            "posible es ida y vuelta al distrito más cercano más los días de una inspección. "
            "Aumente los días inspector.",
            en=f"The day budget fits no trip at all ({per_en}). The shortest possible trip is "
            "the round trip to the nearest district plus one inspection's days. Increase the "
            "inspector-days.",
        )
    for o, ok, c in zip(spec.offices, fits, cheapest, strict=True):
        if not ok:
            warnings.append((
                f"La oficina '{o.name}' tiene {o.capacity_days:g} días, menos que su viaje más "
                f"corto ({c:g} días): no tiene viajes este mes.",
                f"Office '{o.name}' has {o.capacity_days:g} days, less than its shortest trip "
                f"({c:g} days): it has no trips this month.",
            ))
    far = problem.served & ~problem.allowed.any(axis=1)
    if far.any():
        codes = ", ".join(labels[far][:12]) + (" …" if far.sum() > 12 else "")
        warnings.append((
            f"{int(far.sum())} distritos no caben en un viaje de {spec.max_trip_days:g} días y "
            f"quedan fuera del plan: {codes}.",
            f"{int(far.sum())} districts do not fit in a {spec.max_trip_days:g}-day trip and are "
            f"left out of the plan: {codes}.",
        ))
    orphan = ~problem.served
    if orphan.any():
        warnings.append((
            f"{int(orphan.sum())} distritos no pertenecen al departamento de ninguna oficina y "
            "quedan fuera del plan.",
            f"{int(orphan.sum())} districts belong to no office's department and are left out "
            "of the plan.",
        ))


def _draw_exploration(problem: _Problem, scores: pd.DataFrame,
                      warnings: list[tuple[str, str]]) -> list[_Trip]:
    spec = problem.spec
    if spec.exploration_share <= 0:
        return []
    rng = np.random.default_rng(spec.seed)
    n = len(problem.ubigeo)
    insufficient = (scores[C.EVIDENCIA].astype(str).eq(C.EVIDENCIA_INSUFICIENTE).to_numpy()
                    if C.EVIDENCIA in scores else np.zeros(n, bool))
    count = (pd.to_numeric(scores[C.N_INSPECCIONES], errors="coerce").fillna(0).to_numpy()
             if C.N_INSPECCIONES in scores else None)
    # a district whose recent findings disagree with its record (models.risk.recency) comes
    # first: the model's estimate there may be out of date, thin evidence or not
    alert = (scores["alerta_deriva"].astype(str).eq("al alza").to_numpy()
             if "alerta_deriva" in scores else np.zeros(n, bool))
    # flagged by its dated layers (a concession, dredges since its inspections), not findings
    by_layers = (scores["motivo_deriva"].astype(str).eq(MOTIVO_CAPAS).to_numpy()
                 if "motivo_deriva" in scores else np.zeros(n, bool))
    trips: list[_Trip] = []
    taken: set[int] = set()
    for o, office in enumerate(spec.offices):
        budget = spec.exploration_share * office.capacity_days
        reach = problem.allowed[:, o].copy()
        reach[list(taken)] = False
        # what this office explores: thin evidence it reaches; else its least inspected
        # quarter; else a random control sample of what it reaches
        pool, why_es, why_en = np.flatnonzero(insufficient & reach), \
            "evidencia insuficiente", "insufficient evidence"
        if pool.size == 0 and count is not None and reach.any():
            pool = np.flatnonzero(reach & (count <= np.quantile(count[reach], 0.25)))
            why_es, why_en = "pocas inspecciones", "few inspections"
        if pool.size == 0:
            pool = np.flatnonzero(reach)
            why_es, why_en = "muestra aleatoria de control", "random control sample"
        flagged = np.flatnonzero(alert & reach)
        left = budget
        first = set(flagged.tolist())
        order = [*rng.permutation(flagged), *(d for d in rng.permutation(pool)
                                               if d not in first)] \
            if flagged.size else list(rng.permutation(pool))

        def explore(d: int, o: int = o, pool: np.ndarray = pool, why_es: str = why_es,
                    why_en: str = why_en) -> None:
            if alert[d] and by_layers[d]:
                es = ("Exploración: alerta de cambio (sus capas con fecha cambiaron desde sus "
                      "inspecciones y suben su riesgo); merece una visita aunque la evidencia "
                      "sea escasa.")
                en = ("Exploration: change alert (its dated layers changed since its "
                      "inspections and raise its risk); it deserves a visit even with thin "
                      "evidence.")
            elif alert[d]:
                es = ("Exploración: alerta de cambio (sus hallazgos recientes superan lo "
                      "que predice su historial); merece una visita aunque la evidencia "
                      "sea escasa.")
                en = ("Exploration: change alert (its recent findings exceed what its "
                      "record predicts); it deserves a visit even with thin evidence.")
            else:
                es = (f"Exploración: sorteo uniforme (semilla {spec.seed}) entre "
                      f"{pool.size} distritos con {why_es} que alcanza esta oficina; "
                      "control imparcial del modelo.")
                en = (f"Exploration: uniform draw (seed {spec.seed}) among {pool.size} "
                      f"districts with {why_en} this office reaches; an unbiased check on "
                      "the model.")
            trips.append(problem.single_trip(int(d), o, kind=TIPO_EXPLORACION,
                                             reason_es=es, reason_en=en))
            taken.add(int(d))

        for d in order:
            cost = problem.single[d, o]
            if cost <= left + 1e-9:
                explore(int(d))
                left -= cost
        if budget > 0 and left >= budget - 1e-9 and order:
            # the share is honoured whenever a trip can serve it: the cheapest district of
            # the draw's pool, when the office's month holds it
            cheapest = min(order, key=lambda d: (problem.single[d, o], d))
            cost = float(problem.single[cheapest, o])
            # at most twice the share: exploration must not eat the optimised plan
            if cost <= min(office.capacity_days, 2 * budget) + 1e-9:
                explore(int(cheapest))
                warnings.append((
                    f"Los {budget:g} días de exploración de '{office.name}' no alcanzan para "
                    f"ningún distrito con {why_es}; se reservan {cost:g} días para el más "
                    "cercano, para que la exploración no desaparezca.",
                    f"The {budget:g} exploration days of '{office.name}' fit no district with "
                    f"{why_en}; {cost:g} days go to the nearest one, so that exploration does "
                    "not vanish.",
                ))
            else:
                warnings.append((
                    f"Los {budget:g} días de exploración de '{office.name}' no alcanzan para "
                    f"ningún distrito con {why_es} (el más barato cuesta {cost:g} días); se "
                    "usan en el plan optimizado.",
                    f"The {budget:g} exploration days of '{office.name}' fit no district with "
                    f"{why_en} (the cheapest costs {cost:g} days); they go to the optimised "
                    "plan.",
                ))
    return trips


def _naive(problem: _Problem, budgets: np.ndarray, taken: set[int]) -> list[_Trip]:
    left = budgets.astype(float).copy()
    trips = []
    masked = np.where(problem.allowed, problem.out, np.inf)
    for d in np.argsort(-problem.risk, kind="stable"):
        if d in taken or not problem.allowed[d].any():
            continue
        o = int(np.argmin(masked[d]))
        if problem.single[d, o] <= left[o] + 1e-9:
            trips.append(problem.single_trip(int(d), o))
            left[o] -= problem.single[d, o]
    return trips


def _candidates(problem: _Problem, o: int, budget: float, taken: set[int]) -> list[_Trip]:
    """Candidate trips of office ``o``: each district with subsets of its nearest neighbours."""
    spec = problem.spec
    reach = np.flatnonzero(problem.allowed[:, o] & (problem.single[:, o] <= budget + 1e-9))
    reach = reach[~np.isin(reach, list(taken))]
    if reach.size == 0:
        return []
    max_k = int(min(MAX_DISTRICTS_PER_TRIP,
                    (spec.max_trip_days - 2 * T.MIN_LEG_DAYS) // spec.days_per_inspection))
    max_k = max(max_k, 1)
    subsets: set[tuple[int, ...]] = set()
    for s in reach:
        near = reach[reach != s]
        near = near[np.argsort(problem.hops[s, near], kind="stable")][:NEIGHBOURS]
        near = near[problem.hops[s, near] < spec.max_trip_days]
        for k in range(0, max_k):
            for combo in itertools.combinations(near.tolist(), k):
                subsets.add(tuple(sorted((int(s), *combo))))
    by_size: dict[int, list[tuple[int, ...]]] = {}
    for sub in subsets:
        by_size.setdefault(len(sub), []).append(sub)
    trips = []
    for k, subs in by_size.items():
        arr = np.array(subs, dtype=int)  # (m, k)
        perms = np.array(list(itertools.permutations(range(k))), dtype=int)  # (p, k)
        routes = arr[:, perms]  # (m, p, k)
        travel = problem.out[routes[..., 0], o] + problem.out[routes[..., -1], o]
        if k > 1:
            travel = travel + problem.hops[routes[..., :-1], routes[..., 1:]].sum(axis=-1)
        best = travel.argmin(axis=1)
        travel = travel[np.arange(len(arr)), best]
        days = _round_days(travel + k * spec.days_per_inspection)
        ok = (days <= spec.max_trip_days + 1e-9) & (days <= budget + 1e-9)
        value = problem.risk[arr].sum(axis=1)
        order = routes[np.arange(len(arr)), best]
        for i in np.flatnonzero(ok):
            trips.append(_Trip(o, tuple(int(x) for x in order[i]), float(days[i]),
                               float(travel[i]), float(value[i])))
    return _prune(trips)


def _prune(trips: list[_Trip]) -> list[_Trip]:
    """Drop trips another choice beats for sure: it keeps the optimum and speeds the solver.

    A grouped trip is useless when two smaller candidate trips cover the same districts in
    no more days: any plan using it can use the two instead.
    """
    days = {frozenset(t.stops): t.days for t in trips}
    keep = []
    for t in trips:
        key = frozenset(t.stops)
        k = len(key)
        dominated = False
        if k > 1:
            members = sorted(key)
            first, rest = members[0], members[1:]
            # every split into two non-empty parts, each part a candidate trip
            for r in range(0, len(rest)):
                for combo in itertools.combinations(rest, r):
                    a = frozenset((first, *combo))
                    b = key - a
                    if a in days and b in days and days[a] + days[b] <= t.days + 1e-9:
                        dominated = True
                        break
                if dominated:
                    break
        if not dominated:
            keep.append(t)
    return keep


def _optimise(problem: _Problem, budgets: np.ndarray, taken: set[int]) -> tuple[list[_Trip],
                                                                                float]:
    """Solve one MILP per group of offices that share districts; return trips and proven gap."""
    chosen: list[_Trip] = []
    gap = 0.0
    for group in _office_groups(problem.allowed):
        cands = [t for o in group for t in _candidates(problem, o, budgets[o], taken)]
        if cands:
            trips, g = _solve(cands, problem, budgets)
            chosen.extend(trips)
            gap = max(gap, g)
    return chosen, gap


def _office_groups(allowed: np.ndarray) -> list[list[int]]:
    """Offices linked by a district both can reach must be solved together."""
    groups: list[set[int]] = []
    for o in range(allowed.shape[1]):
        linked = [g for g in groups if any((allowed[:, o] & allowed[:, p]).any() for p in g)]
        merged = {o}.union(*linked)
        groups = [g for g in groups if g not in linked] + [merged]
    return [sorted(g) for g in groups]


def _solve(cands: list[_Trip], problem: _Problem, budgets: np.ndarray) -> tuple[list[_Trip],
                                                                                float]:
    n_d, n_o, n_t = len(problem.ubigeo), problem.n_offices, len(cands)
    rows, cols = [], []
    for j, t in enumerate(cands):
        rows.extend(t.stops)
        cols.extend([j] * len(t.stops))
        rows.append(n_d + t.office)
        cols.append(j)
    data = np.ones(len(rows))
    days = np.array([t.days for t in cands])
    office_rows = np.array(rows) >= n_d
    data[office_rows] = days[np.array(cols)[office_rows]]
    a = sparse.csr_array((data, (rows, cols)), shape=(n_d + n_o, n_t))
    upper = np.concatenate([np.ones(n_d), budgets + 1e-9])
    value = np.array([t.value for t in cands])
    # a tiny cost per day breaks ties toward the cheaper of two equally valuable plans
    c = -value + 1e-7 * days
    best = None
    # HiGHS' presolve is slow on small budgets and a help on large ones: try the quick way
    # first, and presolve only when the quick way did not prove the gap in time.
    for presolve, limit in ((False, QUICK_TIME_LIMIT_S), (True, SOLVER_TIME_LIMIT_S)):
        res = milp(c, constraints=LinearConstraint(a, -np.inf, upper), integrality=np.ones(n_t),
                   bounds=Bounds(0, 1),
                   options={"time_limit": limit, "mip_rel_gap": MIP_GAP, "presolve": presolve})
        if res.x is not None and (best is None or res.fun < best.fun):
            best = res
        if res.status == 0:
            break
    if best is None:
        return [], 1.0
    gap = float(getattr(best, "mip_gap", 0.0) or 0.0)
    return [cands[j] for j in np.flatnonzero(best.x > 0.5)], gap


def _tables(trips: Sequence[_Trip], problem: _Problem, scores: gpd.GeoDataFrame,
            p05: np.ndarray, p95: np.ndarray, source: np.ndarray, net=None
            ) -> tuple[gpd.GeoDataFrame, pd.DataFrame]:
    offices = problem.spec.offices
    names = (scores[C.DISTRITO].astype(str).to_numpy() if C.DISTRITO in scores
             else problem.ubigeo)
    counter: dict[int, int] = {}
    trip_rows, visit_rows = [], []
    for t in trips:
        counter[t.office] = counter.get(t.office, 0) + 1
        trip_id = f"{_initials(offices[t.office].name)}-{counter[t.office]:02d}"
        stops = list(t.stops)
        value = float(problem.risk[stops].sum())
        trip_rows.append({
            VIAJE: trip_id,
            OFICINA: offices[t.office].name,
            TIPO: t.kind,
            N_DISTRITOS: len(stops),
            DISTRITOS: " → ".join(names[stops]),
            UBIGEOS: " ".join(problem.ubigeo[stops]),
            DIAS_VIAJE: round(t.travel, 2),
            DIAS_INSPECCION: len(stops) * problem.spec.days_per_inspection,
            DIAS: t.days,
            HALLAZGOS: value,
            HALLAZGOS_P05: float(p05[stops].sum()),
            HALLAZGOS_P95: float(p95[stops].sum()),
            HALLAZGOS_DIA: value / t.days,
            MOTIVO: t.reason_es or "Optimizado: máximo de hallazgos esperados por los días",
            MOTIVO + "_en": t.reason_en or "Optimised: most expected findings for the days",
            **_legs_columns(net, offices[t.office].name, problem.ubigeo[stops],
                            bool(np.any(source[stops, t.office] == "tabla"))),
        })
        for k, d in enumerate(stops, start=1):
            visit_rows.append({VIAJE: trip_id, OFICINA: offices[t.office].name, TIPO: t.kind,
                               ORDEN: k, "_pos": d, DIAS_IDA: round(float(problem.out[d, t.office]),
                                                                    2),
                               FUENTE_VIAJE: source[d, t.office],
                               MOTIVO: trip_rows[-1][MOTIVO]})
    trip_cols = [VIAJE, OFICINA, TIPO, N_DISTRITOS, DISTRITOS, UBIGEOS, DIAS_VIAJE,
                 DIAS_INSPECCION, DIAS, HALLAZGOS, HALLAZGOS_P05, HALLAZGOS_P95, HALLAZGOS_DIA,
                 MOTIVO, MOTIVO + "_en", MODOS, TRAMOS, TRAMOS + "_en", COSTO]
    trips_df = pd.DataFrame(trip_rows, columns=trip_cols)
    keep = [c for c in (C.UBIGEO, C.DISTRITO, C.PROVINCIA, C.DEPARTAMENTO, C.RIESGO,
                        C.RIESGO_P05, C.RIESGO_P95, C.EVIDENCIA, C.N_INSPECCIONES) if c in scores]
    visits = pd.DataFrame(visit_rows, columns=[VIAJE, OFICINA, TIPO, ORDEN, "_pos", DIAS_IDA,
                                               FUENTE_VIAJE, MOTIVO])
    info = scores.iloc[visits["_pos"].to_numpy()].reset_index(drop=True)
    visits = pd.concat([visits.drop(columns="_pos"), pd.DataFrame(info[keep])], axis=1)
    visits = visits[[VIAJE, OFICINA, TIPO, ORDEN, *keep, DIAS_IDA, FUENTE_VIAJE, MOTIVO]]
    geometry = info.geometry.to_numpy() if isinstance(info, gpd.GeoDataFrame) else None
    crs = scores.crs if isinstance(scores, gpd.GeoDataFrame) else None
    return gpd.GeoDataFrame(visits, geometry=geometry, crs=crs), trips_df


def _legs_columns(net, office: str, stops: Sequence[str], from_table: bool = False
                  ) -> dict[str, Any]:
    """``modos``, ``tramos`` (es/en) and ``costo_soles`` of a round trip through ``stops``.

    Where the planners' travel table gives a stop's days, the trip's days are the table's:
    its legs are not drawn from the network (they would contradict them).
    """
    if from_table:
        return {MODOS: "tabla de viajes", TRAMOS: "según la tabla de viajes de la oficina",
                TRAMOS + "_en": "from the office's travel table", COSTO: float("nan")}
    if net is None:
        return {MODOS: "", TRAMOS: "", TRAMOS + "_en": "", COSTO: float("nan")}
    from models.planning.network import MODE_WORDS

    nodes = [("o", office), *(("d", str(u)) for u in stops), ("o", office)]
    legs = net.legs(nodes)

    def text(lang: int) -> str:
        # only the days take the language's decimal mark, never a place's name
        return "; ".join(f"{MODE_WORDS[leg.mode][lang]} {leg.origin} → {leg.destination} "
                         f"({number(leg.days, 1, ('es', 'en')[lang])} d)" for leg in legs)

    return {MODOS: " + ".join(dict.fromkeys(MODE_WORDS[leg.mode][0] for leg in legs)),
            TRAMOS: text(0), TRAMOS + "_en": text(1),
            COSTO: round(float(sum(leg.cost for leg in legs)), 0)}


def _initials(name: str) -> str:
    words = [w for w in name.replace("(", " ").replace(")", " ").split() if w[:1].isupper()]
    return "".join(w[0] for w in words[-2:]) or name[:2].upper()


def _summary(problem: _Problem, trips: pd.DataFrame, naive: pd.DataFrame) -> pd.DataFrame:
    rows = []
    share = problem.spec.exploration_share
    for office in problem.spec.offices:
        rows.append(_summary_row(office.name, office.capacity_days, share,
                                 trips[trips[OFICINA] == office.name],
                                 naive[naive[OFICINA] == office.name]))
    rows.append(_summary_row("Total", float(problem.capacity.sum()), share, trips, naive))
    return pd.DataFrame(rows)


def _summary_row(name: str, capacity: float, share: float, trips: pd.DataFrame,
                 naive: pd.DataFrame) -> dict:
    explore = trips[TIPO] == TIPO_EXPLORACION
    days, ndays = float(trips[DIAS].sum()), float(naive[DIAS].sum())
    found, nfound = float(trips[HALLAZGOS].sum()), float(naive[HALLAZGOS].sum())
    return {
        OFICINA: name,
        "capacidad_dias": capacity,
        "dias_exploracion_reservados": share * capacity,
        "dias_exploracion": float(trips.loc[explore, DIAS].sum()),
        "dias_plan": days,
        "distritos_plan": int(trips[N_DISTRITOS].sum()),
        "viajes_plan": len(trips),
        HALLAZGOS: found,
        HALLAZGOS_P05: float(trips[HALLAZGOS_P05].sum()),
        HALLAZGOS_P95: float(trips[HALLAZGOS_P95].sum()),
        HALLAZGOS_DIA: found / days if days else 0.0,
        "dias_ingenuo": ndays,
        "distritos_ingenuo": int(naive[N_DISTRITOS].sum()),
        "hallazgos_ingenuo": nfound,
        "hallazgos_ingenuo_p05": float(naive[HALLAZGOS_P05].sum()),
        "hallazgos_ingenuo_p95": float(naive[HALLAZGOS_P95].sum()),
        "hallazgos_por_dia_ingenuo": nfound / ndays if ndays else 0.0,
        "ganancia": found - nfound,
        "ganancia_pct": 100.0 * (found - nfound) / nfound if nfound else 0.0,
    }


# --- the printable page ----------------------------------------------------------------
_PALETTE = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442",
            "#999999")  # Okabe-Ito (colour-blind safe), grey for black: black marks the office
_EXPLORE_COLOUR = "#7B3294"


_MONTHS_ES = ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
              "septiembre", "octubre", "noviembre", "diciembre")
_MONTHS_EN = ("January", "February", "March", "April", "May", "June", "July", "August",
              "September", "October", "November", "December")


def plan_month(month: str | None = None, today: Any = None) -> tuple[int, int]:
    """``(year, month)`` a plan is for: ``"YYYY-MM"``, or the month after ``today``.

    >>> plan_month("2027-02"), plan_month(today=__import__("datetime").date(2026, 12, 3))
    ((2027, 2), (2027, 1))
    """
    import datetime as dt

    if month:
        try:
            year, mon = (int(x) for x in str(month).split("-"))
            dt.date(year, mon, 1)
        except (TypeError, ValueError) as err:
            raise DataError(es=f"Mes {month!r}: use el formato AAAA-MM (p. ej. 2026-12).",
                            en=f"Month {month!r}: use the format YYYY-MM (e.g. 2026-12).") \
                from err
        return year, mon
    today = today or dt.date.today()
    return (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)


def _render_html(plan: Plan, lang: str | None, title: str | None, simulated: bool,
                 month: str | None = None) -> str:
    """Return the printable plan: a cover page, then a page per office (map and trips)."""
    import datetime as dt

    es = tr("es", "en", lang) == "es"

    def t(text_es: str, text_en: str) -> str:
        return html.escape(tr(text_es, text_en, lang))

    year, mon = plan_month(month)
    month_name = f"{_MONTHS_ES[mon - 1]} de {year}" if es else f"{_MONTHS_EN[mon - 1]} {year}"
    today = dt.date.today()
    made = today.strftime("%d/%m/%Y") if es else today.isoformat()
    s = plan.summary.iloc[-1]
    title = title or tr(f"Plan de inspecciones de {month_name}",
                        f"Inspection plan for {month_name}", lang)
    sim = ("<p class='sim'>" + t(
        "DATOS SIMULADOS: los puntajes provienen de un mundo de demostración, no de "
        "inspecciones reales.",
        "SIMULATED DATA: the scores come from a demonstration world, not from real "
        "inspections.") + "</p>") if simulated else ""
    parts = [
        "<!DOCTYPE html>",
        f"<html lang='{'es' if es else 'en'}'><head><meta charset='utf-8'>",
        f"<title>{html.escape(title)}</title>",
        "<style>body{font-family:system-ui,sans-serif;margin:1.5em;color:#222}"
        "table{border-collapse:collapse;margin:.5em 0 1.2em;font-size:.82em;width:100%}"
        "th,td{border:1px solid #bbb;padding:.2em .45em;text-align:left;vertical-align:top}"
        "td.n{text-align:right}th{background:#eee}.sim{background:#fde;padding:.4em;"
        "border:1px solid #c39;font-weight:bold}.warn{color:#8a4b00}"
        "svg{border:1px solid #ccc;max-width:100%;height:auto}"
        ".office{break-before:page;page-break-before:always}"
        ".legend span{display:inline-block;margin:0 1em .3em 0}"
        ".sw{display:inline-block;width:1em;height:1em;vertical-align:middle;"
        "margin-right:.3em;border:1px solid #333}"
        "@page{size:A4;margin:14mm}@media print{body{margin:0}}</style></head><body>",
        f"<h1>{html.escape(title)}</h1>",
        "<p>" + t(f"Preparado el {made} con riskmap.", f"Prepared on {made} with riskmap.")
        + "</p>",
        sim,
        "<p>" + t(
            f"Hallazgos esperados del plan: {s[HALLAZGOS]:.1f} (intervalo "
            f"{s[HALLAZGOS_P05]:.1f}–{s[HALLAZGOS_P95]:.1f}) en {s['dias_plan']:g} de "
            f"{s['capacidad_dias']:g} días inspector; plan simple (los distritos de mayor "
            f"riesgo hasta agotar los días): {s['hallazgos_ingenuo']:.1f}.",
            f"Expected findings of the plan: {s[HALLAZGOS]:.1f} (interval "
            f"{s[HALLAZGOS_P05]:.1f}–{s[HALLAZGOS_P95]:.1f}) in {s['dias_plan']:g} of "
            f"{s['capacidad_dias']:g} inspector-days; simple plan (highest-risk districts "
            f"until the days run out): {s['hallazgos_ingenuo']:.1f}.") + "</p>",
    ]
    for msg in plan.messages(lang):
        parts.append(f"<p class='warn'>{html.escape(msg)}</p>")
    parts.append(_html_table(plan.summary, {
        OFICINA: t("Oficina", "Office"), "capacidad_dias": t("Días inspector", "Inspector-days"),
        "dias_exploracion": t("Exploración", "Exploration"),
        "dias_plan": t("Días usados", "Days used"),
        "distritos_plan": t("Distritos", "Districts"),
        HALLAZGOS: t("Hallazgos esperados", "Expected findings"),
        HALLAZGOS_P05: "p05", HALLAZGOS_P95: "p95",
        "hallazgos_ingenuo": t("Plan simple", "Simple plan")}))
    motive = MOTIVO if es else MOTIVO + "_en"
    legs = TRAMOS if es else TRAMOS + "_en"
    for office in plan.spec.offices:
        trips = plan.trips[plan.trips[OFICINA] == office.name]
        visits = plan.visits[plan.visits[OFICINA] == office.name]
        row = plan.summary[plan.summary[OFICINA] == office.name]
        parts.append("<section class='office'>")
        parts.append(f"<h2>{html.escape(office.name)} — {html.escape(month_name)}</h2>")
        parts.append(sim)
        if len(row):
            r = row.iloc[0]
            parts.append("<p>" + t(
                f"{len(trips)} viajes, {int(r['distritos_plan'])} distritos, "
                f"{r['dias_plan']:g} de {r['capacidad_dias']:g} días inspector "
                f"({r['dias_exploracion']:g} de exploración). Hallazgos esperados: "
                f"{r[HALLAZGOS]:.1f} (intervalo {r[HALLAZGOS_P05]:.1f}–{r[HALLAZGOS_P95]:.1f}).",
                f"{len(trips)} trips, {int(r['distritos_plan'])} districts, "
                f"{r['dias_plan']:g} of {r['capacidad_dias']:g} inspector-days "
                f"({r['dias_exploracion']:g} exploration). Expected findings: "
                f"{r[HALLAZGOS]:.1f} (interval {r[HALLAZGOS_P05]:.1f}–{r[HALLAZGOS_P95]:.1f}).")
                + "</p>")
        if trips.empty:
            parts.append("<p>" + t("Sin viajes este mes.", "No trips this month.") + "</p>")
            parts.append("</section>")
            continue
        parts.append(_svg_map(plan, office=office.name, lang=lang))
        parts.append(_legend(trips, plan, lang))
        parts.append(_html_table(trips, {
            VIAJE: t("Viaje", "Trip"), TIPO: t("Tipo", "Kind"),
            DISTRITOS: t("Distritos (en orden)", "Districts (in order)"),
            DIAS: t("Días", "Days"), legs: t("Tramos (modo, desde → hasta, días)",
                                             "Legs (mode, from → to, days)"),
            COSTO: t("Costo estimado (S/)", "Estimated cost (S/)"),
            HALLAZGOS: t("Hallazgos esperados", "Expected findings"),
            HALLAZGOS_P05: "p05", HALLAZGOS_P95: "p95", motive: t("Motivo", "Why")}))
        cols = {VIAJE: t("Viaje", "Trip"), ORDEN: t("Orden", "Order"),
                C.DISTRITO: t("Distrito", "District"), C.PROVINCIA: t("Provincia", "Province"),
                C.UBIGEO: "UBIGEO", C.RIESGO: t("Riesgo", "Risk"),
                C.EVIDENCIA: t("Evidencia", "Evidence"), DIAS_IDA: t("Días de ida",
                                                                    "Days out")}
        parts.append(_html_table(pd.DataFrame(visits.drop(columns="geometry",
                                                          errors="ignore")), cols))
        parts.append("</section>")
    parts.append("<section class='office'>")
    parts.append(f"<h2>{t('Método', 'Method')}</h2>{sim}<p>" + t(
        f"Cada inspección cuesta {plan.spec.days_per_inspection:g} días; un viaje suma ida, "
        "saltos entre distritos, vuelta e inspecciones (redondeado a medio día; máximo "
        f"{plan.spec.max_trip_days:g} días). Los tramos siguen la red de viaje: carreteras "
        "entre distritos vecinos, los ríos navegables, trochas lentas donde no hay río ni "
        "carretera y los vuelos que la oficina toma (espera media incluida); donde la tabla "
        "de viajes de los planificadores da el tiempo, manda la tabla. Los costos son "
        "estimaciones. La selección es óptima (programación entera mixta). El intervalo suma "
        "los límites p05 y p95 de cada distrito: es conservador. "
        f"{plan.spec.exploration_share:.0%} de los días se reservan para distritos sorteados "
        f"con evidencia insuficiente (semilla {plan.spec.seed}), como control imparcial del "
        "modelo; si ningún viaje cabe en esa parte, se reserva el más cercano.",
        f"Each inspection costs {plan.spec.days_per_inspection:g} days; a trip adds the way "
        "out, hops between districts, the way back and the inspections (rounded up to half a "
        f"day; at most {plan.spec.max_trip_days:g} days). Legs follow the travel network: "
        "roads between neighbouring districts, the navigable rivers, slow trails where there "
        "is neither, and the flights the office takes (average wait included); where the "
        "planners' travel table gives the time, the table rules. Costs are estimates. The "
        "selection is optimal (mixed-integer programming). The interval sums each district's "
        f"p05 and p95 bounds: conservative. {plan.spec.exploration_share:.0%} of the days are "
        f"kept for randomly drawn districts with insufficient evidence (seed "
        f"{plan.spec.seed}), as an unbiased check on the model; when no trip fits that share, "
        "the nearest one is kept.") + "</p></section>")
    parts.append("</body></html>")
    return "\n".join(p for p in parts if p)


def _legend(trips: pd.DataFrame, plan: Plan, lang: str | None) -> str:
    colour = _trip_colours(plan)
    items = []
    for row in trips.itertuples(index=False):
        fill = _EXPLORE_COLOUR if row.tipo == TIPO_EXPLORACION else colour[row.viaje]
        kind = tr(" (exploración)", " (exploration)", lang) if row.tipo == TIPO_EXPLORACION \
            else ""
        items.append(f"<span><i class='sw' style='background:{fill}'></i>"
                     f"{html.escape(row.viaje + kind)}: {html.escape(row.distritos)}</span>")
    office = tr("oficina", "office", lang)
    items.append(f"<span><i class='sw' style='background:#000'></i>{html.escape(office)}</span>")
    return "<p class='legend'>" + "".join(items) + "</p>"


def _trip_colours(plan: Plan) -> dict[str, str]:
    trip_ids = list(dict.fromkeys(plan.visits[VIAJE]))
    return {tid: _PALETTE[i % len(_PALETTE)] for i, tid in enumerate(trip_ids)}


def _html_table(df: pd.DataFrame, columns: Mapping[str, str]) -> str:
    cols = [c for c in columns if c in df]
    out = ["<table><thead><tr>", *(f"<th>{columns[c]}</th>" for c in cols), "</tr></thead><tbody>"]
    for row in df[cols].itertuples(index=False):
        out.append("<tr>")
        for v in row:
            if isinstance(v, float | np.floating):
                out.append(f"<td class='n'>{v:,.2f}</td>")
            elif isinstance(v, int | np.integer):
                out.append(f"<td class='n'>{v}</td>")
            else:
                out.append(f"<td>{html.escape(str(v))}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def _svg_map(plan: Plan, width: int = 900, office: str | None = None,
             lang: str | None = None) -> str:
    """Draw a static SVG map: no JavaScript, no tiles, prints and works offline.

    With ``office``, only its trips: each visited district in its trip's colour and named,
    a line through the stops in order from the office and back, the office marked.
    """
    g = plan.visits
    if office is not None:
        g = g[g[OFICINA] == office]
    if g.empty or getattr(g, "geometry", None) is None or g.geometry.isna().all():
        return ""
    offices = [o for o in plan.spec.offices if office is None or o.name == office]
    geoms = g.geometry.simplify(0.005)
    minx, miny, maxx, maxy = geoms.total_bounds
    background = [plan.outlines[o.department] for o in offices
                  if o.department in plan.outlines]
    for shape in background:  # the whole department, so the trips have their context
        bx0, by0, bx1, by1 = shape.bounds
        minx, miny, maxx, maxy = min(minx, bx0), min(miny, by0), max(maxx, bx1), max(maxy, by1)
    for o in offices:
        minx, maxx = min(minx, o.lon), max(maxx, o.lon)
        miny, maxy = min(miny, o.lat), max(maxy, o.lat)
    pad = 0.08 * max(maxx - minx, maxy - miny, 0.1)
    minx, miny, maxx, maxy = minx - pad, miny - pad, maxx + pad, maxy + pad
    kx = math.cos(math.radians((miny + maxy) / 2))
    scale = width / ((maxx - minx) * kx)
    height = int((maxy - miny) * scale) + 1

    def pt(x: float, y: float) -> tuple[float, float]:
        return (x - minx) * kx * scale, (maxy - y) * scale

    def xy(x: float, y: float) -> str:
        a, b = pt(x, y)
        return f"{a:.1f},{b:.1f}"

    colour = _trip_colours(plan)
    out = [f"<svg xmlns='http://www.w3.org/2000/svg' width='{width}' height='{height}' "
           f"viewBox='0 0 {width} {height}'>"]
    for shape in background:
        for poly in getattr(shape, "geoms", [shape]):
            if poly.geom_type != "Polygon":
                continue
            d = "M" + " L".join(xy(x, y) for x, y in poly.exterior.coords) + " Z"
            out.append(f"<path d='{d}' fill='#f2f2f2' stroke='#999' stroke-width='0.8'/>")
    for geom, trip, kind in zip(geoms, g[VIAJE], g[TIPO], strict=True):
        if geom is None or geom.is_empty:
            continue
        fill = _EXPLORE_COLOUR if kind == TIPO_EXPLORACION else colour[trip]
        for poly in getattr(geom, "geoms", [geom]):
            if poly.geom_type != "Polygon":
                continue
            d = "M" + " L".join(xy(x, y) for x, y in poly.exterior.coords) + " Z"
            out.append(f"<path d='{d}' fill='{fill}' fill-opacity='0.55' stroke='#333' "
                       "stroke-width='0.5'/>")
    reps = g.geometry.representative_point()
    by_office = {o.name: o for o in plan.spec.offices}
    for trip, rows in g.assign(_p=reps).groupby(VIAJE, sort=False):
        rows = rows.sort_values(ORDEN)
        home = by_office.get(rows[OFICINA].iloc[0])
        stops = [(home.lon, home.lat)] if home else []
        stops += [(p.x, p.y) for p in rows["_p"]]
        stops += [(home.lon, home.lat)] if home else []
        kind = rows[TIPO].iloc[0]
        line = _EXPLORE_COLOUR if kind == TIPO_EXPLORACION else colour[trip]
        out.append("<polyline points='" + " ".join(xy(x, y) for x, y in stops)
                   + f"' fill='none' stroke='{line}' stroke-width='1.6' "
                   "stroke-dasharray='5,3'/>")
    for name, trip, p in zip(g.get(C.DISTRITO, g[C.UBIGEO]), g[VIAJE], reps, strict=True):
        x, y = pt(p.x, p.y)
        label = html.escape(f"{name} ({trip})")
        out.append(f"<text x='{x:.1f}' y='{y:.1f}' font-size='11' text-anchor='middle' "
                   "stroke='white' stroke-width='3' paint-order='stroke'>" + label + "</text>")
    for o in offices:
        x, y = pt(o.lon, o.lat)
        right = x > 0.6 * width  # the name goes where there is room for it
        out.append(f"<rect x='{x - 5:.1f}' y='{y - 5:.1f}' width='10' height='10' "
                   "fill='black'/>")
        out.append(f"<text x='{x - 8 if right else x + 8:.1f}' y='{y - 8:.1f}' font-size='12' "
                   f"font-weight='bold' text-anchor='{'end' if right else 'start'}' "
                   "stroke='white' stroke-width='3' paint-order='stroke'>"
                   f"{html.escape(o.name)}</text>")
    note = tr("Líneas: el orden de las paradas (los tramos reales, en la tabla).",
              "Lines: the order of the stops (the actual legs are in the table).", lang)
    out.append(f"<text x='6' y='{height - 6}' font-size='10' fill='#555'>"
               f"{html.escape(note)}</text>")
    out.append("</svg>")
    return "".join(out)
