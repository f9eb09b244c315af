"""Grouping districts into trips and choosing them: exploration draw, naive plan, the MILP.

The problem's arrays (:class:`Problem`) are built once by
:func:`models.planning.plan.plan_inspections`; this module draws the exploration trips, makes
the naive plan and solves, per group of offices, the set-packing programme that picks the
candidate trips with the most expected findings.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

from geo import columns as C
from geo.config import PlanningSpec
from geo.errors import RiskmapError
from geo.messages import Joined, Message
from models.planning import travel as T
from models.planning.columns import TIPO_EXPLORACION, TIPO_PLAN
from models.risk.recency import MOTIVO_CAPAS

__all__ = [
    "DAY_STEP",
    "MAX_DISTRICTS_PER_TRIP",
    "MIP_GAP",
    "NEIGHBOURS",
    "QUICK_TIME_LIMIT_S",
    "SOLVER_TIME_LIMIT_S",
    "Problem",
    "Trip",
    "check_budgets",
    "draw_exploration",
    "naive_plan",
    "optimise",
    "round_days",
]

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


@dataclass(frozen=True)
class Trip:
    """One trip: an office, its stops in route order, its days, travel days and value."""

    office: int
    stops: tuple[int, ...]  # district positions, in route order
    days: float
    travel: float
    value: float
    kind: str = TIPO_PLAN
    reason_es: str = ""
    reason_en: str = ""


class Problem:
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
        self.single = round_days(2 * out_days + spec.days_per_inspection)
        self.allowed = same_dep & (self.single <= spec.max_trip_days + 1e-9)
        self.served = same_dep.any(axis=1)

    def single_trip(self, d: int, o: int, **kw) -> Trip:
        """Return the trip from office ``o`` to district ``d`` alone and back."""
        return Trip(o, (d,), float(self.single[d, o]), float(2 * self.out[d, o]),
                     float(self.risk[d]), **kw)


def round_days(days):
    """Round trip lengths up to :data:`DAY_STEP` (planners book half days, not hours)."""
    return np.ceil(np.asarray(days) / DAY_STEP - 1e-9) * DAY_STEP


def check_budgets(problem: Problem, warnings: list[Message],
                  labels: np.ndarray) -> None:
    """Raise when no trip fits at all; add warnings for offices and districts left out."""
    spec = problem.spec
    cheapest = np.where(problem.allowed, problem.single, np.inf).min(axis=0)
    if not problem.allowed.any():
        raise RiskmapError("plan.ningun_distrito_alcanza_viaje", max_trip_days=spec.max_trip_days,
                           days_per_inspection=spec.days_per_inspection)
    fits = problem.capacity >= cheapest
    if not fits.any():
        per = Joined([Message("plan.presupuesto_de_oficina",
                              {"name": o.name, "days": o.capacity_days, "least": c})
                      for o, c in zip(spec.offices, cheapest, strict=True)], sep="; ")
        raise RiskmapError("plan.presupuesto_no_alcanza_ningun_viaje", per=per)
    for o, ok, c in zip(spec.offices, fits, cheapest, strict=True):
        if not ok:
            warnings.append(Message("plan.oficina_sin_viajes",
                                    {"name": o.name, "days": o.capacity_days, "least": c}))
    far = problem.served & ~problem.allowed.any(axis=1)
    if far.any():
        codes = ", ".join(labels[far][:12]) + (" …" if far.sum() > 12 else "")
        warnings.append(Message.plural(int(far.sum()), "plan.distrito_no_cabe_en_viaje",
                                       "plan.distritos_no_caben_en_viaje",
                                       max_days=spec.max_trip_days, codes=codes))
    orphan = ~problem.served
    if orphan.any():
        warnings.append(Message.plural(int(orphan.sum()), "plan.distrito_sin_oficina",
                                       "plan.distritos_sin_oficina"))


def draw_exploration(problem: Problem, scores: pd.DataFrame,
                     warnings: list[Message]) -> list[Trip]:
    """Draw each office's exploration trips (seeded, change alerts first) within its share."""
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
    trips: list[Trip] = []
    taken: set[int] = set()
    for o, office in enumerate(spec.offices):
        budget = spec.exploration_share * office.capacity_days
        reach = problem.allowed[:, o].copy()
        reach[list(taken)] = False
        # what this office explores: thin evidence it reaches; else its least inspected
        # quarter; else a random control sample of what it reaches
        pool, why = np.flatnonzero(insufficient & reach), Message("plan.por_evidencia_insuficiente")
        if pool.size == 0 and count is not None and reach.any():
            pool = np.flatnonzero(reach & (count <= np.quantile(count[reach], 0.25)))
            why = Message("plan.por_pocas_inspecciones")
        if pool.size == 0:
            pool = np.flatnonzero(reach)
            why = Message("plan.por_muestra_aleatoria")
        flagged = np.flatnonzero(alert & reach)
        left = budget
        first = set(flagged.tolist())
        order = [*rng.permutation(flagged), *(d for d in rng.permutation(pool)
                                               if d not in first)] \
            if flagged.size else list(rng.permutation(pool))

        def explore(d: int, o: int = o, pool: np.ndarray = pool, why: Message = why) -> None:
            if alert[d] and by_layers[d]:
                reason = Message("plan.exploracion_alerta_capas")
            elif alert[d]:
                reason = Message("plan.exploracion_alerta_hallazgos")
            else:
                reason = Message("plan.exploracion_sorteo",
                                 {"seed": spec.seed, "n": pool.size, "why": why})
            es, en = reason.message("es"), reason.message("en")
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
                warnings.append(Message("plan.exploracion_reserva_mas_cercano",
                                        {"budget": budget, "name": office.name, "why": why,
                                         "cost": cost}))
            else:
                warnings.append(Message("plan.exploracion_va_al_plan",
                                        {"budget": budget, "name": office.name, "why": why,
                                         "cost": cost}))
    return trips


def naive_plan(problem: Problem, budgets: np.ndarray, taken: set[int]) -> list[Trip]:
    """Top districts by risk until the days run out, each a trip from its nearest office."""
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


def _candidates(problem: Problem, o: int, budget: float, taken: set[int]) -> list[Trip]:
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
        days = round_days(travel + k * spec.days_per_inspection)
        ok = (days <= spec.max_trip_days + 1e-9) & (days <= budget + 1e-9)
        value = problem.risk[arr].sum(axis=1)
        order = routes[np.arange(len(arr)), best]
        for i in np.flatnonzero(ok):
            trips.append(Trip(o, tuple(int(x) for x in order[i]), float(days[i]),
                               float(travel[i]), float(value[i])))
    return _prune(trips)


def _prune(trips: list[Trip]) -> list[Trip]:
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


def optimise(problem: Problem, budgets: np.ndarray, taken: set[int]) -> tuple[list[Trip],
                                                                                float]:
    """Solve one MILP per group of offices that share districts; return trips and proven gap."""
    chosen: list[Trip] = []
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


def _solve(cands: list[Trip], problem: Problem, budgets: np.ndarray) -> tuple[list[Trip],
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
