"""Issue 21, point 2: the reconstruction attack on everything a protected role receives.

The attacker is an investigador (every region) or a regional government (Cusco, or Loreto)
of the demo world. It collects all it can get, through the same functions the pages and
``riskmap indicators --rol ...`` call: the command line's profiles by district, province,
sector and year for each department and for both together; the Indicadores page's map,
mix by sector and year, co-occurrence, ICLS classification and routes for every region
choice; the district card's counts; the Exportar page's table (scores with their counts,
the indicator columns) and the map's scores; and, stronger than what the Datos page shows,
each department's **exact** number of inspections.

Then it writes down, with no code of the suppression, what it knows: one unknown integer
per district, sector and year cell of every column (inspections, the 11 indicators, the
two ICLS classes, victims, women, minors, findings, complaint-driven inspections), per
cell of the classification table, per pair of indicators and per route's women and
minors; every shown cell fixes its unknown (or a sum of them: a province, a total, a table
of two departments); every blank is at least 1 (zeros are shown); a department's
districts, sectors and years add up to the same totals; a row's indicators, classes,
findings and complaints are at most its inspections, an indicator needs a record with
indicators, forced labour needs both dimensions and debt bondage is forced labour, women
and minors are at most the victims, a pair of indicators at most either one and at least
what the two force, a route at most its district. An integer program
(``scipy.optimize.milp``) then finds each blank's feasible range.

On the suppression before issue 21 (rebuilt here from the functions it was made of:
``geo.records.indicators.suppress``, ``protected_matrix``, ``suppress_routes``, the scores'
primary-only blanks) the attack recovers many blanks exactly. On the protected
publication it must recover none exactly, and pin no more blanks within ±1 than a
constant guess would get right.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse.csgraph import connected_components

from geo import columns as C
from geo.records.inspections import ILO_INDICATORS

K = 5
N, TF, IND, V, W, M, H, DEN = ("n_inspecciones", "n_trabajo_forzoso_oit", "n_indicios",
                               "n_victimas", "n_victimas_mujeres", "n_victimas_menores",
                               "n_hallazgos", "n_denuncias")
CODES = list(ILO_INDICATORS)
SUB = [*CODES, TF, IND, V, W, M]  # what every grouping publishes
COLS = [N, *SUB, H, DEN]  # a district's counts
DEPS = ("08", "16")
BIG = 100_000


# --- the suppression on hand-made tables, checked by enumeration ------------------------------
def _enumerate(cells, hidden, top: int = 15) -> dict[int, tuple[int, int]]:
    """Each blank's range over every assignment of 1..top to the blanks (brute force)."""
    import itertools

    values = np.asarray(cells.values, dtype=float)
    blanks = np.flatnonzero(hidden)
    seen: dict[int, list[int]] = {int(i): [] for i in blanks}
    for trial in itertools.product(range(1, top + 1), repeat=len(blanks)):
        x = values.copy()
        x[blanks] = trial
        if all((abs(coef @ x[idx]) < 1e-9) if equal else (coef @ x[idx] <= 1e-9)
               for idx, coef, equal in cells.relations):
            for i, v in zip(blanks, trial, strict=True):
                seen[int(i)].append(v)
    return {i: (min(v), max(v)) for i, v in seen.items()}


def test_a_lone_blank_district_under_a_shown_province_takes_a_partner():
    """Province Cusco showed 12 victims and its districts shown 11: San Jerónimo had 1."""
    from geo.records.sdc import LinkedCells, suppress_linked

    cells = LinkedCells()
    kids = [cells.add(("d", name), v, group="d") for name, v in
            (("san_jeronimo", 1), ("santiago", 5), ("wanchaq", 6))]
    cells.add_sum(kids, cells.add(("p", "cusco"), 12, group="p"))
    hidden = suppress_linked(cells, K)
    assert hidden.tolist() == [True, True, False, False]  # the 5 goes with the 1
    ranges = _enumerate(cells, hidden)
    assert all(hi - lo >= K - 2 for lo, hi in ranges.values()), ranges


