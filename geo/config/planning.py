"""``[planning]``: the offices, flights and limits of the monthly inspection plan."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import airportsdata  # the aerodromes a flight names must exist, said with the file

from geo.config.reading import _reject_unknown, _resolve
from geo.errors import ConfigError

__all__ = ["Flight", "Office", "PlanningSpec"]


@dataclass(frozen=True)
class Office:
    """An inspection office trips start from."""

    name: str
    lat: float
    lon: float
    capacity_days: float
    department: str = ""
    base: str = ""  # UBIGEO of the district the office sits in (a sub-office's town)


@dataclass(frozen=True)
class Flight:
    """A flight the planners can take: aerodromes by ICAO code, door-to-door days, frequency."""

    origin: str
    destination: str
    days: float = 0.5  # to the airport, the flight and out again
    per_week: float = 7.0  # the wait for the next one is half the interval, on average
    cost: float = 300.0  # soles, one way


@dataclass(frozen=True)
class PlanningSpec:
    """Inputs of the monthly inspection plan."""

    offices: tuple[Office, ...] = ()
    exploration_share: float = 0.15
    max_trip_days: float = 10.0
    days_per_inspection: float = 2.0
    travel_table: Path | None = None
    seed: int = 0
    network: bool = True  # trips follow the road/river/air network (models.planning.network)
    rivers: Path | None = None  # default: config/redes/rios.toml
    flights: tuple[Flight, ...] = ()


_PLANNING_KEYS = {
    "offices",
    "exploration_share",
    "max_trip_days",
    "days_per_inspection",
    "travel_table",
    "seed",
    "network",
    "rivers",
    "flights",
}
_OFFICE_KEYS = {"name", "lat", "lon", "capacity_days", "department", "base"}
_FLIGHT_KEYS = {"from", "to", "days", "per_week", "cost"}


def _parse_planning(raw: dict[str, Any], path: Path, folder: Path) -> PlanningSpec:
    _reject_unknown(raw, _PLANNING_KEYS, path, "planning")
    offices = []
    for i, item in enumerate(raw.get("offices", []), start=1):
        _reject_unknown(item, _OFFICE_KEYS, path, f"planning.offices[{i}]")
        try:
            offices.append(
                Office(
                    name=str(item["name"]),
                    lat=float(item["lat"]),
                    lon=float(item["lon"]),
                    capacity_days=float(item.get("capacity_days", 0.0)),
                    department=str(item.get("department", "")),
                    base=str(item.get("base", "")),
                )
            )
        except (KeyError, TypeError, ValueError) as err:
            raise ConfigError("config.planning_offices_necesita_name", path=path, i=i,
                              err=err) from err
    defaults = PlanningSpec()
    share = float(raw.get("exploration_share", defaults.exploration_share))
    if not 0.0 <= share < 1.0:
        raise ConfigError("config.planning_exploration_share_debe", path=path, share=share)
    flights = []
    for i, item in enumerate(raw.get("flights", []), start=1):
        _reject_unknown(item, _FLIGHT_KEYS, path, f"planning.flights[{i}]")
        try:
            flight = Flight(origin=str(item["from"]).upper(), destination=str(item["to"]).upper(),
                            days=float(item.get("days", 0.5)),
                            per_week=float(item.get("per_week", 7.0)),
                            cost=float(item.get("cost", 300.0)))
        except (KeyError, TypeError, ValueError) as err:
            raise ConfigError("config.planning_flights_necesita_from", path=path, i=i,
                              err=err) from err
        if flight.days <= 0 or flight.per_week <= 0:
            raise ConfigError("config.planning_flights_days_per", path=path, i=i)
        known = airportsdata.load("ICAO")
        for code in (flight.origin, flight.destination):
            if code not in known:
                raise ConfigError("config.planning_flights_aerodromo_no", path=path, i=i, code=code)
        flights.append(flight)
    return PlanningSpec(
        offices=tuple(offices),
        exploration_share=share,
        max_trip_days=float(raw.get("max_trip_days", defaults.max_trip_days)),
        days_per_inspection=float(raw.get("days_per_inspection", defaults.days_per_inspection)),
        travel_table=_resolve(folder, raw.get("travel_table")),
        seed=int(raw.get("seed", defaults.seed)),
        network=bool(raw.get("network", defaults.network)),
        rivers=_resolve(folder, raw.get("rivers")),
        flights=tuple(flights),
    )
