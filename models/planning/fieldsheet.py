"""The field sheet (Ficha de campo) of a district of the plan: what an inspector takes along.

Why the district is on the plan (its largest contributions to the risk), the sector layers
present there (source, real or simulated), the ILO indicators most often found in those
sectors' inspections in its department (counts suppressed for a role that may not see them,
:func:`geo.records.indicators.protected_profile`), and the referral route: the nearest
Centro Emergencia Mujer, prosecutor's office, police unit and shelter, with the days and the
modes of the fastest way there on the travel network (:mod:`models.planning.network`), plus
the national lines of ``[[referral.lines]]``. A contact comes only from the settings or the
services layer; a missing one is left empty, and the sheet says "sin dato".

This module assembles the data (:class:`FieldSheet`); :mod:`models.planning.fieldprint`
writes it as an A4 page.

Examples
--------
>>> service_role("fiscalia_trata"), service_role("CEM"), service_role("hogar refugio")
('fiscalia', 'cem', 'refugio')
>>> service_role("biblioteca") is None
True
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import columns as C
from geo.config import Office, PlanningSpec, Settings
from geo.geography.services import CONTACTO, NOMBRE, TIPO
from geo.records.contract import ILO_INDICATORS, SUPRIMIDO
from geo.records.indicators import protected_profile
from models.planning import travel as T
from models.planning.columns import MOTIVO, OFICINA, ORDEN, VIAJE
from models.planning.network import ACCESS, build_network, read_rivers
from models.risk.explain import points

__all__ = [
    "HISTORY",
    "REFERRAL_ROLES",
    "FieldSheet",
    "IndicatorCount",
    "Reason",
    "Referral",
    "SectorPresent",
    "department_profiles",
    "field_sheet",
    "plan_field_sheets",
    "referral_routes",
    "service_role",
]

#: The four kinds of help every sheet names, in the order a rescue needs them.
REFERRAL_ROLES = ("cem", "fiscalia", "policia", "refugio")
_ROLE_PREFIXES = {"cem": ("cem",), "fiscalia": ("fiscal",),
                  "policia": ("polic", "pnp", "comisar"),
                  "refugio": ("albergue", "refugio", "hogar", "car")}
HISTORY = "historial"  # the contribution of the district's own record
#: How many contributions, and how many indicators, a sheet names.
N_REASONS, N_INDICATORS = 3, 5


@dataclass(frozen=True)
class Reason:
    """A contribution to the district's risk: the feature and its percentage points.

    ``has_data`` tells a missing-value term (``falta_<layer>``) of a district that does have
    the layer's public value (its term is what having it says) from one that lacks it.
    """

    feature: str
    points: float
    has_data: bool = False


@dataclass(frozen=True)
class SectorPresent:
    """A sector layer with a value in the district."""

    layer: str
    description: str
    sector: str
    value: float
    unit: str
    source: str
    simulated: bool


@dataclass(frozen=True)
class IndicatorCount:
    """Inspections in the district's sectors (its department) that found one indicator.

    ``count`` is None when the count is hidden from the role (``hidden``) or unknown.
    """

    code: str
    count: int | None
    hidden: bool = False


@dataclass(frozen=True)
class Referral:
    """The nearest service of one kind: days (one way) and modes on the travel network.

    ``name`` is empty when the services layer has no service of the kind (``sin dato``);
    ``days`` NaN when no way is known; ``contact`` empty when the layer gives none.
    """

    role: str
    name: str = ""
    kind: str = ""
    days: float = math.nan
    modes: tuple[str, ...] = ()
    contact: str = ""

    @property
    def known(self) -> bool:
        """Whether the services layer names a service of this kind."""
        return bool(self.name)


@dataclass(frozen=True)
class FieldSheet:
    """Everything one district's field sheet says (words are written when it is printed)."""

    ubigeo: str
    distrito: str
    provincia: str
    departamento: str
    risk: float
    risk_p05: float = math.nan
    risk_p95: float = math.nan
    reasons: tuple[Reason, ...] = ()
    record: Mapping[str, Any] = field(default_factory=dict)  # the scores row, for its words
    sectors: tuple[SectorPresent, ...] = ()
    indicator_sectors: tuple[str, ...] = ()  # record sectors the indicators were counted in
    indicators: tuple[IndicatorCount, ...] = ()
    records_seen: bool = False  # whether any record of those sectors was counted
    referrals: tuple[Referral, ...] = ()
    lines: tuple[Any, ...] = ()  # geo.config.ReferralLine
    simulated: bool = False  # the records and scores come from a simulated world
    services_simulated: bool = False  # the services layer is simulated
    trip: str = ""
    stop: int | None = None
    motive: tuple[str, str] = ("", "")  # why the trip goes there (Spanish, English)