def test_the_audit_opens_the_bounds_the_sums_do_not_see():
    """A partner with room in the sum, held by what is shown around it, is no partner."""
    from geo.records.sdc import LinkedCells, suppress_linked

    cells = LinkedCells()
    a, b = (cells.add(("d", i), v, group="d") for i, v in ((0, 1), (1, 5)))
    cells.add_sum([a, b], cells.add(("p",), 6, public=True))
    at_most = cells.add(("victimas",), 5, group="v")  # b <= its district's victims
    at_least = cells.add(("ruta",), 5, group="r")  # a route's victims <= b
    cells.at_most([(b, 1), (at_most, -1)])
    cells.at_most([(at_least, 1), (b, -1)])
    hidden = suppress_linked(cells, K)
    assert hidden[[a, b, at_most, at_least]].all()
    assert cells.report.audit_rounds >= 2  # the heuristic alone left a = 1 exact
    ranges = _enumerate(cells, hidden)
    assert all(hi - lo >= K - 2 for lo, hi in ranges.values()), ranges


def test_zeros_are_always_shown_and_a_blank_is_never_zero():
    from geo.records.sdc import LinkedCells, suppress_linked

    cells = LinkedCells()
    kids = [cells.add(("d", i), v, group="d") for i, v in enumerate([0, 2, 0, 9, 0])]
    cells.add_sum(kids, cells.add(("t",), 11, public=True))
    zero = cells.add(("cl",), 0)
    hidden = suppress_linked(cells, K, forced=[zero])
    values = np.asarray(cells.values)
    assert not hidden[values == 0].any()
    assert hidden[kids].tolist() == [False, True, False, True, False]


def test_totals_a_protected_role_sees_move_by_five_or_not_at_all():
    """One import of one record never shows as a change of one in a total (issue 21)."""
    from geo.records.indicators import round_total
    from geo.trust.access import Principal

    for n in range(1200, 1230):
        assert round_total(n + 1) - round_total(n) in (0, 5)
    from dashboard import state

    rosa, ana = Principal("rosa", "investigador"), Principal("ana", "planificador")
    assert state.shown_total(rosa, 1213) == 1215 and state.shown_total(ana, 1213) == 1213


# --- the world and the truth (counted here from the records) ---------------------------------
@pytest.fixture(scope="module")
def world(demo_settings, districts_gpkg, scores_gpkg, tmp_path_factory):
    """The demo world's settings, records (classified) and districts."""
    import os

    from geo.geography.base import read_districts
    from geo.records.indicators import classify_records, load_table
    from geo.records.inspections import load_records

    old = {k: os.environ.get(k) for k in ("RISKMAP_CONFIG", "RISKMAP_DATA_DIR")}
    os.environ["RISKMAP_CONFIG"] = str(demo_settings.path)
    os.environ["RISKMAP_DATA_DIR"] = str(tmp_path_factory.mktemp("datos"))  # no store
    try:
        records = classify_records(load_records(demo_settings, store=False))
        districts = pd.DataFrame(read_districts(demo_settings.base, demo_settings.region))
        yield {"settings": demo_settings, "records": records,
               "districts": districts.drop(columns="geometry"), "table": load_table()}
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _truth(world) -> dict:
    """Every atomic cell's true value, counted from the records."""
    rec = world["records"]
    frame = pd.DataFrame({
        "dep": rec[C.UBIGEO].str[:2], "u": rec[C.UBIGEO], "sector": rec[C.SECTOR],
        "anio": pd.to_datetime(rec[C.FECHA]).dt.year.astype(int), N: 1,
        **{c: rec[C.INDICADORES].map(lambda v, c=c: c in str(v).split(";")).astype(int)
           for c in CODES},
        TF: (rec["clase_oit"] == "trabajo_forzoso").astype(int),
        IND: (rec["clase_oit"] == "indicios").astype(int),
        V: pd.to_numeric(rec[C.VICTIMAS], errors="coerce").fillna(0).astype(int),
        W: pd.to_numeric(rec[C.VICTIMAS_MUJERES], errors="coerce").fillna(0).astype(int),
        M: pd.to_numeric(rec[C.VICTIMAS_MENORES], errors="coerce").fillna(0).astype(int),
        H: rec[C.HALLAZGO].astype(int), DEN: (rec[C.ORIGEN] == "denuncia").astype(int),
        "clase": rec["clase_oit"], "origen_u": rec[C.UBIGEO_ORIGEN].astype("string")})
    truth = {}
    for u, row in frame.groupby("u")[COLS].sum().iterrows():
        for c in COLS:
            truth[("d", u, c)] = int(row[c])
    for u in world["districts"][C.UBIGEO]:
        for c in COLS:
            truth.setdefault(("d", u, c), 0)
    for by in ("sector", "anio"):
        for (dep, key), row in frame.groupby(["dep", by])[[N, *SUB]].sum().iterrows():
            for c in (N, *SUB):
                truth[(by, dep, key, c)] = int(row[c])
    for (dep, cls, h), n in frame.groupby(["dep", "clase", H]).size().items():
        truth[("cl", dep, cls, int(h))] = int(n)
    for dep in DEPS:
        part = frame[frame["dep"] == dep]
        ind = part[CODES].to_numpy()
        both = ind.T @ ind
        for i, a in enumerate(CODES):
            for j, b in enumerate(CODES[i + 1:], start=i + 1):
                truth[("p", dep, a, b)] = int(both[i, j])
        for cls in ("trabajo_forzoso", "indicios", "sin_indicios"):
            for h in (1, 0):
                truth.setdefault(("cl", dep, cls, h), 0)
    return truth


