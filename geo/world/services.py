"""Simulated services for victims: CEM, prosecutors, police and shelters in the towns."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd

from geo import columns as C
from geo.world.districts import _centroids, _World

__all__ = ["SERVICES_LAYER"]


SERVICES_LAYER = "servicios"


#: Simulated services (JUICIO, shaped on the real networks): a Centro Emergencia Mujer (MIMP)
#: in every province capital and two more in the department capital; specialised trafficking
#: prosecutors (FISTRAP), police trafficking units and shelters (CAR) in a few cities.
_SERVICE_TOWNS = {
    "fiscalia_trata": ("080101", "160101"),
    "policia": ("080101", "080901", "160101", "160201", "160301"),
    "albergue": ("080101", "160101"),
}


_SERVICE_NAMES = {"cem": "CEM", "fiscalia_trata": "Fiscalía especializada en trata",
                  "policia": "Policía (unidad contra la trata)", "albergue": "Albergue (CAR)"}


def _simulate_services(world: _World) -> gpd.GeoDataFrame:
    d = world.districts
    xy = _centroids(d)
    codes = d[C.UBIGEO].astype(str).to_numpy()
    names = d[C.DISTRITO].astype(str).to_numpy()
    rows = []
    capitals = sorted({c[:4] + "01" for c in codes} & set(codes))
    for code in capitals:
        rows.append(("cem", code))
    for dep in sorted({c[:2] for c in codes}):
        if f"{dep}0101" in codes:
            rows += [("cem", f"{dep}0101")] * 2
    for kind, towns in _SERVICE_TOWNS.items():
        rows += [(kind, t) for t in towns if t in codes]
    seen: dict[tuple[str, str], int] = {}
    out = []
    for kind, code in rows:
        i = int(np.flatnonzero(codes == code)[0])
        n = seen[(kind, code)] = seen.get((kind, code), 0) + 1
        label = f"{_SERVICE_NAMES[kind]} {names[i].title()}" + (f" {n}" if n > 1 else "")
        # a few hundred metres apart when a town has several (same kind or not)
        shift = 0.004 * (len(out) % 5)
        out.append({"nombre": label, "tipo": kind, "ubigeo": code,
                    "lon": xy[i, 0] + shift, "lat": xy[i, 1] - shift})
    frame = pd.DataFrame(out)
    return gpd.GeoDataFrame(frame.drop(columns=["lon", "lat"]),
                            geometry=gpd.points_from_xy(frame["lon"], frame["lat"]), crs=4326)