def service_role(kind: str) -> str | None:
    """Which of :data:`REFERRAL_ROLES` a service's ``tipo`` is (None for another kind)."""
    words = [w for w in re.split(r"[^a-záéíóúñ]+", str(kind).lower()) if w]
    for role, prefixes in _ROLE_PREFIXES.items():
        if any(w == p or (len(p) > 3 and w.startswith(p)) for w in words for p in prefixes):
            return role
    return None


def field_sheet(row: Mapping[str, Any], settings: Settings, *,
                values: Mapping[str, Any] | None = None,
                profile: pd.DataFrame | None = None,
                referrals: Sequence[Referral] = (),
                trip: str = "", stop: int | None = None,
                motive: tuple[str, str] = ("", "")) -> FieldSheet:
    """Assemble one district's field sheet.

    Parameters
    ----------
    row : mapping
        The district's row of the scores (as the role may see them): ``ubigeo``, names,
        ``riesgo``, ``contrib_*``, ``sin_dato``.
    settings : Settings
        Its sector layers (source, simulated), ``[[referral.lines]]``, ``simulated``.
    values : mapping, optional
        The district's row of the district table (one value per sector layer).
    profile : DataFrame, optional
        The department's indicator profile by sector as the role may see it
        (:func:`department_profiles`); None when no record may be counted.
    referrals : sequence of Referral
        :func:`referral_routes` for this district.
    trip, stop, motive : the trip of the plan that visits it, the stop, and why the trip
        goes there (Spanish, English).
    """
    ubigeo = str(row[C.UBIGEO])
    sectors = _sectors_present(settings, values or {})
    wanted = tuple(dict.fromkeys(s.sector for s in sectors if s.sector in
                                 C.SECTORES_INSPECCION))
    indicators, seen = _indicators(profile, wanted)
    return FieldSheet(
        ubigeo=ubigeo, distrito=str(row.get(C.DISTRITO, ubigeo)),
        provincia=str(row.get(C.PROVINCIA, "")), departamento=str(row.get(C.DEPARTAMENTO, "")),
        risk=_float(row.get(C.RIESGO)), risk_p05=_float(row.get(C.RIESGO_P05)),
        risk_p95=_float(row.get(C.RIESGO_P95)), reasons=_reasons(row),
        record={k: row.get(k) for k in (C.RIESGO, C.CONTRIB_PREFIX + HISTORY,
                                        C.N_INSPECCIONES, C.N_HALLAZGOS, C.N_DENUNCIAS)},
        sectors=sectors, indicator_sectors=wanted, indicators=indicators,
        records_seen=seen, referrals=_complete(referrals),
        lines=tuple(settings.referral.lines), simulated=bool(settings.simulated),
        services_simulated=any(spec.simulated for spec in settings.services),
        trip=trip, stop=stop, motive=motive)


def department_profiles(records: pd.DataFrame, districts: pd.DataFrame, threshold: int,
                        aggregate_role: bool) -> dict[str, pd.DataFrame]:
    """Each department's indicator profile by sector, suppressed for the role.

    ``threshold`` and ``aggregate_role`` are the role's (``geo.trust.access.floor`` and
    ``not principal.may_read_records``): the same suppression the pages and exports use.
    """
    frame = pd.DataFrame(districts).drop(columns="geometry", errors="ignore")
    deps = frame[C.UBIGEO].astype(str).str[:2]
    rec_deps = records[C.UBIGEO].astype(str).str[:2] if len(records) else pd.Series(dtype=str)
    out = {}
    for dep in sorted(set(deps)):
        mine = records[rec_deps == dep] if len(records) else records
        if mine.empty:
            continue
        out[dep] = protected_profile(mine, C.SECTOR, frame[deps == dep], threshold,
                                     aggregate_role)
    return out