# --- what a role receives ---------------------------------------------------------------------
@dataclasses.dataclass
class Seen:
    """Everything a role received: each cell shown (a number) or blank (None)."""

    cells: dict = dataclasses.field(default_factory=dict)  # atomic key -> list of values
    sums: list = dataclasses.field(default_factory=list)  # (atomic keys, value or None)
    routes: list = dataclasses.field(default_factory=list)  # (u, origin, n, v, w, m)
    totals: dict = dataclasses.field(default_factory=dict)  # dep -> exact inspections
    effective: dict = dataclasses.field(default_factory=dict)  # u -> n_efectivas

    def cell(self, key, value, blank: bool) -> None:
        self.cells.setdefault(key, []).append(None if blank else int(value))

    def total(self, keys: list, value, blank: bool) -> None:
        if len(keys) == 1:
            self.cell(keys[0], value, blank)
        else:
            self.sums.append((keys, None if blank else int(value)))


def _marks(row, column="suprimido") -> set[str]:
    return {c for c in str(row.get(column, "") or "").split(";") if c}


def _read_profile(seen: Seen, frame: pd.DataFrame, by: str, world, deps) -> None:
    """A profile table (command line or page) of the departments ``deps``."""
    dist = world["districts"]
    for row in frame.to_dict("records"):
        hidden = _marks(row)
        for c in frame.columns:
            if c not in COLS:
                continue
            value = row[c]
            blank = c in hidden
            if not blank and pd.isna(value):
                value = 0  # victims not recorded: nothing to add
            if by == C.UBIGEO:
                seen.cell(("d", str(row[C.UBIGEO]), c), value, blank)
            elif by == C.PROVINCIA:
                us = dist.loc[dist[C.COD_PROV].astype(str) == str(row[C.COD_PROV]), C.UBIGEO]
                seen.total([("d", u, c) for u in us], value, blank)
            else:
                key = row[by] if by == C.SECTOR else int(row[by])
                seen.total([(by, d, key, c) for d in deps], value, blank)


