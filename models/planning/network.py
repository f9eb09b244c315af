"""Travel as a network: road, river, trail and air legs; trips follow the shortest paths.

A straight line times a detour factor joins the Nanay and the Tigre basins in one trip and
never flies; planners reach Alto Amazonas by air (via Tarapoto) and move along rivers, not
across them. This module builds a multimodal graph (networkx) and gives the planner, for every
office and district, the days of the fastest way there and its legs:

- **road** legs between neighbouring districts (sharing a border) that a road serves —
  Cusco's Andes and high jungle, the Iquitos–Nauta road — at the speeds and detour factors of
  :data:`models.planning.travel.MODES`;
- **river** legs between consecutive districts along the rivers of ``config/redes/rios.toml``
  (their sinuosity and a lancha's day);
- **trail** legs between neighbouring river districts off any listed river, slow
  (:data:`TRAIL`): a district off the rivers is still reached, but crossing a watershed
  costs what it costs;
- **air** legs between the aerodromes (positions from the maintained ``airportsdata``
  package, by ICAO code) of the flights the planners list (``[[planning.flights]]``: days,
  flights per week — a team leaves on a flight day and waits, on the way back, half the
  interval on average — and fare); an
  aerodrome outside the region (Tarapoto) reaches the nearest district of the region by road.

All-pairs shortest days come from ``scipy.sparse.csgraph.dijkstra`` on the same graph, with
predecessors, so each trip can be told leg by leg (mode, from, to, days, km, soles).
Costs are estimates (:data:`COST_PER_KM`) unless a flight gives its fare.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import airportsdata
import networkx as nx
import numpy as np
import pandas as pd
import shapely
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import dijkstra

from geo import columns as C
from geo.errors import ConfigError
from geo.messages import texts
from geo.paths import REPO_ROOT
from models.planning import travel as T

__all__ = [
    "AIR",
    "COST_PER_KM",
    "DEFAULT_RIVERS",
    "Leg",
    "RIVER",
    "ROAD",
    "TRAIL",
    "TravelNetwork",
    "build_network",
    "read_rivers",
]

ROAD, RIVER, TRAIL, AIR, ACCESS = "carretera", "rio", "trocha", "avion", "acceso"
#: A trail between neighbouring river districts off the listed rivers: detour, km per day.
TRAIL = T.TravelMode("trocha o río menor", 1.8, 45.0)
#: Estimated cost per km of a leg (soles): a hired vehicle, fuel for a peque-peque, porters.
COST_PER_KM = {ROAD: 1.0, RIVER: 2.5, TRAIL: 3.0, ACCESS: 0.0}
#: From an aerodrome to the seat of its district (or an office to its own district).
ACCESS_DAYS = 0.1
#: An aerodrome outside the region reaches the nearest district within this distance by road.
AIRPORT_ROAD_KM = 150.0
DEFAULT_RIVERS = REPO_ROOT / "config" / "redes" / "rios.toml"
_RIVER_SINUOSITY, _RIVER_KM_PER_DAY = T.MODES["rio"].detour, T.MODES["rio"].km_per_day
_ROAD_MODES = ("sierra", "selva_alta", "carretera_loreto")
MODE_WORDS = {ROAD: texts("plan.mode.road"),
              RIVER: texts("plan.mode.river"),
              TRAIL: texts("plan.mode.trail"),
              AIR: texts("plan.mode.air"), ACCESS: texts("plan.mode.access")}


@dataclass(frozen=True)
class Leg:
    """One stretch of a trip in one mode."""

    mode: str
    origin: str
    destination: str
    days: float
    km: float
    cost: float


@dataclass(frozen=True)
class River:
    """A navigable river: the districts it links, in order."""

    name: str
    districts: tuple[str, ...]
    sinuosity: float = _RIVER_SINUOSITY
    km_per_day: float = _RIVER_KM_PER_DAY


def read_rivers(path: str | Path | None = None) -> tuple[River, ...]:
    """Read a rivers file (default :data:`DEFAULT_RIVERS`); a clear error names what is wrong."""
    path = Path(path) if path else DEFAULT_RIVERS
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise ConfigError("plan.no_pudo_leer_archivo", path=path, err=err) from err
    out = []
    for i, item in enumerate(raw.get("rios", []), start=1):
        codes = [str(c) for c in item.get("distritos", [])]
        if len(codes) < 2 or not all(c.isdigit() and len(c) == 6 for c in codes):
            raise ConfigError("plan.rios_necesita_distritos_con", path=path, i=i)
        out.append(River(str(item.get("nombre", f"río {i}")), tuple(codes),
                         float(item.get("sinuosidad", _RIVER_SINUOSITY)),
                         float(item.get("km_por_dia", _RIVER_KM_PER_DAY))))
    return tuple(out)


class TravelNetwork:
    """The graph, its all-pairs shortest days and the legs of any path.

    Attributes
    ----------
    graph : networkx.Graph
        Nodes ``("d", ubigeo)``, ``("a", icao)``, ``("o", office name)``; edges carry
        ``mode``, ``days``, ``km``, ``cost`` (the fastest of parallel ones is kept).
    ubigeo : ndarray of str
        The districts, in the order of :attr:`hop_days` and :meth:`office_days`.
    hop_days : ndarray (n, n)
        Fastest days between every two districts (``inf`` if none).
    """

    def __init__(self, graph: nx.Graph, ubigeo: Sequence[str], offices: Sequence[str]):
        self.graph = graph
        self.ubigeo = np.asarray(ubigeo, dtype=str)
        self.offices = list(offices)
        self._nodes = list(graph.nodes)
        self._index = {node: i for i, node in enumerate(self._nodes)}
        n = len(self._nodes)
        rows, cols, vals = [], [], []
        for a, b, data in graph.edges(data=True):
            i, j = self._index[a], self._index[b]
            rows += [i, j]
            cols += [j, i]
            vals += [max(float(data["days"]), 1e-9)] * 2
        matrix = csr_matrix((vals, (rows, cols)), shape=(n, n))
        sources = [self._index[("d", u)] for u in self.ubigeo] + \
            [self._index[("o", o)] for o in self.offices]
        self._dist, self._pred = dijkstra(matrix, directed=False, indices=sources,
                                          return_predecessors=True)
        self._row = {node: r for r, node in enumerate(
            [("d", u) for u in self.ubigeo] + [("o", o) for o in self.offices])}
        cols_d = [self._index[("d", u)] for u in self.ubigeo]
        # the minimum of a leg holds per journey, not per edge of it (models.planning.travel)
        hops = np.maximum(self._dist[: len(self.ubigeo)][:, cols_d], T.MIN_LEG_DAYS)
        np.fill_diagonal(hops, 0.0)
        self.hop_days = hops

    def office_days(self) -> pd.DataFrame:
        """One-way fastest days from each office (columns) to each district (index)."""
        cols = [self._index[("d", u)] for u in self.ubigeo]
        out = {o: np.maximum(self._dist[self._row[("o", o)], cols], T.MIN_LEG_DAYS)
               for o in self.offices}
        return pd.DataFrame(out, index=pd.Index(self.ubigeo, name=C.UBIGEO))

    def path(self, source, target) -> list:
        """Nodes of the fastest path from ``source`` to ``target`` (node keys)."""
        row = self._row[source]
        j = self._index[target]
        if not np.isfinite(self._dist[row, j]):
            return []
        nodes = [target]
        while j != self._index[source]:
            j = int(self._pred[row, j])
            if j < 0:
                return []
            nodes.append(self._nodes[j])
        return nodes[::-1]

    def legs(self, stops: Sequence) -> list[Leg]:
        """Return the legs, one mode each, of the fastest way through ``stops`` (node keys)."""
        out: list[Leg] = []
        for a, b in zip(stops[:-1], stops[1:], strict=True):
            nodes = self.path(a, b)
            if not nodes:  # no route: no leg is made up (the caller says so)
                continue
            start = len(out)  # legs merge within the way to one stop, never across stops
            pending = 0.0  # an access opening the way (office to its aerodrome) joins the next leg
            for u, v in zip(nodes[:-1], nodes[1:], strict=True):
                e = self.graph.edges[u, v]
                if e["mode"] == ACCESS:
                    if len(out) > start:
                        out[-1] = Leg(out[-1].mode, out[-1].origin, out[-1].destination,
                                      out[-1].days + e["days"], out[-1].km, out[-1].cost)
                    else:
                        pending += float(e["days"])
                    continue
                name_u, name_v = self.label(u), self.label(v)
                if len(out) > start and out[-1].mode == e["mode"] and e["mode"] != AIR:
                    last = out[-1]
                    out[-1] = Leg(last.mode, last.origin, name_v, last.days + e["days"],
                                  last.km + e["km"], last.cost + e["cost"])
                else:
                    out.append(Leg(e["mode"], name_u, name_v, float(e["days"]) + pending,
                                   float(e["km"]), float(e["cost"])))
                    pending = 0.0
            if len(out) == start and a != b:  # the same place: a local leg (the office's town)
                out.append(Leg(ROAD, self.label(a), self.label(b), pending, 0.0, 0.0))
            total = sum(leg.days for leg in out[start:])
            if out[start:] and total < T.MIN_LEG_DAYS:  # the minimum holds per journey
                last = out[-1]
                out[-1] = dataclasses.replace(last, days=last.days + T.MIN_LEG_DAYS - total)
        return out

    def label(self, node) -> str:
        """Return a place name for a node (district, aerodrome's town, office)."""
        return str(self.graph.nodes[node].get("nombre", node[1]))


def build_network(districts: pd.DataFrame, offices: Sequence[Any], *,
                  rivers: Sequence[River] | None = None,
                  flights: Sequence[Any] = (), geometry: Any = None) -> TravelNetwork:
    """Build the travel network of ``districts`` (scores or the district table).

    Parameters
    ----------
    districts : DataFrame or GeoDataFrame
        ``ubigeo`` (and ``distrito``, ``region_natural``); polygons (EPSG:4326) give the
        neighbours and where each office and aerodrome lies.
    offices : sequence of geo.config.Office
        With ``base`` (a UBIGEO) when the office names its district.
    rivers : sequence of River, optional
        Default: :func:`read_rivers` of :data:`DEFAULT_RIVERS`.
    flights : sequence of geo.config.Flight
    geometry : GeoSeries, optional
        Polygons, when ``districts`` has none.
    """
    pts = T.district_points(districts)
    ubigeo = pts[C.UBIGEO].to_numpy(str)
    lon, lat, modes = pts["lon"].to_numpy(), pts["lat"].to_numpy(), pts["modo"].to_numpy()
    names = (districts[C.DISTRITO].astype(str).to_numpy() if C.DISTRITO in districts
             else ubigeo)
    pos = {u: i for i, u in enumerate(ubigeo)}
    geoms = geometry if geometry is not None else getattr(districts, "geometry", None)
    g = nx.Graph()
    for i, u in enumerate(ubigeo):
        g.add_node(("d", u), nombre=str(names[i]), lon=float(lon[i]), lat=float(lat[i]))

    def add(a, b, mode, days, km, cost=None):
        cost = COST_PER_KM.get(mode, 0.0) * km if cost is None else cost
        if g.has_edge(a, b) and g.edges[a, b]["days"] <= days:
            return
        g.add_edge(a, b, mode=mode, days=float(days), km=float(km), cost=float(cost))

    def km_between(i, j):
        return float(T.haversine_km(lon[i], lat[i], lon[j], lat[j]))

    # neighbours: road where both districts are on the road network, trail where not; the
    # same tree then places the offices and aerodromes in their districts
    tree = None
    if geoms is not None:
        polys = np.asarray(geoms.to_crs(4326).buffer(0) if hasattr(geoms, "to_crs") else geoms)
        tree = shapely.STRtree(polys)
        left, right = tree.query(polys, predicate="intersects")
        for i, j in zip(left, right, strict=True):
            if i >= j:
                continue
            km = km_between(i, j)
            if modes[i] in _ROAD_MODES and modes[j] in _ROAD_MODES:
                slow = max((T.MODES[modes[i]], T.MODES[modes[j]]),
                           key=lambda m: m.detour / m.km_per_day)
                road_km = km * slow.detour
                add(("d", ubigeo[i]), ("d", ubigeo[j]), ROAD, road_km / slow.km_per_day,
                    road_km)
            else:
                trail_km = km * TRAIL.detour
                add(("d", ubigeo[i]), ("d", ubigeo[j]), TRAIL, trail_km / TRAIL.km_per_day,
                    trail_km)
    for river in (read_rivers() if rivers is None else rivers):
        seq = [u for u in river.districts if u in pos]
        for a, b in zip(seq[:-1], seq[1:], strict=True):
            river_km = km_between(pos[a], pos[b]) * river.sinuosity
            add(("d", a), ("d", b), RIVER, river_km / river.km_per_day, river_km)
    # aerodromes of the flights, each reached from its district (or the nearest by road)
    if flights:
        airports = airportsdata.load("ICAO")
        for flight in flights:
            ends = []
            for code in (flight.origin, flight.destination):
                info = airports.get(code)
                if info is None:
                    raise ConfigError("plan.planning_flights_aerodromo_no", code=code)
                node = ("a", code)
                if node not in g:
                    town = info.get("city") or info.get("name")
                    g.add_node(node, nombre=f"{town} ({code})", lon=info["lon"], lat=info["lat"])
                    _attach(g, node, info["lon"], info["lat"], tree, ubigeo, lon, lat, add)
                ends.append(node)
            # a team leaves on a flight day and, back, waits for the next flight: half the
            # interval on average per round trip, a quarter of it on each leg
            wait = 1.75 / max(float(flight.per_week), 1e-6)
            km = float(T.haversine_km(g.nodes[ends[0]]["lon"], g.nodes[ends[0]]["lat"],
                                      g.nodes[ends[1]]["lon"], g.nodes[ends[1]]["lat"]))
            add(ends[0], ends[1], AIR, float(flight.days) + wait, km, float(flight.cost))
    office_names = []
    for office in offices:
        node = ("o", office.name)
        g.add_node(node, nombre=office.name, lon=office.lon, lat=office.lat)
        base = getattr(office, "base", "")
        if base and base not in pos:
            raise ConfigError("plan.planning_offices_base_no", name=office.name, base=base)
        if base:
            add(node, ("d", base), ACCESS, 0.0, 0.0, 0.0)
        else:
            _attach(g, node, office.lon, office.lat, tree, ubigeo, lon, lat, add, days=0.0)
        office_names.append(office.name)
    return TravelNetwork(g, ubigeo, office_names)


def _attach(g, node, x, y, tree, ubigeo, lon, lat, add, days: float = ACCESS_DAYS) -> None:
    """Join a point (aerodrome, office) to the district it lies in, else the nearest by road.

    ``tree``: the districts' STRtree (None without polygons).
    """
    inside = [] if tree is None else sorted(
        tree.query(shapely.Point(float(x), float(y)), predicate="covered_by").tolist())
    if inside:
        add(node, ("d", ubigeo[inside[0]]), ACCESS, days, 0.0, 0.0)
        return
    km = T.haversine_km(x, y, lon, lat)
    i = int(np.argmin(km))
    if km[i] <= AIRPORT_ROAD_KM:  # outside the region: the road to its nearest district
        mode = T.MODES["sierra"]
        road_km = float(km[i]) * mode.detour
        add(node, ("d", ubigeo[i]), ROAD, road_km / mode.km_per_day, road_km)