def referral_routes(districts: pd.DataFrame, services: gpd.GeoDataFrame | None,
                    ubigeos: Iterable[str], planning: PlanningSpec | None = None
                    ) -> dict[str, tuple[Referral, ...]]:
    """Return the nearest service of each kind from each of ``ubigeos``, days and modes.

    Parameters
    ----------
    districts : GeoDataFrame
        The region's districts (``ubigeo``, ``distrito``, polygons in EPSG:4326): the
        travel network is built on them, with the planners' flights and rivers.
    services : GeoDataFrame or None
        The services layer (:func:`geo.geography.services.read_stored`).
    ubigeos : iterable of str
    planning : PlanningSpec, optional
        Flights and rivers of the network; without polygons (or ``network = false``) the
        days are the straight-line estimate and no mode is said.

    Returns
    -------
    dict of str to tuple of Referral
        One entry per kind of :data:`REFERRAL_ROLES` (an unnamed one: ``sin dato``) and
        one per other kind the layer holds.
    """
    wanted = [str(u) for u in ubigeos]
    if services is None or services.empty:
        return {u: _complete(()) for u in wanted}
    pts = services.to_crs(4326).reset_index(drop=True)
    keys = [f"servicio-{i}" for i in range(len(pts))]
    codes = set(pd.DataFrame(districts)[C.UBIGEO].astype(str))
    offices = [Office(k, float(g.y), float(g.x), 0.0,
                      base=str(u) if str(u) in codes else "")
               for k, g, u in zip(keys, pts.geometry,
                                  pts.get(C.UBIGEO, pd.Series("", index=pts.index)),
                                  strict=True)]
    net = None
    use_net = planning is None or planning.network
    if use_net and isinstance(districts, gpd.GeoDataFrame) and districts.crs is not None:
        net = build_network(districts, offices, flights=planning.flights if planning else (),
                            rivers=read_rivers(planning.rivers) if planning and
                            planning.rivers else None)
        for key, name in zip(keys, pts[NOMBRE].astype(str), strict=True):
            net.graph.nodes[("o", key)]["nombre"] = name
        days = net.office_days()
    else:
        days = T.estimate_travel(offices, districts)
    kinds = pts[TIPO].astype(str).to_numpy()
    contacts = (pts[CONTACTO].fillna("").astype(str).to_numpy() if CONTACTO in pts
                else np.array([""] * len(pts)))
    names = pts[NOMBRE].astype(str).to_numpy()
    # days have a floor (a journey takes at least MIN_LEG_DAYS): between equals, the nearer
    where = T.district_points(districts).set_index(C.UBIGEO)[["lon", "lat"]]
    groups: dict[str, list[int]] = {}
    for i, kind in enumerate(kinds):
        groups.setdefault(service_role(kind) or kind, []).append(i)
    out = {}
    for u in wanted:
        if u not in days.index:
            out[u] = _complete(())
            continue
        here = days.loc[u].to_numpy(float)
        km = T.haversine_km(float(where.loc[u, "lon"]), float(where.loc[u, "lat"]),
                            pts.geometry.x.to_numpy(), pts.geometry.y.to_numpy())
        found = []
        for role, members in groups.items():
            best = members[int(np.lexsort((km[members], here[members]))[0])]
            d = float(here[best])
            modes: tuple[str, ...] = ()
            if net is not None and np.isfinite(d):
                legs = net.legs([("d", u), ("o", keys[best])])
                modes = tuple(dict.fromkeys(leg.mode for leg in legs if leg.mode != ACCESS))
            found.append(Referral(role, names[best], kinds[best],
                                  d if np.isfinite(d) else math.nan, modes, str(contacts[best])))
        out[u] = _complete(found)
    return out