def collect(world, who, new: bool, tmp_path) -> Seen:
    """Everything ``who`` can get of the demo world (new publication, or the old one)."""
    from geo.trust.access import in_regions

    seen = Seen()
    regions = who.regions or DEPS
    choices = [(d,) for d in regions] + ([tuple(regions)] if len(regions) > 1 else [])
    for region in choices:
        outputs = _outputs_new(world, who, region, tmp_path) if new else \
            _outputs_old(world, region)
        for by, frame in outputs["profiles"]:
            _read_profile(seen, frame, by, world, region)
        for dep_cells, frame in outputs["classes"]:
            for cls in frame.index:
                for h in (1, 0):
                    value = frame.loc[cls, h]
                    seen.total([("cl", d, cls, h) for d in dep_cells], value, pd.isna(value))
        for frame in outputs["cooccurrence"]:
            for i, a in enumerate(CODES):
                value = frame.loc[a, a]
                seen.total([("d", u, a) for u in _districts_of(world, region)], value,
                           pd.isna(value))
                for b in CODES[i + 1:]:
                    value = frame.loc[a, b]
                    seen.total([("p", d, a, b) for d in region], value, pd.isna(value))
        for frame in outputs["routes"]:
            for row in frame.to_dict("records"):
                u = str(row[C.UBIGEO])
                seen.routes.append((u, str(row[C.UBIGEO_ORIGEN]), int(row[C.N_INSPECCIONES]),
                                    int(row[C.VICTIMAS]), row[C.VICTIMAS_MUJERES],
                                    row[C.VICTIMAS_MENORES]))
        for frame in outputs["districts"]:  # scores, exports, the district card
            for row in frame.to_dict("records"):
                u = str(row[C.UBIGEO])
                hidden = _marks(row) | _marks(row, "indicadores_suprimidos")
                hidden |= {c for c in COLS
                           if isinstance(row.get(f"{c}_suprimido"), bool | np.bool_)
                           and row[f"{c}_suprimido"]}
                for c in COLS:
                    name = "oit_" + c if c in CODES else c
                    if name not in row:
                        continue
                    blank = name in hidden or c in hidden
                    value = row[name]
                    if not blank and pd.isna(value):
                        if c in (N, H, DEN):
                            blank = True  # shown nowhere else: unknown, but not a zero
                        else:
                            value = 0
                    seen.cell(("d", u, c), value, blank)
                if not pd.isna(row.get("n_efectivas", np.nan)):
                    seen.effective[u] = float(row["n_efectivas"])
    rec = in_regions(world["records"], tuple(regions))
    for d in regions:  # the Datos page, exact (stronger than what it shows)
        seen.totals[d] = int((rec[C.UBIGEO].str[:2] == d).sum())
    return seen


def _districts_of(world, region) -> list[str]:
    codes = world["districts"][C.UBIGEO].astype(str)
    return codes[codes.str[:2].isin(region)].tolist()


def _outputs_new(world, who, region, tmp_path) -> dict:
    """The pages' and the command line's outputs for ``who`` and one region choice."""
    from dashboard import state
    from dashboard.cli import main

    role = who.role
    names = {"08": "cusco", "16": "loreto"}
    profiles = []
    for by in (C.UBIGEO, C.PROVINCIA, C.SECTOR, "anio"):
        out = tmp_path / f"{role}_{by}_{'_'.join(region)}.csv"
        assert main(["indicators", "--config", str(world["settings"].path), "--by", by,
                     "--rol", role, "--region", ",".join(names[d] for d in region),
                     "--out", str(out)]) == 0
        profiles.append((by, pd.read_csv(out, encoding="utf-8-sig",
                                         dtype={C.UBIGEO: str, C.COD_PROV: str},
                                         keep_default_na=True).fillna({"suprimido": ""})))
    for by in (C.UBIGEO, C.SECTOR, "anio"):
        profiles.append((by, state.indicator_profiles(who, by, region)))
    k = state.view(who)
    counts = state.export_counts(False)
    export = pd.DataFrame(state.export_table(region, k, True, counts, floor_k=k))
    card = state.district_aggregates(who)
    scores = state.in_region(pd.DataFrame(state.scores(k)), region)
    return {"profiles": profiles, "classes": [(region, state.indicator_classes(who, region))],
            "cooccurrence": [state.indicator_cooccurrence(who, region)],
            "routes": [state.victim_routes(who, region)],
            "districts": [export.drop(columns="geometry"),
                          state.in_region(card, region),
                          scores.drop(columns="geometry")]}


def _outputs_old(world, region) -> dict:
    """The same outputs as the suppression before issue 21 made them (per department).

    Profiles: each department's table suppressed on its own (primary + one secondary per
    column, ``geo.records.indicators.suppress``), summed over departments, without the
    inconsistencies and, save by district, the inspections. Co-occurrence and the ICLS
    table: ``protected_matrix`` per department (the latter with its secondary, the big
    cell blank and the smallest next to a lone blank). Routes: ``suppress_routes``. The
    district card and the scores: each count blanked from 1 to k-1 on its own.
    """
    from geo.records.indicators import (
        CLASE_OIT,
        CLASES,
        cooccurrence,
        profiles,
        protected_matrix,
        routes,
        suppress,
        suppress_routes,
    )

    rec = world["records"]
    rec = rec[rec[C.UBIGEO].str[:2].isin(region)]
    dist = world["districts"]
    dist = dist[dist[C.UBIGEO].str[:2].isin(region)]
    out_profiles = []
    for by in (C.UBIGEO, C.PROVINCIA, C.SECTOR, "anio"):
        parts = [suppress(profiles(rec[rec[C.UBIGEO].str[:2] == d], by,
                                   districts=dist[dist[C.UBIGEO].str[:2] == d]), K)
                 for d in region]
        keys = {"anio": ["anio"], C.PROVINCIA: [C.COD_PROV, C.PROVINCIA]}.get(by, [by])
        joined = pd.concat(parts, ignore_index=True)
        if by not in (C.UBIGEO, C.PROVINCIA) and len(parts) > 1:
            cols = [c for c in joined.columns if c in COLS or c == "n_inconsistentes"]
            sums = joined.groupby(keys)[cols].agg(
                lambda v: np.nan if v.isna().any() else float(v.sum()))
            marks = joined.groupby(keys)["suprimido"].agg(
                lambda v: ";".join(dict.fromkeys(c for x in v for c in x.split(";") if c)))
            joined = sums.join(marks).reset_index()
        drop = ["n_inconsistentes", *([] if by == C.UBIGEO else [N])]
        out_profiles.append((by, joined.drop(columns=drop)))

    def crosstab(r):
        return pd.crosstab(r[CLASE_OIT], r[C.HALLAZGO]).reindex(
            index=list(CLASES), columns=[1, 0], fill_value=0)

    classes = protected_matrix(rec, K, crosstab, secondary=True)
    classes.loc["sin_indicios", 0] = pd.NA
    if int(classes.isna().to_numpy().sum()) == 1:
        values = classes.apply(pd.to_numeric, errors="coerce")
        shown = values.where(values > 0).stack()
        row, col = shown.idxmin()
        classes.loc[row, col] = pd.NA
    exact = profiles(rec, C.UBIGEO, districts=dist)
    found = rec.groupby(C.UBIGEO)[C.HALLAZGO].sum().reindex(exact[C.UBIGEO], fill_value=0)
    complaint = (rec[C.ORIGEN] == "denuncia").groupby(rec[C.UBIGEO]).sum().reindex(
        exact[C.UBIGEO], fill_value=0)
    card = pd.DataFrame({C.UBIGEO: exact[C.UBIGEO], N: exact[N], H: found.to_numpy(),
                         DEN: complaint.to_numpy(), V: exact[V]})
    for c in (N, H, DEN, V):
        values = pd.to_numeric(card[c]).astype("Float64")
        small = (values > 0) & (values < K)
        card[c] = values.mask(small)
        card[f"{c}_suprimido"] = small.fillna(False).to_numpy(bool)
    return {"profiles": out_profiles, "classes": [(region, classes)],
            "cooccurrence": [protected_matrix(rec, K, cooccurrence)],
            "routes": [suppress_routes(routes(rec), K)], "districts": [card]}