def plan_field_sheets(plan: Any, settings: Settings, *, districts: pd.DataFrame | None = None,
                      services: gpd.GeoDataFrame | None = None,
                      profiles: Mapping[str, pd.DataFrame] | None = None,
                      scores: pd.DataFrame | None = None) -> list[FieldSheet]:
    """One field sheet per district of the plan, by office, trip and stop.

    ``districts`` is the district table (values of the sector layers, polygons for the
    network), ``services`` the services layer, ``profiles`` :func:`department_profiles`,
    ``scores`` the full scores (the plan's visits carry only some of their columns).
    """
    visits = pd.DataFrame(plan.visits).drop(columns="geometry", errors="ignore")
    if visits.empty:
        return []
    order = {o.name: i for i, o in enumerate(plan.spec.offices)}
    visits = visits.assign(_o=visits[OFICINA].map(order)).sort_values(
        ["_o", VIAJE, ORDEN], kind="stable")
    ubigeos = visits[C.UBIGEO].astype(str).tolist()
    rows = visits.set_index(C.UBIGEO, drop=False)
    if scores is not None:
        full = pd.DataFrame(scores).drop(columns="geometry", errors="ignore")
        full = full.assign(**{C.UBIGEO: full[C.UBIGEO].astype(str)}).set_index(C.UBIGEO,
                                                                             drop=False)
        rows = full.reindex(ubigeos).combine_first(rows.reindex(ubigeos))
    table = None
    if districts is not None:
        table = pd.DataFrame(districts).drop(columns="geometry", errors="ignore")
        table = table.assign(**{C.UBIGEO: table[C.UBIGEO].astype(str)}).set_index(C.UBIGEO)
    routes = referral_routes(districts if districts is not None else pd.DataFrame(
        {C.UBIGEO: []}), services, ubigeos, plan.spec) if districts is not None else {}
    motives = {row[VIAJE]: (str(row.get(MOTIVO, "") or ""), str(row.get(MOTIVO + "_en", "")
                                                                  or ""))
               for row in pd.DataFrame(plan.trips).to_dict("records")}
    out = []
    for (_, visit), u in zip(visits.iterrows(), ubigeos, strict=True):
        row = rows.loc[u].to_dict()
        values = table.loc[u].to_dict() if table is not None and u in table.index else {}
        out.append(field_sheet(row, settings, values=values,
                               profile=(profiles or {}).get(u[:2]),
                               referrals=routes.get(u, ()), trip=str(visit[VIAJE]),
                               stop=int(visit[ORDEN]),
                               motive=motives.get(visit[VIAJE], ("", ""))))
    return out


# --- the parts ---------------------------------------------------------------------------
def _float(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return math.nan


def _listed(value: Any) -> set[str]:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return set()
    return {v.strip() for v in str(value).split(";") if v.strip()}


def _reasons(row: Mapping[str, Any]) -> tuple[Reason, ...]:
    """Return the largest contributions raising the risk (a layer silent here left out)."""
    risk = _float(row.get(C.RIESGO))
    silent = _listed(row.get("sin_dato"))
    terms = {k[len(C.CONTRIB_PREFIX):]: _float(v) for k, v in row.items()
             if str(k).startswith(C.CONTRIB_PREFIX)}
    terms = {k: v for k, v in terms.items() if not math.isnan(v) and k not in silent}
    if not terms or math.isnan(risk):
        return ()
    _, pts = points(risk, terms)
    up = sorted(((k, p) for k, p in pts.items() if p > 0), key=lambda kv: -kv[1])
    return tuple(Reason(k, p, has_data=k.startswith("falta_") and k[6:] not in silent)
                 for k, p in up[:N_REASONS])


def _sectors_present(settings: Settings, values: Mapping[str, Any]) -> tuple[SectorPresent, ...]:
    out = []
    for spec in settings.layers:
        value = _float(values.get(spec.name))
        if math.isnan(value) or value <= 0:
            continue
        out.append(SectorPresent(spec.name, spec.description, spec.sector, value,
                                 spec.unit, spec.source, bool(spec.simulated)))
    return tuple(out)


def _indicators(profile: pd.DataFrame | None, sectors: tuple[str, ...]
                ) -> tuple[tuple[IndicatorCount, ...], bool]:
    """Return indicator counts over ``sectors`` (all when none), most frequent first."""
    if profile is None or profile.empty:
        return (), False
    rows = profile[profile[C.SECTOR].astype(str).isin(sectors)] if sectors else profile
    if rows.empty:
        return (), False
    hidden_marks = rows[SUPRIMIDO].map(_listed) if SUPRIMIDO in rows else \
        pd.Series([set()] * len(rows), index=rows.index)
    found = []
    for code in ILO_INDICATORS:
        if code not in rows:
            continue
        values = pd.to_numeric(rows[code], errors="coerce")
        hidden = bool(values.isna().any() or any(code in m for m in hidden_marks))
        total = None if hidden else int(values.sum())
        if hidden or total:
            found.append(IndicatorCount(code, total, hidden))
    found.sort(key=lambda ic: (ic.hidden, -(ic.count or 0)))
    return tuple(found[:N_INDICATORS]), True


def _complete(found: Iterable[Referral]) -> tuple[Referral, ...]:
    """Return the four kinds first (``sin dato`` where none is known), then others."""
    by_role = {r.role: r for r in found}
    head = [by_role.pop(role, Referral(role)) for role in REFERRAL_ROLES]
    return tuple(head + sorted(by_role.values(), key=lambda r: r.role))