# --- the attacker's integer program ----------------------------------------------------------
def attack(seen: Seen, world) -> pd.DataFrame:
    """Each blank's feasible range under everything ``seen`` (one row per blank cell)."""
    table = world["table"]
    keys: dict = {}

    def var(key) -> int:
        return keys.setdefault(key, len(keys))

    rows: list[tuple[dict, float, float]] = []

    def rel(terms: dict, lo: float, hi: float) -> None:
        rows.append((terms, lo, hi))

    def add(terms: dict, key, coef: float) -> None:
        terms[var(key)] = terms.get(var(key), 0.0) + coef

    deps = sorted(seen.totals)
    districts = {d: _districts_of(world, (d,)) for d in deps}
    sectors = {d: sorted({k[2] for k in _truth_keys(world) if k[0] == "sector" and k[1] == d})
               for d in deps}
    years = {d: sorted({k[2] for k in _truth_keys(world) if k[0] == "anio" and k[1] == d})
             for d in deps}
    inv = [c for c in CODES if "involuntariedad" in table.dimensions[c]]
    thr = [c for c in CODES if "amenaza" in table.dimensions[c]]
    both = [c for c in CODES if len(table.dimensions[c]) == 2]
    one = [c for c in CODES if len(table.dimensions[c]) == 1]

    def row_rules(cell, with_n: bool) -> None:
        """What one row's counts say of each other."""
        def t(*pairs):
            terms = {}
            for c, coef in pairs:
                add(terms, cell(c), coef)
            return terms
        if with_n:
            for c in [*CODES, TF, IND, V, W, M, H, DEN]:
                if c in (V, W, M) or (c in (H, DEN) and cell(c)[0] != "d"):
                    continue
                rel(t((c, 1), (N, -1)), -np.inf, 0)
            rel(t((TF, 1), (IND, 1), (N, -1)), -np.inf, 0)
        for c in CODES:
            rel(t((c, 1), (TF, -1), (IND, -1)), -np.inf, 0)
        for c in both:
            rel(t((c, 1), (TF, -1)), -np.inf, 0)  # debt bondage alone is forced labour
        rel(t((TF, 1), *[(c, -1) for c in inv]), -np.inf, 0)
        rel(t((TF, 1), *[(c, -1) for c in thr]), -np.inf, 0)
        rel(t((TF, 1), (IND, 1), *[(c, -1) for c in CODES]), -np.inf, 0)
        rel(t((IND, 1), *[(c, -1) for c in one]), -np.inf, 0)
        rel(t((W, 1), (V, -1)), -np.inf, 0)
        rel(t((M, 1), (V, -1)), -np.inf, 0)

    for d in deps:
        for u in districts[d]:
            row_rules(lambda c, u=u: ("d", u, c), True)
        for by, keys_ in (("sector", sectors[d]), ("anio", years[d])):
            for key in keys_:
                row_rules(lambda c, by=by, key=key, d=d: (by, d, key, c), True)
            for c in (N, *SUB):  # each grouping adds up to the districts' total
                terms = {}
                for key in keys_:
                    add(terms, (by, d, key, c), 1)
                for u in districts[d]:
                    add(terms, ("d", u, c), -1)
                rel(terms, 0, 0)
        terms = {}
        for u in districts[d]:
            add(terms, ("d", u, N), 1)
        rel(terms, seen.totals[d], seen.totals[d])  # the Datos page
        cl = {(c, h): ("cl", d, c, h) for c in ("trabajo_forzoso", "indicios", "sin_indicios")
              for h in (1, 0)}
        for cls, col in (("trabajo_forzoso", TF), ("indicios", IND)):
            terms = {}
            add(terms, cl[(cls, 1)], 1)
            add(terms, cl[(cls, 0)], 1)
            for u in districts[d]:
                add(terms, ("d", u, col), -1)
            rel(terms, 0, 0)
        for col, h_col in ((N, None), (H, 1)):
            terms = {}
            for (_cls, h), key in cl.items():
                if h_col is None or h == h_col:
                    add(terms, key, 1)
            for u in districts[d]:
                add(terms, ("d", u, col), -1)
            rel(terms, 0, 0)
        for i, a in enumerate(CODES):
            for b in CODES[i + 1:]:
                p = ("p", d, a, b)
                for c in (a, b):
                    terms = {var(p): 1.0}
                    for u in districts[d]:
                        add(terms, ("d", u, c), -1)
                    rel(terms, -np.inf, 0)
                terms = {var(p): -1.0}  # a + b - both <= records with indicators
                for u in districts[d]:
                    for c, coef in ((a, 1), (b, 1), (TF, -1), (IND, -1)):
                        add(terms, ("d", u, c), coef)
                rel(terms, -np.inf, 0)
    by_place: dict[str, list] = {}
    for route in {r[:4]: r for r in seen.routes}.values():
        by_place.setdefault(route[0], []).append(route)
    for u, rs in by_place.items():
        n_sum, v_sum = sum(r[2] for r in rs), sum(r[3] for r in rs)
        rel({var(("d", u, N)): 1.0}, n_sum, np.inf)
        rel({var(("d", u, V)): 1.0}, v_sum, np.inf)
        for j, col in ((4, W), (5, M)):
            shown = sum(int(r[j]) for r in rs if not pd.isna(r[j]))
            terms = {var(("d", u, col)): 1.0}
            blank = [r for r in rs if pd.isna(r[j])]
            for r in blank:
                add(terms, ("r", r[0], r[1], col), -1)
                rel({var(("r", r[0], r[1], col)): 1.0}, 0, r[3])
            rel(terms, shown, np.inf)
            terms = dict(terms)
            add(terms, ("d", u, V), -1)
            rel(terms, -np.inf, shown - v_sum)  # outside the routes: at most its victims
    for u, value in seen.effective.items():
        rel({var(("d", u, N)): 1.0}, math.ceil(value - 1e-9), np.inf)
    # what was shown, and what was blank
    fixed: dict[int, float] = {}
    blanks: list = []
    for key, values in seen.cells.items():
        shown = [v for v in values if v is not None]
        i = var(key)
        if shown:
            assert len(set(shown)) == 1, (key, shown)
            fixed[i] = shown[0]
        if None in values:
            blanks.append(((key,), i))
    for parts, value in seen.sums:
        terms = {}
        for key in parts:
            add(terms, key, 1)
        if value is None:
            rel(terms, 1, np.inf)
            blanks.append((tuple(parts), None))
        else:
            rel(terms, value, value)
    n = len(keys)
    lb, ub = np.zeros(n), np.full(n, float(BIG))
    for _parts, i in blanks:
        if i is not None:
            lb[i] = max(lb[i], 1)
    for i, value in fixed.items():
        lb[i] = ub[i] = value
    truth_all = _truth(world)
    truth = np.array([truth_all.get(k, 0) for k in keys], dtype=float)
    data, ri, ci, lo, hi = [], [], [], [], []
    for r, (terms, a, b) in enumerate(rows):
        for i, coef in terms.items():
            ri.append(r)
            ci.append(i)
            data.append(coef)
        lo.append(a)
        hi.append(b)
    A = sparse.csr_array((data, (ri, ci)), shape=(len(rows), n))
    lo, hi = np.array(lo), np.array(hi)
    # the attacker's model must hold for the true values (else it is not knowledge)
    at = A @ truth
    assert (at >= lo - 1e-6).all() and (at <= hi + 1e-6).all()
    wrong = [(k, truth[i], lb[i], ub[i]) for k, i in keys.items()
             if not lb[i] <= truth[i] <= ub[i]]
    assert not wrong, wrong[:10]
    targets = []
    for parts, _i in blanks:
        e = np.zeros(n)
        for key in parts:
            e[var(key)] += 1
        targets.append((parts, e, float(e @ truth)))
    return _ranges(A, lo, hi, lb, ub, truth, targets)


def _truth_keys(world) -> set:
    if "_keys" not in world:
        world["_keys"] = set(_truth(world))
    return world["_keys"]


def _ranges(A, lo, hi, lb, ub, truth, targets) -> pd.DataFrame:
    """Min and max of each target over the integer points.

    The program falls apart into independent parts (a department's cells never meet
    another's but in a sum of two departments): each part is solved on its own, and a
    target spread over several parts ranges over the sum of its parts' ranges.
    """
    free = lb < ub
    fixed_part = A[:, ~free] @ truth[~free]
    sub = A[:, free].tocsr()
    keep = np.diff(sub.indptr) > 0
    sub, lo_, hi_ = sub[keep], lo[keep] - fixed_part[keep], hi[keep] - fixed_part[keep]
    index = np.flatnonzero(free)
    links = abs(sub)
    _n_parts, label = connected_components((links.T @ links) != 0, directed=False)
    rng = np.random.default_rng(1)
    pieces: dict[int, list] = {}  # part -> [(target, e over the part's columns)]
    constant = np.zeros(len(targets))
    for t, (_parts, e, _value) in enumerate(targets):
        constant[t] = float(e[~free] @ truth[~free])
        e_free = e[free]
        for part in np.unique(label[np.flatnonzero(e_free)]):
            cols = np.flatnonzero(label == part)
            pieces.setdefault(int(part), []).append((t, e_free[cols]))
    low, high = constant.copy(), constant.copy()
    for part, items in pieces.items():
        cols = np.flatnonzero(label == part)
        rows = np.flatnonzero(np.asarray(abs(sub[:, cols]).sum(axis=1)).ravel() > 0)
        a = sub[rows][:, cols]
        cons = [LinearConstraint(a, lo_[rows], hi_[rows])] if len(rows) else None
        bounds = Bounds(lb[index][cols], ub[index][cols])
        E = np.array([e for _, e in items])
        x0 = truth[index][cols]
        p_low, p_high = E @ x0, E @ x0

        def solve(c, a=a, rows=rows, bounds=bounds, cons=cons, E=E, p_low=p_low,
                  p_high=p_high):
            # the relaxation first: a whole-number vertex is an integer solution too
            eq = lo_[rows] == hi_[rows]
            ub_rows = ~eq & np.isfinite(hi_[rows])
            lb_rows = ~eq & np.isfinite(lo_[rows])
            res = linprog(c, A_ub=sparse.vstack([a[ub_rows], -a[lb_rows]]),
                          b_ub=np.concatenate([hi_[rows][ub_rows], -lo_[rows][lb_rows]]),
                          A_eq=a[eq] if eq.any() else None,
                          b_eq=hi_[rows][eq] if eq.any() else None,
                          bounds=np.column_stack([bounds.lb, bounds.ub]), method="highs")
            if res.status != 0 or np.abs(res.x - np.round(res.x)).max() > 1e-7:
                res = milp(c, constraints=cons, integrality=np.ones(len(c)), bounds=bounds)
            assert res.status == 0, res.message
            values = E @ np.round(res.x)
            np.minimum(p_low, values, out=p_low)
            np.maximum(p_high, values, out=p_high)

        for _ in range(25):  # random directions: most blanks move 3 at once
            open_ = np.flatnonzero(p_high - p_low < 3)
            if not len(open_):
                break
            solve(rng.choice([-1.0, 1.0], len(open_)) @ E[open_])
        for j in np.flatnonzero(p_high - p_low < 3):  # the rest: exact minimum and maximum
            for sign in (1.0, -1.0):
                if p_high[j] - p_low[j] < 3:
                    solve(sign * E[j])
        for (t, _e), lo_t, hi_t in zip(items, p_low, p_high, strict=True):
            low[t] += lo_t
            high[t] += hi_t
    frame = pd.DataFrame({"celdas": [p for p, _, _ in targets],
                          "verdad": [v for _, _, v in targets], "min": low, "max": high})
    frame["ancho"] = frame["max"] - frame["min"]
    return frame


def score(ranges: pd.DataFrame) -> dict:
    """Blanks recovered exactly, pinned within ±1, and what the best constant gets within ±1."""
    truth = ranges["verdad"].to_numpy()
    best = max(int((np.abs(truth - c) <= 1).sum()) for c in range(0, int(truth.max()) + 2))
    return {"ocultas": len(ranges), "exactas": int((ranges["ancho"] <= 0).sum()),
            "a_1": int((ranges["ancho"] <= 2).sum()), "constante_a_1": best}


# --- the tests ----------------------------------------------------------------------------------
def _roles():
    from geo.trust.access import Principal

    return [Principal("rosa", "investigador"),
            Principal("gore.cusco", "gobierno_regional", regions=("08",)),
            Principal("gore.loreto", "gobierno_regional", regions=("16",))]


@pytest.mark.slow
def test_the_old_suppression_gives_cells_back(world, tmp_path):
    """The attack works: on the suppression before issue 21 it recovers blanks exactly.

    Cusco's regional government is enough to show it (the investigador, with Loreto and
    both departments together too, loses 189 of 1,561 blanks the same way).
    """
    from geo.trust.access import Principal

    who = Principal("gore.cusco", "gobierno_regional", regions=("08",))
    ranges = attack(collect(world, who, False, tmp_path), world)
    result = score(ranges)
    print("antes:", result)
    assert result["exactas"] >= 50
    # among them a district's victims: the card showed what the profile hid
    exposed = ranges[ranges["ancho"] <= 0]["celdas"].map(lambda p: p[0][-1])
    assert (exposed == V).any()


@pytest.mark.slow
@pytest.mark.parametrize("who", _roles(), ids=lambda p: f"{p.role}-{'-'.join(p.regions)}")
def test_no_blank_comes_back_from_everything_a_role_receives(world, tmp_path, who):
    ranges = attack(collect(world, who, True, tmp_path), world)
    result = score(ranges)
    print(who.role, who.regions, result)
    assert result["ocultas"] >= (100 if who.regions == ("16",) else 300)
    exposed = ranges[ranges["ancho"] <= 0]
    assert result["exactas"] == 0, exposed.head(20).to_string()
    assert result["a_1"] <= result["constante_a_1"]
